"""`evsynth update`: incremental, cheap when nothing changed, atomic, locked, and saying what changed.

Every record here is synthetic (evsynth.testing.synthetic, PMIDs from 90000001), served by the local E-utilities
server on 127.0.0.1.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT, make_corpus

from evsynth.cli import cli
from evsynth.store.database import Store
from evsynth.store.lock import lock_path, store_lock
from evsynth.testing.corpus import Corpus, ServedRecord
from evsynth.testing.server import _Handler
from evsynth.testing.synthetic import article_set, article_xml, generated_entry

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
OUT = Path("output/trd-pharmacogenomics")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
STORE = OUT / "evsynth.sqlite"


def _first(full: Corpus, upto: int) -> Corpus:
    return Corpus([r for p, r in full.records.items() if int(p) <= 90_000_000 + upto])


def _later(full: Corpus, after: int, upto: int = 10**9) -> list[ServedRecord]:
    return [r for p, r in full.records.items() if 90_000_000 + after < int(p) <= 90_000_000 + upto]


def _served(entries: list[dict[str, Any]]) -> list[ServedRecord]:
    return list(Corpus.from_xml(article_set([article_xml(e) for e in entries])).records.values())


def _update(runner: CliRunner, url: str, *extra: str, protocol: str = PROTOCOL) -> Any:
    return runner.invoke(cli, ["update", protocol, "--eutils-url", url, *extra])


def _changes() -> dict[str, Any]:
    return json.loads((OUT / "changes.json").read_text())  # type: ignore[no-any-return]


def _outputs() -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in OUT.iterdir()
        if p.is_file() and not p.name.startswith("evsynth.sqlite")
    }


def test_update_twice_second_is_nothing_new_with_few_requests(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    first = _update(runner, server.url)
    assert first.exit_code == 0, first.output
    changes = _changes()
    assert changes["baseline"] is True and changes["summary"]["new_records"] == 30
    before = _outputs()
    assert {"changes.json", "changes.md", "graph.cx2", "records.csv", "report.html"} <= set(before)
    sent = len(server.corpus.requests)
    second = _update(runner, server.url)
    assert second.exit_code == 4, second.output
    assert "nothing new" in second.output
    endpoints = [endpoint for endpoint, _ in server.corpus.requests[sent:]]
    # one esearch for the single slice, one for records modified since the last run, no efetch
    assert endpoints == ["esearch.fcgi", "esearch.fcgi"]
    assert _outputs() == before
    with Store.open(STORE, create=False) as store:
        assert store.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1
        assert store.runs("harvest")[-1]["status"] == "complete"
    (OUT / "report.html").unlink()
    third = _update(runner, server.url)
    assert third.exit_code == 4 and "missing or changed written again" in third.output, third.output
    assert (OUT / "report.html").stat().st_size > 0  # (it names the run, so it is not byte-identical)
    assert _changes()["summary"]["new_records"] == 30  # still the last real update's changes


def test_run_with_nothing_new_leaves_outputs_unless_one_was_changed(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    run = ["run", PROTOCOL, "--eutils-url", server.url]
    assert runner.invoke(cli, run).exit_code == 0
    before = _outputs()
    second = runner.invoke(cli, run)
    assert second.exit_code == 0, second.output  # a run is no scheduler's update: nothing new is still success
    assert second.output.strip().endswith("nothing new: every output left as it was")
    assert _outputs() == before  # not one written again, not even with the same bytes
    # an output edited by hand (or cut short) is noticed by its size or time, and the run writes every one again
    with (OUT / "records.csv").open("a") as handle:
        handle.write("a line a reviewer added\n")
    third = runner.invoke(cli, run)
    assert third.exit_code == 0 and "nothing new; outputs that were missing or changed written again" in third.output
    assert (OUT / "records.csv").read_bytes() == before["records.csv"][0]
    assert runner.invoke(cli, run).output.strip().endswith("nothing new: every output left as it was")
    # a snapshot from before output stats were kept: a run writes the outputs again (and keeps their stats)
    with Store.open(STORE, create=False) as store:
        store.conn.execute("UPDATE snapshots SET outputs = NULL")
    assert "wrote output/trd-pharmacogenomics/records.csv" in runner.invoke(cli, run).output
    assert runner.invoke(cli, run).output.strip().endswith("nothing new: every output left as it was")


def test_new_records_show_up_exactly_once_in_changes(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    full = make_corpus(38)
    server = server_factory(_first(full, 30))
    assert _update(runner, server.url).exit_code == 0
    server.corpus.add(_later(full, 30, 35))
    result = _update(runner, server.url)
    assert result.exit_code == 0, result.output
    changes = _changes()
    pmids = [item["pmid"] for item in changes["new_records"]]
    assert pmids == [str(90_000_000 + n) for n in range(31, 36)]
    assert changes["baseline"] is False and changes["since"]["run_id"] == 1
    assert all(item["decision"] == "include" and item["reasons"] for item in changes["new_records"])
    assert [item["pmid"] for item in changes["newly_included"]] == pmids
    assert changes["strengthened_edges"] and all(
        set(edge["new_pmids"]) <= set(pmids) for edge in changes["strengthened_edges"]
    )
    assert "## New records and their decisions (5)" in (OUT / "changes.md").read_text()
    assert _update(runner, server.url).exit_code == 4
    assert _changes() == changes  # nothing new: the last changes stay for the scheduler to read
    server.corpus.add(_later(full, 35))
    assert _update(runner, server.url).exit_code == 0
    assert [item["pmid"] for item in _changes()["new_records"]] == ["90000036", "90000037", "90000038"]
    with (OUT / "screening.csv").open(newline="") as handle:
        screened = [row["pmid"] for row in csv.DictReader(handle)]
    assert sorted(screened) == [str(90_000_000 + n) for n in range(1, 39)]


def test_overrides_survive_updates(runner: CliRunner, server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    protocol = tmp_path / "review.yaml"
    protocol.write_text(Path(PROTOCOL).read_text())
    full = make_corpus(34)
    server = server_factory(_first(full, 30))
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 0
    decided = runner.invoke(cli, ["decide", str(protocol), "90000007", "exclude", "--reason", "animal study"])
    assert decided.exit_code == 0, decided.output
    server.corpus.add(_later(full, 30))
    result = _update(runner, server.url, protocol=str(protocol))
    assert result.exit_code == 0, result.output
    changes = _changes()
    assert [item["pmid"] for item in changes["new_records"]] == ["90000031", "90000032", "90000033", "90000034"]
    assert [item["pmid"] for item in changes["no_longer_included"]] == ["90000007"]
    rows = {row.split(",")[0]: row for row in (OUT / "screening.csv").read_text().splitlines()}
    assert ",exclude," in rows["90000007"] and "animal study" in rows["90000007"]
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 4
    runner.invoke(cli, ["decide", str(protocol), "90000007", "--clear"])
    again = _update(runner, server.url, protocol=str(protocol))
    assert again.exit_code == 0, again.output  # a changed decisions file is news
    assert [item["pmid"] for item in _changes()["newly_included"]] == ["90000007"]


def test_modified_records_and_retractions_are_reported(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    assert _update(runner, server.url).exit_code == 0
    today = dt.date.today().isoformat()
    retracted = {**generated_entry(4), "revised": today, "comments": [{"type": "RetractionIn", "pmid": 90000901}]}
    corrected = {**generated_entry(9), "revised": today, "title": "Synthetic record 9, corrected: BDNF and ECT"}
    server.corpus.add(_served([retracted, corrected]))
    result = _update(runner, server.url)
    assert result.exit_code == 0, result.output
    changes = _changes()
    assert changes["new_records"] == []
    assert sorted(item["pmid"] for item in changes["updated_records"]) == ["90000005", "90000010"]
    assert [(n["pmid"], n["notice"], n["notice_pmid"], n["decision"]) for n in changes["notices"]] == [
        ("90000005", "retraction", "90000901", "exclude")
    ]  # the protocol excludes retracted papers
    assert [(i["pmid"], i["now"]) for i in changes["no_longer_included"]] == [("90000005", "exclude")]
    assert "Retractions, errata and notices among included records (1)" in (OUT / "changes.md").read_text()
    # the same modification seen again is not news
    assert _update(runner, server.url).exit_code == 4


def test_a_second_update_refuses_while_one_holds_the_lock(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(10))
    assert _update(runner, server.url).exit_code == 0
    before = _outputs()
    with store_lock(STORE, "update"):
        refused = _update(runner, server.url)
    assert refused.exit_code == 5
    assert refused.output.count("\n") == 1 and "in use by evsynth update (pid" in refused.output
    assert "--wait" in refused.output and _outputs() == before
    assert lock_path(STORE).read_text() == ""  # released and emptied


def test_wait_queues_behind_the_lock(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(10))
    held = threading.Event()

    def hold() -> None:
        with store_lock(STORE, "run"):
            held.set()
            time.sleep(0.6)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    result = _update(runner, server.url, "--wait")
    thread.join()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.5 and "waiting for evsynth run" in result.output


def test_stale_lock_is_detected_and_cleared(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(10))
    OUT.mkdir(parents=True)
    dead = {"pid": 999_999_999, "host": "scheduler", "command": "update", "started_at": "2026-11-20T03:00:00+00:00"}
    lock_path(STORE).write_text(json.dumps(dead) + "\n")
    result = _update(runner, server.url)
    assert result.exit_code == 0, result.output
    assert "cleared a stale lock left by evsynth update (pid 999999999 on scheduler" in result.output
    assert lock_path(STORE).read_text() == ""


def test_log_json_lines_for_schedulers(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(10))
    for expected_status, code in (("new_evidence", 0), ("nothing_new", 4)):
        result = _update(runner, server.url, "--log-json")
        assert result.exit_code == code, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert all({"ts", "level", "event", "message"} <= set(line) for line in lines)
        assert lines[0]["event"] == "start" and lines[-1]["event"] == "done"
        assert lines[-1]["status"] == expected_status and lines[-1]["exit_code"] == code
    assert _update(runner, server.url, "--quiet").output == ""
    bad = runner.invoke(cli, ["update", "missing.yaml", "--log-json"])
    assert bad.exit_code == 1
    error = json.loads(bad.stdout.splitlines()[-1])
    assert error["level"] == "error" and "missing.yaml" in error["message"] and error["exit_code"] == 1


def test_a_crash_while_writing_leaves_outputs_whole_and_is_reported_next_time(  # type: ignore[no-untyped-def]
    runner: CliRunner, server_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = make_corpus(34)  # (monkeypatch.undo would also undo the fixture's chdir: use a context)
    server = server_factory(_first(full, 30))
    assert _update(runner, server.url).exit_code == 0
    before = _outputs()
    server.corpus.add(_later(full, 30))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("evsynth.synthesis.exports.to_cx2", broken)
        crashed = _update(runner, server.url)
    assert crashed.exit_code != 0
    assert _outputs()["graph.cx2"] == before["graph.cx2"]
    assert _outputs()["changes.json"] == before["changes.json"]  # the changes were never written
    assert not [p for p in OUT.iterdir() if p.name.endswith(".tmp")]
    result = _update(runner, server.url)
    assert result.exit_code == 0, result.output
    assert [item["pmid"] for item in _changes()["new_records"]] == ["90000031", "90000032", "90000033", "90000034"]


def test_killed_update_then_a_new_one_leaves_the_store_consistent_and_complete(  # type: ignore[no-untyped-def]
    runner: CliRunner, server_factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = yaml.safe_load(Path(PROTOCOL).read_text())
    data["harvest"] = {"batch_size": 5}
    protocol = tmp_path / "small-batches.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    full = make_corpus(60)
    server = server_factory(_first(full, 20))
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 0
    server.corpus.add(_later(full, 20))
    slow_efetch = _Handler._efetch

    def slow(self: _Handler, params: dict[str, str]) -> None:
        time.sleep(0.3)
        slow_efetch(self, params)

    monkeypatch.setattr(_Handler, "_efetch", slow)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-m", "evsynth", "update", str(protocol), "--eutils-url", server.url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    stored = 20
    while stored < 30 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
        with sqlite3.connect(STORE, timeout=30) as conn:
            stored = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert 30 <= stored < 60, "the update should have been killed half-way through its fetch"
    assert json.loads(lock_path(STORE).read_text())["pid"] == child.pid  # left behind by the killed run
    result = _update(runner, server.url, protocol=str(protocol))
    assert result.exit_code == 0, result.output
    assert "cleared a stale lock" in result.output
    with Store.open(STORE, create=False) as store:
        assert store.integrity_ok()
        assert store.count_records() == 60
        assert store.runs("harvest")[-1]["status"] == "complete"
    assert [item["pmid"] for item in _changes()["new_records"]] == [str(90_000_000 + n) for n in range(21, 61)]
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 4


def test_update_replays_the_demo_offline_and_finds_nothing_new(runner: CliRunner) -> None:
    cassette = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
    demo = ["--replay", cassette, "--import", str(ROOT / "demo" / "scopus-export.csv"),
            "--import", str(ROOT / "demo" / "hand-search.ris")]  # fmt: skip
    first = runner.invoke(cli, ["update", PROTOCOL, *demo])
    assert first.exit_code == 0, first.output
    assert "modified since the last run are not looked up" in first.output
    summary = _changes()["summary"]
    assert summary["new_records"] == 55 and summary["newly_included"] == 37
    again = runner.invoke(cli, ["update", PROTOCOL, *demo])
    assert again.exit_code == 4, again.output


@pytest.mark.parametrize("command", [["screen"], ["decide", "90000003", "exclude", "--reason", "x"], ["export"]])
def test_every_command_that_writes_the_store_respects_the_lock(
    runner: CliRunner,
    server_factory,  # type: ignore[no-untyped-def]
    command: list[str],
    tmp_path: Path,
) -> None:
    protocol = tmp_path / "review.yaml"  # decide writes its decisions file beside the protocol
    protocol.write_text(Path(PROTOCOL).read_text())
    server = server_factory(make_corpus(10))
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 0
    with store_lock(STORE, "update"):
        result = runner.invoke(cli, [command[0], str(protocol), *command[1:]])
    assert result.exit_code == 5, result.output
    assert "in use by evsynth update" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "review.decisions.csv").exists()  # a refused decide writes nothing


DELETIONS = """<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic: a PubMed update file that deletes two of the demo's synthetic records -->
<PubmedArticleSet>
<DeleteCitation><PMID Version="1">90000001</PMID><PMID Version="1">90000036</PMID></DeleteCitation>
</PubmedArticleSet>
"""


def test_pubmed_deletions_in_an_imported_update_file_reach_every_output(runner: CliRunner, tmp_path: Path) -> None:
    """A DeleteCitation marks the record deleted; it leaves the screened set (PRISMA's previous studies lose
    it), records.csv flags it and changes.json lists it. Before, DeleteCitation was parsed and dropped."""
    demo = ROOT / "demo"
    out = tmp_path / "out"
    first = ["run", PROTOCOL, "--replay", CASSETTE, "--import", str(demo / "scopus-export.csv"),
             "--import", str(demo / "hand-search.ris"), "--out", str(out)]  # fmt: skip
    assert runner.invoke(cli, first).exit_code == 0
    deletions = tmp_path / "pubmed-update.xml"
    deletions.write_text(DELETIONS)
    result = runner.invoke(
        cli, ["update", PROTOCOL, "--replay", CASSETTE, "--import", str(deletions), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 marked deleted by PubMed" in result.output
    changes = json.loads((out / "changes.json").read_text())
    assert [(i["pmid"], i["was"]) for i in changes["deleted_records"]] == [
        ("90000001", "include"),
        ("90000036", "exclude"),
    ]
    assert [i["pmid"] for i in changes["no_longer_included"]] == ["90000001"]
    assert "Deleted by PubMed" in (out / "changes.md").read_text()
    with (out / "records.csv").open(newline="") as handle:
        flags = {row["pmid"]: row["deleted"] for row in csv.DictReader(handle)}
    assert flags["90000001"] == flags["90000036"] == "1" and flags["90000002"] == "0"
    prisma = json.loads((out / "prisma.json").read_text())
    assert prisma["review"] == "update"
    assert {"record_id": prisma["previous"]["no_longer_included"][0]["record_id"], "pmid": "90000001",
            "decision": "removed"} in prisma["previous"]["no_longer_included"]  # fmt: skip
    screened = {row.split(",")[0] for row in (out / "screening.csv").read_text().splitlines()[1:]}
    assert "90000001" not in screened


def test_a_decision_made_during_an_update_is_applied_by_the_next(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decisions file was read before the harvest and fingerprinted after it: an edit in between was
    recorded as seen but never applied, and every later update exited 4 (issue 25 item 3)."""
    import evsynth.pipeline as pipeline

    protocol = tmp_path / "review.yaml"
    protocol.write_text(Path(PROTOCOL).read_text())
    out = tmp_path / "out"
    args = ["--replay", CASSETTE, "--out", str(out)]
    assert runner.invoke(cli, ["run", str(protocol), *args]).exit_code == 0
    decisions = tmp_path / "review.decisions.csv"
    real = pipeline.harvest

    def harvest_then_decide(*a: Any, **k: Any) -> Any:
        done = real(*a, **k)  # a reviewer's decision lands while the update runs
        decisions.write_text(
            "pmid,doi,decision,reason,reviewer,decided_at\n90000036,,include,human sub-study,r,2026-01-01\n"
        )
        return done

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "harvest", harvest_then_decide)
        assert runner.invoke(cli, ["update", str(protocol), *args]).exit_code == 4
    result = runner.invoke(cli, ["update", str(protocol), *args])
    assert result.exit_code == 0, result.output
    with (out / "screening.csv").open(newline="") as handle:
        rows = {row["pmid"]: row for row in csv.DictReader(handle)}
    assert rows["90000036"]["decision"] == "include" and rows["90000036"]["override_reason"] == "human sub-study"


def test_report_says_what_the_last_update_changed(runner: CliRunner, server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """report.html for people (issue 28): what changed since the last update, kept when a reviewer's decision
    rewrites the report, with each study linked by its PMID."""
    from lxml import html

    protocol = tmp_path / "review.yaml"
    protocol.write_text(Path(PROTOCOL).read_text())
    full = make_corpus(34)
    server = server_factory(_first(full, 30))
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 0

    def section() -> str:
        page = html.fromstring((OUT / "report.html").read_text(encoding="utf-8"))
        heading = page.xpath("//h2[text()='What changed at the last update']")
        assert heading, "report.html does not say what changed"
        parts = []
        for sibling in heading[0].itersiblings():
            if sibling.tag == "h2":
                break
            parts.append(html.tostring(sibling, encoding="unicode"))
        return "".join(parts)

    assert "first version of this review" in section()
    assert (
        runner.invoke(cli, ["decide", str(protocol), "90000007", "exclude", "--reason", "animal study"]).exit_code == 0
    )
    server.corpus.add(_later(full, 30))
    assert _update(runner, server.url, protocol=str(protocol)).exit_code == 0
    after_update = section()
    assert "Newly included (4)" in after_update and "No longer included (1)" in after_update
    for pmid in ("90000031", "90000032", "90000033", "90000034", "90000007"):
        assert f'href="https://pubmed.ncbi.nlm.nih.gov/{pmid}/"' in after_update
    assert "animal study" in after_update.split("No longer included")[1]
    # a decision after the update rewrites the report: it still tells what that update changed
    assert runner.invoke(cli, ["decide", str(protocol), "90000031", "exclude", "--reason", "synthetic"]).exit_code == 0
    assert section() == after_update
