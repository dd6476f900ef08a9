"""The records a local E-utilities server answers with: a corpus in memory (PubMed XML files, records added as a
test goes) or a synthetic one of any size, searched the way the server needs (see :mod:`evsynth.testing.server`)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from evsynth.audit.references import first_page
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Record, iso_day, normalize_doi
from evsynth.query.evaluate import Evaluator
from evsynth.query.mesh import MeshTree
from evsynth.query.parser import QuerySyntaxError
from evsynth.sources.dedupe import fold_title
from evsynth.testing.synthetic import FIRST_PMID, article_xml, generated_entry

_UID_RANGE = re.compile(r"\s+AND\s+(\d+):(\d+)\[uid\]\s*$")


@dataclass(frozen=True)
class ServedRecord:
    """One record the server knows: its XML and the dates esearch filters on."""

    pmid: str
    xml: bytes
    pdat: tuple[dt.date, ...]
    edat: dt.date | None
    mdat: dt.date | None
    record: Record | None = field(default=None, compare=False, repr=False)  # for term and citation matching

    @classmethod
    def from_record(cls, record: Record) -> ServedRecord:
        """Build from a parsed record that kept its raw XML."""
        pdat = tuple(d for d in (iso_day(record.pub_date), iso_day(record.electronic_date)) if d)
        return cls(record.pmid, record.raw, pdat, iso_day(record.entrez_date), iso_day(record.revised_date), record)


def _words(text: str) -> list[str]:
    return fold_title(text).split()


_CLAUSE = re.compile(r'^"?([^"\[\]]+?)"?\[(aid|doi|ti|au|1au|dp|pmid|uid)\]$', re.IGNORECASE)


def term_matcher(term: str) -> Callable[[Record], bool] | None:
    """A predicate for a citation-lookup term (see the module docstring), or None for any other term."""
    for joiner in (" OR ", " AND "):
        clauses = [c.strip() for c in term.split(joiner)]
        parsed = [_CLAUSE.match(c) for c in clauses]
        if not all(parsed) or any(" OR " in c or " AND " in c for c in clauses):
            continue
        tests = [(m.group(2).lower(), m.group(1).strip()) for m in parsed if m]

        def one(record: Record, kind: str, value: str) -> bool:
            if kind in ("aid", "doi"):
                return normalize_doi(value) == record.doi_normalized != ""
            if kind == "ti":
                wanted = _words(value)
                return bool(wanted) and set(wanted) <= set(_words(record.title))
            if kind in ("au", "1au"):
                names = [_words(a.last_name or a.collective_name) for a in record.authors]
                return _words(value)[:1] in [n[:1] for n in names[: 1 if kind == "1au" else None]]
            if kind == "dp":
                return str(record.pub_year or "") == value
            return record.pmid == value

        def matches(record: Record, tests: list[tuple[str, str]] = tests, any_of: bool = joiner == " OR ") -> bool:
            results = (one(record, kind, value) for kind, value in tests)
            return any(results) if any_of else all(results)

        return matches
    return None


def _journal_key(text: str) -> str:
    return " ".join(_words(text))


def citation_match(records: Iterable[Record], line: str) -> str:
    """NCBI's answer for one ``ecitmatch.cgi`` bdata line: the line with a PMID, ``AMBIGUOUS`` or ``NOT_FOUND``."""
    parts = (line.split("|") + [""] * 6)[:6]
    journal, year, volume, page, author = (p.strip() for p in parts[:5])
    found = []
    for record in records:
        if journal and _journal_key(journal) not in (_journal_key(record.journal), _journal_key(record.journal_iso)):
            continue
        if year and str(record.pub_year or "") != year:
            continue
        if volume and record.volume != volume:
            continue
        if page and first_page(record.pages) != page:
            continue
        if author and record.authors and _words(author)[:1] != _words(record.authors[0].last_name)[:1]:
            continue
        found.append(record.pmid)
    answer = found[0] if len(found) == 1 else f"AMBIGUOUS {','.join(found)}" if found else "NOT_FOUND"
    return "|".join(parts) + "|" + answer


class Corpus:
    """The records a server serves, in PMID order, and its history server."""

    def __init__(
        self, records: Iterable[ServedRecord], *, id_limit: int = 9999, rate_limit: float | None = None
    ) -> None:
        self.records = {r.pmid: r for r in records}
        self.order = sorted(self.records, key=int, reverse=True)
        self.id_limit = id_limit
        self.rate_limit = rate_limit
        self.history: dict[str, list[str]] = {}
        self._counter = itertools.count(1)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.mesh: MeshTree | None = None  # explodes [mh] terms when given
        # esearch evaluates the term with evsynth's query engine (else any term finds the whole corpus)
        self.evaluate_queries = False
        self.annotations: dict[str, Any] = {}  # PMID -> its BioC-JSON document, as PubTator3's export answers
        self.pubtator3_fault = ""  # html | truncate: every PubTator3 answer spoilt so (see testing.server)

    @classmethod
    def from_xml(cls, *sources: bytes | str, id_limit: int = 9999) -> Corpus:
        """Build from PubMed XML files or bytes."""
        served = [
            ServedRecord.from_record(record) for source in sources for record in iter_pubmed_xml(source, keep_raw=True)
        ]
        return cls(served, id_limit=id_limit)

    def xml(self, pmid: str) -> bytes:
        """The ``PubmedArticle`` XML of a served record."""
        return self.records[pmid].xml

    def add(self, records: Iterable[ServedRecord]) -> None:
        """Add (or replace) records, as PubMed does when new papers are indexed."""
        with self.lock:
            for record in records:
                self.records[record.pmid] = record
            self.order = sorted(self.records, key=int, reverse=True)

    def search(self, params: dict[str, str]) -> list[str]:
        """PMIDs matching the date window and PMID range of ``params``."""
        term = params.get("term", "")
        low, high = 0, 10**10
        match = _UID_RANGE.search(term)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
        field_name = params.get("datetype", "pdat")
        start = _parse_date(params.get("mindate", ""))
        end = _parse_date(params.get("maxdate", ""), last=True)
        matcher = term_matcher(term) or self.query_matcher(_UID_RANGE.sub("", term))
        hits = []
        for pmid in self.order:
            if not low <= int(pmid) <= high:
                continue
            record = self.records[pmid]
            if matcher is not None and (record.record is None or not matcher(record.record)):
                continue
            if start or end:
                if field_name == "pdat":
                    dates: tuple[dt.date | None, ...] = record.pdat
                else:
                    dates = (record.edat if field_name == "edat" else record.mdat,)
                lo, hi = start or dt.date.min, end or dt.date.max
                if not any(d and lo <= d <= hi for d in dates):
                    continue
            hits.append(pmid)
        return hits

    def query_matcher(self, term: str) -> Callable[[Record], bool] | None:
        """The term evaluated by evsynth's query engine, when the corpus is asked to (``evaluate_queries``) and
        every served record is parsed (a generated :class:`SyntheticCorpus` is not); None: the whole corpus."""
        if not self.evaluate_queries or not term.strip() or any(r.record is None for r in self.records.values()):
            return None
        try:
            evaluator = Evaluator.of(term, self.mesh)
        except QuerySyntaxError:
            return lambda record: False  # PubMed finds nothing (and says why in its ErrorList; not imitated)
        return evaluator.matches

    def remember(self, ids: list[str]) -> tuple[str, str]:
        """Store a result on the history server; return (WebEnv, query_key)."""
        number = next(self._counter)
        webenv = f"MCID_{number:024x}"
        self.history[webenv] = ids
        return webenv, "1"


class SyntheticCorpus(Corpus):
    """``count`` generated synthetic records (PMIDs from 90000001), each record's XML built when fetched.

    Only the dates esearch filters on are kept in memory. ``crowded_day`` (a date, a
    number) puts that many of the records on one day, for searches that must be
    split below a single day.
    """

    def __init__(
        self,
        count: int,
        *,
        start: dt.date = dt.date(2021, 1, 1),
        days: int = 1612,
        crowded_day: tuple[dt.date, int] | None = None,
        id_limit: int = 9999,
        rate_limit: float | None = None,
    ) -> None:
        self.start, self.days, self.crowded_day = start, days, crowded_day
        served = []
        for index in range(count):
            day = self._date(index)
            served.append(ServedRecord(str(FIRST_PMID + index), b"", (day,), day, day + dt.timedelta(days=30)))
        super().__init__(served, id_limit=id_limit, rate_limit=rate_limit)

    def _entry(self, index: int) -> dict[str, object]:
        entry = generated_entry(index, start=self.start, days=self.days)
        if self.crowded_day and index < self.crowded_day[1]:
            entry["date"] = self.crowded_day[0].isoformat()
        return entry

    def _date(self, index: int) -> dt.date:
        return dt.date.fromisoformat(str(self._entry(index)["date"]))

    def xml(self, pmid: str) -> bytes:
        """Build the record's XML (records added later with :meth:`add` keep theirs)."""
        stored = self.records[pmid]
        return stored.xml or article_xml(self._entry(int(pmid) - FIRST_PMID))


def _parse_date(text: str, *, last: bool = False) -> dt.date | None:
    parts = [p for p in re.split(r"[/-]", text.strip()) if p]
    if not parts:
        return None
    return iso_day("-".join(parts), last=last)
