"""Protocol loading and validation: every bad input gives one line naming file, key and value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from tests.conftest import ROOT

from evsynth.errors import ProtocolError
from evsynth.protocol import check_query_syntax, load_protocol

VALID = {
    "name": "demo",
    "search": {"query": '("major depression"[tiab]) AND ketamine[tiab]',
               "date_window": {"start": "2021-01-01", "end": "2025-06-01"}},
}  # fmt: skip


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "protocol.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _with(**changes: object) -> dict[str, object]:
    data = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return data


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
    first = load_protocol(_write(tmp_path, VALID)).digest
    second = load_protocol(_write(tmp_path, _with(search__query="ketamine[tiab]"))).digest
    assert first != second


def test_protocol_later_stage_sections_are_kept(tmp_path: Path) -> None:
    protocol = load_protocol(_write(tmp_path, _with(extraction={"genes": True})))
    assert protocol.section("extraction") == {"genes": True}
    assert protocol.criteria is None


def test_protocol_criteria_are_validated_on_load(tmp_path: Path) -> None:
    criteria = {"exclude": [{"name": "comment", "label": "Comment", "when": {"pub_type": ["Comment"]}}]}
    path = _write(tmp_path, _with(criteria=criteria))
    protocol = load_protocol(path)
    assert protocol.criteria is not None and protocol.criteria.exclude[0].label == "Comment"
    assert protocol.overrides_path == path.with_name(f"{path.stem}.decisions.csv")
    bad = _write(tmp_path, _with(criteria={"exclude": [{"name": "c", "when": {"pubtype": ["Comment"]}}]}))
    with pytest.raises(ProtocolError, match=r"criteria.exclude\[0\].when.pubtype: unknown test"):
        load_protocol(bad)


BAD = [
    ("unknown top key", _with(serach={}), "serach: unknown key"),
    ("unknown search key", _with(search__terms="x"), "search.terms: unknown key"),
    ("unknown window key", _with(search__date_window__from="2021-01-01"), "search.date_window.from: unknown key"),
    ("bad month", _with(search__date_window__start="2021-13-01"), "search.date_window.start: '2021-13-01'"),
    ("bad day", _with(search__date_window__end="2025-02-30"), "search.date_window.end: '2025-02-30'"),
    ("date words", _with(search__date_window__start="last year"), "search.date_window.start: 'last year'"),
    ("date number", _with(search__date_window__start=2021), "search.date_window.start: 2021"),
    ("end before start", _with(search__date_window__end="2020-01-01"), "search.date_window: end 2020-01-01"),
    ("bad date field", _with(search__date_window__field="dp"), "search.date_window.field: 'dp'"),
    ("window not mapping", _with(search__date_window="2021"), "search.date_window: must be a mapping"),
    ("unbalanced quote", _with(search__query='"major depression[tiab]'), "search.query: unbalanced quote"),
    ("open parenthesis", _with(search__query="(a OR b"), "search.query: unbalanced parenthesis"),
    ("close parenthesis", _with(search__query="a OR b)"), "search.query: unbalanced parenthesis"),
    ("open bracket", _with(search__query="ketamine[tiab"), "search.query: unbalanced bracket"),
    ("stray bracket", _with(search__query="ketamine]"), "search.query: unmatched ']'"),
    ("no query", _with(search__query=...), "search: needs a 'query' or 'blocks'"),
    ("empty query", _with(search__query="   "), "search: needs a 'query' or 'blocks'"),
    ("query not text", _with(search__query=["a"]), "search.query: must be a non-empty string"),
    ("no search", _with(search=...), "search: must be a mapping"),
    ("search list", _with(search=["x"]), "search: must be a mapping"),
    ("no name", _with(name=...), "name: must be a non-empty string"),
    ("bad name", _with(name="My Review!"), "name: 'My Review!'"),
    ("bad database", _with(search__database="embase"), "search.database: 'embase' is not supported"),
    ("blocks not list", _with(search__blocks="a"), "search.blocks: must be a non-empty list"),
    ("block no terms", _with(search__blocks=[{"name": "x"}]), "search.blocks[0].terms: must be a non-empty list"),
    ("block bad term", _with(search__blocks=[{"name": "x", "terms": ['"a']}]), "search.blocks[0].terms[0]"),
    (
        "block unknown key",
        _with(search__blocks=[{"name": "x", "terms": ["a"], "op": "OR"}]),
        "search.blocks[0].op: unknown key",
    ),
    ("batch size zero", _with(harvest={"batch_size": 0}), "harvest.batch_size: 0"),
    ("batch size text", _with(harvest={"batch_size": "200"}), "harvest.batch_size: '200'"),
    ("batch size bool", _with(harvest={"batch_size": True}), "harvest.batch_size: True"),
    ("unknown harvest key", _with(harvest={"rate": 10}), "harvest.rate: unknown key"),
    ("sources not list", _with(sources={"file": "x"}), "sources: must be a list"),
    (
        "source missing file",
        _with(sources=[{"name": "scopus", "file": "nope.csv", "format": "scopus_csv"}]),
        "sources[0].file: 'nope.csv' not found",
    ),
    ("criteria scalar", _with(criteria="all"), "criteria: must be a mapping or a list"),
    ("top-level list", ["name"], "must be a mapping"),
    ("empty file", "", "is empty"),
    ("invalid yaml", "name: [unclosed\nsearch: {", "invalid YAML at line"),
    ("tab indentation", "name: x\nsearch:\n\tquery: a\n", "invalid YAML"),
]


@pytest.mark.parametrize(("case", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_protocol_rejects_bad_input_with_one_line(case: str, data: object, expected: str, tmp_path: Path) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_protocol_source_format_is_checked(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("Title,Year\n")
    data = _with(sources=[{"name": "scopus", "file": "export.csv", "format": "excel"}])
    with pytest.raises(ProtocolError, match=r"sources\[0\]\.format: 'excel'"):
        load_protocol(_write(tmp_path, data))


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
