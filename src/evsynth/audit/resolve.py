"""Resolve citations to PubMed records, never guessing silently.

The steps, each only for the citations the ones before left open:

1. the PMID written in the reference, and the DOI (all DOIs in one esearch, ``"doi"[aid] OR ...``);
2. ECitMatch (journal, year, volume, first page, first author; all citations in one call);
3. a title search (``word[ti] AND ...``, relaxed step by step), each candidate scored with rapidfuzz on its
   title, its year and its first author;
4. for a citation still unresolved: the same first author's papers of the same year (``"Name"[1au] AND
   2025[dp]``); one whose title and abstract hold most of the cited title's topic words, well ahead of any
   other, is reported as the *probable* paper. The citation stays unresolved: its title, journal and pages
   are another paper's, which is a finding, not a match.

A PMID, DOI or ECitMatch hit whose title is plainly another paper's is not taken: the reference goes on to
the next step and the conflict is kept as a note. A title candidate is taken when its score is at least
:data:`ACCEPT` and the runner-up trails it by :data:`MARGIN`; a close runner-up makes the reference
ambiguous, and a best score below :data:`ACCEPT` leaves it unresolved with its nearest candidates listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from evsynth.audit.references import Citation
from evsynth.models import Record
from evsynth.sources.dedupe import fold_title
from evsynth.sources.eutils import EUtils
from evsynth.sources.harvest import parse_efetch

RESOLVED, AMBIGUOUS, UNRESOLVED = "resolved", "ambiguous", "unresolved"
ACCEPT = 0.85  # a title-search candidate's combined score needed to resolve
MARGIN = 0.05  # how far the runner-up must trail the best candidate
AGREES = 0.90  # title similarity at which the cited title is the record's title
SAME_PAPER = 0.60  # below this title similarity, a PMID/DOI/ECitMatch hit is another paper
PROBABLE = 0.6  # share of the cited title's topic words an author-and-year candidate must hold
PROBABLE_MARGIN = 0.2  # how far the next candidate must trail it
FETCH_BATCH = 200
DOI_BATCH = 40
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "it", "of", "on", "or", "the",
    "to", "with", "without", "via", "its", "their", "after", "before", "between", "during", "vs", "versus", "not",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one citation was resolved. ``candidates`` are (PMID, score) pairs, best first."""

    key: str
    status: str
    pmid: str = ""
    method: str = ""  # pmid | doi | ecitmatch | title
    confidence: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()
    probable: tuple[str, float] | None = None  # unresolved: (PMID, topic overlap) of a likely mis-titled match


@dataclass
class ResolveResult:
    resolutions: dict[str, Resolution]
    records: dict[str, Record]  # every record fetched, by PMID
    steps: dict[str, int] = field(default_factory=dict)  # citations resolved by each method


def title_similarity(cited: str, title: str) -> float:
    """0..1: how alike two titles are, ignoring case, accents and punctuation."""
    if not cited or not title:
        return 0.0
    return float(fuzz.ratio(fold_title(cited), fold_title(title))) / 100


def surname_key(name: str) -> str:
    return fold_title(name).replace(" ", "")


def record_years(record: Record) -> set[int]:
    """The print and electronic publication years (citations use either)."""
    years = {record.pub_year} if record.pub_year else set()
    if record.electronic_date[:4].isdigit():
        years.add(int(record.electronic_date[:4]))
    return years


def candidate_score(citation: Citation, record: Record) -> float:
    """0..1: title similarity weighted 0.8, year and first author 0.1 each (0.05 when the citation lacks one)."""
    year = 0.5 if citation.year is None else float(citation.year in record_years(record))
    if not citation.first_author or not record.authors:
        author = 0.5
    else:
        author = float(
            surname_key(citation.first_author)
            == surname_key(record.authors[0].last_name or record.authors[0].collective_name)
        )
    return round(0.8 * title_similarity(citation.title, record.title) + 0.1 * year + 0.1 * author, 3)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _topic_words(record: Record) -> set[str]:
    return {_stem(w) for w in fold_title(f"{record.title} {record.abstract}").split()}


def title_terms(title: str, limit: int = 8) -> list[str]:
    """The title's most distinctive words (longest first, at most ``limit``), in title order."""
    words = [w for w in fold_title(title).split() if len(w) > 2 and w not in _STOPWORDS]
    keep = set(sorted(dict.fromkeys(words), key=len, reverse=True)[:limit])
    return [w for w in dict.fromkeys(words) if w in keep]


class Resolver:
    """Resolves citations with one E-utilities client, fetching each record once."""

    def __init__(self, client: EUtils) -> None:
        self.client = client
        self.records: dict[str, Record] = {}

    def fetch(self, pmids: Iterable[str]) -> None:
        missing = sorted({p for p in pmids if p and p not in self.records}, key=int)
        for start in range(0, len(missing), FETCH_BATCH):
            for record in self.client.efetch(missing[start : start + FETCH_BATCH], parse_efetch):
                self.records[record.pmid] = record

    def _search(self, term: str, retmax: int = 20, sort: str = "") -> list[str]:
        return list(self.client.esearch(term, retmax=retmax, usehistory=False, sort=sort).ids)

    def by_doi(self, citations: Sequence[Citation]) -> dict[str, str]:
        """DOI -> PMID for the DOIs PubMed knows."""
        dois = sorted({c.doi for c in citations if c.doi and '"' not in c.doi})
        found: list[str] = []
        for start in range(0, len(dois), DOI_BATCH):
            chunk = dois[start : start + DOI_BATCH]
            found += self._search(" OR ".join(f'"{doi}"[aid]' for doi in chunk), retmax=len(chunk) * 3)
        self.fetch(found)
        by_doi: dict[str, str] = {}
        for pmid in found:
            record = self.records.get(pmid)
            if record and record.doi_normalized:
                by_doi.setdefault(record.doi_normalized, pmid)
        return by_doi

    def by_citation_match(self, citations: Sequence[Citation]) -> dict[str, tuple[str, list[str]]]:
        """key -> ("found", [pmid]) / ("ambiguous", pmids) / ("not found", []) from ECitMatch."""
        usable = [
            c
            for c in citations
            if c.journal and c.year and (c.volume or c.first_page) and "|" not in c.journal + c.key + c.first_author
        ]
        if not usable:
            return {}
        lines = [f"{c.journal}|{c.year}|{c.volume}|{c.first_page}|{c.first_author}|{c.key}|" for c in usable]
        answers = {}
        for line in self.client.ecitmatch(lines):
            parts = line.split("|")
            if len(parts) < 7:
                continue
            key, answer = parts[5], parts[6].strip()
            if answer.isdigit():
                answers[key] = ("found", [answer])
            elif answer.upper().startswith("AMBIGUOUS"):
                answers[key] = ("ambiguous", re.findall(r"\d+", answer))
            else:
                answers[key] = ("not found", [])
        self.fetch(p for _, pmids in answers.values() for p in pmids)
        return answers

    def by_title(self, citation: Citation) -> list[str]:
        """Candidate PMIDs for a title: all its distinctive words; if none has them all, the four longest; if
        still none, the 20 most relevant records with any of them (so the nearest can be reported)."""
        words = title_terms(citation.title)
        if len(words) < 3:
            return []
        found = self._search(" AND ".join(f"{w}[ti]" for w in words))
        if not found and len(words) > 4:
            found = self._search(" AND ".join(f"{w}[ti]" for w in title_terms(citation.title, 4)))
        if not found:
            found = self._search(" OR ".join(f"{w}[ti]" for w in words), sort="relevance")
        return found

    def by_author_and_year(self, citation: Citation) -> tuple[str, float] | None:
        """A record by the same first author in the same year whose title and abstract hold most of the cited
        title's topic words, well ahead of any other: (PMID, share of the words), or None."""
        wanted = {_stem(w) for w in title_terms(citation.title, limit=12)}
        surname = citation.first_author.replace('"', "")
        if len(wanted) < 3 or not surname or citation.year is None:
            return None
        found = self._search(f'"{surname}"[1au] AND {citation.year}[dp]', retmax=50)
        self.fetch(found)
        scored = sorted(
            ((len(wanted & _topic_words(self.records[p])) / len(wanted), p) for p in found if p in self.records),
            reverse=True,
        )
        if not scored or scored[0][0] < PROBABLE:
            return None
        if len(scored) > 1 and scored[0][0] - scored[1][0] < PROBABLE_MARGIN:
            return None
        return scored[0][1], round(scored[0][0], 2)

    def verify(self, citation: Citation, pmid: str, method: str, base: float) -> tuple[Resolution | None, str]:
        """The resolution if ``pmid`` is the cited paper, else a note saying what it is instead."""
        record = self.records.get(pmid)
        if record is None:
            return (
                None,
                f"the {method.upper()} in the reference ({pmid if method == 'pmid' else citation.doi}) "
                "finds no PubMed record",
            )
        if citation.title:
            similarity = title_similarity(citation.title, record.title)
            if similarity < SAME_PAPER:
                what = {"pmid": f"PMID {pmid}", "doi": f"DOI {citation.doi}", "ecitmatch": "the journal/volume/page"}
                return None, f"{what[method]} leads to PMID {pmid}, another paper ({record.title[:80]!r})"
            confidence = base - max(0.0, AGREES - similarity)
        else:
            confidence = base - 0.05
        return Resolution(citation.key, RESOLVED, pmid, method, round(confidence, 2)), ""

    def decide_by_title(self, citation: Citation, pmids: Iterable[str], notes: list[str]) -> Resolution:
        scored = sorted(
            ((p, candidate_score(citation, self.records[p])) for p in set(pmids) if p in self.records),
            key=lambda item: (-item[1], int(item[0])),
        )
        shown = tuple(scored[:3])
        if not scored:
            notes.append(
                "the title search found no candidate"
                if citation.title
                else "no PMID, DOI, journal citation or title to search with"
            )
            return Resolution(citation.key, UNRESOLVED, notes=tuple(notes))
        best_pmid, best = scored[0]
        runner_up = scored[1][1] if len(scored) > 1 else 0.0
        if best >= ACCEPT and best - runner_up >= MARGIN:
            return Resolution(citation.key, RESOLVED, best_pmid, "title", best, shown, tuple(notes))
        if best >= ACCEPT:
            notes.append(f"{sum(1 for _, s in scored if best - s < MARGIN)} records match the title equally well")
            return Resolution(citation.key, AMBIGUOUS, candidates=shown, notes=tuple(notes))
        notes.append(f"no candidate scores {ACCEPT} (best {best:.2f}, PMID {best_pmid})")
        return Resolution(citation.key, UNRESOLVED, candidates=shown, notes=tuple(notes))


def resolve(citations: Sequence[Citation], client: EUtils) -> ResolveResult:
    """Resolve every citation (see the module docstring); records are fetched once each. Each step takes only
    the citations the steps before it left open."""
    resolver = Resolver(client)
    notes: dict[str, list[str]] = {c.key: [] for c in citations}
    done: dict[str, Resolution] = {}
    _by_identifiers(resolver, citations, done, notes)
    ambiguous = _by_citation_match(resolver, [c for c in citations if c.key not in done], done, notes)
    for citation in citations:
        if citation.key in done:
            continue
        candidates = resolver.by_title(citation) + ambiguous.get(citation.key, [])
        resolver.fetch(candidates)
        decided = resolver.decide_by_title(citation, candidates, notes[citation.key])
        if decided.status == UNRESOLVED and citation.title:
            # step 4: a citation whose title (and journal) are wrong, of a paper its first author did publish
            decided = replace(decided, probable=resolver.by_author_and_year(citation))
        done[citation.key] = decided
    steps: dict[str, int] = {}
    for key, resolution in done.items():
        if notes[key] and resolution.status == RESOLVED and not resolution.notes:
            done[key] = replace(resolution, notes=tuple(notes[key]))
        if resolution.status == RESOLVED:
            steps[resolution.method] = steps.get(resolution.method, 0) + 1
    ordered = {c.key: done[c.key] for c in citations}
    return ResolveResult(ordered, resolver.records, steps)


def _by_identifiers(
    resolver: Resolver, citations: Sequence[Citation], done: dict[str, Resolution], notes: dict[str, list[str]]
) -> None:
    """Step 1: the PMID written in the reference, then the DOI (all DOIs in one esearch)."""
    resolver.fetch(c.pmid for c in citations if c.pmid)
    by_doi = resolver.by_doi([c for c in citations if c.doi])
    for citation in citations:
        for method, pmid in (("pmid", citation.pmid), ("doi", by_doi.get(citation.doi, ""))):
            if citation.key in done or not (pmid or (method == "doi" and citation.doi)):
                continue
            if method == "doi" and not pmid:
                notes[citation.key].append(f"DOI {citation.doi} finds no PubMed record")
                continue
            resolution, note = resolver.verify(citation, pmid, method, 1.0)
            if resolution:
                done[citation.key] = resolution
            elif note:
                notes[citation.key].append(note)


def _by_citation_match(
    resolver: Resolver, open_citations: list[Citation], done: dict[str, Resolution], notes: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Step 2: ECitMatch for all open citations in one call; returns the candidates of ambiguous matches."""
    matched = resolver.by_citation_match(open_citations)
    ambiguous: dict[str, list[str]] = {}
    for citation in open_citations:
        outcome, pmids = matched.get(citation.key, ("", []))
        if outcome == "found":
            resolution, note = resolver.verify(citation, pmids[0], "ecitmatch", 0.95)
            if resolution:
                done[citation.key] = resolution
            else:
                notes[citation.key].append(note)
        elif outcome == "ambiguous":
            ambiguous[citation.key] = pmids
            notes[citation.key].append(f"ECitMatch finds {len(pmids) or 'several'} records")
    return ambiguous
