"""Reviewer decisions in bulk and their history (issue 28): `evsynth decide --from` with evsynth's columns, an
ASReview LAB export or a Rayyan export; `maybe`; a changed decision keeps the earlier one. The demo's records are
synthetic (PMIDs from 90000001); so are the exports written here."""

from __future__ import annotations

import csv
import html
import json
import re
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT, demo_review, uncertain_ris

from evsynth.cli import cli
from evsynth.errors import InputFileError
from evsynth.screening.decisions import load_overrides
from evsynth.screening.reviewer import Change, change_decisions, read_bulk

CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")


@pytest.fixture
def review(tmp_path: Path, runner: CliRunner) -> Path:
    """The demo review run into tmp_path/out, with its protocol copied there (so decisions land in tmp_path)."""
    protocol = tmp_path / "review.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    result = runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE, "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    return protocol


def _screening(out: Path) -> dict[str, dict[str, str]]:
    with (out / "screening.csv").open(newline="") as handle:
        return {row["pmid"]: row for row in csv.DictReader(handle)}


def _decide(runner: CliRunner, protocol: Path, *args: str) -> str:
    result = runner.invoke(cli, ["decide", str(protocol), *args, "--out", str(protocol.parent / "out")])
    assert result.exit_code == 0, result.output
    return result.output


def test_bulk_decisions_from_an_asreview_export(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    before = _screening(tmp_path / "out")
    title = before["90000005"]["title"]
    export = tmp_path / "asreview-export.csv"
    export.write_text(
        "record_id,pmid,doi,title,included\n"
        "1,90000001,,x,0\n"                       # by PMID: exclude
        "2,,10.5555/evsynth-demo.90000002,y,1\n"  # by DOI: include
        f'3,,,"{title.upper()}",1\n'              # by title only (case aside)
        "4,90000003,,z,\n"                        # not labelled: left alone
        '5,,,"A title no record has",1\n'         # no such record: warned, left out
    )  # fmt: skip
    output = _decide(runner, review, "--from", str(export))
    assert "line 6: no record of this review is 'A title no record has'; left out" in output
    decided = load_overrides(review.with_name("review.decisions.csv"))
    assert {t: d.decision for t, d in decided.items()} == {
        "pmid:90000001": "exclude", "doi:10.5555/evsynth-demo.90000002": "include", "pmid:90000005": "include",
    }  # fmt: skip
    after = _screening(tmp_path / "out")
    assert after["90000001"]["decision"] == "exclude" and after["90000001"]["override_reason"] == "ASReview LAB label"
    assert after["90000003"]["decision"] == before["90000003"]["decision"]


def test_bulk_decisions_from_a_rayyan_export(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "rayyan.csv"
    export.write_text(
        "key,title,authors,year,notes,doi\n"
        '1,t,a,2022,"RAYYAN-INCLUSION: {""Ana""=>""Included"", ""Bo""=>""Included""}",10.5555/evsynth-demo.90000004\n'
        '2,t,a,2022,"RAYYAN-INCLUSION: {""Ana""=>""Excluded""} | RAYYAN-EXCLUSION-REASONS: wrong population",'
        "10.5555/evsynth-demo.90000006\n"
        '3,t,a,2022,"RAYYAN-INCLUSION: {""Ana""=>""Included"", ""Bo""=>""Excluded""}",10.5555/evsynth-demo.90000007\n'
    )
    _decide(runner, review, "--from", str(export))
    decided = load_overrides(review.with_name("review.decisions.csv"))
    assert [(d.decision, d.reason) for d in decided.values()] == [
        ("include", "Rayyan (Ana: Included, Bo: Included)"),
        ("exclude", "Rayyan (Ana: Excluded): wrong population"),
        ("maybe", "Rayyan reviewers disagree (Ana: Included, Bo: Excluded)"),
    ]
    assert _screening(tmp_path / "out")["90000007"]["decision"] == "uncertain"  # maybe stays uncertain


def test_maybe_and_a_changed_decision_keep_the_history(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    _decide(runner, review, "90000046", "maybe", "--reason", "check the methods", "--reviewer", "ana")
    row = _screening(tmp_path / "out")["90000046"]
    assert row["decision"] == "uncertain" and row["override_reason"] == "check the methods"
    _decide(runner, review, "90000046", "include", "--reason", "genotyped sub-sample", "--reviewer", "bo")
    [decision] = load_overrides(review.with_name("review.decisions.csv")).values()
    assert decision.decision == "include" and decision.reviewer == "bo"
    assert decision.previous.startswith("maybe (check the methods; ana ")
    _decide(runner, review, "90000046", "exclude", "--reason", "no genotypes after all", "--reviewer", "ana")
    [decision] = load_overrides(review.with_name("review.decisions.csv")).values()
    assert decision.previous.startswith("include (genotyped sub-sample; bo ") and "| maybe (check the methods" in (
        decision.previous
    )


@pytest.mark.parametrize(("text", "message"), [
    ("title,notes\nx,y\n", "no decisions in it"),
    ("title,abstract\nx,y\n", "no decision column"),
    ("x,decision\n1,include\n", "no column naming the record"),
    ("pmid,decision,reason\n90000001,keep,r\n", "line 2: decision 'keep' must be one of include, exclude, maybe"),
    ("pmid,decision,reason\n90000001,include,\n", "line 2: reason is empty"),
    ("pmid,included\n90000001,2\n", "line 2: label '2' must be 1, 0 or empty"),
    ("pmid,decision,reason\nabc,include,r\n", "line 2: 'abc' is neither a PMID nor a DOI"),
])  # fmt: skip
def test_a_bad_bulk_file_is_one_line_and_changes_nothing(
    review: Path, runner: CliRunner, tmp_path: Path, text: str, message: str
) -> None:
    decisions = review.with_name("review.decisions.csv")
    _decide(runner, review, "90000001", "exclude", "--reason", "first")
    before = decisions.read_bytes(), (tmp_path / "out" / "screening.csv").read_bytes()
    bad = tmp_path / "bulk.csv"
    bad.write_text(text)
    result = runner.invoke(cli, ["decide", str(review), "--from", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert (decisions.read_bytes(), (tmp_path / "out" / "screening.csv").read_bytes()) == before
    with pytest.raises(InputFileError):
        read_bulk(bad)


def test_reviewers_deciding_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.decisions.csv"
    errors: list[BaseException] = []

    def decide(n: int) -> None:
        try:
            for k in range(5):
                change = Change(f"pmid:{90000100 + n * 10 + k}", "include", f"reviewer {n}")
                change_decisions(path, [change], reviewer=f"r{n}", day="2026-12-05")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(load_overrides(path)) == 30


def _included_in_report(out: Path) -> int:
    found = re.search(r"from (\d+) included records", (out / "report.html").read_text())
    assert found, "report.html names no included count"
    return int(found.group(1))


def test_the_report_follows_every_decision(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    """report.html said 37 included while prisma.svg beside it said 38 after a decide (issue 28): every output
    derived from the decisions is now written again with them."""
    out = tmp_path / "out"
    before = _included_in_report(out)
    excluded = next(pmid for pmid, row in _screening(out).items() if row["decision"] == "exclude")
    _decide(runner, review, excluded, "include", "--reason", "sub-study found in the full text")
    prisma = json.loads((out / "prisma.json").read_text())["included"]["total_studies"]
    assert _included_in_report(out) == prisma == before + 1
    assert f"pubmed.ncbi.nlm.nih.gov/{excluded}" in (out / "report.html").read_text()
    (out / "report.html").unlink()
    rebuilt = runner.invoke(cli, ["report", str(review), "--out", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _included_in_report(out) == prisma


def test_an_uncertain_record_says_what_is_unknown(tmp_path: Path) -> None:
    """screening.csv listed the failure label ("Not in English") for a record that only lacks a language."""
    demo_review(tmp_path, uncertain_ris(2, "unknown"))
    with (tmp_path / "out" / "screening.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["decision"] == "uncertain"]
    assert len(rows) == 2
    assert {r["reason_labels"] for r in rows} == {"Cannot tell from the record: english (language: none)"}


def test_the_report_never_shows_an_internal_record_key(tmp_path: Path) -> None:
    """Records without a PMID (Scopus, RIS) showed as 'ris:sha1:…' and 'scopus_csv:2-s2.0-…' in report.html."""
    protocol = demo_review(tmp_path, (ROOT / "demo" / "hand-search.ris").read_text())
    assert protocol.exists()
    report = (tmp_path / "out" / "report.html").read_text()
    assert "sha1:" not in report and "scopus_csv:" not in report and "ris:" not in report
    assert '<a href="https://doi.org/10.5555/evsynth-demo.r001">' in report  # first author, year, title, DOI


def test_the_report_states_the_search_and_lists_the_included_studies(tmp_path: Path) -> None:
    """report.html for people: the search as run (where, when, window, query), a Table 1 of the included
    studies with their titles, as many as PRISMA includes, and the excluded ones with their reasons."""
    demo_review(tmp_path, uncertain_ris(1, "table"))
    out = tmp_path / "out"
    report = (out / "report.html").read_text()
    prisma = json.loads((out / "prisma.json").read_text())["included"]["total_studies"]
    assert "<h2>Search</h2>" in report and "PubMed, last searched 20" in report
    assert "published 2021-01-01 to 2025-06-01 ([pdat])" in report
    assert "&quot;Depressive Disorder, Treatment-Resistant&quot;[Mesh]" in report  # the query, escaped
    assert f"<h2>Table 1. Included studies ({prisma})</h2>" in report
    with (out / "screening.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    titles = [r["title"] for r in rows if r["decision"] == "include"]
    assert all(f"<td>{html.escape(title)}</td>" in report for title in titles)
    # and the excluded ones, each with the reason it was excluded for
    excluded = [r for r in rows if r["decision"] == "exclude"]
    assert f"Excluded studies ({len(excluded)}), with reasons" in report
    for row in excluded:
        first_reason = row["reason_labels"].split("; ")[0]
        assert f"<td>{html.escape(row['title'])}</td><td>{html.escape(first_reason)}</td>" in report


def test_screening_csv_reads_as_a_reviewer_reads(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    """The title near the front, who decided, and each piece of evidence in its words, not only offsets."""
    out = tmp_path / "out"
    _decide(runner, review, "90000046", "include", "--reason", "genotyped sub-sample")
    with (out / "screening.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert list(reader.fieldnames or [])[:6] == [
            "pmid", "decision", "title", "decided_by", "reason_labels", "evidence_context"]  # fmt: skip
        rows = {row["pmid"]: row for row in reader}
    assert rows["90000046"]["decided_by"] == "reviewer"
    ruled = next(row for row in rows.values() if row["decided_by"] == "rules" and row["decision"] == "include")
    matched = [part for part in ruled["evidence_context"].split(" | ") if "[" in part]
    assert matched, ruled["evidence_context"]
    for part in matched:  # the bracketed term stands in the record's own words
        criterion, _, shown = part.partition(": ")
        term = shown[shown.index("[") + 1 : shown.index("]")]
        words = shown.replace("[", "").replace("]", "").strip(".")
        assert term and words.strip(". ") in " ".join(f"{ruled['title']} {_abstract(out, ruled['pmid'])}".split())


def _abstract(out: Path, pmid: str) -> str:
    with (out / "asreview.csv").open(newline="") as handle:
        return next(row["abstract"] for row in csv.DictReader(handle) if row["pmid"] == pmid)
