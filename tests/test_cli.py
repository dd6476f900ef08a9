"""The command line as a user runs it: the offline demo, incremental re-runs, and every user mistake."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT, fast_client, make_corpus

from evsynth.cli import cli
from evsynth.store.database import Store

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
SCOPUS = str(ROOT / "demo" / "scopus-export.csv")
RIS = str(ROOT / "demo" / "hand-search.ris")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_cli_offline_demo_replay(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--import", SCOPUS, "--import", RIS])
    assert result.exit_code == 0, result.output
    assert "44 PubMed hits in 1 slice(s); 44 new" in result.output
    out = tmp_path / "output" / "trd-pharmacogenomics"
    rows = _rows(out / "records.csv")
    assert len(rows) == 55
    assert set(rows[0]) >= {"pmid", "doi", "title", "year", "journal", "language", "pub_types", "source",
                            "first_seen_run"}  # fmt: skip
    by_pmid = {r["pmid"]: r for r in rows if r["pmid"]}
    assert by_pmid["90000001"]["source"] == "pubmed;scopus_csv"
    assert by_pmid["90000005"]["source"] == "pubmed;ris"
    assert by_pmid["90000040"]["language"] == "ger"
    assert by_pmid["90000044"]["is_retracted"] == "1"
    duplicates = {(r["duplicate_of"], r["duplicate_reason"]) for r in rows if r["duplicate_of"]}
    assert duplicates == {
        ("90000003", "doi"),
        ("90000004", "doi"),
        ("90000013", "doi"),
        ("90000009", "title"),
        ("90000016", "title"),
    }  # fmt: skip (90000034 is not found by the search: no pair)
    manifest = json.loads((out / "run-manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["manifest"]["window"] == {"start": "2021-01-01", "end": "2025-06-01", "field": "pdat"}
    with Store.open(out / "evsynth.sqlite") as store:
        assert store.integrity_ok()


def test_cli_rerun_fetches_nothing_new(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE]).exit_code == 0
    again = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE])
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 0 fetched" in again.output


def test_cli_record_then_replay(runner: CliRunner, server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    cassette = tmp_path / "c.yaml"
    env = {"NCBI_API_KEY": "KEY-SHOULD-NOT-LEAK", "NCBI_EMAIL": "leak@example.org"}
    recorded = runner.invoke(cli, ["run", PROTOCOL, "--out", "a", "--eutils-url", server.url, "--record",
                                   str(cassette)], env=env)  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert "KEY-SHOULD-NOT-LEAK" not in cassette.read_text() and "leak" not in cassette.read_text()
    replayed = runner.invoke(cli, ["run", PROTOCOL, "--out", "b", "--eutils-url", server.url, "--replay",
                                   str(cassette)], env=env)  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    assert _rows(Path("a/records.csv")) == _rows(Path("b/records.csv"))


def _one_line_error(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return str(lines[0])


def test_cli_missing_protocol(runner: CliRunner) -> None:
    line = _one_line_error(runner.invoke(cli, ["run", "queries/none.yaml"]))
    assert line == "evsynth: error: queries/none.yaml: protocol file not found"


def test_cli_malformed_protocol(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nsearch:\n  query: '(a OR b'\n")
    line = _one_line_error(runner.invoke(cli, ["run", str(path)]))
    assert f"{path}: search.query: column 1: '(' is never closed" in line


def test_cli_wrong_flag_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", PROTOCOL, "--fast"])
    assert result.exit_code == 2 and "No such option '--fast'" in result.output
    both = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--record", "x.yaml"])
    assert both.exit_code == 2 and "cannot be used together" in both.output


def test_cli_replay_miss_names_the_request(runner: CliRunner, tmp_path: Path) -> None:
    other = ROOT / "queries" / "trd-diagnostic-biomarkers.yaml"
    line = _one_line_error(runner.invoke(cli, ["run", str(other), "--replay", CASSETTE]))
    assert f"{CASSETTE}: no recorded answer for POST esearch.fcgi" in line
    assert "recorded for other input" in line


def test_cli_replay_against_another_server_names_the_address_not_the_protocol(runner: CliRunner) -> None:
    """The bundled cassette was recorded against NCBI; replayed with another --eutils-url every request missed
    and the message blamed the protocol (issue 25, item 22)."""
    args = ["run", PROTOCOL, "--replay", CASSETTE, "--eutils-url", "http://127.0.0.1:8089/entrez/eutils/"]
    line = _one_line_error(runner.invoke(cli, args))
    assert "recorded against https://eutils.ncbi.nlm.nih.gov, and this replay asks http://127.0.0.1:8089" in line
    assert "other input" not in line


def test_cli_missing_cassette(runner: CliRunner) -> None:
    line = _one_line_error(runner.invoke(cli, ["run", PROTOCOL, "--replay", "nope.yaml"]))
    assert line == "evsynth: error: nope.yaml: cassette not found"


def test_cli_unwritable_output_keeps_store_and_outputs(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", "out"]).exit_code == 0
    before = Path("out/records.csv").read_bytes()
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    line = _one_line_error(runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(blocker / "sub"),
                                               "--db", "out/evsynth.sqlite"]))  # fmt: skip
    assert str(blocker) in line
    assert Path("out/records.csv").read_bytes() == before
    with Store.open("out/evsynth.sqlite") as store:
        assert store.count_records() == 44 and len(store.runs("harvest")) == 1


def test_cli_corrupt_store(runner: CliRunner, tmp_path: Path) -> None:
    Path("bad.sqlite").write_bytes(b"garbage" * 1000)
    line = _one_line_error(runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--db", "bad.sqlite"]))
    assert "bad.sqlite: cannot use as an evsynth store" in line
    assert Path("bad.sqlite").read_bytes() == b"garbage" * 1000


def test_cli_gives_up_with_exit_3_and_keeps_records(runner: CliRunner, server_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from evsynth.cli import run_command as cli_module
    from evsynth.testing.server import FaultPlan

    server = server_factory(make_corpus(5), FaultPlan(rate=1.0, kinds=("502",)))
    monkeypatch.setattr(cli_module, "EUtils", lambda settings, **k: fast_client(server.url, max_attempts=2))
    result = runner.invoke(cli, ["run", PROTOCOL, "--eutils-url", server.url])
    assert result.exit_code == 3
    assert "gave up after 2 attempts" in result.output and "Traceback" not in result.output


def test_cli_import_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["import", SCOPUS, RIS, "--db", "s.sqlite", "--source", "exports"])
    assert result.exit_code == 0, result.output
    assert "11 records (scopus_csv, source exports)" in result.output
    line = _one_line_error(runner.invoke(cli, ["import", "missing.csv", "--db", "s.sqlite"]))
    assert "missing.csv: file not found" in line
    assert runner.invoke(cli, ["import", SCOPUS]).exit_code == 2  # --db is required


# -- screening: run outputs, decide, screen ---------------------------------------------------


def _demo_copy(tmp_path: Path) -> Path:
    """The reference protocol copied into tmp (decide writes a decisions file beside it)."""
    folder = tmp_path / "queries"
    folder.mkdir()
    protocol = folder / "trd-pharmacogenomics.yaml"
    protocol.write_text(Path(PROTOCOL).read_text())
    return protocol


def _demo_run(runner: CliRunner, protocol: Path | str = PROTOCOL) -> None:
    result = runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE, "--import", SCOPUS, "--import", RIS])
    assert result.exit_code == 0, result.output
    assert "screened: 37 include, 13 exclude, 0 uncertain (50 by the rules, 0 unchanged)" in result.output


def test_cli_run_writes_the_screening_outputs(runner: CliRunner) -> None:
    import pandas as pd

    from evsynth.formats.registry import read_records

    _demo_run(runner)
    out = Path("output/trd-pharmacogenomics")
    table = _rows(out / "screening.csv")
    assert len(table) == 50 and set(table[0]) >= {"pmid", "decision", "reasons", "evidence", "overridden"}
    by_pmid = {row["pmid"]: row for row in table if row["pmid"]}
    # the mouse study the search does not find comes in with the Scopus export (no PMID)
    [mice] = [row for row in table if row["title"].startswith("Ketamine increases hippocampal miR-29a in mice")]
    assert mice["decision"] == "exclude" and mice["reasons"].startswith("animal-only") and not mice["pmid"]
    assert "animal-only: title 'mice'" in mice["evidence"]
    assert by_pmid["90000018"]["decision"] == "include"
    included = read_records(out / "included.ris")
    assert len(included) == 37 and {r.pmid for r in included} - {""} == {
        p for p, r in by_pmid.items() if r["decision"] == "include"
    }
    asreview = pd.read_csv(out / "asreview.csv", dtype={"pmid": str})
    assert {"title", "abstract", "doi", "label"} <= set(asreview.columns) and len(asreview) == 50
    assert (asreview["label"] == 1).sum() == 37 and (asreview["label"] == 0).sum() == 13
    assert asreview.set_index("pmid").loc["90000040", "label"] == 0


def test_cli_decide_overrides_persist_across_refreshes(runner: CliRunner, tmp_path: Path) -> None:
    protocol = _demo_copy(tmp_path)
    _demo_run(runner, protocol)
    result = runner.invoke(
        cli,
        [
            "decide",
            str(protocol),
            "90000046",
            "include",
            "--reason",
            "genotype sub-study in the methods",
            "--reviewer",
            "ana",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "38 include, 12 exclude" in result.output
    decisions = protocol.with_name("trd-pharmacogenomics.decisions.csv")
    assert _rows(decisions) == [
        {
            "pmid": "90000046",
            "doi": "",
            "decision": "include",
            "reason": "genotype sub-study in the methods",
            "reviewer": "ana",
            "decided_at": _rows(decisions)[0]["decided_at"],
            "previous": "",
            "title": _stored_title("90000046"),  # written for people reading the file
        }
    ]
    row = next(r for r in _rows(Path("output/trd-pharmacogenomics/screening.csv")) if r["pmid"] == "90000046")
    assert (row["decision"], row["rule_decision"], row["overridden"]) == ("include", "exclude", "1")
    refreshed = runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE])
    assert refreshed.exit_code == 0 and "38 include, 12 exclude" in refreshed.output
    assert runner.invoke(cli, ["decide", str(protocol), "90000046", "--clear"]).exit_code == 0
    assert "37 include, 13 exclude" in runner.invoke(cli, ["screen", str(protocol)]).output


def test_cli_decide_before_any_run_is_kept_for_later(runner: CliRunner, tmp_path: Path) -> None:
    protocol = _demo_copy(tmp_path)
    result = runner.invoke(
        cli, ["decide", str(protocol), "10.5555/evsynth-demo.s104", "exclude", "--reason", "same cohort as 90000022"]
    )
    assert result.exit_code == 0 and "applies from the next run" in result.output
    result = runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE, "--import", SCOPUS, "--import", RIS])
    assert "36 include, 14 exclude" in result.output


def test_cli_screen_after_editing_criteria_rescreens_all(runner: CliRunner, tmp_path: Path) -> None:
    protocol = _demo_copy(tmp_path)
    _demo_run(runner, protocol)
    text = (
        protocol.read_text()
        .replace("label: Not in English\n", "label: Not in English or German\n")
        .replace("when: {language: [eng]}", "when: {language: [eng, ger]}")
    )
    protocol.write_text(text)
    result = runner.invoke(cli, ["screen", str(protocol)])
    assert result.exit_code == 0, result.output
    assert (
        "38 include, 12 exclude, 0 uncertain (50 by the rules, 0 unchanged, criteria changed: all re-screened)"
        in result.output
    )
    assert "(0 by the rules, 50 unchanged)" in runner.invoke(cli, ["screen", str(protocol)]).output


def test_cli_bad_decisions_file_fails_before_anything_changes(runner: CliRunner, tmp_path: Path) -> None:
    protocol = _demo_copy(tmp_path)
    _demo_run(runner, protocol)
    screening = Path("output/trd-pharmacogenomics/screening.csv")
    before = screening.read_bytes()
    count = (
        Store.open("output/trd-pharmacogenomics/evsynth.sqlite").conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    )
    protocol.with_name("trd-pharmacogenomics.decisions.csv").write_text("pmid,decision,reason\n90000047,keep,x\n")
    for args in (
        ["run", str(protocol), "--replay", CASSETTE],
        ["screen", str(protocol)],
        ["decide", str(protocol), "90000001", "exclude", "--reason", "x"],
    ):
        line = _one_line_error(runner.invoke(cli, args))
        assert "decisions.csv: line 2: decision 'keep' must be one of include, exclude, maybe" in line
    assert screening.read_bytes() == before
    with Store.open("output/trd-pharmacogenomics/evsynth.sqlite") as store:
        assert store.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == count


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["decide", PROTOCOL, "90000001", "include"], 2, "--reason is required"),
        (["decide", PROTOCOL, "90000001"], 2, "missing DECISION"),
        (["decide", PROTOCOL, "90000001", "keep", "--reason", "x"], 2, "'keep' is not one of"),
        (["decide", PROTOCOL, "90000001", "include", "--clear"], 2, "not both"),
        (["decide", PROTOCOL, "abc", "include", "--reason", "x"], 1, "'abc' is neither a PMID"),
        (["screen", PROTOCOL], 1, "store not found"),
        (
            ["screen", str(ROOT / "queries" / "trd-diagnostic-biomarkers.yaml")],
            1,
            "criteria: the protocol has no criteria section",
        ),
    ],
)
def test_cli_screening_mistakes(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == code and message in result.output and "Traceback" not in result.output


def _stored_title(pmid: str) -> str:
    with Store.open(Path("output/trd-pharmacogenomics/evsynth.sqlite"), create=False) as store:
        return str(store.conn.execute("SELECT title FROM records WHERE pmid = ?", (pmid,)).fetchone()[0])
