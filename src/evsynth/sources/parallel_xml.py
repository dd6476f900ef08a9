"""A big PubMed XML file parsed by worker processes into store rows, while the importing process stores them.

The file is cut into small documents of whole records (:func:`~evsynth.formats.pubmed_xml.split_documents`);
each worker parses one and returns its rows (:func:`~evsynth.store.database.row_values`: plain strings and
numbers, cheap to send between processes, where parsed records are not). Rows come back in the file's order, a
few documents in flight at a time, so memory stays flat and the store's record ids are those a plain import
gives.

A document that does not parse, or a worker that dies, is not trusted to describe the file: the rest of the file
is then parsed here, from the record after the last one stored, and that parse says whether and where the file
is broken, in the same words as an import without workers.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from evsynth.errors import PubmedXMLError
from evsynth.formats.pubmed_xml import iter_pubmed_xml, split_documents
from evsynth.store.database import row_values

PARALLEL_MIN_BYTES = 4 << 20  # a smaller file is parsed in the importing process: starting workers costs more
DOCUMENT_BYTES = 1 << 20  # of XML a document (about 90 records of a PubMed update file)
_IN_FLIGHT = 2  # documents queued per worker: enough to keep each busy, few enough to keep memory flat

Row = dict[str, Any]


def parse_rows(document: bytes, source: str, format_name: str, keep_raw: bool) -> tuple[list[Row], list[str]]:
    """A worker's task: the rows of one document's records, and the PMIDs it says PubMed deleted."""
    deleted: list[str] = []
    records = iter_pubmed_xml(document, source_name=source, keep_raw=keep_raw, deleted=deleted)
    return [row_values(record, format_name) for record in records], deleted


def rows_in_workers(
    path: Path, *, source: str, format_name: str, keep_raw: bool, workers: int, deleted: list[str]
) -> Iterator[Row]:
    """The rows of every record of ``path``, in order, parsed by ``workers`` processes; ``deleted`` receives the
    PMIDs of its DeleteCitation elements.

    Raises:
        PubmedXMLError: the file is malformed or hostile (found by parsing the rest of it here).
    """
    done = 0
    context = multiprocessing.get_context("spawn")  # a fork would copy the store's connection and any thread
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: deque[Future[tuple[list[Row], list[str]]]] = deque()
            documents = split_documents(path, DOCUMENT_BYTES)
            while True:
                for document in itertools.islice(documents, workers * _IN_FLIGHT - len(pending)):
                    pending.append(pool.submit(parse_rows, document, source, format_name, keep_raw))
                if not pending:
                    return
                rows, gone = pending.popleft().result()
                deleted.extend(gone)
                for row in rows:
                    yield row
                    done += 1
    except (PubmedXMLError, BrokenProcessPool):
        pass
    del deleted[:]  # what the whole file says, read again below
    records = iter_pubmed_xml(path, source_name=source, keep_raw=keep_raw, deleted=deleted)
    for record in itertools.islice(records, done, None):
        yield row_values(record, format_name)
