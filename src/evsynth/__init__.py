"""evsynth: living evidence synthesis over PubMed.

Public API: load a protocol, open a store, parse PubMed XML, screen a record.
"""

from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Decision, Evidence, Record
from evsynth.protocol.criteria import screen_record
from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.store.database import Store
from evsynth.version import __version__

__all__ = [
    "Decision", "Evidence", "Protocol", "Record", "Store", "__version__", "iter_pubmed_xml", "load_protocol",
    "screen_record",
]  # fmt: skip
