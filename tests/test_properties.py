"""Property-based tests (hypothesis) for the PubMed XML parser and the tagger.

The documents are synthetic (built by ``evsynth.testing.synthetic``, PMIDs from 90000001); hypothesis
draws their text, dates and damage.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from tests.helpers import shared_tagger

from evsynth.errors import PubmedXMLError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.protocol.concepts import Concept
from evsynth.tagger.tagger import sentence_starts
from evsynth.testing.synthetic import FIRST_PMID, article_set, article_xml, generated_entry

# Text XML 1.0 can carry: no control characters but tab/newline, no surrogates, no U+FFFE/U+FFFF.
xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=120,
).filter(lambda s: s.strip())
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))


def _normal(text: str) -> str:
    return " ".join(text.split())


@st.composite
def entries(draw: st.DrawFn) -> dict[str, object]:
    index = draw(st.integers(0, 9_000_000))
    entry = generated_entry(index)
    entry.update(title=draw(xml_text), date=draw(dates).isoformat())
    if draw(st.booleans()):
        entry["abstract"] = draw(xml_text)
    else:
        labels = draw(st.lists(st.sampled_from(["background", "methods", "results"]), min_size=1, max_size=3,
                               unique=True))  # fmt: skip
        entry["abstract"] = {label: draw(xml_text) for label in labels}
    return entry


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries(), min_size=1, max_size=4, unique_by=lambda e: e["pmid"]))
def test_parser_reads_back_what_was_written(items: list[dict[str, object]]) -> None:
    records = list(iter_pubmed_xml(article_set([article_xml(e) for e in items]), keep_raw=True))
    assert [r.pmid for r in records] == [str(e["pmid"]) for e in items]
    for record, entry in zip(records, items, strict=True):
        assert record.title == _normal(str(entry["title"]))
        assert record.pub_date == entry["date"]
        abstract = entry["abstract"]
        if isinstance(abstract, dict):
            expected = "\n".join(f"{label.upper()}: {_normal(text)}" for label, text in abstract.items())
        else:
            expected = _normal(str(abstract))
        assert record.abstract == expected
        # The raw XML kept for a record parses back to the same record.
        (again,) = iter_pubmed_xml(article_set([record.raw]), keep_raw=True)
        assert again == record


_VALID = article_set([article_xml(generated_entry(i)) for i in range(3)])


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(_VALID)),
    position=st.integers(0, len(_VALID)),
    noise=st.binary(max_size=12),
    drop=st.integers(0, 40),
)
def test_damaged_xml_yields_records_or_one_clear_error(cut: int, position: int, noise: bytes, drop: int) -> None:
    damaged = _VALID[:position] + noise + _VALID[position + drop :]
    damaged = damaged[: max(cut, 1)]
    try:
        records = list(iter_pubmed_xml(damaged))
    except PubmedXMLError as err:
        message = str(err)
        assert message.startswith("<") and "\n" not in message.strip()  # names the source, one line
        return
    assert all(r.pmid.isdigit() and int(r.pmid) >= FIRST_PMID for r in records)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_another_exception(data: bytes) -> None:
    try:
        records = list(iter_pubmed_xml(data))
    except PubmedXMLError as err:
        assert "\n" not in str(err)
    else:
        assert records == []  # random bytes hold no PubmedArticle


# --- the tagger ---------------------------------------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
# Characters that entity names, variants and miRNAs are made of, so near-misses come up often.
name_like = st.text(alphabet=st.sampled_from(list("ABCDGKMNRTVabcdeimnrst0123456789-/()., αβ+>_:;")), max_size=200)
biomedical = st.lists(
    st.sampled_from([
        "BDNF", "Val66Met", "rs6265", "miR-29a/c", "miR-132/212", "let-7b", "ketamine", "esketamine", "ECT", "rTMS",
        "NMDA receptor", "GRIN2B", "TrkB", "5-HTTLPR", "c.196G>A", "p.V66M", "patients", "with", "and", "in", "the",
        "(", ")", ",", "-", "serum", "levels", "of", "SLC6A4", "COMT", "rs4680", "depression", "treatment-resistant",
    ]),
    max_size=30,
).map(" ".join)  # fmt: skip


def _check_spans(text: str) -> list[tuple[int, int, str, str, str | None]]:
    mentions = shared_tagger().tag(text)
    previous_end = 0
    for m in mentions:
        assert text[m.start : m.end] == m.text and m.start < m.end and m.start >= previous_end
        assert 0 <= m.sentence < len(sentence_starts(text))
        previous_end = m.end
    return [(m.start, m.end, m.text, m.type, m.id) for m in mentions]


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_text, name_like, biomedical))
def test_tagger_spans_are_exact_ordered_and_deterministic(text: str) -> None:
    first = _check_spans(text)
    assert _check_spans(text) == first


@settings(max_examples=200, deadline=None)
@given(biomedical)
def test_a_neutral_sentence_before_the_text_only_shifts_the_mentions(text: str) -> None:
    assume(text.strip())
    prefix = "Synthetic filler sentence without entities. "
    alone = _check_spans(text)
    shifted = [(s - len(prefix), e - len(prefix), t, ty, i) for s, e, t, ty, i in _check_spans(prefix + text)]
    assert shifted == alone


# -- text concepts: the anchored search finds what a plain search of the expressions finds -----------------------

_TERM_WORDS = ["gene", "study", "rat", "men", "a", "case", "MDD", "SNP", "genotyp*", "expression", "expr*", "RNA",
               "disease"]  # fmt: skip
_TEXT_PIECES = [
    "gene", "genes", "Gene", "GENE", "studies", "study", "rats", "ratio", "women", "men", "a", "case", "acase",
    "MDD", "mdd", "SNPs", "genotyping", "expression", "rs1234", "rs12", "5-HTTLPR", "5-httlpr", "miR-29a",
    "BDNF", "ı", "ſ", "İ", "\u212a", "_", "x", "1", "é", "caſe", "dıseases", "disease", "expr", "gene expression",
]  # fmt: skip
_JOINS = [" ", "", "-", "\u2013", "\t", "\u00a0", ", ", "(", ")", "/", "  "]


@st.composite
def _concepts(draw: st.DrawFn) -> Concept:
    words = st.lists(st.sampled_from(_TERM_WORDS), min_size=1, max_size=3)
    terms = draw(st.lists(words.map(lambda ws: " ".join(w.rstrip("*") for w in ws[:-1]) + " " + ws[-1]), max_size=5))
    patterns = draw(
        st.lists(
            st.sampled_from([r"rs\d{3,}", r"5-HTTLPR", r"miR-?\d+[a-z]?", r"(?-i:[A-Z]{3,})\s+expression"]), max_size=2
        )
    )
    assume(terms or patterns)
    return Concept("c", terms=tuple(t.strip() for t in terms), patterns=tuple(patterns),
                   case=draw(st.sampled_from(["auto", "sensitive", "insensitive"])))  # fmt: skip


@given(_concepts(), st.lists(st.tuples(st.sampled_from(_TEXT_PIECES), st.sampled_from(_JOINS)), max_size=30))
@example(Concept("c", terms=("case",)), [("x", " "), ("ca\u017fe", "")])  # IGNORECASE: long s is s
@example(Concept("c", terms=("disease",)), [("d\u0131seases", "")])  # and dotless i is i
@example(Concept("c", terms=("disease",)), [("\u0130", " "), ("disease", "")])  # a lower case one letter longer
# a short anchor inside a longer one that starts before it: the search goes on past the first match found
@example(Concept("c", terms=("gene expression", "expr*", "press*")), [("gene", " "), ("expression", "")])
@settings(max_examples=400, deadline=None)
def test_anchored_concept_search_is_a_plain_search(concept: Concept, pieces: list[tuple[str, str]]) -> None:
    text = "".join(piece + join for piece, join in pieces)
    plain = [m for m in (regex.search(text) for regex in concept._compiled) if m]
    first = min(plain, key=lambda m: m.start(), default=None)  # the first expression's at a tie (min is stable)
    expected = None if first is None else (first.start(), first.end(), "")
    assert concept._first_match(text) == expected
