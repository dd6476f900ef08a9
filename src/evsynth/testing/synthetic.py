"""Synthetic PubMed records for the demo, tests and benchmarks. None of them is a real paper.

:func:`article_xml` builds one ``PubmedArticle`` in the 2025 DTD layout from a
plain mapping (the shape used by ``demo/corpus.yaml``); :func:`generated_corpus`
makes any number of distinct records on the fly, with PMIDs from 90000001 up.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from lxml import etree
from lxml.builder import E

FIRST_PMID = 90_000_001
SURNAMES = (
    "Arden", "Belmont", "Corvin", "Dalby", "Eskes", "Farrow", "Galen", "Harte", "Iverly", "Jansky",
    "Kestrel", "Lorne", "Marlow", "Norwood", "Orrin", "Pell", "Quill", "Rowan", "Selby", "Tarrant",
)  # fmt: skip
GIVEN = ("Ada", "Bo", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Juno", "Kai", "Lia")
# MeSH descriptor UIs for the headings the demo corpus uses (others are written without a UI).
MESH_UI = {
    "Humans": "D006801", "Animals": "D000818", "Mice": "D051379", "Rats": "D051381", "Male": "D008297",
    "Female": "D005260", "Adult": "D000328", "Middle Aged": "D008875", "Ketamine": "D007649",
    "Depression": "D003863", "Depressive Disorder, Major": "D003865",
    "Depressive Disorder, Treatment-Resistant": "D061218", "Electroconvulsive Therapy": "D004565",
    "Transcranial Magnetic Stimulation": "D050781", "MicroRNAs": "D035683",
    "Polymorphism, Single Nucleotide": "D020641", "Brain-Derived Neurotrophic Factor": "D019208",
    "Pharmacogenetics": "D010597", "Genome-Wide Association Study": "D055106",
    "Antidepressive Agents": "D000928", "DNA Methylation": "D019175",
    "Receptors, N-Methyl-D-Aspartate": "D016194",
}  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(tag: str, day: dt.date, *, month_name: bool = False, **attrs: str) -> Any:
    month = _MONTHS[day.month - 1] if month_name else f"{day.month:02d}"
    return E(tag, E.Year(str(day.year)), E.Month(month), E.Day(f"{day.day:02d}"), **attrs)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _authors(pmid: int, count: int = 3) -> Any:
    rng = random.Random(pmid)
    authors = []
    for _ in range(count):
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        authors.append(
            E.Author(
                E.LastName(surname),
                E.ForeName(given),
                E.Initials(given[0]),
                E.AffiliationInfo(E.Affiliation("Department of Synthetic Psychiatry, Example University.")),
                ValidYN="Y",
            )  # fmt: skip
        )
    return E.AuthorList(*authors, CompleteYN="Y")


def author_names(pmid: int) -> list[str]:
    """The synthetic authors of record ``pmid`` as "Last, Given" strings."""
    return [f"{a.findtext('LastName')}, {a.findtext('ForeName')}" for a in _authors(pmid).iter("Author")]


def _abstract(value: Any) -> Any:
    if not value:
        return None
    if isinstance(value, Mapping):
        parts = [E.AbstractText(str(text), Label=str(label).upper(), NlmCategory=str(label).upper())
                 for label, text in value.items()]  # fmt: skip
        return E.Abstract(*parts)
    return E.Abstract(E.AbstractText(str(value)))


def article_xml(entry: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> bytes:
    """Build one ``PubmedArticle`` from a mapping (keys as in ``demo/corpus.yaml``)."""
    item = {**(defaults or {}), **entry}
    pmid = int(item["pmid"])
    published = _as_date(item["date"])
    epub = _as_date(item["epub"]) if item.get("epub") else None
    revised = _as_date(item.get("revised", max(published, epub or published) + dt.timedelta(days=30)))
    doi = item.get("doi") or f"10.5555/evsynth-demo.{pmid}"
    article = E.Article(
        E.Journal(
            E.JournalIssue(
                E.Volume(str(item.get("volume", published.year - 2000))),
                E.Issue(str(item.get("issue", published.month))),
                # "date_precision: year": a PubDate with the year only, as many records have
                E.PubDate(E.Year(str(published.year)))
                if item.get("date_precision") == "year"
                else _date("PubDate", published, month_name=True),
                CitedMedium="Internet",
            ),
            E.Title(item["journal"]),
            E.ISOAbbreviation(item["journal_iso"]),
        ),
        E.ArticleTitle(item["title"]),
        E.Pagination(E.MedlinePgn(str(item.get("pages", f"{pmid % 900 + 1}-{pmid % 900 + 9}")))),
        E.ELocationID(doi, EIdType="doi", ValidYN="Y"),
        PubModel="Print-Electronic" if epub else "Print",
    )
    abstract = _abstract(item.get("abstract"))
    if abstract is not None:
        article.append(abstract)
    article.append(_authors(pmid))
    article.append(E.Language(item.get("language", "eng")))
    article.append(E.PublicationTypeList(*(E.PublicationType(t) for t in item.get("types", ["Journal Article"]))))
    if epub:
        article.append(_date("ArticleDate", epub, DateType="Electronic"))
    citation = E.MedlineCitation(
        E.PMID(str(pmid), Version="1"), _date("DateRevised", revised), article,
        E.MedlineJournalInfo(E.Country("Synthetic"), E.MedlineTA(item.get("medline_ta", item["journal_iso"])),
                             E.NlmUniqueID("0")),
        Status="MEDLINE", Owner="NLM",
    )  # fmt: skip
    if item.get("comments"):
        citation.append(
            E.CommentsCorrectionsList(
                *(
                    E.CommentsCorrections(
                        E.RefSource(f"Synthetic ref {c['pmid']}"),
                        E.PMID(str(c["pmid"]), Version="1"),
                        RefType=c["type"],
                    )  # fmt: skip
                    for c in item["comments"]
                )
            )
        )
    if item.get("mesh"):
        citation.append(
            E.MeshHeadingList(
                *(
                    E.MeshHeading(E.DescriptorName(name, UI=MESH_UI.get(name, ""), MajorTopicYN="N"))
                    for name in item["mesh"]
                )  # fmt: skip
            )
        )
    if item.get("keywords"):
        citation.append(E.KeywordList(*(E.Keyword(k, MajorTopicYN="N") for k in item["keywords"]), Owner="NOTNLM"))
    entrez = epub or published
    pubmed_data = E.PubmedData(
        E.History(
            _date("PubMedPubDate", entrez, PubStatus="entrez"),
            _date("PubMedPubDate", entrez, PubStatus="pubmed"),
        ),
        E.PublicationStatus("ppublish"),
        E.ArticleIdList(E.ArticleId(str(pmid), IdType="pubmed"), E.ArticleId(doi, IdType="doi")),
    )
    return bytes(etree.tostring(E.PubmedArticle(citation, pubmed_data), encoding="utf-8"))


_TOPICS = (
    ("BDNF", "ketamine", "rs6265"), ("GRIN2B", "ketamine", "rs1805502"), ("NTRK2", "ECT", "rs1387923"),
    ("SLC6A4", "escitalopram", "5-HTTLPR"), ("COMT", "rTMS", "rs4680"), ("HTR2A", "esketamine", "rs6313"),
)  # fmt: skip
_MIRNAS = ("miR-29a", "miR-132", "miR-16", "let-7b", "miR-124", "miR-146a-5p")


def generated_entry(index: int, *, start: dt.date = dt.date(2021, 1, 1), days: int = 1612) -> dict[str, Any]:
    """The ``index``-th generated record (deterministic), dated inside ``start`` + ``days``."""
    rng = random.Random(index)
    gene, treatment, variant = _TOPICS[index % len(_TOPICS)]
    mirna = _MIRNAS[index % len(_MIRNAS)]
    n = rng.randint(20, 900)
    return {
        "pmid": FIRST_PMID + index,
        "title": f"Synthetic record {index}: {gene} {variant}, {mirna} and response to {treatment} in depression",
        "abstract": (
            f"SYNTHETIC TEST RECORD. In {n} patients with treatment-resistant depression receiving {treatment}, "
            f"the {gene} {variant} variant and serum {mirna} were measured before and after treatment."
        ),
        "date": (start + dt.timedelta(days=rng.randrange(days))).isoformat(),
        "journal": "Journal of Synthetic Psychiatry",
        "journal_iso": "J Synth Psychiatry",
        "mesh": ["Humans", "Depressive Disorder, Treatment-Resistant"],
    }


def generated_corpus(count: int, **kwargs: Any) -> Iterator[bytes]:
    """``count`` generated ``PubmedArticle`` elements (bytes), PMIDs from 90000001 up."""
    for index in range(count):
        yield article_xml(generated_entry(index, **kwargs))


def article_set(articles: Iterator[bytes] | list[bytes]) -> bytes:
    """Wrap ``PubmedArticle`` elements in an efetch-style ``PubmedArticleSet`` document."""
    return b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + b"\n".join(articles) + b"\n</PubmedArticleSet>\n"


def demo_article_set(corpus: Mapping[str, Any], extra: Iterable[Mapping[str, Any]] = ()) -> bytes:
    """The PubMed part of a demo corpus (``demo/corpus.yaml``'s shape) and ``extra`` entries, as one article set."""
    entries = [*corpus["pubmed"], *extra]
    return article_set([article_xml(entry, corpus["defaults"]) for entry in entries])
