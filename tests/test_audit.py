"""`evsynth audit` over a synthetic review (demo/audit: reference list + claims with planted errors) and the
demo corpus, served by the local E-utilities server or replayed from the bundled cassette."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT, fast_client, shared_data

from evsynth.audit.check import audit, claim_findings, parse_window
from evsynth.audit.citations import journal_matches
from evsynth.audit.claims import Claim, check_claim, read_claims, sample_sizes
from evsynth.audit.references import parse_reference, read_references
from evsynth.audit.resolve import AMBIGUOUS, RESOLVED, UNRESOLVED, resolve
from evsynth.cli import cli
from evsynth.errors import EvsynthError, InputFileError
from evsynth.models import Author, Record
from evsynth.store.database import Store
from evsynth.tagger.tagger import Tagger
from evsynth.testing.corpus import Corpus, citation_match, term_matcher
from evsynth.testing.server import FaultPlan
from evsynth.testing.synthetic import demo_article_set

DEMO = ROOT / "demo" / "audit"
CORPUS = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
EXTRA = yaml.safe_load((DEMO / "records.yaml").read_text())["records"]
WINDOW = "2021-01-01:2025-06-01"
CASSETTE = ROOT / "cassettes" / "audit-demo.yaml"
# What demo/audit/README.md promises: (reference, check, severity) for every planted error.
PLANTED = {
    ("2", "journal", "critical"), ("2", "claim_mirna", "warning"), ("3", "year", "critical"),
    ("4", "sample_size", "warning"), ("5", "volume", "warning"), ("5", "pages", "warning"),
    ("6", "first_author", "critical"), ("6", "author_count", "warning"), ("7", "identifier", "critical"),
    ("8", "title", "warning"), ("9", "claim_gene", "warning"), ("9", "claim_treatment", "warning"),
    ("9", "claim_finding", "warning"), ("10", "notice", "warning"), ("11", "retraction", "critical"),
    ("12", "window", "critical"), ("13", "erratum", "warning"), ("14", "resolution", "warning"),
    ("15", "resolution", "critical"), ("40", "claim", "critical"),
    # the patterns of real reference lists (issue 31); 16 and 17 must raise nothing, 18 a note only
    ("18", "year", "note"), ("19", "window", "critical"), ("20", "window", "warning"), ("21", "mistitled", "critical"),
    ("22", "first_author", "warning"), ("23", "table_title", "critical"), ("23", "table_year", "critical"),
    ("23", "table_design", "critical"), ("24", "claim_gene", "note"), ("25", "claim_gene", "note"),
}  # fmt: skip
RESOLVED_AS = {
    "1": ("doi", "90000001"), "2": ("doi", "90000002"), "3": ("title", "90000003"), "4": ("ecitmatch", "90000004"),
    "5": ("title", "90000006"), "6": ("doi", "90000007"), "7": ("ecitmatch", "90000009"), "8": ("doi", "90000011"),
    "9": ("doi", "90000024"), "10": ("ecitmatch", "90000043"), "11": ("doi", "90000044"),
    "12": ("ecitmatch", "90000201"), "13": ("pmid", "90000202"), "16": ("title", "90000206"),
    "17": ("title", "90000207"), "18": ("title", "90000208"), "19": ("title", "90000209"), "20": ("ecitmatch", "90000210"),
    "22": ("ecitmatch", "90000212"), "23": ("ecitmatch", "90000213"), "24": ("ecitmatch", "90000214"),
    "25": ("ecitmatch", "90000215"),
}  # fmt: skip


def audit_corpus() -> Corpus:
    return Corpus.from_xml(demo_article_set(CORPUS, EXTRA))


@pytest.fixture
def demo_server(server_factory):  # type: ignore[no-untyped-def]
    return server_factory(audit_corpus())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- reading reference lists ---------------------------------------------------------------------------------

# One synthetic paper (demo record 90000007) cited in every supported style.
STYLES = {
    "vancouver": "1. Orrin I, Belmont C, Rowan L. GRIN2B variants and the antidepressant effect of ketamine in "
                 "treatment-resistant depression. J Synth Psychiatry. 2022 Jul;22(7):8-16. "
                 "doi:10.5555/evsynth-demo.90000007. PMID: 90000007.",
    "mdpi": "1. Orrin, I.; Belmont, C.; Rowan, L. GRIN2B variants and the antidepressant effect of ketamine in "
            "treatment-resistant depression. J. Synth. Psychiatry 2022, 22, 8\u201316. "
            "https://doi.org/10.5555/evsynth-demo.90000007 [CrossRef] [PubMed]",
    "apa": "Orrin, I., Belmont, C., & Rowan, L. (2022). GRIN2B variants and the antidepressant effect of ketamine "
           "in treatment-resistant depression. Journal of Synthetic Psychiatry, 22(7), 8\u201316. "
           "https://doi.org/10.5555/evsynth-demo.90000007",
    "ris": "TY  - JOUR\nAU  - Orrin, Ivo\nAU  - Belmont, Cleo\nAU  - Rowan, Lia\nTI  - GRIN2B variants and the "
           "antidepressant effect of ketamine in treatment-resistant depression\nT2  - J Synth Psychiatry\n"
           "PY  - 2022\nVL  - 22\nIS  - 7\nSP  - 8\nEP  - 16\nDO  - 10.5555/evsynth-demo.90000007\n"
           "AN  - 90000007\nER  - \n",
    "bibtex": "% synthetic\n@article{orrin2022,\n  author = {Orrin, Ivo and Belmont, Cleo and Rowan, Lia},\n"
              "  title = {{GRIN2B} variants and the antidepressant effect of ketamine in treatment-resistant "
              "depression},\n  journal = \"J Synth Psychiatry\",\n  year = 2022, volume = {22}, number = {7},\n"
              "  pages = {8--16}, doi = {10.5555/evsynth-demo.90000007}, pmid = {90000007}\n}\n",
}  # fmt: skip
TITLE = "GRIN2B variants and the antidepressant effect of ketamine in treatment-resistant depression"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_reads_the_same_citation(tmp_path: Path, style: str) -> None:
    [citation] = read_references(write(tmp_path / f"refs.{style}", STYLES[style]))
    assert citation.style == style
    assert citation.title == TITLE
    assert citation.authors == ("Orrin", "Belmont", "Rowan") and not citation.et_al
    assert citation.year == 2022 and citation.volume == "22" and citation.pages == "8-16"
    assert citation.doi == "10.5555/evsynth-demo.90000007"
    assert citation.pmid == ("" if style in ("mdpi", "apa") else "90000007")
    assert journal_matches(
        citation.journal, Record(journal="Journal of Synthetic Psychiatry", journal_iso="J Synth Psychiatry")
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("Arden A, Belmont B. A synthetic cohort: ketamine. J Synth Psychiatry 2022;22(7):8-16.",
     ("vancouver", ("Arden", "Belmont"), False, "A synthetic cohort: ketamine", "J Synth Psychiatry", "22", "8-16")),
    ("Arden A, Belmont B, et al A synthetic cohort. J Synth Psychiatry. 2022 Jan-Feb;22(1):8-16.",
     ("vancouver", ("Arden", "Belmont"), True, "A synthetic cohort", "J Synth Psychiatry", "22", "8-16")),
    ("Arden A. A synthetic cohort [Internet]. Synth Rep. 2021 [cited 2022 Jan 1];3(2):100-10. Available from: "
     "https://example.org/x", ("vancouver", ("Arden",), False, "A synthetic cohort", "Synth Rep", "3", "100-10")),
    ("Arden, A.; Belmont, B. A synthetic cohort. Int. J. Synth. Sci. 2023, 24(3), 1234. doi:10.5555/abc",
     ("mdpi", ("Arden", "Belmont"), False, "A synthetic cohort", "Int. J. Synth. Sci", "24", "1234")),
    ("World Synthetic Health Group. Guidance for synthetic clinics. J Synth Psychiatry. 2020;10:1-5.",
     ("vancouver", ("World Synthetic Health Group",), False, "Guidance for synthetic clinics", "J Synth Psychiatry",
      "10", "1-5")),
])  # fmt: skip
def test_style_variants(text: str, expected: tuple[object, ...]) -> None:
    c = parse_reference(text, "1")
    assert (c.style, c.authors, c.et_al, c.title, c.journal, c.volume, c.pages) == expected


def test_numbered_list_with_wrapped_lines_comments_and_et_al(tmp_path: Path) -> None:
    text = (
        "# a comment line\nReferences\n[1] Arden A, Belmont B, Corvin C, et al. A first title that wraps\n"
        "   onto a second line. J Synth Psychiatry. 2021;21:e0123.\n\n"
        "[2] Dalby D. Does it work? A second title. Synth Psychiatry Rep. 2024 Feb 1. Epub ahead of print.\n"
        "[3] Eskes E, Farrow F. Handbook of invented methods for testing. Example Press; 2020.\n"
    )
    refs = read_references(write(tmp_path / "refs.txt", text))
    assert [r.key for r in refs] == ["1", "2", "3"]
    first, second, third = refs
    assert first.title == "A first title that wraps onto a second line" and first.et_al
    assert first.pages == "e0123" and first.first_page == "e0123" and first.volume == "21"
    assert second.title == "Does it work? A second title" and second.year == 2024 and second.volume == ""
    assert third.style == "unparsed" and third.title == "Handbook of invented methods for testing"


def test_unnumbered_lists_split_on_blank_lines_or_lines(tmp_path: Path) -> None:
    blocks = (
        "Arden A. One title here. J Synth Psychiatry. 2021;1:1-2.\n\n"
        "Belmont B. Another title\nwrapped. J Synth Psychiatry. 2022;2:3-4.\n"
    )
    assert [r.title for r in read_references(write(tmp_path / "a.txt", blocks))] == [
        "One title here",
        "Another title wrapped",
    ]
    lines = "Arden A. One title here. J Synth Psychiatry. 2021;1:1-2.\nBelmont B. Two. J S. 2022;2:3.\n"
    assert len(read_references(write(tmp_path / "b.txt", lines))) == 2


def test_the_demo_reference_list_reads_completely() -> None:
    refs = read_references(DEMO / "references.txt")
    assert [r.key for r in refs] == [str(n) for n in range(1, 26)]
    assert all(r.style == "vancouver" for r in refs[:14] + refs[15:]) and refs[14].style == "unparsed"
    assert refs[12].pmid == "90000202" and refs[5].authors == ("Belmont", "Orrin")
    assert refs[18].dates == (("epub", "2025-08-05", "2025-08-05"),) and refs[21].first_initials == "K"
    assert refs[16].journal == "Journal of Synthetic Genetics Part B: Neuropsychiatric Genetics"


@pytest.mark.parametrize(("text", "dates"), [
    ("2025 Aug 5. Epub ahead of print.", (("epub", "2025-08-05", "2025-08-05"),)),
    ("2025 Oct;198(7):1-9. Epub 2025 Jun 17.", (("issue", "2025-10", "2025-10"), ("epub", "2025-06-17", "2025-06-17"))),
    ("2022 Jan-Feb;22(1):8-16.", (("issue", "2022-01", "2022-02"),)),
    ("2021 [cited 2022 Jan 1];3(2):100-10.", ()),
    ("2025;25:211-19.", ()),
])  # fmt: skip
def test_the_dates_a_citation_states(text: str, dates: tuple[tuple[str, str, str], ...]) -> None:
    citation = parse_reference(f"Arden A, Belmont B. A synthetic cohort of people. J Synth Psychiatry. {text}", "1")
    assert citation.dates == dates


@pytest.mark.parametrize(("cited", "record", "matches"), [
    ("Am J Med Genet B Neuropsychiatr Genet", "American journal of medical genetics. Part B, Neuropsychiatric "
     "genetics : the official publication of the International Society of Psychiatric Genetics", True),
    ("American Journal of Medical Genetics Part B: Neuropsychiatric Genetics", "American journal of medical "
     "genetics. Part B, Neuropsychiatric genetics : the official publication", True),
    ("Psychiatriki", "Psychiatrike = Psychiatriki", True),
    ("Proc Natl Acad Sci U S A", "Proceedings of the National Academy of Sciences of the United States of America",
     True),
    ("Am J Med Genet A", "American journal of medical genetics. Part B, Neuropsychiatric genetics", False),
    ("Genes", "World journal of psychiatry", False),
    ("Mol Psychiatry", "Translational psychiatry", False),
])  # fmt: skip
def test_journal_names_as_nlm_writes_them(cited: str, record: str, matches: bool) -> None:
    """Titles with alternates, "Part B" and subtitles, and ISO 4 contractions ("Natl") are the same journal; a
    genuine mismatch stays one. The names are invented or as NLM lists real journals (a name is no text)."""
    assert journal_matches(cited, Record(journal=record)) is matches


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty file"),
    ("\n\n   \n", "only blank lines"),
    ("@article{a, title = {never closed\n", "never closed"),
    ("@article{a, title={x}}\n@article{a, title={y}}\n", "reference 'a' appears more than once"),
    ("TY  - JOUR\nTI  - no end\n", "no 'ER  -' line"),
])  # fmt: skip
def test_bad_reference_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        read_references(write(tmp_path / "refs.txt", text))


# -- the local server's citation lookups ---------------------------------------------------------------------


def test_server_matches_doi_title_and_citation_lines() -> None:
    record = Record(
        pmid="90000007",
        doi="10.5555/A.7",
        title="GRIN2B variants and ketamine",
        journal="J Synth X",
        journal_iso="J Synth X",
        pub_year=2022,
        volume="22",
        pages="8-16",
        authors=(Author(last_name="Orrin"),),
    )
    other = Record(
        pmid="90000008",
        doi="10.5555/a.8",
        title="Other",
        pub_year=2022,
        journal="J Synth X",
        volume="22",
        pages="8-9",
        authors=(Author(last_name="Pell"),),
    )
    assert term_matcher('"10.5555/a.7"[aid] OR "10.5555/zzz"[aid]')(record)  # type: ignore[misc]
    assert term_matcher("grin2b[ti] AND ketamine[ti]")(record)  # type: ignore[misc]
    assert not term_matcher("grin2b[ti] AND lithium[ti]")(record)  # type: ignore[misc]
    assert term_matcher("(ketamine[tiab] OR esketamine[tiab]) AND humans[mh]") is None
    assert citation_match([record, other], "J Synth X|2022|22|8|Orrin|k1|").endswith("|k1|90000007")
    assert citation_match([record, other], "J Synth X|2022|22|8||k2|").endswith("|k2|AMBIGUOUS 90000007,90000008")
    assert citation_match([record, other], "J Synth X|2023|22|8|Orrin|k3|").endswith("|k3|NOT_FOUND")


# -- resolving -----------------------------------------------------------------------------------------------


def test_resolution_of_every_planted_case(demo_server) -> None:  # type: ignore[no-untyped-def]
    citations = read_references(DEMO / "references.txt")
    client = fast_client(demo_server.url)
    result = resolve(citations, client)
    got = {k: (r.method, r.pmid) for k, r in result.resolutions.items() if r.status == RESOLVED}
    assert got == RESOLVED_AS
    ambiguous, unresolved = result.resolutions["14"], result.resolutions["15"]
    assert ambiguous.status == AMBIGUOUS and ambiguous.pmid == ""
    assert {p for p, _ in ambiguous.candidates} == {"90000204", "90000205"}
    assert unresolved.status == UNRESOLVED and "no candidate scores 0.85" in unresolved.notes[-1]
    assert "leads to PMID 90000010, another paper" in result.resolutions["7"].notes[0]
    assert result.resolutions["3"].confidence == pytest.approx(0.9)  # title 1.0, year wrong, author right
    # one DOI search for all DOIs and one ECitMatch call for all that were left
    endpoints = [endpoint for endpoint, _ in demo_server.corpus.requests]
    assert endpoints.count("ecitmatch.cgi") == 1
    assert client.stats.requests == len(endpoints) <= 28
    # 21's title and journal are another paper's, whose first author published it that year: probable, not taken
    mistitled = result.resolutions["21"]
    assert mistitled.status == UNRESOLVED and mistitled.probable is not None and mistitled.probable[0] == "90000211"


def test_resolution_survives_server_faults(server_factory) -> None:  # type: ignore[no-untyped-def]
    citations = read_references(DEMO / "references.txt")
    server = server_factory(audit_corpus(), FaultPlan(rate=0.3, kinds=("429", "503", "drop", "empty"), seed=5))
    result = resolve(citations, fast_client(server.url))
    assert {k: (r.method, r.pmid) for k, r in result.resolutions.items() if r.status == RESOLVED} == RESOLVED_AS
    assert sum(server.injected.values()) > 0


# -- claims --------------------------------------------------------------------------------------------------


def test_claims_table_reading_and_errors(tmp_path: Path) -> None:
    claims = read_claims(DEMO / "claims.csv")
    assert [c.key for c in claims] == ["1", "2", "3", "4", "9", "12", "23", "24", "25", "40"]
    assert claims[6].table("year") == "2025" and claims[6].table("design") == "pharmacogenomic association study"
    assert dict(claims[0].entities)["variant"] == ("Val66Met", "rs6265") and claims[0].sample_size == 112
    tsv = read_claims(write(tmp_path / "c.tsv", "Reference\tmiRNAs\tN\n[3]\tmiR-29a, miR-29c\t1,200\n"))
    assert tsv[0].key == "3" and dict(tsv[0].entities)["mirna"] == ("miR-29a", "miR-29c")
    assert tsv[0].sample_size == 1200
    for text, message in (
        ("genes\nBDNF\n", "no reference column"),
        ("ref,notes\n1,x\n", "no claim column"),
        ("ref,n\n1,about 50\n", "row 2: sample_size 'about 50'"),
        ("ref,genes\n1,A\n1,B\n", "row 3: reference 1 already has a row"),
        ("ref,year\n1,2025a\n", "row 2: year '2025a' is not a year"),
        ("", "empty"),
    ):
        with pytest.raises(InputFileError, match=message):
            read_claims(write(tmp_path / "bad.csv", text))


def test_claim_check_normalises_families_members_and_words() -> None:
    tagger = Tagger()
    text = (
        "Serum miR-29a and miR-29c of the miR-29 family and the TrkB receptor in 60 cases and 60 controls "
        "treated with ketamine."
    )
    claim = Claim(
        "1",
        1,
        (
            ("mirna", ("miR-29a/c", "miR-29", "miR-132")),
            ("gene", ("NTRK2",)),
            ("treatment", ("esketamine", "an unlisted drug")),
        ),
        120,
        "ketamine raised miR-124",
    )
    check = check_claim(claim, text, tagger.tag(text), tagger)
    found = {e.claimed: e.found for e in check.entities}
    assert found == {
        "miR-29a/c": True,
        "miR-29": True,
        "miR-132": False,
        "NTRK2": True,
        "esketamine": False,
        "an unlisted drug": False,
    }
    assert ("treatment", "ketamine") in check.omitted
    assert not any(kind == "mirna" for kind, _ in check.omitted)  # the miR-29 family is the claimed members'
    assert check.abstract_sizes == (60,) and check.finding_unsupported == ("miR-124",)
    assert not any(e.unknown for e in check.entities)
    invented = check_claim(
        Claim("2", 2, (("mirna", ("miR-9999z",)),)),
        "Serum miR-9999z in 30 patients.",
        tagger.tag("Serum miR-9999z in 30 patients."),
        tagger,
    )
    assert [(e.found, e.unknown) for e in invented.entities] == [(True, True)]
    assert [f.message for f in claim_findings(invented)] == ["microRNA 'miR-9999z' is not in miRBase"]


def test_a_title_near_several_records_is_unresolved_with_its_nearest(demo_server) -> None:  # type: ignore[no-untyped-def]
    [citation] = read_references(
        write(
            Path("near.txt"),
            "1. Pell Q. GRIN2B variants and lithium response in bipolar disorder. Synth Rep. 2019;3:1-2.\n",
        )
    )
    resolution = resolve([citation], fast_client(demo_server.url)).resolutions["1"]
    assert resolution.status == UNRESOLVED and resolution.candidates
    assert resolution.candidates[0][1] < 0.85 and "no candidate scores 0.85" in resolution.notes[-1]
    assert sample_sizes("In 1,204 participants (n = 48 responders) and 112 adults with TRD") == (1204, 48, 112)


# -- the whole audit -----------------------------------------------------------------------------------------


def _findings(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_audit_finds_every_planted_error(runner: CliRunner, demo_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "audit"
    result = runner.invoke(
        cli,
        [
            "audit",
            str(DEMO / "references.txt"),
            "--claims",
            str(DEMO / "claims.csv"),
            "--window",
            WINDOW,
            "--out",
            str(out),
            "--eutils-url",
            demo_server.url,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _findings(out / "audit.csv")
    found = {(r["ref"], r["check"], r["severity"]) for r in rows}
    assert found >= PLANTED, PLANTED - found
    criticals = {(r["ref"], r["check"]) for r in rows if r["severity"] == "critical"}
    assert criticals == {(ref, check) for ref, check, severity in PLANTED if severity == "critical"}
    warnings = {(r["ref"], r["check"]) for r in rows if r["severity"] == "warning"}
    assert warnings == {(ref, check) for ref, check, severity in PLANTED if severity == "warning"}
    assert {r["ref"] for r in rows} == {str(n) for n in range(1, 26)} | {"40"}  # every reference has a row
    # the false alarms of real lists stay quiet: an alternate journal title, a "Part B" journal, an e-pub year
    assert {r["check"] for r in rows if r["ref"] in ("16", "17")} == {"all"}
    assert "audit: 25 references: 22 resolved, 1 ambiguous, 2 unresolved; 13 critical, 14 warning(s)" in result.output
    markdown = (out / "audit.md").read_text()
    sections = [markdown.index(h) for h in ("## Critical (13)", "## Warnings (14)", "## Notes", "## Claims checked")]
    assert sections == sorted(sections)
    critical_part = markdown[sections[0] : sections[1]]
    assert "[11] Belmont et al. A single microRNA" in critical_part and "retracted" in critical_part
    assert "| 4 | miR-132/212, ECT | - | - | 60 | 62 |" in markdown
    # resolved records joined the store as an audit run, and were tagged there
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        assert conn.execute("SELECT kind, status FROM runs").fetchall() == [("audit", "complete")]
        pmids = {row[0] for row in conn.execute("SELECT pmid FROM records")}
        assert pmids == {pmid for _, pmid in RESOLVED_AS.values()}
        assert conn.execute("SELECT count(DISTINCT record_id) FROM tagged").fetchone()[0] == len(pmids)


def test_offline_replay_of_the_bundled_cassette_matches_the_server(
    runner: CliRunner,
    demo_server,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    args = ["audit", str(DEMO / "references.txt"), "--claims", str(DEMO / "claims.csv"), "--window", WINDOW]
    live = runner.invoke(cli, [*args, "--out", str(tmp_path / "live"), "--eutils-url", demo_server.url])
    replay = runner.invoke(cli, [*args, "--out", str(tmp_path / "replay"), "--replay", str(CASSETTE)])
    assert live.exit_code == replay.exit_code == 0, replay.output
    assert _findings(tmp_path / "live" / "audit.csv") == _findings(tmp_path / "replay" / "audit.csv")


def test_recorded_audit_keeps_no_secrets(
    runner: CliRunner,
    demo_server,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", "sekret-key-123")
    monkeypatch.setenv("NCBI_EMAIL", "someone@example.org")
    cassette = tmp_path / "audit.yaml"
    result = runner.invoke(
        cli,
        [
            "audit",
            str(DEMO / "references.txt"),
            "--out",
            str(tmp_path / "o"),
            "--eutils-url",
            demo_server.url,
            "--record",
            str(cassette),
        ],
    )
    assert result.exit_code == 0, result.output
    sent = [params for endpoint, params in demo_server.corpus.requests if endpoint == "ecitmatch.cgi"]
    assert sent and sent[0]["api_key"] == "sekret-key-123"  # the key was really sent, with the GET too
    text = cassette.read_text()
    assert "ecitmatch.cgi" in text and "sekret" not in text and "someone" not in text


def test_audit_joins_an_existing_review_store(demo_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    citations = read_references(DEMO / "references.txt")[:2]
    with Store.open(tmp_path / "review.sqlite") as store:
        first = audit(citations, store, fast_client(demo_server.url), window=parse_window(WINDOW))
        again = audit(citations, store, fast_client(demo_server.url))
        assert store.count_records() == 2 and [r["kind"] for r in store.runs()] == ["audit", "audit"]
    assert first.counts()["critical"] == 1 and again.window is None


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(("extra", "message"), [
    (["--window", "2021-01-01"], "--window '2021-01-01': expected START:END"),
    (["--window", "2025-01-01:2021-01-01"], "ends before it starts"),
    (["--window", "2021-13-01:2022"], "dates must be YYYY"),
    (["--claims", "missing.csv"], "missing.csv: file not found"),
    (["--claims", "bad-claims.csv"], "bad-claims.csv: no reference column"),
    (["--replay", "nothing.yaml"], "nothing.yaml: cassette not found"),
])  # fmt: skip
def test_bad_input_is_one_line_and_keeps_earlier_outputs(
    runner: CliRunner, tmp_path: Path, extra: list[str], message: str
) -> None:
    write(tmp_path / "bad-claims.csv", "genes\nBDNF\n")
    out = tmp_path / "audit"
    base = ["audit", str(DEMO / "references.txt"), "--out", str(out), "--replay", str(CASSETTE)]
    assert runner.invoke(cli, base).exit_code == 0
    before = _digests(out)
    result = runner.invoke(cli, [*base, *extra])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and message in result.output and "Traceback" not in result.output
    assert _digests(out) == before


def test_missing_reference_file_and_conflicting_flags(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["audit", "nowhere.txt"])
    assert result.exit_code == 1 and "nowhere.txt: file not found" in result.output
    assert not (tmp_path / "output").exists()
    flags = runner.invoke(cli, ["audit", str(DEMO / "references.txt"), "--replay", "a", "--record", "b"])
    assert flags.exit_code == 2 and "cannot be used together" in flags.output


def test_window_parsing() -> None:
    import datetime as dt

    assert parse_window("2021:2025-06") == (dt.date(2021, 1, 1), dt.date(2025, 6, 30))
    with pytest.raises(EvsynthError):
        parse_window("soon:later")


def test_real_records_cited_correctly_raise_no_false_critical() -> None:
    """Every real PubMed record in ../shared/data that has a title, journal, year and first author, cited in
    Vancouver style with each of its journal names (ISO abbreviation, MedlineTA, full NLM title, alternates
    included): no critical finding but the retractions the records carry. Before issue 31, 72 of these 723
    citations got a false critical `journal` ("J. Med. Chem." read as "Chem"; "Am J Physiol. Heart ..." read
    as "Heart ...") and one was misread as APA ("J Appl Physiol (1985). 2002;...")."""
    from evsynth.audit.citations import compare
    from evsynth.formats.pubmed_xml import iter_pubmed_xml

    data = shared_data() / "pubmed"
    files = [*sorted((data / "metapub" / "pmid_xml").glob("*.xml")), *sorted((data / "pubmed_client" /
             "pubmed_xml").glob("*.xml")), data / "nlm_samples" / "pubmedsample_2019.xml.gz"]  # fmt: skip
    records = [r for path in files for r in iter_pubmed_xml(path)
               if r.title and r.journal and r.pub_year and r.authors and r.authors[0].last_name]  # fmt: skip
    assert len(records) > 300
    cited = 0
    for record in records:
        names = ", ".join(f"{a.last_name} {a.initials}" for a in record.authors[:3] if a.last_name)
        for journal in {record.journal_iso, record.journal_medline, record.journal} - {""}:
            text = (f"{names}{', et al' if len(record.authors) > 3 else ''}. {record.title.rstrip('.')}. {journal}. "
                    f"{record.pub_year};{record.volume}({record.issue}):{record.pages}.")  # fmt: skip
            criticals = {f.check for f in compare(parse_reference(text, "1"), record, None) if f.severity == "critical"}
            assert criticals <= ({"retraction"} if record.is_retracted else set()), (record.pmid, journal, criticals)
            cited += 1
    assert cited > 700
