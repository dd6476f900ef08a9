"""Frozen, typed values that cross stage boundaries.

A :class:`Record` is one bibliographic record, whichever source it came from
(E-utilities efetch, a PubMed XML file, MEDLINE, RIS, Scopus CSV). Fields a
source does not provide are empty (``""``, ``None`` or ``()``). Dates are ISO
strings, as precise as the source allows ("2021", "2021-03", "2021-03-05").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalize_doi(doi: str | None) -> str:
    """Return a DOI in the canonical comparable form (lower case, no resolver prefix).

    >>> normalize_doi(" https://doi.org/10.1000/ABC.1 ")
    '10.1000/abc.1'
    """
    if not doi:
        return ""
    text = _DOI_PREFIX.sub("", doi.strip()).strip().rstrip(".")
    return text.lower() if text.startswith("10.") else ""


_PMID = re.compile(r"^(?:pmid:?\s*)?(0*\d{1,9})$", re.IGNORECASE)


def parse_identifier(text: str) -> tuple[str, str] | None:
    """A PMID or a DOI as typed, as ``("pmid", PMID)`` or ``("doi", normalised DOI)``; None when it is neither.

    >>> parse_identifier("PMID: 0090000001"), parse_identifier("https://doi.org/10.5555/X"), parse_identifier("x")
    (('pmid', '90000001'), ('doi', '10.5555/x'), None)
    """
    value = text.strip()
    if found := _PMID.match(value):
        return "pmid", str(int(found.group(1)))
    doi = normalize_doi(value)
    return ("doi", doi) if doi else None


def iso_day(iso: str, *, last: bool = False) -> dt.date | None:
    """The first (or last) day of a partial ISO date ("2021", "2021-03", "2021-03-05"); None for "".

    Raises:
        ValueError: not such a date.
    """
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        if not last:
            return dt.date(parts[0], parts[1], 1)
        following = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31) if last else dt.date(parts[0], 1, 1)


@dataclass(frozen=True, slots=True)
class MeshHeading:
    """A MeSH heading: descriptor, whether it is a major topic, and its qualifiers."""

    ui: str
    name: str
    major: bool = False
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Chemical:
    """An entry of the record's ChemicalList."""

    ui: str
    name: str
    registry_number: str = ""


@dataclass(frozen=True, slots=True)
class Author:
    """An author (a person or a collective) with affiliations."""

    last_name: str = ""
    fore_name: str = ""
    initials: str = ""
    collective_name: str = ""
    affiliations: tuple[str, ...] = ()
    orcid: str = ""

    @property
    def display_name(self) -> str:
        """Return "Last FI" style name, or the collective name."""
        return display_name(self.last_name, self.initials, self.collective_name)


def display_name(last_name: str, initials: str = "", collective_name: str = "") -> str:
    """An author as lists of references name them: "Selby D", or the collective name. The one way evsynth
    writes an author (records.csv, evidence tables, changes, audit)."""
    return collective_name or f"{last_name} {initials}".strip()


def is_retracted(pub_types: Iterable[str], comment_types: Iterable[str]) -> bool:
    """Whether PubMed marks a record retracted: the publication type, or a RetractionIn link. The one test
    screening, records.csv, changes and the audit use."""
    return "Retracted Publication" in pub_types or "RetractionIn" in comment_types


@dataclass(frozen=True, slots=True)
class CommentCorrection:
    """A CommentsCorrections link (erratum, retraction, comment, update)."""

    ref_type: str
    ref_source: str = ""
    pmid: str = ""


ERRATUM_TYPES = frozenset({"ErratumIn", "ErratumFor", "CorrectedandRepublishedIn"})


@dataclass(frozen=True, slots=True)
class Record:
    """One bibliographic record.

    ``raw`` holds the record's original bytes when the parser was asked to keep
    them; it takes no part in equality or ``repr``.
    """

    pmid: str = ""
    source: str = "pubmed"
    doi: str = ""
    pmcid: str = ""
    title: str = ""
    abstract: str = ""
    journal: str = ""
    journal_iso: str = ""
    journal_medline: str = ""  # NLM's MedlineTA ("Am J Med Genet B Neuropsychiatr Genet"), PubMed XML only
    volume: str = ""
    issue: str = ""
    pages: str = ""
    pub_year: int | None = None
    pub_date: str = ""
    pub_date_text: str = ""
    electronic_date: str = ""
    entrez_date: str = ""
    revised_date: str = ""
    languages: tuple[str, ...] = ()
    pub_types: tuple[str, ...] = ()
    mesh: tuple[MeshHeading, ...] = ()
    chemicals: tuple[Chemical, ...] = ()
    keywords: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    status: str = ""
    source_id: str = ""
    raw: bytes = field(default=b"", compare=False, repr=False)

    @property
    def doi_normalized(self) -> str:
        """The DOI in comparable form."""
        return normalize_doi(self.doi)

    @property
    def is_retracted(self) -> bool:
        """Whether PubMed marks this record as retracted."""
        return is_retracted(self.pub_types, (c.ref_type for c in self.comments_corrections))

    @property
    def first_author(self) -> str:
        """The first author's display name, or ""."""
        return self.authors[0].display_name if self.authors else ""


@dataclass(frozen=True, slots=True)
class Slice:
    """One esearch date slice that fits PubMed's 9,999-id limit."""

    start: str
    end: str
    count: int
    pmid_range: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a criterion fired (or could not be decided): the field read and what it held.

    For text, ``value`` is the matched span and ``start``/``end`` its offsets in the
    field; for other fields (language, publication type, MeSH, date) ``value`` is the
    field value and the offsets are -1.
    """

    criterion: str
    field: str
    value: str
    start: int = -1
    end: int = -1

    def describe(self) -> str:
        """One readable line, e.g. ``animal-only: abstract 'mice' [12:16]``."""
        where = f" [{self.start}:{self.end}]" if self.start >= 0 else ""
        return f"{self.criterion}: {self.field} '{self.value}'{where}"


@dataclass(frozen=True, slots=True)
class Decision:
    """A screening decision for one record.

    ``reasons`` are criterion names: for ``exclude`` the exclusion criteria that fired
    and then the inclusion criteria that failed (protocol order; the first is the
    reason PRISMA counts); for ``uncertain`` the criteria that could not be decided;
    for ``include`` the inclusion criteria that held.
    """

    decision: str
    reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    @property
    def is_included(self) -> bool:
        """Whether the record is included."""
        return self.decision == "include"


@dataclass(frozen=True, slots=True)
class Mention:
    """One tagged entity mention: ``text == source[start:end]``.

    ``id`` is the normalised identifier: the NCBI Gene id for a gene, ``FPLX:<id>`` for a family, the rsID or HGVS
    form for a variant when there is one, the miRBase-style name(s) for a microRNA (``;`` joins the members of a
    composite such as miR-132/212), the MeSH (``MESH:D...``) or ``evsynth:`` id for a treatment. ``attrs`` holds
    the rest (``hgnc``, ``symbol``, ``members``, ``family``, ``gene``, ``alleles``, ``mesh``, ``modality`` ...).
    """

    start: int
    end: int
    text: str
    type: str
    id: str | None
    sentence: int
    attrs: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "type": self.type,
            "id": self.id,
            "sentence": self.sentence,
        }
        out.update(self.attrs)
        return out
