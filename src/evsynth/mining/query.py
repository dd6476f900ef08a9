"""A protocol's PubMed search run over mined records with evsynth's query engine: a local PubMed mirror, for
checking a search strategy and for reviews that outgrow E-utilities' rate limits.

The records are those that count (the latest version of each, none deleted); the protocol's date window is
applied to the publication date as ``[dp]`` would be. MeSH terms match as written unless a MeSH tree is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.mining.aggregate import done_parts, superseded
from evsynth.mining.task import record_from_fields
from evsynth.models import Record
from evsynth.protocol.loader import Protocol
from evsynth.query.evaluate import Evaluator, date_span
from evsynth.query.mesh import MeshTree


@dataclass
class QueryResult:
    searched: int  # records that count in the mined folder
    hits: list[Record]
    path: Path


def mined_records(out: Path) -> Iterator[Record]:
    """The mined records that count, each as a :class:`Record` with what the query engine reads."""
    parts = done_parts(out)
    drop = superseded(out, parts)
    for name in parts:
        table = pq.read_table(out / "records" / f"{name}.parquet").to_pylist()
        skip = drop.get(name, set())
        for row in table:
            if row["pmid"] not in skip:
                yield record_from_fields(row["pmid"], row["year"], row["pub_date"], row["journal"], row["pub_types"],
                                         json.loads(row["fields"]))  # fmt: skip


def _in_window(record: Record, protocol: Protocol) -> bool:
    search = protocol.search
    if not (search.start or search.end):
        return True
    span = date_span(record.pub_date) if record.pub_date else None
    if span is None:
        return False
    low, high = span
    return (search.start is None or high >= search.start) and (search.end is None or low <= search.end)


def query_mined(protocol: Protocol, out: Path, mesh: MeshTree | None = None) -> QueryResult:
    """The protocol's query over the mined records; the hits written to ``query-<protocol>.csv`` in ``out``."""
    evaluator = Evaluator.of(protocol.search.query, mesh)
    searched = 0
    hits = []
    for record in mined_records(out):
        searched += 1
        if _in_window(record, protocol) and evaluator.matches(record):
            hits.append(record)
    hits.sort(key=lambda r: int(r.pmid))
    path = out / f"query-{protocol.name}.csv"
    with atomic_writer(path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=["pmid", "year", "journal", "title"])
        writer.writeheader()
        writer.writerows({"pmid": r.pmid, "year": r.pub_year or "", "journal": r.journal, "title": r.title}
                         for r in hits)  # fmt: skip
    return QueryResult(searched, hits, path)
