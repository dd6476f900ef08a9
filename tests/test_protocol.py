"""Protocol loading and validation: every bad input gives one line naming file, key and value."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import BAD_PROTOCOLS, ROOT, VALID, protocol_with, write_protocol

from evsynth.cli import cli
from evsynth.errors import ProtocolError
from evsynth.protocol.loader import check_query_syntax, load_protocol


def test_protocol_reference_review_loads() -> None:
    protocol = load_protocol(ROOT / "queries" / "trd-pharmacogenomics.yaml")
    assert protocol.name == "trd-pharmacogenomics"
    assert protocol.search.start == dt.date(2021, 1, 1)
    assert protocol.search.end == dt.date(2025, 6, 1)
    assert protocol.search.date_field == "pdat"
    assert [b.name for b in protocol.search.blocks] == ["condition", "omics", "treatment"]
    query = protocol.search.query
    assert query.count(" AND ") == 2
    for term in (
        "ketamine[tiab]",
        "esketamine[tiab]",
        "microRNA*[tiab]",
        '"Electroconvulsive Therapy"[Mesh]',
        '"Depressive Disorder, Treatment-Resistant"[Mesh]',
        "pharmacogenom*[tiab]",
        "epigenetic*[tiab]",
    ):
        assert term in query  # fmt: skip
    assert check_query_syntax(query) is None


def test_protocol_companion_review_has_no_window() -> None:
    protocol = load_protocol(ROOT / "queries" / "trd-diagnostic-biomarkers.yaml")
    assert protocol.search.start is None and protocol.search.end is None
    assert "GRIK4[tiab]" in protocol.search.query
    assert protocol.batch_size == 200


def test_protocol_digest_changes_with_content(tmp_path: Path) -> None:
    first = load_protocol(write_protocol(tmp_path, VALID)).digest
    second = load_protocol(write_protocol(tmp_path, protocol_with(search__query="ketamine[tiab]"))).digest
    assert first != second


def test_protocol_later_stage_sections_are_kept(tmp_path: Path) -> None:
    protocol = load_protocol(write_protocol(tmp_path, protocol_with(extraction={"genes": "both"})))
    assert protocol.section("extraction") == {"genes": "both"}
    assert protocol.extraction.genes == "both" and protocol.extraction.variants == "evsynth"
    assert protocol.criteria is None
    with pytest.raises(ProtocolError, match=r"extraction.genes: True must be one of evsynth, pubtator3, both"):
        load_protocol(write_protocol(tmp_path, protocol_with(extraction={"genes": True})))


def test_protocol_criteria_are_validated_on_load(tmp_path: Path) -> None:
    criteria = {"exclude": [{"name": "comment", "label": "Comment", "when": {"pub_type": ["Comment"]}}]}
    path = write_protocol(tmp_path, protocol_with(criteria=criteria))
    protocol = load_protocol(path)
    assert protocol.criteria is not None and protocol.criteria.exclude[0].label == "Comment"
    assert protocol.overrides_path == path.with_name(f"{path.stem}.decisions.csv")
    bad = write_protocol(
        tmp_path, protocol_with(criteria={"exclude": [{"name": "c", "when": {"pubtype": ["Comment"]}}]})
    )
    with pytest.raises(ProtocolError, match=r"criteria.exclude\[0\].when.pubtype: unknown test"):
        load_protocol(bad)


@pytest.mark.parametrize(("case", "data", "expected"), BAD_PROTOCOLS, ids=[b[0] for b in BAD_PROTOCOLS])
def test_protocol_rejects_bad_input_with_one_line(case: str, data: object, expected: str, tmp_path: Path) -> None:
    path = write_protocol(tmp_path, data)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_protocol_source_format_is_checked(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("Title,Year\n")
    data = protocol_with(sources=[{"name": "scopus", "file": "export.csv", "format": "excel"}])
    with pytest.raises(ProtocolError, match=r"sources\[0\]\.format: 'excel'"):
        load_protocol(write_protocol(tmp_path, data))


def test_protocol_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load_protocol(tmp_path / "missing.yaml")


def test_protocol_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_protocol(path)


@pytest.mark.parametrize(
    ("query", "ok"),
    [('"a (b" AND c', True), ("(a[tiab] OR (b[mh]))", True), ('"a"[tiab', False), ("((a)", False), ("a) OR (b", False)],
)
def test_protocol_check_query_syntax(query: str, ok: bool) -> None:
    assert (check_query_syntax(query) is None) is ok


REPEATED_KEY = """name: demo
search:
  query: 'ketamine[tiab]'
criteria:
  exclude:
    - {name: a, label: A, when: {pub_type: [Comment]}}
  exclude:
    - {name: b, label: B, when: {pub_type: [Letter]}}
"""


def test_protocol_repeated_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    """A second `exclude:` used to replace the first silently (its criteria vanished, exit 0)."""
    path = write_protocol(tmp_path, REPEATED_KEY)
    with pytest.raises(ProtocolError, match=r"line 7, column 3: duplicate key 'exclude' \(first at line 5\)"):
        load_protocol(path)


@pytest.mark.parametrize("date", ["2021-02-30", "2021-13-45"])
def test_protocol_impossible_date_is_one_line(tmp_path: Path, date: str, runner: CliRunner) -> None:
    """An impossible unquoted date used to fail inside the YAML library with a 60-line traceback."""
    text = f"name: demo\nsearch:\n  query: 'ketamine[tiab]'\n  date_window: {{start: {date}, end: 2025-06-01}}\n"
    path = write_protocol(tmp_path, text)
    with pytest.raises(ProtocolError, match=rf"search.date_window.start: '{date}' is not a valid date"):
        load_protocol(path)
    result = runner.invoke(cli, ["run", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].endswith(f"'{date}' is not a valid date (YYYY-MM-DD)")
    logged = runner.invoke(cli, ["run", str(path), "--log-json"])  # a scheduler gets a JSON error line too
    first = json.loads(logged.output.splitlines()[0])
    assert logged.exit_code == 1 and first["level"] == "error" and first["exit_code"] == 1


def test_protocol_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    path = write_protocol(tmp_path, protocol_with(serach={"query": "x"}))
    with pytest.raises(ProtocolError, match=r"serach: unknown key; did you mean 'search'\?"):
        load_protocol(path)


def test_protocol_dates_keep_the_digest(tmp_path: Path) -> None:
    """Dates are read as text now; the protocol's digest (and so every stored snapshot) is unchanged."""
    import hashlib
    import json

    import yaml as pyyaml

    path = ROOT / "queries" / "trd-pharmacogenomics.yaml"
    as_dates = pyyaml.safe_load(path.read_text())
    assert (
        load_protocol(path).digest
        == hashlib.sha256(json.dumps(as_dates, sort_keys=True, default=str).encode()).hexdigest()
    )


def test_protocol_language_name_is_refused_with_the_code(tmp_path: Path) -> None:
    """`when: {language: english}` excluded every record without a word (issue 25 item 20)."""
    criteria = {"include": [{"name": "english", "label": "Not in English", "when": {"language": ["english"]}}]}
    with pytest.raises(ProtocolError, match=r"'english' is not a PubMed language code .*did you mean 'eng'\?"):
        load_protocol(write_protocol(tmp_path, protocol_with(criteria=criteria)))


@pytest.mark.parametrize(
    ("value", "hint"),
    [("Randomised Controlled Trial", "did you mean 'Randomized Controlled Trial'?"),
     ("Case Report", "did you mean 'Case Reports'?"), ("RCT", "")],
)  # fmt: skip
def test_protocol_publication_type_pubmed_does_not_use_is_refused(tmp_path: Path, value: str, hint: str) -> None:
    """A publication type PubMed does not use matched no record, silently (issue 25 item 20)."""
    criteria = {"exclude": [{"name": "x", "label": "X", "when": {"pub_type": ["Review", value]}}]}
    with pytest.raises(ProtocolError, match=rf"criteria.exclude\[0\].*{value!r} is not a PubMed publication type"
                                            rf"{re.escape('; ' + hint) if hint else '$'}"):  # fmt: skip
        load_protocol(write_protocol(tmp_path, protocol_with(criteria=criteria)))
    fine = {"exclude": [{"name": "x", "label": "X", "when": {"pub_type": ["review", "Clinical Trial, Phase*"]}}]}
    assert load_protocol(write_protocol(tmp_path, protocol_with(criteria=fine))).criteria is not None


def test_a_criterion_that_excludes_nearly_everything_is_warned(tmp_path: Path, runner: CliRunner) -> None:
    """A criterion that alone excludes (nearly) every record is usually a typo; the run says so."""
    import yaml as pyyaml

    data = pyyaml.safe_load((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_text())
    data["criteria"]["include"].insert(0, {"name": "swedish", "label": "Not in Swedish", "when": {"language": ["swe"]}})
    protocol = tmp_path / "typo.yaml"
    protocol.write_text(pyyaml.safe_dump(data, sort_keys=False))
    cassette = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
    result = runner.invoke(cli, ["run", str(protocol), "--replay", cassette, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "criterion 'swedish' (Not in Swedish) alone excludes 44 of 44 records" in result.output
