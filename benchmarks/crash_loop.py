"""Crash loop: SIGKILL `evsynth run`, `update`, `decide`, `import` or `export` at a random moment, run it again,
and check that the review equals an uninterrupted one.

    python benchmarks/crash_loop.py [--trials 30] [--seed 1]

Each trial works in a fresh folder on the demo (the bundled cassette, replayed; its two import files): a first
`run`, then in turn `decide` (a reviewer's decision), `import` (a synthetic RIS file), `update` and `export`.
Every step is started in a child process and killed with SIGKILL after a random delay drawn below that step's
measured length (so some kills land before any work and some in the middle), then run again to completion.
After the trial, what a reader sees (PRISMA counts, records, screening, included.ris, graph.sif, evidence,
mentions, the decisions file) and what the store holds (records, latest decisions, mentions) must equal the same
sequence run without kills. Bounded: every child has a 120 s timeout; the script exits 1 on the first mismatch.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
RIS = """TY  - JOUR
TI  - Synthetic record for the crash loop: BDNF and ketamine response in treatment-resistant depression
AU  - Synth, C.
PY  - 2023
LA  - eng
AB  - In 40 patients with treatment-resistant depression, BDNF rs6265 predicted response to ketamine.
DO  - 10.5555/evsynth-crash.1
ER  - 
"""


def steps(folder: Path) -> list[list[str]]:
    protocol, cassette = str(folder / "review.yaml"), str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
    out = ["--out", str(folder / "out")]
    imports = ["--import", str(ROOT / "demo" / "scopus-export.csv"), "--import", str(ROOT / "demo" / "hand-search.ris")]
    return [
        ["run", protocol, "--replay", cassette, *imports, *out, "-q"],
        ["decide", protocol, "90000047", "include", "--reason", "genotype sub-study", *out],
        ["import", str(folder / "extra.ris"), "--db", str(folder / "out" / "evsynth.sqlite")],
        ["update", protocol, "--replay", cassette, *imports, *out, "-q"],
        ["export", protocol, "--format", "sif", *out],
    ]


def prepare(folder: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "queries" / "trd-pharmacogenomics.yaml", folder / "review.yaml")
    (folder / "extra.ris").write_text(RIS)


def evsynth(args: list[str], kill_after: float | None = None) -> tuple[int, float]:
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "evsynth", *args], env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    if kill_after is not None:
        try:
            child.wait(kill_after)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
    return child.wait(120), time.monotonic() - started


def seen(folder: Path) -> dict[str, object]:
    out = folder / "out"
    prisma = json.loads((out / "prisma.json").read_text())
    with (out / "records.csv").open(newline="") as handle:
        records = sorted(
            tuple(v for k, v in row.items() if k not in ("first_seen_run", "record_id", "duplicate_of"))
            for row in csv.DictReader(handle)
        )
    conn = sqlite3.connect(out / "evsynth.sqlite")
    try:
        store = {
            "records": conn.execute(
                "SELECT record_key, content_hash, duplicate_reason FROM records ORDER BY 1"
            ).fetchall(),
            "decisions": conn.execute(
                "SELECT r.record_key, d.decision FROM decisions d JOIN records r ON r.id = d.record_id WHERE "
                "d.screening_id = (SELECT max(screening_id) FROM decisions x WHERE x.record_id = d.record_id) "
                "ORDER BY 1"
            ).fetchall(),
            "mentions": conn.execute("SELECT count(*), count(DISTINCT record_id) FROM mentions").fetchall(),
        }
    finally:
        conn.close()
    return {
        "prisma": {k: prisma[k] for k in ("identification", "screening", "included")},
        "records": records,
        "files": {
            name: (out / name).read_text() for name in ("included.ris", "graph.sif", "evidence.csv", "mentions.jsonl")
        },  # fmt: skip
        "decisions file": (folder / "review.decisions.csv").read_text(),
        "store": store,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        reference = Path(scratch) / "reference"
        prepare(reference)
        lengths = []
        for step in steps(reference):
            code, seconds = evsynth(step)
            if code not in (0, 4):
                raise SystemExit(f"uninterrupted {step[0]} exited {code}")
            lengths.append(seconds)
        expected = seen(reference)
        print(
            "uninterrupted: " + ", ".join(f"{s[0]} {t:.1f} s" for s, t in zip(steps(reference), lengths, strict=True))
        )
        kills = 0
        for trial in range(args.trials):
            folder = Path(scratch) / f"trial-{trial}"
            prepare(folder)
            for step, length in zip(steps(folder), lengths, strict=True):
                code, _ = evsynth(step, kill_after=rng.uniform(0, length))
                kills += code == -signal.SIGKILL
                code, _ = evsynth(step)  # again, to the end
                if code not in (0, 4):
                    print(f"trial {trial}: {step[0]} after the kill exited {code}")
                    return 1
            if seen(folder) != expected:
                print(f"trial {trial}: the review differs from the uninterrupted one (folder kept: {folder})")
                shutil.copytree(folder, Path(tempfile.gettempdir()) / f"crash-loop-{trial}", dirs_exist_ok=True)
                return 1
            shutil.rmtree(folder)
            print(f"trial {trial + 1}/{args.trials}: equal ({kills} kills so far)", flush=True)
    print(f"{args.trials} trials, {kills} SIGKILLs landed mid-step: every review equals the uninterrupted one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
