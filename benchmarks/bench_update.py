"""Living-review updates at scale: what an update costs when nothing changed, and when a little did.

    python benchmarks/bench_update.py [N]        # default 20,000 records

The records are synthetic (evsynth.testing.synthetic, PMIDs from 90000001), served by the local E-utilities server on
127.0.0.1 with NCBI's 9,999-id limit, so the search needs several slices. Three updates of the reference
protocol run in a row: the first harvests everything (the baseline, measured in the same run); the second
finds nothing new; before the third, 50 new records appear. Target (issue 6): nothing new costs one esearch
per slice (+1 for the modification-date search), no efetch, a few seconds, and touches no output.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from evsynth.config import Settings
from evsynth.pipeline import run_protocol
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import EUtils
from evsynth.store.database import Store
from evsynth.testing.corpus import Corpus
from evsynth.testing.server import serving
from evsynth.testing.synthetic import article_set, generated_corpus

ROOT = Path(__file__).resolve().parent.parent


def main(count: int) -> None:
    articles = list(generated_corpus(count + 50))
    everything = Corpus.from_xml(article_set(articles))
    first = Corpus([r for p, r in everything.records.items() if int(p) <= 90_000_000 + count])
    protocol = load_protocol(ROOT / "queries" / "trd-pharmacogenomics.yaml")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serving(first) as server:
        out = Path(tmp) / "out"
        settings = Settings(eutils_url=server.url, rate=None)
        for label in ("first update (full harvest): baseline", "nothing new", "50 new records"):
            if label == "50 new records":
                server.corpus.add(r for p, r in everything.records.items() if int(p) > 90_000_000 + count)
            before = {p.name: p.stat().st_mtime_ns for p in out.glob("*")} if out.exists() else {}
            sent = len(server.corpus.requests)
            clock = time.perf_counter()
            with Store.open(out / "evsynth.sqlite") as store:
                result = run_protocol(protocol, store, EUtils(settings), out, update=True)
            seconds = time.perf_counter() - clock
            endpoints = [e for e, _ in server.corpus.requests[sent:]]
            touched = sum(
                1
                for p in out.glob("*")
                if before.get(p.name) != p.stat().st_mtime_ns and not p.name.startswith("evsynth.sqlite")
            )
            summary = (result.changes or {}).get("summary", {})
            rows.append(
                (
                    label,
                    seconds,
                    endpoints.count("esearch.fcgi"),
                    endpoints.count("efetch.fcgi"),
                    touched,
                    summary.get("new_records", 0) if not result.unchanged else 0,
                )
            )
        slices = len(result.harvest.manifest.get("slices", []))
    baseline = rows[0][1]
    print(f"{count:,} synthetic records, {slices} search slice(s), local E-utilities server, no rate limit")
    print(
        f"{'update':<40} {'seconds':>8} {'x baseline':>10} {'esearch':>8} {'efetch':>7} {'outputs written':>16} "
        f"{'new records':>12}"
    )
    for label, seconds, esearch, efetch, touched, new in rows:
        print(f"{label:<40} {seconds:8.2f} {seconds / baseline:10.3f} {esearch:8d} {efetch:7d} {touched:16d} {new:12d}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
