"""Text concepts: word boundaries, case rules, spelling variants, patterns, fuzzy matching."""

from __future__ import annotations

import pytest

from evsynth.models import Record
from evsynth.protocol.concepts import Concept, is_acronym


def _found(concept: Concept, text: str) -> str | None:
    outcome = concept.search(Record(pmid="90000001", title="", abstract=text))
    if outcome.value:
        return outcome.evidence[0].value
    return None


@pytest.mark.parametrize(
    ("term", "text", "match"),
    [
        ("genome-wide association", "a genome wide association study", "genome wide association"),
        ("genome-wide association", "a genomewide association scan", "genomewide association"),
        ("genome wide association", "a genome\u2013wide association scan", "genome\u2013wide association"),
        ("polymorphism", "two polymorphisms were typed", "polymorphisms"),
        ("therapy", "three therapies were compared", "therapies"),
        ("genotyp*", "patients were genotyped", "genotyped"),
        ("rat", "the odds ratio was high", None),
        ("rat", "adult rats received ECS", "rats"),
        ("mice", "in MICE and men", "MICE"),
        ("ECT", "after ECT sessions", "ECT"),
        ("ECT", "the effect of direct stimulation", None),
        ("ECT", "ect was given", None),
        ("TRD", "patients with TRD", "TRD"),
        ("SNP", "ten SNPs were typed", "SNPs"),
        ("rTMS", "after RTMS", "RTMS"),
        ("miR-29", "miR-29a rose", None),
    ],
)
def test_concepts_term_variants_boundaries_and_case(term: str, text: str, match: str | None) -> None:
    assert _found(Concept("c", terms=(term,)), text) == match


def test_concepts_patterns_keep_word_boundaries_and_scoped_case() -> None:
    concept = Concept("c", patterns=(r"rs\d{3,}", r"(?-i:[A-Z][A-Z0-9]{2,9})\s+expression"))
    assert _found(concept, "the variant rs6265 in BDNF") == "rs6265"
    assert _found(concept, "the variant xrs6265") is None
    assert _found(concept, "GRIA2 expression rose") == "GRIA2 expression"
    assert _found(concept, "gene expression rose") is None


def test_concepts_case_settings_override_the_acronym_rule() -> None:
    assert _found(Concept("c", terms=("ECT",), case="insensitive"), "after ect") == "ect"
    assert _found(Concept("c", terms=("ketamine",), case="sensitive"), "Ketamine infusions") is None


def test_concepts_fuzzy_matches_misspellings_only_when_asked() -> None:
    text = "patients receiving electroconvulsiv therapy"
    assert _found(Concept("c", terms=("electroconvulsive therapy",)), text) is None
    found = _found(Concept("c", terms=("electroconvulsive therapy",), fuzzy=90), text)
    assert found is not None and found.startswith("electroconvulsiv therapy (fuzzy")
    assert _found(Concept("c", terms=("electroconvulsive therapy",), fuzzy=99), text) is None


def test_concepts_evidence_has_field_and_offsets() -> None:
    record = Record(title="Ketamine in mice", abstract="We treated rats and mice.")
    outcome = Concept("animal", terms=("mouse", "mice", "rat")).search(record, "animal-only")
    assert outcome.value is True
    title, abstract = outcome.evidence
    assert (title.field, title.value, title.start, title.end) == ("title", "mice", 12, 16)
    assert record.abstract[abstract.start : abstract.end] == abstract.value == "rats"
    assert title.criterion == "animal-only"


def test_concepts_no_abstract_is_unknown_not_false() -> None:
    concept = Concept("genetic", terms=("genotype",))
    assert concept.search(Record(title="Ketamine response", abstract="")).value is None
    assert concept.search(Record(title="Ketamine response", abstract="No genes here.")).value is False
    assert concept.search(Record(title="Genotype and ketamine", abstract="")).value is True
    title_only = Concept("case", terms=("case report",), fields=("title",), missing_abstract_unknown=False)
    assert title_only.search(Record(title="A trial", abstract="")).value is False


def test_concepts_keywords_field() -> None:
    concept = Concept("c", terms=("pharmacogenetics",), fields=("keywords",))
    assert concept.search(Record(keywords=("ketamine", "pharmacogenetics"))).value is True


@pytest.mark.parametrize(("term", "expected"), [("ECT", True), ("rTMS", False), ("5-HTTLPR", True), ("A", False)])
def test_concepts_is_acronym(term: str, expected: bool) -> None:
    assert is_acronym(term) is expected
