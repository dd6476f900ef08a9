"""Harvest: protocol search -> esearch slices -> efetch POST batches -> store.

1. **Plan.** One esearch (history server, ``retmax`` 9,999) per window. PubMed
   serves only the first 9,999 ids of a search, so a window with more hits is
   split in two by date, recursively down to single days, and a single day by
   PMID range (``lo:hi[uid]``), until every slice fits. The slices' ids are
   unioned and their counts checked against the total.
2. **Diff.** Ids already in the store are only marked as seen by this run; new
   ids (and, with ``refresh_modified``, stored records modified since the last
   complete run) are fetched.
3. **Fetch.** efetch by POST in batches; each batch is parsed in full (a
   truncated body is retried) and written in one transaction, so memory stays
   bounded by one batch and a killed harvest loses at most the batch in flight.
4. **Resume.** A run that did not complete is continued by the next run of the
   same protocol (same run id); already stored PMIDs are not fetched again.

The library never prints: progress goes to an optional callback.
"""

from __future__ import annotations

import datetime as dt
import platform
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import lxml.etree

from evsynth.errors import EutilsError, EvsynthError, PubmedXMLError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Record, Slice
from evsynth.protocol.loader import Protocol
from evsynth.sources.eutils import ESearchResult, EUtils, RetryableBody
from evsynth.store.database import SOURCE_RANK, Store
from evsynth.store.records import harvest_counts
from evsynth.version import __version__

PUBMED_EARLIEST = dt.date(1781, 1, 1)
MAX_PMID = 99_999_999
Progress = Callable[[str, int, int], None]


def _pdate(day: dt.date) -> str:
    return day.strftime("%Y/%m/%d")


def _batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class SearchPlan:
    """The result of planning: slices that each fit, and every id they returned."""

    total: int
    query_translation: str
    slices: list[Slice] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    webenv: str = ""
    query_key: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def slice_sum(self) -> int:
        """The slices' counts added up."""
        return sum(s.count for s in self.slices)


class _Planner:
    def __init__(self, client: EUtils, query: str, datetype: str, limit: int) -> None:
        self.client = client
        self.query = query
        self.datetype = datetype
        self.limit = limit
        self.seen: dict[str, None] = {}
        self.slices: list[Slice] = []

    def search(self, start: dt.date | None, end: dt.date | None, pmids: tuple[int, int] | None) -> ESearchResult:
        term = self.query if pmids is None else f"({self.query}) AND {pmids[0]}:{pmids[1]}[uid]"
        return self.client.esearch(
            term,
            mindate=_pdate(start) if start else "",
            maxdate=_pdate(end) if end else "",
            datetype=self.datetype,
            retmax=self.limit,
        )

    def take(self, result: ESearchResult, start: dt.date, end: dt.date, pmids: tuple[int, int] | None) -> None:
        self.slices.append(Slice(start.isoformat(), end.isoformat(), result.count, pmids))
        self.seen.update(dict.fromkeys(result.ids))

    def split(self, start: dt.date, end: dt.date, pmids: tuple[int, int] | None = None) -> None:
        """Search [start, end] (and PMID range), splitting until each piece fits."""
        self.place(self.search(start, end, pmids), start, end, pmids)

    def place(self, result: ESearchResult, start: dt.date, end: dt.date, pmids: tuple[int, int] | None) -> None:
        """Take the searched piece if it fits; otherwise split it by date, or a single day by PMID range."""
        if result.count <= self.limit:
            self.take(result, start, end, pmids)
        elif start < end:
            middle = start + (end - start) // 2
            self.split(start, middle, pmids)
            self.split(middle + dt.timedelta(days=1), end, pmids)
        else:
            low, high = pmids or (1, MAX_PMID)
            if low >= high:
                raise EvsynthError(f"cannot split the search below PMID {low} on {start}: {result.count} hits")
            half = (low + high) // 2
            self.split(start, end, (low, half))
            self.split(start, end, (half + 1, high))


def plan_search(
    client: EUtils,
    query: str,
    *,
    start: dt.date | None,
    end: dt.date | None,
    datetype: str = "pdat",
    limit: int = 9999,
    today: dt.date | None = None,
    reuse: Sequence[Slice] = (),
) -> SearchPlan:
    """Run the search, splitting the window until every slice fits ``limit`` ids.

    ``reuse``: the slices of the last complete run of the same search. They are searched
    directly (one esearch each, split further only if one has outgrown the limit), and the
    window's end is extended to ``today`` when it is open, so an update that finds nothing
    new costs one esearch per slice.
    """
    planner = _Planner(client, query, datetype, limit)
    window_start = start or PUBMED_EARLIEST
    window_end = end or today or dt.date.today()
    if reuse:
        return _replan(planner, list(reuse), window_start, window_end)
    first = planner.search(start, end, None)
    plan = SearchPlan(
        total=first.count,
        query_translation=first.query_translation,
        webenv=first.webenv,
        query_key=first.query_key,
        warnings=[*first.warnings, *first.errors],
    )
    planner.place(first, window_start, window_end, None)
    return _finish(plan, planner)


def _replan(planner: _Planner, slices: list[Slice], window_start: dt.date, window_end: dt.date) -> SearchPlan:
    last = max(dt.date.fromisoformat(s.end) for s in slices)
    if last < window_end:  # an open window has grown since the last run
        slices.append(Slice((last + dt.timedelta(days=1)).isoformat(), window_end.isoformat(), 0, None))
    plan = SearchPlan(total=0, query_translation="")
    for piece in slices:
        low, high = dt.date.fromisoformat(piece.start), dt.date.fromisoformat(piece.end)
        pmids = (int(piece.pmid_range[0]), int(piece.pmid_range[1])) if piece.pmid_range else None
        result = planner.search(low, high, pmids)
        if not plan.query_translation and pmids is None:
            plan.query_translation, plan.webenv, plan.query_key = (
                result.query_translation,
                result.webenv,
                result.query_key,
            )
        plan.warnings += [*result.warnings, *result.errors]
        planner.place(result, low, high, pmids)
    plan.total = len(planner.seen)  # the distinct PMIDs of the whole window: what one esearch would count
    return _finish(plan, planner)


def _finish(plan: SearchPlan, planner: _Planner) -> SearchPlan:
    plan.slices = planner.slices
    plan.ids = list(planner.seen)
    if plan.slice_sum < plan.total:
        plan.warnings.append(f"slices add up to {plan.slice_sum}, fewer than the {plan.total} hits of the search")
    elif plan.slice_sum > plan.total:
        plan.warnings.append(
            f"slices add up to {plan.slice_sum} for {plan.total} hits: "
            f"{plan.slice_sum - len(plan.ids)} records fall in two slices (print and electronic dates)"
        )
    return plan


def parse_efetch(body: bytes) -> list[Record]:
    """Parse an efetch body completely; a broken body is retried."""
    return _parse_efetch(body, keep_raw=False)


def parse_efetch_raw(body: bytes) -> list[Record]:
    """Parse an efetch body completely, keeping each record's XML; a broken body is retried."""
    return _parse_efetch(body, keep_raw=True)


def _parse_efetch(body: bytes, *, keep_raw: bool) -> list[Record]:
    try:
        return list(iter_pubmed_xml(body, source_name="pubmed", keep_raw=keep_raw))
    except (PubmedXMLError, lxml.etree.LxmlError) as err:
        raise RetryableBody(f"unparsable efetch XML: {err}") from None


@dataclass(frozen=True)
class HarvestResult:
    """Summary of one harvest run."""

    run_id: int
    total: int
    new: int
    updated: int
    fetched: int
    resumed: bool
    manifest: dict[str, Any]


def _versions() -> dict[str, str]:
    return {
        "evsynth": __version__,
        "python": platform.python_version(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "sqlite": sqlite3.sqlite_version,
    }


def _modified_since(client: EUtils, protocol: Protocol, since: str, stored: set[str]) -> list[str]:
    """Stored PMIDs of this search whose PubMed record was modified since ``since``."""
    search = protocol.search
    term = search.query
    if search.start or search.end:
        low = _pdate(search.start or PUBMED_EARLIEST)
        high = _pdate(search.end or dt.date.today())
        term = f'({term}) AND ("{low}"[{search.date_field}] : "{high}"[{search.date_field}])'
    since_day = dt.date.fromisoformat(since[:10]) - dt.timedelta(days=1)
    plan = plan_search(client, term, start=since_day, end=dt.date.today(), datetype="mdat")
    return [pmid for pmid in plan.ids if pmid in stored]


def _open_run(store: Store, protocol: Protocol, unfinished: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
    """The harvest run to record into: the unfinished one, resumed, or a new one; with its manifest so far."""
    if unfinished:
        manifest: dict[str, Any] = unfinished["manifest"]
        manifest.setdefault("resumed_at", []).append(dt.datetime.now(dt.timezone.utc).isoformat())
        store.update_run(unfinished["id"], status="running", finished_at=None)
        return int(unfinished["id"]), manifest
    search = protocol.search
    run_id = store.start_run(
        "harvest",
        protocol_name=protocol.name,
        protocol_hash=protocol.digest,
        query=search.query,
        date_start=search.start.isoformat() if search.start else None,
        date_end=search.end.isoformat() if search.end else None,
    )
    return run_id, {}


def _reusable_slices(protocol: Protocol, previous: dict[str, Any] | None) -> list[Slice]:
    """The date slices the last complete run of the same protocol found, to search again without re-splitting."""
    if not previous or previous["protocol_hash"] != protocol.digest:
        return []
    earlier = previous["manifest"]
    if earlier.get("window", {}).get("field") != protocol.search.date_field or not earlier.get("slices"):
        return []
    return [Slice(x["start"], x["end"], x["count"], x["pmid_range"]) for x in earlier["slices"]]


def harvest(
    protocol: Protocol,
    store: Store,
    client: EUtils,
    *,
    refresh_modified: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> HarvestResult:
    """Run ``protocol``'s search and store every record; resume an unfinished run.

    Raises:
        HarvestGaveUp: E-utilities kept failing; what was fetched stays stored and
            the run is marked ``failed`` (the next run resumes it).
    """
    report = progress or (lambda stage, done, total: None)
    search = protocol.search
    unfinished = store.unfinished_run(protocol.name, protocol.digest)
    run_id, manifest = _open_run(store, protocol, unfinished)
    previous = store.last_complete_run(protocol.name)
    timings: dict[str, float] = {}
    reuse = _reusable_slices(protocol, previous)
    try:
        report("search", 0, 1)
        clock = time.monotonic()
        plan = plan_search(
            client,
            search.query,
            start=search.start,
            end=search.end,
            datetype=search.date_field,
            limit=protocol.max_ids_per_search,
            today=today,
            reuse=reuse,
        )
        stored = store.stored_pmids(min_rank=SOURCE_RANK["pubmed_xml"])
        to_fetch = [pmid for pmid in plan.ids if pmid not in stored]
        refreshed: list[str] = []
        if refresh_modified and previous and previous["finished_at"]:
            refreshed = _modified_since(client, protocol, previous["finished_at"], stored)
            queued = set(to_fetch)
            to_fetch += [p for p in refreshed if p not in queued]
        timings["search_s"] = round(time.monotonic() - clock, 3)
        store.mark_seen(run_id, (p for p in plan.ids if p in stored))
        manifest.update(
            protocol={"name": protocol.name, "path": str(protocol.path), "hash": protocol.digest},
            query=search.query,
            query_translation=plan.query_translation,
            window={
                "start": str(search.start or ""),
                "end": str(search.end or ""),
                "field": search.date_field,
            },
            total=plan.total,
            distinct_ids=len(plan.ids),
            slice_sum=plan.slice_sum,
            slices_reused=len(reuse),
            slices=[
                {"start": s.start, "end": s.end, "count": s.count, "pmid_range": s.pmid_range} for s in plan.slices
            ],
            webenv=plan.webenv,
            query_key=plan.query_key,
            warnings=plan.warnings,
            to_fetch=len(to_fetch),
            refreshed_modified=len(refreshed),
            batch_size=protocol.batch_size,
            versions=_versions(),
        )
        store.update_run(run_id, query_translation=plan.query_translation, count_total=plan.total, manifest=manifest)
        clock = time.monotonic()
        fetched, not_returned = _fetch(
            client, store, run_id, to_fetch, protocol.batch_size, report, raw_xml=protocol.raw_xml
        )
        timings["fetch_s"] = round(time.monotonic() - clock, 3)
        manifest["not_returned"] = not_returned
    except BaseException as err:
        manifest.update(requests=client.stats.as_dict(), timings=timings, error=str(err) or type(err).__name__)
        interrupted = isinstance(err, KeyboardInterrupt)
        store.update_run(
            run_id, status="interrupted" if interrupted else "failed", finished_at=_now(), manifest=manifest
        )
        raise
    new, updated = harvest_counts(store, run_id)
    manifest.update(fetched=fetched, requests=client.stats.as_dict(), timings=timings)
    store.update_run(
        run_id,
        status="complete",
        finished_at=_now(),
        count_new=new,
        count_updated=updated,
        manifest=manifest,
    )
    return HarvestResult(
        run_id=run_id,
        total=plan.total,
        new=new,
        updated=updated,
        fetched=fetched,
        resumed=unfinished is not None,
        manifest=manifest,
    )


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _fetch(
    client: EUtils, store: Store, run_id: int, pmids: list[str], size: int, report: Progress, *, raw_xml: bool
) -> tuple[int, list[str]]:
    """Fetch ``pmids`` in POST batches, one transaction per batch (keeping each record's XML with ``raw_xml``).

    The next batch is asked for while this one is stored, by one fetching thread that makes every request in
    turn: on a busy machine the requests keep to the rate limit's pace instead of waiting for the store too.
    """
    parse = parse_efetch_raw if raw_xml else parse_efetch
    batches = list(_batched(pmids, size))
    fetched = 0
    not_returned: list[str] = []
    report("fetch", 0, len(pmids))
    fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evsynth-efetch")
    try:

        def ask(ids: list[str]) -> Future[list[Record]]:
            return fetcher.submit(client.efetch, ids, parse)

        asked = [ask(batch) for batch in batches[:1]]
        for number, batch in enumerate(batches):
            records = asked.pop().result()
            asked += [ask(following) for following in batches[number + 1 : number + 2]]
            keep, missing = _wanted(batch, records, lambda ids: ask(ids).result())
            not_returned += missing
            store.upsert_records(keep, run_id, format_name="pubmed", sighting="pubmed")
            fetched += len(keep)
            report("fetch", fetched + len(not_returned), len(pmids))
    finally:
        fetcher.shutdown(wait=False, cancel_futures=True)  # a failure: the request under way is not waited for
    return fetched, not_returned


def _wanted(
    batch: list[str], records: list[Record], ask_again: Callable[[list[str]], list[Record]]
) -> tuple[list[Record], list[str]]:
    """The records of an efetch answer that were asked for, and the PMIDs it did not return (asked once more)."""
    wanted = set(batch)
    keep = [r for r in records if r.pmid in wanted]
    if records and not keep:  # an answer, but about other records: asked once more, then refused
        records = ask_again(batch)
        keep = [r for r in records if r.pmid in wanted]
        if records and not keep:
            others = ", ".join(sorted({r.pmid for r in records})[:3])
            raise EutilsError(
                f"efetch answered {len(batch)} PMIDs ({batch[0]} ...) with other records ({others} ...); "
                "what was fetched before is stored, run again to resume"
            )
    returned = {r.pmid for r in keep}
    missing = [p for p in batch if p not in returned]
    if missing and len(missing) < len(batch):
        # A partial answer is retried once for the missing ids before they are reported.
        still_wanted = set(missing)
        keep += [r for r in ask_again(missing) if r.pmid in still_wanted]
        returned = {r.pmid for r in keep}
        missing = [p for p in batch if p not in returned]
    return keep, missing
