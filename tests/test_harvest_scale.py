"""Harvests at scale against the local server: faults, more than 9,999 hits, SIGKILL and restart.

All records are synthetic (generated, PMIDs from 90000001); nothing reaches the network.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.helpers import ROOT, fast_client

from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.sources.harvest import harvest
from evsynth.store.database import Store
from evsynth.testing.corpus import SyntheticCorpus
from evsynth.testing.server import FaultPlan, RunningServer, serving


def _protocol(tmp_path: Path, batch: int = 500) -> Protocol:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "name": "scale", "search": {"query": "x[tiab]", "date_window": {"start": "2021-01-01", "end": "2025-06-01"}},
        "harvest": {"batch_size": batch},
    }))  # fmt: skip
    return load_protocol(path)


def _stored(db: Store) -> list[str]:
    return [row[0] for row in db.conn.execute("SELECT pmid FROM records ORDER BY pmid")]


def test_20k_records_with_20_percent_faults_gives_exactly_the_served_set(server_factory, db: Store,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path) -> None:  # fmt: skip
    corpus = SyntheticCorpus(20_000)
    server = server_factory(corpus, FaultPlan(rate=0.2, seed=11, slow_seconds=1.5))
    # The client's timeout is shorter than a slow answer, so every kind of fault costs one retry.
    result = harvest(_protocol(tmp_path), db, fast_client(server.url, timeout=1.0))
    stored = _stored(db)
    assert stored == sorted(corpus.records) and len(set(stored)) == len(stored) == 20_000
    requests = result.manifest["requests"]
    injected = sum(n for kind, n in server.injected.items() if kind != "expired")
    assert injected >= 10  # the faults really happened
    assert requests["retries"] == injected == sum(requests["retry_reasons"].values())
    assert requests["requests"] == len(corpus.requests)  # every request the server saw is in the manifest
    assert requests["http_429"] == server.injected.get("429", 0)
    assert db.run(result.run_id)["status"] == "complete" and result.manifest["not_returned"] == []


def test_50k_records_with_a_day_of_12k_are_all_found(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crowded = dt.date(2024, 2, 29)
    corpus = SyntheticCorpus(50_000, crowded_day=(crowded, 12_000))
    server = server_factory(corpus)
    result = harvest(_protocol(tmp_path, batch=2000), db, fast_client(server.url))
    slices = result.manifest["slices"]
    assert result.total == 50_000 and sum(s["count"] for s in slices) == 50_000
    assert all(s["count"] <= 9999 for s in slices)
    day_slices = [s for s in slices if s["start"] == s["end"] == crowded.isoformat()]
    assert len(day_slices) >= 2 and all(s["pmid_range"] for s in day_slices)  # the day split by PMID range
    assert sum(s["count"] for s in day_slices) >= 12_000
    assert _stored(db) == sorted(corpus.records)


# --- SIGKILL and restart -------------------------------------------------------------------------------------------


def _canonical(store_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a review's store holds, without run ids, row ids or timestamps."""
    conn = sqlite3.connect(store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "records": conn.execute(
                "SELECT record_key, content_hash, duplicate_reason, deleted_run IS NULL FROM records ORDER BY 1"
            ).fetchall(),
            "decisions": conn.execute(
                "SELECT r.record_key, d.decision, d.reasons FROM decisions d JOIN records r ON r.id = d.record_id "
                "WHERE d.screening_id = (SELECT max(screening_id) FROM decisions x WHERE x.record_id = d.record_id) "
                "ORDER BY 1"
            ).fetchall(),
            "mentions": conn.execute(
                'SELECT r.record_key, m.start, m."end", m.type, m.norm_id FROM mentions m '
                "JOIN records r ON r.id = m.record_id ORDER BY 1, 2, 3, 4"
            ).fetchall(),
            "runs": conn.execute("SELECT kind, status FROM runs WHERE status != 'complete'").fetchall(),
        }
    finally:
        conn.close()


def _harvested(store_path: Path) -> bool:
    if not store_path.exists():
        return False
    conn = sqlite3.connect(store_path, timeout=5)
    try:
        return bool(conn.execute("SELECT 1 FROM runs WHERE kind = 'harvest' AND status = 'complete'").fetchone())
    except sqlite3.OperationalError:  # not migrated yet
        return False
    finally:
        conn.close()


def _start_run(url: str, out: Path, protocol: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NCBI_API_KEY": "not-a-real-key"}  # 10 requests/s
    command = [sys.executable, "-m", "evsynth", "run", str(protocol), "--eutils-url", url, "--out", str(out), "-q"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def crash_review(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, Path, dict[str, list[tuple[object, ...]]]]]:
    """A server with 1,500 records, the review protocol, and the store an uninterrupted run leaves."""
    folder = tmp_path_factory.mktemp("crash")
    protocol = folder / "review.yaml"
    protocol.write_text((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_text())  # batches of 250: 6 efetch
    with serving(SyntheticCorpus(1500)) as server:
        reference = _start_run(server.url, folder / "reference", protocol)
        assert reference.wait(120) == 0
        expected = _canonical(folder / "reference" / "evsynth.sqlite")
        assert len(expected["records"]) == 1500 and expected["mentions"] and expected["decisions"]
        yield server, protocol, expected


@pytest.mark.parametrize("kill_after", [[1], [3, 4], [5, "harvested"]], ids=str)
def test_sigkill_then_restart_gives_the_uninterrupted_store(crash_review, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           kill_after: list[object]) -> None:  # fmt: skip
    """Killed during the search, between efetch batches (twice), and after the harvest (screening or tagging)."""
    server, protocol, expected = crash_review
    out = tmp_path / "killed"
    for point in kill_after:
        server.corpus.requests.clear()
        child = _start_run(server.url, out, protocol)
        deadline = time.monotonic() + 60
        if point == "harvested":
            while not _harvested(out / "evsynth.sqlite") and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
        else:
            while len(server.corpus.requests) < int(point) and time.monotonic() < deadline:  # type: ignore[call-overload]
                time.sleep(0.005)
        assert child.poll() is None, f"the run finished before the kill point {point}"
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    final = _start_run(server.url, out, protocol)
    assert final.wait(120) == 0
    assert _canonical(out / "evsynth.sqlite") == expected
    assert (out / "records.csv").is_file() and (out / "prisma.svg").is_file()
