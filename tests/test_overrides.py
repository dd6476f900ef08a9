"""Reviewer decisions file: parsing, validation with file:line messages, atomic round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from evsynth.errors import EvsynthError, InputFileError
from evsynth.screening.decisions import Override, load_overrides, parse_target, save_overrides


@pytest.mark.parametrize(
    ("text", "target"),
    [("90000001", "pmid:90000001"), ("PMID: 0090000001", "pmid:90000001"), ("pmid:90000002", "pmid:90000002"),
     ("10.5555/ABC", "doi:10.5555/abc"), ("https://doi.org/10.5555/x.1", "doi:10.5555/x.1")],
)  # fmt: skip
def test_overrides_parse_target(text: str, target: str) -> None:
    assert parse_target(text) == target


def test_overrides_parse_target_rejects_other_text() -> None:
    with pytest.raises(EvsynthError, match="'abc' is neither a PMID"):
        parse_target("abc")
    with pytest.raises(EvsynthError, match="names no title"):
        parse_target("title: ?!")


def test_overrides_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.decisions.csv"
    decisions = {
        "pmid:90000002": Override("pmid:90000002", "include", "reason, with a comma", "ana", "2026-11-21"),
        "doi:10.5555/x": Override("doi:10.5555/x", "exclude", "duplicate cohort"),
        "pmid:90000010": Override("pmid:90000010", "exclude", "wrong population", title="Synthetic, with a comma"),
        "title:a hand searched report": Override(
            "title:a hand searched report", "maybe", "full text?", title="A hand-searched report"
        ),
    }
    save_overrides(path, decisions)
    assert load_overrides(path) == decisions
    lines = path.read_text().splitlines()
    assert lines[0] == "pmid,doi,decision,reason,reviewer,decided_at,previous,title"
    assert [line.split(",")[0] for line in lines[1:]] == ["90000002", "90000010", "", ""]
    assert lines[-1] == ",,maybe,full text?,,,,A hand-searched report"


def test_overrides_missing_file_is_no_decisions(tmp_path: Path) -> None:
    assert load_overrides(tmp_path / "none.csv") == {}


BAD = [
    ("pmid,decision\n1,include\n", "missing column(s) reason"),
    ("decision,reason\ninclude,x\n", "missing column(s) pmid, doi or title"),
    ("pmid,title,decision,reason\n,,include,x\n", "line 2: no pmid, doi or title names the record"),
    ("pmid,decision,reason\nabc,include,x\n", "line 2: pmid/doi 'abc'"),
    ("pmid,decision,reason\n1,keep,x\n", "line 2: decision 'keep' must be one of include, exclude, maybe"),
    ("pmid,decision,reason\n1,include,\n", "line 2: reason is empty"),
    ("pmid,decision,reason\n1,include,x\n1,exclude,y\n", "line 3: a second decision for 1"),
    ("pmid,decision,reason\n1,include,x,extra\n", "line 2: more fields than the header"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_overrides_bad_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        load_overrides(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_overrides_blank_rows_and_case_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("\ufeffpmid,doi,decision,reason\n,,,\n90000001,,INCLUDE, kept \n")
    assert load_overrides(path) == {"pmid:90000001": Override("pmid:90000001", "include", "kept")}
