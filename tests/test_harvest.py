"""Harvest against the local E-utilities server: slicing, incremental runs, resume, faults."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.helpers import fast_client, make_corpus

from evsynth.errors import HarvestGaveUp, ProtocolError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.sources.harvest import harvest, plan_search
from evsynth.store.database import Store
from evsynth.testing.corpus import Corpus, ServedRecord
from evsynth.testing.server import FaultPlan
from evsynth.testing.synthetic import article_set, article_xml, generated_entry


def _protocol(tmp_path: Path, *, limit: int = 9999, batch: int = 50, start: str = "2021-01-01",
              end: str = "2025-06-01", raw_xml: bool = False) -> Protocol:  # fmt: skip
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "name": "test-review",
        "search": {"query": "ketamine[tiab]", "date_window": {"start": start, "end": end}},
        "harvest": {"batch_size": batch, "max_ids_per_search": limit, "raw_xml": raw_xml},
    }))  # fmt: skip
    return load_protocol(path)


def _served(entries: list[dict[str, object]]) -> list[ServedRecord]:
    xml = article_set([article_xml(e) for e in entries])
    return [ServedRecord.from_record(r) for r in iter_pubmed_xml(xml, keep_raw=True)]


def test_harvest_fetches_every_record_once(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(120))
    client = fast_client(server.url)
    result = harvest(_protocol(tmp_path, batch=50), db, client)
    assert result.total == 120 and result.new == 120 and result.fetched == 120
    assert db.count_records() == 120
    assert client.stats.by_endpoint["efetch.fcgi"] == 3  # 120 ids in POST batches of 50
    run = db.run(result.run_id)
    assert run["status"] == "complete"
    assert run["manifest"]["query_translation"] == "ketamine[tiab]"
    assert run["manifest"]["slices"][0]["count"] == 120
    assert run["manifest"]["requests"]["requests"] == 4


def test_harvest_keeps_raw_xml_only_when_the_protocol_says(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    for raw_xml in (False, True):
        with Store.open(tmp_path / f"{raw_xml}.sqlite") as store:
            harvest(_protocol(tmp_path, raw_xml=raw_xml), store, fast_client(server.url))
            kept = store.conn.execute("SELECT count(*) FROM records WHERE raw IS NOT NULL").fetchone()[0]
            pmid = store.conn.execute("SELECT pmid FROM records LIMIT 1").fetchone()[0]
            assert kept == (30 if raw_xml else 0)
            assert store.raw_xml(pmid).startswith(b"<PubmedArticle") if raw_xml else store.raw_xml(pmid) == b""
    with pytest.raises(ProtocolError, match=r"p.yaml: harvest.raw_xml: 'yes' must be true or false"):
        _protocol(tmp_path, raw_xml="yes")  # type: ignore[arg-type]


def test_harvest_asks_for_the_next_batch_while_it_stores_one(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(200))
    efetches_when_stored: list[int] = []
    store_batch = db.upsert_records

    def slow_store(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # a store busy with this batch: the next one's request goes out meanwhile
        efetches_when_stored.append(sum(1 for endpoint, _ in server.corpus.requests if endpoint == "efetch.fcgi"))
        return store_batch(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "upsert_records", slow_store)
        result = harvest(_protocol(tmp_path, batch=50), db, fast_client(server.url))
    assert result.fetched == 200 and db.count_records() == 200
    assert efetches_when_stored == [2, 3, 4, 4]  # batch k stored once k + 1 was asked for; the last has none after


def test_harvest_splits_windows_until_slices_fit(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(300, id_limit=40))
    result = harvest(_protocol(tmp_path, limit=40), db, fast_client(server.url))
    slices = result.manifest["slices"]
    assert len(slices) > 300 // 40
    assert all(s["count"] <= 40 for s in slices)
    assert sum(s["count"] for s in slices) == result.total == 300
    assert db.count_records() == 300
    starts = sorted(dt.date.fromisoformat(s["start"]) for s in slices)
    assert starts[0] == dt.date(2021, 1, 1)


def test_later_harvest_reuses_the_slices_one_esearch_each(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    full = make_corpus(330, id_limit=40)
    server = server_factory(Corpus([r for p, r in full.records.items() if int(p) <= 90_000_300], id_limit=40))
    protocol = _protocol(tmp_path, limit=40)
    first = harvest(protocol, db, fast_client(server.url))
    planned = first.manifest["requests"]["by_endpoint"]["esearch.fcgi"]
    assert planned > len(first.manifest["slices"])  # planning searched the halves it split
    client = fast_client(server.url)
    again = harvest(protocol, db, client)
    assert client.stats.by_endpoint == {"esearch.fcgi": len(first.manifest["slices"])}
    assert again.total == 300 and again.new == 0 and again.manifest["slices_reused"] == len(first.manifest["slices"])
    server.corpus.add(r for p, r in full.records.items() if int(p) > 90_000_300)
    grown = harvest(protocol, db, fast_client(server.url))
    assert grown.new == 30 and grown.total == 330 and db.count_records() == 330
    assert all(s["count"] <= 40 for s in grown.manifest["slices"])  # a slice that outgrew the limit was split


def test_open_window_reuse_extends_the_last_slice_to_today(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "open.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "open-review", "search": {"query": "ketamine[tiab]", "date_window": {"start": "2021-01-01"}}}
        )
    )
    protocol = load_protocol(path)
    server = server_factory(make_corpus(20))
    harvest(protocol, db, fast_client(server.url), today=dt.date(2025, 1, 1))
    late = {**generated_entry(500), "date": "2026-02-01"}
    server.corpus.add(_served([late]))
    result = harvest(protocol, db, fast_client(server.url), today=dt.date(2026, 3, 1))
    assert result.new == 1 and result.manifest["slices"][-1]["end"] == "2026-03-01"


def test_harvest_splits_a_single_day_by_pmid_range(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    entries = [{**generated_entry(i), "date": "2022-05-05"} for i in range(90)]
    entries += [generated_entry(i) for i in range(90, 130)]
    server = server_factory(Corpus(_served(entries), id_limit=25))
    plan = plan_search(fast_client(server.url), "x", start=dt.date(2021, 1, 1), end=dt.date(2025, 6, 1), limit=25)
    assert plan.total == 130 and len(plan.ids) == 130
    day_slices = [s for s in plan.slices if s.pmid_range]
    assert day_slices and all(s.start == s.end == "2022-05-05" for s in day_slices)
    assert sum(s.count for s in day_slices) == 90
    assert plan.slice_sum == 130


def test_harvest_second_run_is_incremental(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(60)
    server = server_factory(corpus)
    protocol = _protocol(tmp_path)
    harvest(protocol, db, fast_client(server.url))
    quiet = fast_client(server.url)
    again = harvest(protocol, db, quiet)
    assert again.new == 0 and again.fetched == 0
    assert dict(quiet.stats.by_endpoint) == {"esearch.fcgi": 1}
    corpus.add(_served([generated_entry(i) for i in range(60, 65)]))
    third = harvest(protocol, db, fast_client(server.url))
    assert third.new == 5 and third.fetched == 5
    new = {row[0] for row in db.conn.execute(
        "SELECT r.pmid FROM run_records x JOIN records r ON r.id = x.record_id WHERE x.run_id = ? AND x.is_new = 1",
        (third.run_id,))}  # fmt: skip
    assert new == {str(90_000_001 + i) for i in range(60, 65)}
    seen = db.conn.execute("SELECT count(*) FROM run_records WHERE run_id = ?", (third.run_id,)).fetchone()[0]
    assert seen == 65


def test_harvest_with_faults_yields_exact_set(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(400), FaultPlan(rate=0.2, seed=7))
    client = fast_client(server.url)
    result = harvest(_protocol(tmp_path, batch=40), db, client)
    assert db.stored_pmids() == {str(90_000_001 + i) for i in range(400)}
    assert result.manifest["requests"]["retries"] == sum(server.injected.values()) > 0
    assert db.conn.execute("SELECT count(*) FROM run_records WHERE run_id = ?", (result.run_id,)).fetchone()[0] == 400


def test_harvest_resumes_after_giving_up(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(200)
    protocol = _protocol(tmp_path, batch=50)
    broken = server_factory(corpus, FaultPlan(rate=1.0, kinds=("503",)))
    healthy = server_factory(corpus)

    class Flaky:
        """Healthy for the esearch and two efetch batches, then every request fails."""

        def __init__(self) -> None:
            self.calls = 0
            self.healthy = fast_client(healthy.url)
            self.broken = fast_client(broken.url, max_attempts=2)
            self.stats = self.healthy.stats

        def __getattr__(self, name: str) -> object:
            self.calls += 1
            return getattr(self.healthy if self.calls <= 3 else self.broken, name)

    with pytest.raises(HarvestGaveUp):
        harvest(protocol, db, Flaky())  # type: ignore[arg-type]
    failed = db.runs("harvest")[-1]
    assert failed["status"] == "failed" and "gave up" in failed["manifest"]["error"]
    assert db.count_records() == 100  # two committed batches survive
    resumed = harvest(protocol, db, fast_client(healthy.url))
    assert resumed.resumed and resumed.run_id == failed["id"]
    assert resumed.fetched == 100
    assert db.count_records() == 200 and db.integrity_ok()
    assert db.run(resumed.run_id)["count_new"] == 200
    assert len(db.runs("harvest")) == 1


def test_harvest_refresh_modified_refetches_changed_records(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(20)
    server = server_factory(corpus)
    protocol = _protocol(tmp_path)
    harvest(protocol, db, fast_client(server.url))
    changed = {**generated_entry(3), "title": "A corrected synthetic title", "revised": dt.date.today().isoformat()}
    corpus.add(_served([changed]))
    plain = harvest(protocol, db, fast_client(server.url))
    assert plain.fetched == 0
    refreshed = harvest(protocol, db, fast_client(server.url), refresh_modified=True)
    assert refreshed.fetched == 1 and refreshed.updated == 1
    assert db.get_record(str(90_000_004)).title == "A corrected synthetic title"  # type: ignore[union-attr]


def test_harvest_refuses_an_efetch_about_other_records(server_factory, db: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An efetch that answered with other records than asked counted as success: run exited 0 with nothing
    stored (issue 25 item 11). Now it is asked once more, then refused with one line (exit 3)."""
    from evsynth.errors import EutilsError

    corpus = make_corpus(20)
    stranger = make_corpus(21).xml(str(90_000_021))  # a synthetic record the search never found
    corpus.xml = lambda pmid: stranger  # type: ignore[method-assign]
    server = server_factory(corpus)
    with pytest.raises(EutilsError, match=r"efetch answered 20 PMIDs \(900000\d\d ...\) with other records \(90000021"):
        harvest(_protocol(tmp_path, batch=50), db, fast_client(server.url))
    assert db.count_records() == 0
    assert EutilsError.exit_code == 3
