"""The reviewer's desk (issue 28) through Flask's test client: the queue, one record with its evidence, a
decision by the same code as `evsynth decide`, undo, and reviewers deciding at once. The demo's records are
synthetic (PMIDs from 90000001)."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import demo_desk, uncertain_ris

from evsynth.desk.app import Desk, create_app
from evsynth.screening.decisions import load_overrides


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    screening_desk = demo_desk(tmp_path, uncertain_ris(3, "desk"))
    yield screening_desk
    screening_desk.close()  # writes what is pending, stops its worker process


def _screening(out: Path) -> dict[str, dict[str, str]]:
    with (out / "screening.csv").open(newline="") as handle:
        return {row["record_id"]: row for row in csv.DictReader(handle)}


def test_the_queue_puts_the_uncertain_records_first(desk: Desk) -> None:
    client = create_app(desk).test_client()
    every = client.get("/api/queue?decision=all").get_json()
    rules = [item["rule_decision"] for item in every["items"]]
    assert rules == sorted(rules, key=lambda d: {"uncertain": 0, "include": 1, "exclude": 2}[d])
    uncertain = client.get("/api/queue").get_json()
    assert uncertain["items"] and {i["decision"] for i in uncertain["items"]} == {"uncertain"}
    assert uncertain["progress"] == {"uncertain": len(uncertain["items"]), "reviewed": 0}
    assert client.get("/api/queue?decision=bogus").status_code == 400
    page = client.get("/")
    assert page.status_code == 200 and b"/static/desk.js" in page.data and b"http" not in page.data.split(b"<body>")[0]
    assert client.get("/static/desk.js").status_code == 200 and client.get("/static/../app.py").status_code == 404


def test_a_record_shows_its_evidence_where_it_matched(desk: Desk) -> None:
    client = create_app(desk).test_client()
    item = client.get("/api/queue?decision=include").get_json()["items"][0]
    record: dict[str, Any] = client.get(f"/api/record/{item['record_id']}").get_json()
    assert record["title"] and record["evidence"] and record["exclusion_reasons"]
    for span in record["evidence"]:
        if span["start"] is not None and span["field"] in ("title", "abstract"):
            assert record[span["field"]][span["start"] : span["end"]].lower() == span["value"].lower()
    assert client.get("/api/record/999999").status_code == 404


def test_deciding_at_the_desk_is_deciding_with_evsynth_decide(desk: Desk) -> None:
    client = create_app(desk).test_client()
    item = client.get("/api/queue").get_json()["items"][0]
    rid = str(item["record_id"])
    decided = client.post("/api/decide", json={"record_id": item["record_id"], "decision": "include",
                                               "reason": "genotyped sub-sample"}).get_json()  # fmt: skip
    assert decided["decision"] == "include" and decided["override_reason"] == "genotyped sub-sample"
    [override] = load_overrides(desk.protocol.overrides_path).values()
    assert (override.decision, override.reviewer) == ("include", "ana")
    assert desk.outputs.flush(60)  # the outputs are rewritten once the reviewer pauses
    assert _screening(desk.out_dir)[rid]["decision"] == "include"
    assert client.get("/api/queue?decision=all").get_json()["progress"]["reviewed"] == 1
    client.post("/api/decide", json={"record_id": item["record_id"], "decision": "exclude", "reason": "Case report"})
    assert load_overrides(desk.protocol.overrides_path)[override.target].previous.startswith("include (genotyped")
    client.post("/api/decide", json={"record_id": item["record_id"], "decision": "undo"})
    assert load_overrides(desk.protocol.overrides_path)[override.target].decision == "include"
    client.post("/api/decide", json={"record_id": item["record_id"], "decision": "undo"})
    assert load_overrides(desk.protocol.overrides_path) == {}
    assert desk.outputs.flush(60) and _screening(desk.out_dir)[rid]["decision"] == "uncertain"
    nothing = client.post("/api/decide", json={"record_id": item["record_id"], "decision": "undo"})
    assert nothing.status_code == 400 and "nothing to undo" in nothing.get_json()["error"]
    for body in ({"record_id": "x", "decision": "include"}, {"record_id": item["record_id"], "decision": "keep",
                 "reason": "r"}, {"record_id": item["record_id"], "decision": "exclude", "reason": " "}):  # fmt: skip
        assert client.post("/api/decide", json=body).status_code == 400


def test_two_reviewers_deciding_at_once_lose_nothing(desk: Desk) -> None:
    items = create_app(desk).test_client().get("/api/queue?decision=all").get_json()["items"][:8]
    errors: list[str] = []

    def reviewer(mine: list[dict[str, Any]]) -> None:
        client = create_app(desk).test_client()
        for item in mine:
            answer = client.post("/api/decide", json={"record_id": item["record_id"], "decision": "exclude",
                                                      "reason": "checked twice"})  # fmt: skip
            if answer.status_code != 200:
                errors.append(answer.get_data(as_text=True))

    threads = [threading.Thread(target=reviewer, args=(items[k::2],)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(load_overrides(desk.protocol.overrides_path)) == 8
    assert desk.outputs.flush(60)
    screening = _screening(desk.out_dir)
    assert all(screening[str(item["record_id"])]["decision"] == "exclude" for item in items)


def test_the_ranking_puts_the_likeliest_includes_first(tmp_path: Path) -> None:
    """Among uncertain records the model learnt from the decided ones orders the queue: records like the includes
    before records like the excludes."""
    from evsynth.screening.ranking import include_scores

    texts = {1: "BDNF Val66Met genotype and ketamine response in depression", 2: "mouse knockout behaviour",
             3: "rat forced swim test", 4: "COMT genotype and ECT response in depression", 5: "mouse maze learning",
             6: "SLC6A4 genotype and escitalopram response in depression"}  # fmt: skip
    scores = include_scores(texts, {1: True, 2: False, 3: False, 4: True})
    assert scores[6] > 0.5 > scores[5]
    assert include_scores(texts, {1: True, 4: True}) == {}  # one class: nothing to learn yet
    desk = demo_desk(tmp_path, uncertain_ris(4, "rank"))
    items = create_app(desk).test_client().get("/api/queue").get_json()["items"]
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(0 <= i["score"] <= 1 for i in items)


def test_a_record_without_pmid_or_doi_is_decided_by_its_title(tmp_path: Path) -> None:
    """A hand-searched report with neither PMID nor DOI could not be decided at the desk ("has neither a PMID nor a
    DOI"): its decision is now kept under its title, survives a new run, and `evsynth decide` names it the same
    way."""
    from click.testing import CliRunner

    from evsynth.cli import cli

    ris = uncertain_ris(2, "untitled").replace("DO  - 10.5555/evsynth-untitled.1\n", "")
    desk = demo_desk(tmp_path, ris)
    loaded = desk.protocol
    client = create_app(desk).test_client()
    items = client.get("/api/queue").get_json()["items"]
    [bare] = [i for i in items if "untitled record 1:" in i["title"]]
    decided = client.post("/api/decide", json={"record_id": bare["record_id"], "decision": "exclude",
                                               "reason": "conference poster"})  # fmt: skip
    assert decided.status_code == 200, decided.get_json()
    [override] = load_overrides(loaded.overrides_path).values()
    assert override.target.startswith("title:synthetic untitled record 1") and override.title == bare["title"]
    assert (override.pmid, override.doi) == ("", "")
    rid = str(bare["record_id"])
    assert desk.outputs.flush(60) and _screening(desk.out_dir)[rid]["decision"] == "exclude"
    # a new run applies it again from the decisions file alone
    cassette = str(Path(__file__).parents[1] / "cassettes" / "trd-pharmacogenomics.yaml")
    runner = CliRunner()
    rerun = runner.invoke(cli, ["run", str(loaded.path), "--replay", cassette, "--out", str(desk.out_dir), "-q"])
    assert rerun.exit_code == 0, rerun.output
    assert _screening(desk.out_dir)[rid]["decision"] == "exclude"
    assert "conference poster" in _screening(desk.out_dir)[rid]["override_reason"]
    # the command line names it by its title, written as the reviewer remembers it
    typed = f"title: {bare['title'].upper()}"
    again = runner.invoke(cli, ["decide", str(loaded.path), typed, "include", "--reason", "poster has full data",
                               "--out", str(desk.out_dir)])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert _screening(desk.out_dir)[rid]["decision"] == "include"
    [override] = load_overrides(loaded.overrides_path).values()
    assert override.previous.startswith("exclude (conference poster")
    desk.close()
