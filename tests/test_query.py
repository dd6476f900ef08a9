"""The PubMed query engine (issue 29): a table of queries over six synthetic records, each expectation worked out
by hand from the records below; PubMed's syntax errors as one line with the column.

The records are synthetic (PMIDs 90000101-90000106, DOIs under the 10.5555 example prefix); the MeSH tree below
uses real descriptor names with invented tree numbers (X..), not NLM's: it only gives the explosion a shape."""

from __future__ import annotations

import pytest

from evsynth.models import Author, MeshHeading, Record
from evsynth.query.evaluate import Evaluator
from evsynth.query.mesh import MeshTree
from evsynth.query.parser import QuerySyntaxError, blocks, parse_query, terms, to_text


def _mesh(*names: str, major: tuple[str, ...] = ()) -> tuple[MeshHeading, ...]:
    return tuple(MeshHeading(f"D9{n:05d}", name, name in major) for n, name in enumerate(names))


RECORDS = {
    1: Record(
        pmid="90000101", doi="10.5555/q.1",
        title="BDNF Val66Met genotype and ketamine response in treatment-resistant depression",
        abstract="Pharmacogenomic analysis of 120 patients given intravenous ketamine; carriers of the Met allele "
                 "responded less.",
        keywords=("pharmacogenetics", "rapid antidepressant"),
        mesh=_mesh("Depressive Disorder, Treatment-Resistant", "Ketamine", "Brain-Derived Neurotrophic Factor",
                   "Humans", major=("Depressive Disorder, Treatment-Resistant",)),
        pub_types=("Journal Article", "Randomized Controlled Trial"), languages=("eng",),
        authors=(Author("Selby", "Dana", "D"), Author("Marlow", "Ivo", "I")),
        journal="Journal of Synthetic Psychiatry", journal_iso="J Synth Psychiatry",
        pub_date="2022-03-15", pub_year=2022, entrez_date="2022-03-20",
    ),
    2: Record(
        pmid="90000102", pmcid="PMC900002",
        title="Serum microRNA levels after electroconvulsive therapy",
        abstract="miR-132 increased after ECT in responders with major depressive disorder.",
        mesh=_mesh("Depressive Disorder, Major", "Electroconvulsive Therapy", "MicroRNAs"),
        pub_types=("Journal Article",), languages=("eng",), authors=(Author("Orrin", "Lee", "L"),),
        journal="Synthetic Brain Reports", pub_date="2021", pub_year=2021, entrez_date="2021-02-01",
    ),
    3: Record(
        pmid="90000103", title="Genome-wide association study of antidepressant response",
        abstract="No variant reached significance in this synthetic cohort.",
        mesh=_mesh("Genome-Wide Association Study", "Antidepressive Agents", major=("Antidepressive Agents",)),
        pub_types=("Review",), languages=("ger",), authors=(Author("Iverly", "Cam", "C"), Author("Selby", "Dan", "DA")),
        journal="Synthetic Genetics", pub_date="2019-11", pub_year=2019, entrez_date="2019-11-20",
    ),
    4: Record(
        pmid="90000104", title="Rat forced swim test after ketamine",
        abstract="Hippocampal BDNF rose in treated rats.",
        mesh=_mesh("Rats", "Ketamine", "Depression"), pub_types=("Journal Article",), languages=("eng",),
        authors=(Author("Galen", "Cory", "C"),), journal="Synthetic Neuroscience",
        pub_date="2023-06-01", pub_year=2023, entrez_date="2023-06-05",
    ),
    5: Record(
        pmid="90000105", doi="10.5555/q.5",
        title="Transcranial magnetic stimulation for refractory depression: a case report",
        abstract="A patient with refractory depression responded.",
        mesh=_mesh("Transcranial Magnetic Stimulation", "Depressive Disorder, Treatment-Resistant"),
        pub_types=("Case Reports",), languages=("fre",), authors=(Author(collective_name="Synthetic Study Group"),),
        journal="Synthetic Case Reports", pub_date="2024-01-10", pub_year=2024, entrez_date="2024-01-15",
    ),
    6: Record(
        pmid="90000106", title="Pharmacogenetics of escitalopram in major depression",
        abstract="CYP2C19 genetic variants predicted remission.",
        keywords=("CYP2C19", "treatment resistant depression"),
        mesh=_mesh("Depressive Disorder, Major", "Escitalopram", "Cytochrome P-450 CYP2C19",
                   major=("Depressive Disorder, Major",)),
        pub_types=("Journal Article", "Clinical Trial"), languages=("eng",),
        authors=(Author("Norwood", "Cleo", "C"), Author("Kestrel", "Lu", "L")),
        journal="Synthetic Pharmacology", pub_date="2025-05-30", pub_year=2025, entrez_date="2025-06-02",
    ),
}  # fmt: skip

TREE = MeshTree.from_lines([
    "Depressive Disorder;X01.100",
    "Depressive Disorder, Major;X01.100.200",
    "Depressive Disorder, Treatment-Resistant;X01.100.200.300",
    "Depression;X01.200",
    "Antidepressive Agents;X02.100",
    "Ketamine;X03.100",
])  # fmt: skip

CASES = [
    # words, phrases, truncation and the text fields
    ("ketamine", {1, 4}),
    ("ketamine[tiab]", {1, 4}),
    ("ketamine[ti]", {1, 4}),
    ("ketamine[ab]", {1}),
    ("Ketamine[Title/Abstract]", {1, 4}),
    ("bdnf[tiab]", {1, 4}),
    ("BDNF[ti]", {1}),
    ("depression[tiab]", {1, 5, 6}),
    ("depress*[tiab]", {1, 2, 5, 6}),
    ('"treatment resistant depression"[tiab]', {1, 6}),
    ("treatment resistant depression[tiab]", {1, 6}),
    ('"treatment-resistant depression"[ti]', {1}),
    ("treatment resistant depression", {1, 5, 6}),
    ('"genetic variant*"[tiab]', {6}),
    ("variant*[tiab]", {3, 6}),
    ("pharmacogen*[tiab]", {1, 6}),
    ("pharmacogenetics[kw]", {1}),
    ("cyp2c19[kw]", {6}),
    ('"rapid antidepressant"[kw]', {1}),
    ("antidepressant[tw]", {1, 3}),
    ("antidepressive[tw]", {3}),
    ("antidepressive[tiab]", set()),
    ('"major depressive disorder"[ab]', {2}),
    ("ect[tiab]", {2}),
    ("microrna[tiab]", {2}),
    # left to right, no precedence; NOT; parentheses; words side by side
    ("ketamine OR escitalopram AND depression[tiab]", {1, 6}),
    ("ketamine OR (escitalopram AND depression[tiab])", {1, 4, 6}),
    ("depression[tiab] AND ketamine OR escitalopram", {1, 6}),
    ("ketamine NOT rats", {1}),
    ('depression[tiab] NOT "case report"[ti]', {1, 6}),
    ("depress*[tiab] NOT ketamine NOT escitalopram", {2, 5}),
    ('(ketamine OR escitalopram) NOT (rats OR "case report"[ti])', {1, 6}),
    ("((ketamine[ti] OR ect[tiab]) AND (bdnf[tiab] OR microrna[tiab]))", {1, 2, 4}),
    ("(((ketamine)))", {1, 4}),
    ("ketamine escitalopram", set()),
    ("bdnf ketamine", {1, 4}),
    ("(ketamine OR ect[tiab]) AND (2021:2022[dp] NOT rats)", {1, 2}),
    # MeSH, exploded by the tree
    ('"Depressive Disorder, Major"[mh]', {1, 2, 5, 6}),
    ('"Depressive Disorder, Major"[MeSH Terms]', {1, 2, 5, 6}),
    ('"Depressive Disorder, Major"[mh:noexp]', {2, 6}),
    ('"Depressive Disorder"[mh]', {1, 2, 5, 6}),
    ('"Depressive Disorder"[mh:noexp]', set()),
    ('"Depressive Disorder, Treatment-Resistant"[majr]', {1}),
    ('"Depressive Disorder, Major"[majr]', {1, 6}),
    ('"Depressive Disorder, Major"[majr:noexp]', {6}),
    ("ketamine[mh]", {1, 4}),
    ("Depressive Disorder*[mh]", {1, 2, 5, 6}),
    ("depression[mh]", {4}),
    ('"Cytochrome P-450 CYP2C19"[mh]', {6}),
    ('"Depressive Disorder"[mh] NOT "Depressive Disorder, Treatment-Resistant"[mh]', {2, 6}),
    # publication types, languages
    ("review[pt]", {3}),
    ('"case reports"[pt]', {5}),
    ('"randomized controlled trial"[Publication Type]', {1}),
    ("clinical trial[pt]", {6}),
    ("english[la]", {1, 2, 4, 6}),
    ("eng[la]", {1, 2, 4, 6}),
    ("german[la]", {3}),
    ("depression[tiab] NOT english[la]", {5}),
    # authors, journals
    ("selby d[au]", {1, 3}),
    ("selby da[au]", {3}),
    ("selby[au]", {1, 3}),
    ("selby[1au]", {1}),
    ('"synthetic study group"[au]', {5}),
    ("norw*[au]", {6}),
    ('"j synth psychiatry"[ta]', {1}),
    ('"journal of synthetic psychiatry"[ta]', {1}),
    # dates, ids
    ("2021:2022[dp]", {1, 2}),
    ("2022[dp]", {1}),
    ("2021/06/01:2023/06/01[dp]", {1, 2, 4}),
    ("2023/06/02:2025[pdat]", {5, 6}),
    ('"2019"[dp] : "2020"[dp]', {3}),
    ("2019/11[dp]", {3}),
    ("2022/03/20[edat]", {1}),
    ("90000102:90000104[uid]", {2, 3, 4}),
    ("90000105[pmid]", {5}),
    ("10.5555/q.5[doi]", {5}),
    ('"https://doi.org/10.5555/Q.5"[doi]', {5}),
    ("PMC900002[aid]", {2}),
    ("depression[tiab] AND 2024:2025[dp]", {5, 6}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_query_finds_what_was_worked_out_by_hand(query: str, expected: set[int]) -> None:
    evaluator = Evaluator.of(query, TREE)
    assert {n for n, record in RECORDS.items() if evaluator.matches(record)} == expected


def test_the_table_has_at_least_60_queries() -> None:
    assert len(CASES) >= 60


def test_without_a_tree_mesh_terms_are_not_exploded_and_say_so() -> None:
    evaluator = Evaluator.of('"Depressive Disorder, Major"[mh] OR ketamine[mh:noexp]')
    assert {n for n, record in RECORDS.items() if evaluator.matches(record)} == {1, 2, 4, 6}  # not 5
    assert evaluator.unexploded == {"Depressive Disorder, Major"}


def test_a_written_query_reads_back_the_same() -> None:
    for query, expected in CASES:
        again = Evaluator.of(to_text(parse_query(query)), TREE)
        assert {n for n, record in RECORDS.items() if again.matches(record)} == expected, query


def test_blocks_and_terms() -> None:
    assert len(blocks(parse_query('(a OR b[tiab]) AND "c d"[ti] AND 2021:2022[dp]'))) == 3
    tree = parse_query('(a OR b[tiab]) AND "c d"[ti] AND 2021:2022[dp] NOT e')
    assert len(blocks(tree)) == 1  # left to right: ((a AND b AND c) NOT e)
    assert [getattr(t, "text", None) or f"{t.low}:{t.high}" for t in terms(tree)] == ["a", "b", "c d", "2021:2022", "e"]  # type: ignore[union-attr]


ERRORS = [
    ('"ketamine', 1, "a quote is never closed"),
    ("ketamine[tiab", 9, "'[' is never closed"),
    ("ketamine[tiabx]", 9, "unknown field tag [tiabx] (did you mean [tiab]?)"),
    ("(ketamine OR bdnf", 1, "'(' is never closed"),
    ("ketamine OR bdnf)", 17, "')' without a '('"),
    ("mir*[tiab]", 1, "truncation needs at least 4 characters before '*'"),
    ("ketamine AND", 10, "AND has nothing after it"),
    ("AND ketamine", 1, "AND has nothing before it"),
    ("ketamine AND ()", 14, "empty parentheses"),
    ("wom*n[tiab]", 1, "'*' truncates only the end of a term"),
    ("2021:2025[tiab]", 1, "a range needs a date or uid field"),
    ("2021:20x5[dp]", 1, "'20x5' is not a date"),
    ("", 1, "an empty query"),
    ("ketamine]", 9, "']' without a '['"),
    ("[tiab]", 1, "a field tag with no term before it"),
    ("ketamine OR OR bdnf", 10, "OR has nothing after it"),
    ('"  "[tiab]', 1, "an empty phrase"),
]


@pytest.mark.parametrize(("query", "column", "message"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_syntax_errors_name_the_column(query: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.column == column
    assert str(caught.value).startswith(f"column {column}: {message}")
    assert "\n" not in str(caught.value)


def test_mesh_tree_file_errors_are_one_line(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    from evsynth.errors import InputFileError

    bad = Path(str(tmp_path)) / "mtrees.bin"
    bad.write_text("Depressive Disorder;X01.100\nno separator here\n")
    with pytest.raises(InputFileError, match=r"mtrees.bin: line 2: not 'Descriptor name;Tree number'"):
        MeshTree.from_file(bad)
    with pytest.raises(InputFileError, match="missing.bin"):
        MeshTree.from_file(Path(str(tmp_path)) / "missing.bin")
