"""The included records as evidence: bibliographic fields, design, sample size and stored mentions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from evsynth.annotations.merge import merged_mentions
from evsynth.formats.annotations import record_document
from evsynth.models import Mention, display_name
from evsynth.protocol.extraction import ExtractionPolicy
from evsynth.protocol.loader import Protocol
from evsynth.store.database import Store
from evsynth.store.decisions import ReviewState
from evsynth.store.records import record_rows
from evsynth.synthesis.design import Design, classify


@dataclass
class EvidenceRecord:
    """One included record and what was tagged in it."""

    key: str  # the PMID, or the store's record key for records without one
    pmid: str | None
    title: str
    text: str  # title and abstract as tagged (mention offsets point into it)
    year: int | None
    first_author: str
    doi: str | None
    pub_types: tuple[str, ...]
    design: Design
    mentions: list[Mention] = field(default_factory=list)

    @property
    def citation(self) -> str:
        """ "Smith J 2022" style, for tables."""
        return " ".join(part for part in (self.first_author, str(self.year or "")) if part) or self.key

    @property
    def reference(self) -> str:
        """How a record without a PMID is named to people: first author, year and short title (never the
        store's key)."""
        short = self.title if len(self.title) <= 80 else self.title[:77] + "..."
        return f"{self.citation}, {short}" if self.citation != self.key else short


def pubmed_address(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def doi_address(doi: str) -> str:
    return f"https://doi.org/{quote(doi, safe='/:;()')}"


def author_name(author: dict[str, Any]) -> str:
    """A stored author (JSON) as :func:`evsynth.models.display_name` writes it."""
    return display_name(
        author.get("last_name") or "", author.get("initials") or "", author.get("collective_name") or ""
    )


def first_author_of(authors_json: str | None) -> str:
    """The first author of a stored authors list (JSON), as the tables show it."""
    authors = json.loads(authors_json or "[]")
    return author_name(authors[0]) if authors else ""


def load_evidence(
    store: Store, record_ids: Iterable[int], policy: ExtractionPolicy | None = None
) -> list[EvidenceRecord]:
    """The records with their mentions (evsynth's, or merged with PubTator3's as ``policy`` says), in record-key
    order; two queries per 900 records."""
    ids = sorted(set(record_ids))
    records: dict[int, EvidenceRecord] = {}
    columns = ("id", "pmid", "record_key", "title", "abstract", "pub_year", "doi", "authors", "pub_types")
    for row in record_rows(store, columns, ids):
        doc = record_document(row["pmid"] or row["record_key"], row["title"] or "", row["abstract"] or "")
        pub_types = tuple(json.loads(row["pub_types"] or "[]"))
        records[row["id"]] = EvidenceRecord(
            key=row["pmid"] or row["record_key"], pmid=row["pmid"], title=row["title"] or "", text=doc.text,
            year=row["pub_year"], first_author=first_author_of(row["authors"]), doi=row["doi"],
            pub_types=pub_types, design=classify(row["title"] or "", row["abstract"] or "", pub_types),
        )  # fmt: skip
    policy = policy or ExtractionPolicy()
    for record_id, mention in merged_mentions(store, ids, policy):
        if policy.keeps(mention):  # the protocol's min_confidence
            records[record_id].mentions.append(mention)
    return sorted(records.values(), key=lambda r: (len(r.key), r.key))


@dataclass(frozen=True)
class ExcludedStudy:
    """An excluded record as the report lists it."""

    citation: str  # first author and year
    title: str
    reason: str  # the reviewer's reason, or the first rule that excluded it
    pmid: str
    doi: str


def excluded_studies(protocol: Protocol, store: Store, state: ReviewState) -> list[ExcludedStudy]:
    """The review's excluded records with the reason each was excluded for, by first author and year."""
    criteria = protocol.criteria
    decided = {rid: row for rid, row in state.decisions.items() if row["decision"] == "exclude"}
    found = []
    for row in record_rows(store, ("id", "pmid", "doi", "title", "pub_year", "authors"), decided):
        decision = decided[row["id"]]
        names = json.loads(decision["reasons"] or "[]")
        rule = criteria.label(names[0]) if criteria is not None and names else "excluded by the rules"
        citation = " ".join(part for part in (first_author_of(row["authors"]), str(row["pub_year"] or "")) if part)
        found.append(ExcludedStudy(citation, row["title"] or "", decision["override_reason"] or rule,
                                   row["pmid"] or "", row["doi"] or ""))  # fmt: skip
    return sorted(found, key=lambda study: (study.citation, study.title))
