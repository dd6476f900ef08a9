"""evsynth: living evidence synthesis over PubMed.

Public API: load a protocol, open a store, parse PubMed XML, screen a record.
"""

__version__ = "0.1.0"

from evsynth.criteria import screen_record  # noqa: E402
from evsynth.models import Decision, Evidence, Record  # noqa: E402
from evsynth.protocol import Protocol, load_protocol  # noqa: E402
from evsynth.pubmed_xml import iter_pubmed_xml  # noqa: E402
from evsynth.store import Store  # noqa: E402

__all__ = [
    "Decision", "Evidence", "Protocol", "Record", "Store", "__version__", "iter_pubmed_xml", "load_protocol",
    "screen_record",
]  # fmt: skip
