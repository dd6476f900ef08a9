"""One mining task: a part of a PubMed file parsed and tagged, its tables written as Parquet.

A worker loads the lexicon once (the first task it runs) and keeps it for every later task. A part's tables are
written to temporary files and renamed into place, then a marker says the part is done: a worker killed half-way
leaves no table behind, and the part is mined again from the start; a part asked for again once done (its worker
died before the scheduler heard) is not mined twice.

Tables (one Parquet file per part in each folder):

* ``records``: pmid, year, pub_date, journal, pub_types, mesh, file, part, and ``fields`` (JSON: title, abstract,
  keywords, MeSH headings, languages, journal abbreviations, authors, dates, DOI), what ``mine --query`` reads;
* ``mentions``: pmid, key (the evidence graph's node key: gene:BDNF, treatment:MESH:D007649 ...), type, name,
  family (a microRNA's family stem), sentence;
* ``comentions``: the part's co-mention counts: entity pairs (a < b) by level (sentence, abstract) and year.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import Counter
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evsynth.formats.annotations import record_document
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.mining.parts import part_name
from evsynth.models import Author, MeshHeading, Record
from evsynth.synthesis.graph import mention_nodes
from evsynth.tagger.tagger import Tagger

TABLES = ("records", "mentions", "comentions")
SCHEMAS = {
    "records": pa.schema([
        ("pmid", pa.string()), ("year", pa.int32()), ("pub_date", pa.string()), ("journal", pa.string()),
        ("pub_types", pa.list_(pa.string())), ("mesh", pa.list_(pa.string())), ("file", pa.string()),
        ("part", pa.int32()), ("fields", pa.string()),
    ]),
    "mentions": pa.schema([
        ("pmid", pa.string()), ("key", pa.string()), ("type", pa.string()), ("name", pa.string()),
        ("family", pa.string()), ("sentence", pa.int32()),
    ]),
    "comentions": pa.schema([
        ("a", pa.string()), ("b", pa.string()), ("level", pa.string()), ("year", pa.int32()), ("count", pa.int64()),
    ]),
}  # fmt: skip


@cache
def worker_tagger() -> Tagger:
    """The worker process's tagger: the lexicon loads once per worker."""
    return Tagger()


def query_fields(record: Record) -> dict[str, Any]:
    """What the query engine reads of a record (``mine --query``), as plain data."""
    return {
        "title": record.title, "abstract": record.abstract, "keywords": list(record.keywords),
        "mesh": [[m.ui, m.name, m.major] for m in record.mesh], "languages": list(record.languages),
        "journal_iso": record.journal_iso, "journal_medline": record.journal_medline,
        "authors": [[a.last_name, a.initials, a.collective_name] for a in record.authors],
        "entrez_date": record.entrez_date, "doi": record.doi, "pmcid": record.pmcid,
    }  # fmt: skip


def write_parquet(table: pa.Table, path: Path, row_group_size: int | None = None) -> None:
    """A table as zstd-compressed Parquet, written beside ``path`` and renamed onto it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial, compression="zstd", row_group_size=row_group_size)
    os.replace(partial, path)


def _write(table: str, rows: dict[str, list[Any]], out: Path, name: str) -> None:
    write_parquet(pa.Table.from_pydict(rows, schema=SCHEMAS[table]), out / table / f"{name}.parquet")


def done_marker(out: Path, name: str) -> Path:
    return out / "done" / f"{name}.json"


def mine_part(part: Path, out: Path, file: str, number: int) -> dict[str, Any]:
    """Parse and tag one part; write its three tables and its done marker; return its figures."""
    started = time.perf_counter()
    name = part_name(file, number)
    marker = done_marker(out, name)
    if marker.is_file():  # done by a worker that died before the scheduler heard of it
        return {
            **json.loads(marker.read_text()),
            "seconds": 0.0,
            "peak_rss_mb": _peak_rss_mb(),
            "worker_pid": os.getpid(),
        }
    tagger = worker_tagger()
    records: dict[str, list[Any]] = {column: [] for column in SCHEMAS["records"].names}
    mentions: dict[str, list[Any]] = {column: [] for column in SCHEMAS["mentions"].names}
    pairs: Counter[tuple[str, str, str, int]] = Counter()
    count = 0
    for record in iter_pubmed_xml(str(part)):
        count += 1
        year = record.pub_year or 0
        for column, value in (("pmid", record.pmid), ("year", record.pub_year), ("pub_date", record.pub_date),
                              ("journal", record.journal), ("pub_types", list(record.pub_types)),
                              ("mesh", [m.name for m in record.mesh]), ("file", file), ("part", number),
                              ("fields", json.dumps(query_fields(record), ensure_ascii=False))):  # fmt: skip
            records[column].append(value)
        text = record_document(record.pmid, record.title, record.abstract).text
        by_sentence: dict[int, set[str]] = {}
        for mention in tagger.tag(text):
            for key, seed in mention_nodes(mention):
                family = str(seed.get("family") or "")
                for column, value in (("pmid", record.pmid), ("key", key), ("type", seed["type"]),
                                      ("name", str(seed["name"])), ("family", family),
                                      ("sentence", mention.sentence)):  # fmt: skip
                    mentions[column].append(value)
                by_sentence.setdefault(mention.sentence, set()).add(key)
        for keys in by_sentence.values():
            pairs.update((a, b, "sentence", year) for a, b in combinations(sorted(keys), 2))
        pairs.update((a, b, "abstract", year) for a, b in combinations(sorted(set().union(*by_sentence.values())), 2))
    rows = sorted(pairs.items())
    _write("records", records, out, name)
    _write("mentions", mentions, out, name)
    _write("comentions", {"a": [r[0][0] for r in rows], "b": [r[0][1] for r in rows],
                          "level": [r[0][2] for r in rows], "year": [r[0][3] for r in rows],
                          "count": [r[1] for r in rows]}, out, name)  # fmt: skip
    figures = {
        "part": name, "records": count, "mentions": len(mentions["pmid"]),
        "seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": _peak_rss_mb(), "worker_pid": os.getpid(),
    }  # fmt: skip
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".partial")
    partial.write_text(json.dumps({k: v for k, v in figures.items() if k not in ("seconds", "peak_rss_mb",
                                                                               "worker_pid")}))  # fmt: skip
    partial.replace(marker)
    return figures


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def record_from_fields(pmid: str, year: int | None, pub_date: str, journal: str, pub_types: list[str],
                       fields: dict[str, Any]) -> Record:  # fmt: skip
    """A :class:`Record` with what the query engine reads, from a mined ``records`` row."""
    return Record(
        pmid=pmid, title=fields["title"], abstract=fields["abstract"], journal=journal,
        journal_iso=fields["journal_iso"], journal_medline=fields["journal_medline"], pub_year=year,
        pub_date=pub_date, entrez_date=fields["entrez_date"], languages=tuple(fields["languages"]),
        pub_types=tuple(pub_types), keywords=tuple(fields["keywords"]), doi=fields["doi"], pmcid=fields["pmcid"],
        mesh=tuple(MeshHeading(ui, name, bool(major)) for ui, name, major in fields["mesh"]),
        authors=tuple(Author(last_name=last, initials=initials, collective_name=collective)
                      for last, initials, collective in fields["authors"]),
    )  # fmt: skip
