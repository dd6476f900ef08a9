"""Harvest efficiency against the physical limit that NCBI's rate limit sets.

    python benchmarks/bench_harvest.py [N] [--rate R] [--naive-limit M]   # default 50,000 records, 10 req/s

A local E-utilities server (``evsynth test-server``, its own process) serves N synthetic records
(PMIDs from 90000001) with PubMed's 9,999-id limit and a rate limit of R requests/s that answers
HTTP 429 as NCBI does. Two clients harvest the same records, in the same run:

* evsynth's harvest (date-sliced esearch with the history server, efetch POST batches of the
  protocol's ``batch_size``, one store transaction per batch);
* a naive client, as many scripts and wrappers do it: the same ids, efetched 20 per GET, one after
  another at the same polite rate, parsed with the same parser, nothing stored.

The theoretical minimum of a harvest is the requests it needs divided by the rate. Target (issue 7):
evsynth within 1.15x of that minimum, and no 429s. ``--naive-limit M`` runs the naive client on the
first M ids only and scales its figures up (its cost is linear: one GET per 20 ids).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

from evsynth.config import Settings
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import EUtils, RateLimiter
from evsynth.sources.harvest import harvest, parse_efetch
from evsynth.store.database import Store

ROOT = Path(__file__).resolve().parent.parent


def start_server(count: int, rate: float) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "evsynth", "test-server", "--synthetic", str(count), "--port", "0",
               "--rate-limit", str(rate)]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()  # type: ignore[union-attr]
    if " at " not in line:
        server.kill()
        raise SystemExit(f"test server did not start: {line!r}")
    return server, line.split(" at ", 1)[1].split()[0]


def run_evsynth(url: str, rate: float, folder: Path) -> dict[str, float]:
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bench-harvest",
        "search": {"query": "ketamine[tiab]", "date_window": {"start": "2021-01-01", "end": "2025-06-01"}},
    }))  # fmt: skip
    protocol = load_protocol(path)
    client = EUtils(Settings(eutils_url=url, rate=rate))
    clock = time.perf_counter()
    with Store.open(folder / "bench.sqlite") as store:
        result = harvest(protocol, store, client)
        stored = store.count_records()
    seconds = time.perf_counter() - clock
    stats = client.stats
    efetch_needed = math.ceil(result.total / protocol.batch_size)
    return {
        "seconds": seconds, "requests": stats.requests, "retries": stats.retries, "http_429": stats.http_429,
        "esearch": stats.by_endpoint["esearch.fcgi"], "efetch": stats.by_endpoint["efetch.fcgi"],
        "efetch_needed": efetch_needed, "stored": stored, "batch": protocol.batch_size,
        "slices": len(result.manifest["slices"]), "search_s": result.manifest["timings"]["search_s"],
    }  # fmt: skip


def run_naive(url: str, rate: float, ids: list[str]) -> dict[str, float]:
    limiter = RateLimiter(rate)
    session = requests.Session()
    requests_made = http_429 = parsed = 0
    clock = time.perf_counter()
    for start in range(0, len(ids), 20):
        batch = ids[start : start + 20]
        while True:
            limiter.wait()
            requests_made += 1
            response = session.get(url + "efetch.fcgi", params={"db": "pubmed", "id": ",".join(batch),
                                                                "retmode": "xml"}, timeout=60)  # fmt: skip
            if response.status_code == 429:
                http_429 += 1
                continue
            parsed += len(parse_efetch(response.content))
            break
    return {"seconds": time.perf_counter() - clock, "requests": requests_made, "http_429": http_429, "parsed": parsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=50_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--naive-limit", type=int, default=None)
    args = parser.parse_args()
    server, url = start_server(args.count, args.rate)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_evsynth(url, args.rate, Path(tmp))
            with Store.open(Path(tmp) / "bench.sqlite") as store:
                ids = [row[0] for row in store.conn.execute("SELECT pmid FROM records ORDER BY pmid DESC")]
        time.sleep(1.5)  # let the server's bucket refill
        sample = ids[: args.naive_limit] if args.naive_limit else ids
        naive = run_naive(url, args.rate, sample)
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]
    scale = len(ids) / len(sample)
    minimum = ours["requests"] / args.rate
    needed = (ours["esearch"] + ours["efetch_needed"]) / args.rate
    naive_seconds, naive_requests = naive["seconds"] * scale, naive["requests"] * scale
    print(f"{args.count:,} synthetic records at {args.rate:g} requests/s (server: its own process, 9,999-id limit, "
          f"429 above the rate); evsynth stored {ours['stored']:,}")  # fmt: skip
    print(f"{'client':<44} {'requests':>9} {'429s':>5} {'seconds':>8} {'minimum s':>10} {'x minimum':>10}")
    print(f"{'evsynth (' + str(ours['slices']) + ' slices, POST batches of ' + str(ours['batch']) + ')':<44} "
          f"{ours['requests']:9.0f} {ours['http_429']:5.0f} {ours['seconds']:8.1f} {minimum:10.1f} "
          f"{ours['seconds'] / minimum:10.3f}")  # fmt: skip
    label = "naive (20 ids per GET" + (f", {len(sample):,} ids scaled x{scale:.1f})" if scale > 1 else ")")
    print(f"{label:<44} {naive_requests:9.0f} {naive['http_429']:5.0f} {naive_seconds:8.1f} "
          f"{naive_requests / args.rate:10.1f} {naive_seconds / (naive_requests / args.rate):10.3f}")  # fmt: skip
    print(f"evsynth: {ours['esearch']:.0f} esearch + {ours['efetch']:.0f} efetch ({ours['efetch_needed']:.0f} needed, "
          f"{ours['retries']:.0f} retries); the search took {ours['search_s']:.1f} s; minimum with no retry "
          f"{needed:.1f} s, so {ours['seconds'] / needed:.3f}x")  # fmt: skip
    print(
        f"naive / evsynth: {naive_seconds / ours['seconds']:.1f}x the time, "
        f"{naive_requests / ours['requests']:.1f}x the requests"
    )


if __name__ == "__main__":
    main()
