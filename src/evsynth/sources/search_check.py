"""``evsynth search check``: how a protocol's search strategy performs, before (or beside) a harvest.

Per block and per term, the hit count from esearch (within the protocol's date window); the whole query and the
query with each block dropped (how much each block narrows); and, given known relevant studies, the relative
recall and, for each one the search misses, the block that loses it and that block's terms. Information
specialists validate a search this way (relative recall against studies known to be relevant).

Requests, for B blocks and T terms: one esearch per term (a block of one term counts once), one per block that
also returns its PMIDs, one to find the known studies' DOIs, one efetch of the known records: at most B + T + 3.
The whole query and the dropped-block variants are then intersections of the blocks' PMIDs; only when a block
has more hits than one esearch returns (9,999) are they asked for, B + 1 requests more.

Why a missed study is lost is read from its record by evsynth's query engine (:mod:`evsynth.query`), which
matches title, abstract, keywords and MeSH as PubMed would but without PubMed's automatic term mapping and,
unless a MeSH tree is given, without MeSH explosion; a study PubMed misses although every block matches it here
is said to be so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.errors import InputFileError
from evsynth.fileio import atomic_writer, read_input_text
from evsynth.models import Record, normalize_doi, parse_identifier
from evsynth.protocol.loader import Protocol
from evsynth.query.evaluate import Evaluator, date_span
from evsynth.query.mesh import MeshTree
from evsynth.query.parser import Node, parse_query, terms, to_text
from evsynth.query.parser import blocks as query_blocks
from evsynth.sources.eutils import ESearchResult, EUtils
from evsynth.sources.harvest import parse_efetch
from evsynth.text import markdown_cell, markdown_code

ID_LIMIT = 9999  # PMIDs one esearch returns


@dataclass
class TermCount:
    text: str
    count: int


@dataclass
class BlockCheck:
    name: str
    query: str
    count: int
    terms: list[TermCount]
    without: int = 0  # hits of the whole query with this block dropped
    node: Node | None = field(default=None, repr=False)


@dataclass
class KnownStudy:
    given: str  # as the known-studies file wrote it
    pmid: str = ""
    title: str = ""
    found: bool = False
    lost_by: list[dict[str, Any]] = field(default_factory=list)  # block name and its terms
    note: str = ""


@dataclass
class SearchCheck:
    protocol: str
    window: str
    query: str
    count: int
    blocks: list[BlockCheck]
    known: list[KnownStudy]
    requests: int
    unexploded: list[str] = field(default_factory=list)

    @property
    def relative_recall(self) -> float | None:
        """Known studies the search finds, among those PubMed has (None: no known studies in PubMed)."""
        in_pubmed = [k for k in self.known if k.pmid]
        return sum(k.found for k in in_pubmed) / len(in_pubmed) if in_pubmed else None


def read_known(path: Path) -> list[str]:
    """Known relevant studies, one PMID or DOI a line (``#`` comments and blank lines skipped).

    Raises:
        InputFileError: a missing file, or a line that is neither.
    """
    known = []
    for number, line in enumerate(read_input_text(path).splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        found = parse_identifier(text)
        if found is None:
            raise InputFileError(f"{path}: line {number}: {text[:80]!r} is neither a PMID nor a DOI")
        known.append(found[1] if found[0] == "pmid" else text)
    if not known:
        raise InputFileError(f"{path}: no PMID or DOI in it")
    return known


class _Counter:
    """The E-utilities calls made, counted."""

    def __init__(self, client: EUtils, protocol: Protocol) -> None:
        self.client, self.requests = client, 0
        search = protocol.search
        self.mindate = search.start.strftime("%Y/%m/%d") if search.start else ""
        self.maxdate = search.end.strftime("%Y/%m/%d") if search.end else ""
        self.datetype = search.date_field

    def esearch(self, term: str, retmax: int) -> ESearchResult:
        self.requests += 1
        return self.client.esearch(term, retmax=retmax, usehistory=False, mindate=self.mindate,
                                   maxdate=self.maxdate, datetype=self.datetype)  # fmt: skip

    def efetch(self, pmids: list[str]) -> list[Record]:
        self.requests += 1
        return self.client.efetch(pmids, parse_efetch)


def _blocks(protocol: Protocol) -> list[tuple[str, str]]:
    """(name, query) of each block: the protocol's named blocks when its query is made of them, else the
    query's top-level AND blocks."""
    named = [(b.name, b.to_query()) for b in protocol.search.blocks]
    if named and " AND ".join(q for _, q in named) == protocol.search.query:
        return named
    return [(f"block {n}", to_text(node)) for n, node in enumerate(query_blocks(parse_query(protocol.search.query)), 1)]


def check_search(
    protocol: Protocol,
    client: EUtils,
    known: list[str] | None = None,
    *,
    mesh: MeshTree | None = None,
    id_limit: int = ID_LIMIT,
) -> SearchCheck:
    """Count the strategy's parts and check it against ``known`` studies (PMIDs or DOIs); ``id_limit`` PMIDs are
    asked for per block."""
    calls = _Counter(client, protocol)
    checks: list[BlockCheck] = []
    ids: list[set[str] | None] = []  # each block's PMIDs, None when it has more than one esearch returns
    for name, query in _blocks(protocol):
        node = parse_query(query)
        texts = list(dict.fromkeys(to_text(t) for t in terms(node)))
        result = calls.esearch(query, id_limit)
        counts = [TermCount(texts[0], result.count)] if len(texts) == 1 else [
            TermCount(text, calls.esearch(text, 0).count) for text in texts
        ]  # fmt: skip
        checks.append(BlockCheck(name, query, result.count, counts, node=node))
        ids.append(set(result.ids) if len(result.ids) >= result.count else None)
    whole: set[str] | None
    if all(found is not None for found in ids):
        sets = [found for found in ids if found is not None]
        whole = set.intersection(*sets) if sets else set()
        count = len(whole)
        for n, check in enumerate(checks):
            others = [s for m, s in enumerate(sets) if m != n]
            check.without = len(set.intersection(*others)) if others else 0
    else:  # a block too large to intersect: ask
        result = calls.esearch(protocol.search.query, id_limit)
        count, whole = result.count, set(result.ids) if len(result.ids) >= result.count else None
        for n, check in enumerate(checks):
            rest = " AND ".join(c.query for m, c in enumerate(checks) if m != n)
            check.without = calls.esearch(rest, 0).count if rest else 0
    evaluator = Evaluator(parse_query(protocol.search.query), mesh)
    studies = _known(calls, protocol, checks, known or [], whole, evaluator)
    window = " to ".join(d.isoformat() for d in (protocol.search.start, protocol.search.end) if d)
    return SearchCheck(protocol.name, f"{window} [{protocol.search.date_field}]" if window else "",
                       protocol.search.query, count, checks, studies, calls.requests,
                       sorted(evaluator.unexploded))  # fmt: skip


def _known(
    calls: _Counter,
    protocol: Protocol,
    checks: list[BlockCheck],
    known: list[str],
    whole: set[str] | None,
    evaluator: Evaluator,
) -> list[KnownStudy]:
    """Each known study: found by the query or not, and for one that is not, why."""
    if not known:
        return []
    studies, records = _resolve(calls, known)
    if whole is None:  # the query was too large to hold: ask which known studies it finds
        pmids = [s.pmid for s in studies if s.pmid]
        clause = " OR ".join(f"{p}[uid]" for p in pmids)
        whole = set(calls.esearch(f"({protocol.search.query}) AND ({clause})", ID_LIMIT).ids) if pmids else set()
    for study in studies:
        record = records.get(study.pmid)
        if record is None:
            continue
        study.title, study.found = record.title, study.pmid in whole
        if not study.found:
            _why_lost(study, record, protocol, checks, evaluator)
    return studies


def _resolve(calls: _Counter, known: list[str]) -> tuple[list[KnownStudy], dict[str, Record]]:
    """The known studies with their PMIDs (a DOI looked up, one esearch for all) and their records (one efetch)."""
    studies = [KnownStudy(given, pmid=given if given.isdigit() else "") for given in known]
    dois = {normalize_doi(s.given): s for s in studies if not s.pmid}
    by_doi = list(calls.esearch(" OR ".join(f'"{doi}"[doi]' for doi in dois), ID_LIMIT).ids) if dois else []
    records = {r.pmid: r for r in calls.efetch([*(s.pmid for s in studies if s.pmid), *by_doi])}
    for record in records.values():
        if record.doi_normalized in dois:
            dois[record.doi_normalized].pmid = record.pmid
    for study in studies:
        if study.pmid not in records:
            study.note = "PubMed has no such PMID" if study.pmid else "not in PubMed (or not found by its DOI)"
            study.pmid = ""
    return studies, records


def _why_lost(
    study: KnownStudy, record: Record, protocol: Protocol, checks: list[BlockCheck], evaluator: Evaluator
) -> None:
    """The blocks that do not match a missed study's record, with their terms that do not."""
    study.lost_by = [
        {"block": check.name,
         "terms": [t.text for t in check.terms if not evaluator.matches_node(parse_query(t.text), record)]}
        for check in checks
        if check.node is not None and not evaluator.matches_node(check.node, record)
    ]  # fmt: skip
    if not _in_window(protocol, record):
        study.note = "published outside the search's date window"
    elif not study.lost_by:
        study.note = (
            "every block matches its title, abstract and MeSH here; PubMed's indexing differs (MeSH explosion, "
            "automatic term mapping, or a record PubMed has not indexed yet)"
        )


def _in_window(protocol: Protocol, record: Record) -> bool:
    """Whether any part of the record's date (a day, a month or a year) is in the search's window."""
    start, end = protocol.search.start, protocol.search.end
    text = record.entrez_date if protocol.search.date_field == "edat" else record.pub_date or str(record.pub_year or "")
    span = date_span(text)
    if span is None:
        return True  # no date to tell by
    return (start is None or start <= span[1]) and (end is None or span[0] <= end)


def write_search_check(check: SearchCheck, out_dir: Path) -> dict[str, Path]:
    """``search-check.json`` and ``search-check.md`` in ``out_dir`` (each atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "search-check.json", "md": out_dir / "search-check.md"}
    document = {
        "protocol": check.protocol, "window": check.window, "query": check.query, "count": check.count,
        "requests": check.requests, "relative_recall": check.relative_recall, "unexploded_mesh": check.unexploded,
        "blocks": [{"name": b.name, "query": b.query, "count": b.count, "count_without_it": b.without,
                    "terms": [{"term": t.text, "count": t.count} for t in b.terms]} for b in check.blocks],
        "known": [{"given": k.given, "pmid": k.pmid, "title": k.title, "found": k.found, "lost_by": k.lost_by,
                   "note": k.note} for k in check.known],
    }  # fmt: skip
    with atomic_writer(paths["json"]) as handle:
        json.dump(document, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    with atomic_writer(paths["md"]) as handle:
        handle.write(_markdown(check))
    return paths


def _markdown(check: SearchCheck) -> str:
    lines = [f"# Search check: {markdown_cell(check.protocol)}", ""]
    lines.append(f"PubMed{', ' + markdown_cell(check.window) if check.window else ''}: the whole query finds "
                 f"**{check.count}** records ({check.requests} requests).")  # fmt: skip
    lines += ["", "| block | hits | the query without it | records the block takes out |", "|---|---|---|---|"]
    for block in check.blocks:
        lines.append(f"| {markdown_cell(block.name)} | {block.count} | {block.without} | "
                     f"{block.without - check.count} |")  # fmt: skip
    for block in check.blocks:
        lines += ["", f"## {markdown_cell(block.name)} ({block.count})", "", "| term | hits |", "|---|---|"]
        lines += [f"| {markdown_code(t.text)} | {t.count} |" for t in block.terms]
    if check.known:
        recall = check.relative_recall
        found = sum(k.found for k in check.known)
        in_pubmed = sum(1 for k in check.known if k.pmid)
        lines += ["", f"## Known studies: {found} of {in_pubmed} found"
                  + (f" (relative recall {recall:.2f})" if recall is not None else ""), "",
                  "| study | found | lost by | note |", "|---|---|---|---|"]  # fmt: skip
        sizes = {b.name: len(b.terms) for b in check.blocks}
        for study in sorted(check.known, key=lambda k: (k.found, not k.pmid)):  # the missed ones first
            lost = "; ".join(
                f"{b['block']} (none of its {sizes[b['block']]} terms)" if len(b["terms"]) == sizes[b["block"]]
                else f"{b['block']} (not: {', '.join(b['terms'])})" for b in study.lost_by
            )  # fmt: skip
            who = f"{study.pmid or study.given}: {study.title}" if study.title else study.given
            lines.append(f"| {markdown_cell(who)} | {'yes' if study.found else 'no'} | {markdown_cell(lost)} | "
                         f"{markdown_cell(study.note)} |")  # fmt: skip
    if check.unexploded:
        lines += ["", "Why a study is lost was read with these MeSH terms matched without the descriptors below them "
                  "(no MeSH tree given; the counts are PubMed's): "
                  + ", ".join(markdown_code(t) for t in check.unexploded) + "."]  # fmt: skip
    return "\n".join(lines) + "\n"
