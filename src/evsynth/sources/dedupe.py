"""Duplicate detection across sources and runs: PMID, DOI, then fuzzy title + year.

* **PMID**: records with the same PMID are one row already (the store keys them
  so); sightings by several sources are duplicates of that row.
* **DOI**: normalised DOIs (lower case, no resolver prefix) that are equal.
* **Title**: titles folded to lower-case letters and digits, compared with
  rapidfuzz's ``ratio`` (>= ``threshold``, default 95) within the same or an
  adjacent publication year (an epub and its print issue can straddle a year).

Two records with different PMIDs are never merged (PubMed says they are two
records), nor two records with different DOIs. Each cluster gets one primary
record: the richest source (PubMed XML > MEDLINE > RIS/Scopus), then the one with
an abstract, then the oldest in the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from evsynth.store.database import Store
from evsynth.store.records import record_rows
from evsynth.text import fold


def fold_title(title: str) -> str:
    """Fold a title for comparison (:func:`evsynth.text.fold`).

    >>> fold_title("[BDNF Val66Met and ketamine]: a Study.")
    'bdnf val66met and ketamine a study'
    """
    return fold(title)


@dataclass(frozen=True)
class Candidate:
    """The fields de-duplication looks at."""

    id: int
    pmid: str
    doi: str
    title: str
    year: int | None
    rank: int
    has_abstract: bool


class _UnionFind:
    def __init__(self, items: Iterable[Candidate]) -> None:
        self.parent = {c.id: c.id for c in items}
        self.members: dict[int, list[int]] = {i: [i] for i in self.parent}

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            if len(self.members[root_a]) < len(self.members[root_b]):
                root_a, root_b = root_b, root_a
            self.parent[root_b] = root_a
            self.members[root_a] += self.members.pop(root_b)


def _compatible(group: list[Candidate], other: list[Candidate]) -> bool:
    """Whether two clusters may merge (no two distinct PMIDs, no two distinct DOIs)."""
    pmids = {c.pmid for c in group + other if c.pmid}
    dois = {c.doi for c in group + other if c.doi}
    return len(pmids) <= 1 and len(dois) <= 1


def find_duplicates(candidates: list[Candidate], *, threshold: float = 95.0) -> dict[int, tuple[int, str | None]]:
    """Cluster ``candidates``; return record id -> (primary id, reason or None for a primary)."""
    by_id = {c.id: c for c in candidates}
    clusters = _UnionFind(candidates)
    reasons: dict[int, str] = {}

    def merge(a: int, b: int, reason: str) -> None:
        root_a, root_b = clusters.find(a), clusters.find(b)
        if root_a == root_b:
            return
        group_a = [by_id[i] for i in clusters.members[root_a]]
        group_b = [by_id[i] for i in clusters.members[root_b]]
        if _compatible(group_a, group_b):
            clusters.union(a, b)
            reasons.setdefault(b, reason)
            reasons.setdefault(a, reason)

    by_doi: dict[str, list[int]] = defaultdict(list)
    for candidate in candidates:
        if candidate.doi:
            by_doi[candidate.doi].append(candidate.id)
    for ids in by_doi.values():
        for other in ids[1:]:
            merge(ids[0], other, "doi")

    # Fuzzy titles: only records without a PMID need comparing (two PubMed records are distinct).
    by_year: dict[int | None, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.title:
            by_year[candidate.year].append(candidate)
    for candidate in candidates:
        if candidate.pmid or not candidate.title:
            continue
        pool = [c for y in _years(candidate.year) for c in by_year.get(y, []) if c.id != candidate.id]
        if not pool:
            continue
        matches = process.extract(
            candidate.title, [c.title for c in pool], scorer=fuzz.ratio, score_cutoff=threshold, limit=5
        )
        for _, _, index in matches:
            merge(pool[index].id, candidate.id, "title")

    result: dict[int, tuple[int, str | None]] = {}
    for root, members in clusters.members.items():
        del root
        group = sorted((by_id[i] for i in members), key=lambda c: (-c.rank, not c.has_abstract, c.id))
        primary = group[0].id
        for member in group:
            result[member.id] = (primary, None if member.id == primary else reasons.get(member.id, "title"))
    return result


def _years(year: int | None) -> tuple[int | None, ...]:
    return (year,) if year is None else (year, year - 1, year + 1)


def deduplicate(store: Store, *, threshold: float = 95.0) -> dict[str, int]:
    """Cluster every record in ``store`` and save the clusters; return counts by reason."""
    candidates = [
        Candidate(
            id=row["id"],
            pmid=row["pmid"] or "",
            doi=row["doi_norm"] or "",
            title=fold_title(row["title"] or ""),
            year=row["pub_year"],
            rank=row["source_rank"],
            has_abstract=bool(row["abstract"]),
        )
        for row in record_rows(store, ("id", "pmid", "doi_norm", "title", "pub_year", "source_rank", "abstract"))
    ]
    clusters = find_duplicates(candidates, threshold=threshold)
    store.set_clusters((record_id, primary, reason) for record_id, (primary, reason) in clusters.items())
    counts: dict[str, int] = defaultdict(int)
    for _, reason in clusters.values():
        counts[reason or "primary"] += 1
    return dict(counts)
