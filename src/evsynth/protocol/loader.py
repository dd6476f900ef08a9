"""Review protocols: a YAML file in ``queries/`` validated into a frozen :class:`Protocol`.

The format (see README "Protocol format") has a ``search`` section used by the
harvest, a ``sources`` list of file exports that join every run, and sections
for later stages (``criteria``, ``extraction``, ``pathways``, ``convergence``)
that are kept as data here and validated by their own stages.

Validation is strict and every error is one line naming file, key and value:
unknown keys, bad dates, a date window that ends before it starts, unbalanced
quotes or parentheses in the query, a missing source file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.formats.registry import IMPORT_FORMATS
from evsynth.models import normalize_doi
from evsynth.protocol.criteria import Criteria, load_criteria
from evsynth.protocol.extraction import ExtractionPolicy, extraction_policy
from evsynth.protocol.pathways import ConvergenceSettings, Module, convergence_settings, protocol_modules
from evsynth.protocol.schema import Checker, did_you_mean, read_yaml
from evsynth.query.parser import QuerySyntaxError, parse_query

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
DATE_FIELDS = ("pdat", "edat", "mdat")

_TOP_KEYS = {
    "name", "title", "version", "description", "search", "harvest", "sources",
    "criteria", "extraction", "pathways", "convergence", "prisma", "notes",
}  # fmt: skip
# PRISMA 2020's "other methods" an imported source can be counted under (its template's three boxes)
OTHER_METHODS = ("websites", "organisations", "citations")
_SEARCH_KEYS = {"database", "query", "blocks", "date_window", "known", "notes"}
_WINDOW_KEYS = {"start", "end", "field"}
_BLOCK_KEYS = {"name", "description", "terms"}
_HARVEST_KEYS = {"batch_size", "max_ids_per_search", "raw_xml"}
_SOURCE_KEYS = {"name", "file", "format", "description"}


@dataclass(frozen=True)
class ConceptBlock:
    """One concept of the search: synonyms joined with OR."""

    name: str
    terms: tuple[str, ...]
    description: str = ""

    def to_query(self) -> str:
        """Return the block as a parenthesised OR clause."""
        return "(" + " OR ".join(self.terms) + ")"


@dataclass(frozen=True)
class SearchStrategy:
    """The PubMed search: query, date window and the blocks it was built from."""

    query: str
    database: str = "pubmed"
    start: dt.date | None = None
    end: dt.date | None = None
    date_field: str = "pdat"
    blocks: tuple[ConceptBlock, ...] = ()
    known: tuple[str, ...] = ()  # studies the search should find: PMIDs and DOIs (search check, run's warning)


@dataclass(frozen=True)
class FileSource:
    """A file export (e.g. a Scopus CSV) that joins every run of the protocol."""

    name: str
    path: Path
    format: str
    description: str = ""


@dataclass(frozen=True)
class Protocol:
    """A validated review protocol."""

    name: str
    path: Path
    search: SearchStrategy
    title: str = ""
    description: str = ""
    batch_size: int = 250
    max_ids_per_search: int = 9999
    raw_xml: bool = False  # keep each PubMed record's XML in the store (harvests and the run's imports)
    sources: tuple[FileSource, ...] = ()
    sections: dict[str, Any] = field(default_factory=dict, compare=False)
    digest: str = ""
    criteria: Criteria | None = field(default=None, compare=False)
    # the pathway modules (packaged, plus or replaced by the protocol's) and the convergence thresholds, read once
    modules: dict[str, Module] = field(default_factory=dict, compare=False)
    convergence: ConvergenceSettings = field(default_factory=ConvergenceSettings, compare=False)
    # sources PRISMA counts under "other methods" (source name -> websites | organisations | citations)
    other_methods: dict[str, str] = field(default_factory=dict)
    # which source's mentions each entity group takes (``extraction``: evsynth's own tags unless it says)
    extraction: ExtractionPolicy = field(default_factory=ExtractionPolicy)

    @property
    def overrides_path(self) -> Path:
        """The reviewer decisions file: ``criteria.overrides_file`` or ``<protocol>.decisions.csv`` beside it."""
        if self.criteria and self.criteria.overrides_file:
            return self.criteria.overrides_file
        return self.path.with_name(f"{self.path.stem}.decisions.csv")

    def section(self, name: str) -> Any:
        """Return a later-stage section (``criteria``, ``extraction`` ...) or None."""
        return self.sections.get(name)


def check_query_syntax(query: str) -> str | None:
    """Return why PubMed would refuse ``query`` (the column and what is wrong), or None.

    >>> check_query_syntax('("a b"[tiab] OR c)')
    >>> check_query_syntax('(a OR b')
    "column 1: '(' is never closed"
    """
    try:
        parse_query(query)
    except QuerySyntaxError as err:
        return str(err)
    return None


def _blocks(check: Checker, value: Any) -> tuple[ConceptBlock, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise check.fail("search.blocks", "must be a non-empty list of {name, terms}")
    blocks = []
    for i, raw in enumerate(value):
        key = f"search.blocks[{i}]"
        item = check.mapping(raw, key, _BLOCK_KEYS)
        terms = item.get("terms")
        if not isinstance(terms, list) or not terms:
            raise check.fail(f"{key}.terms", "must be a non-empty list of search terms")
        clean = []
        for j, term in enumerate(terms):
            term_text = check.text(term, f"{key}.terms[{j}]", required=True)
            problem = check_query_syntax(term_text)
            if problem:
                raise check.fail(f"{key}.terms[{j}]", f"{problem}, in {term_text!r}")
            clean.append(term_text)
        blocks.append(
            ConceptBlock(
                name=check.text(item.get("name"), f"{key}.name", required=True),
                terms=tuple(clean),
                description=check.text(item.get("description"), f"{key}.description"),
            )
        )
    return tuple(blocks)


def _search(check: Checker, value: Any) -> SearchStrategy:
    section = check.mapping(value, "search", _SEARCH_KEYS)
    database = check.text(section.get("database", "pubmed"), "search.database", required=True)
    if database != "pubmed":
        raise check.fail("search.database", f"{database!r} is not supported (only 'pubmed')")
    blocks = _blocks(check, section.get("blocks"))
    query = check.text(section.get("query"), "search.query")
    if not query and not blocks:
        raise check.fail("search", "needs a 'query' or 'blocks'")
    if not query:
        query = " AND ".join(block.to_query() for block in blocks)
    query = " ".join(query.split())
    problem = check_query_syntax(query)
    if problem:
        raise check.fail("search.query", f"{problem}, in {query!r:.200}")
    start = end = None
    date_field = "pdat"
    if section.get("date_window") is not None:
        window = check.mapping(section["date_window"], "search.date_window", _WINDOW_KEYS)
        start = check.date(window.get("start"), "search.date_window.start")
        end = check.date(window.get("end"), "search.date_window.end")
        date_field = check.text(window.get("field", "pdat"), "search.date_window.field", required=True)
        if date_field not in DATE_FIELDS:
            raise check.fail("search.date_window.field", f"{date_field!r} must be one of {DATE_FIELDS}")
        if start and end and end < start:
            raise check.fail("search.date_window", f"end {end} is before start {start}")
    known = _known(check, section.get("known"))
    return SearchStrategy(query=query, start=start, end=end, date_field=date_field, blocks=blocks, known=known)


def _known(check: Checker, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise check.fail("search.known", "must be a non-empty list of PMIDs or DOIs")
    known = []
    for i, item in enumerate(value):
        text = str(item).strip() if isinstance(item, (str, int)) and not isinstance(item, bool) else ""
        if not (text.isdigit() or normalize_doi(text)):
            raise check.fail(f"search.known[{i}]", f"{item!r} is neither a PMID nor a DOI")
        known.append(text)
    return tuple(known)


def _sources(check: Checker, value: Any) -> tuple[FileSource, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise check.fail("sources", "must be a list of {name, file, format}")
    sources = []
    for i, raw in enumerate(value):
        key = f"sources[{i}]"
        item = check.mapping(raw, key, _SOURCE_KEYS)
        file_text = check.text(item.get("file"), f"{key}.file", required=True)
        path = (check.path.parent / file_text).resolve()
        if not path.is_file():
            raise check.fail(f"{key}.file", f"{file_text!r} not found (looked for {path})")
        fmt = check.text(item.get("format"), f"{key}.format", required=True)
        if fmt not in IMPORT_FORMATS:
            raise check.fail(f"{key}.format", f"{fmt!r} must be one of {', '.join(IMPORT_FORMATS)}")
        sources.append(
            FileSource(
                name=check.text(item.get("name"), f"{key}.name", required=True),
                path=path,
                format=fmt,
                description=check.text(item.get("description"), f"{key}.description"),
            )
        )
    return tuple(sources)


def load_protocol(path: str | Path) -> Protocol:
    """Load and validate a protocol file.

    Raises:
        ProtocolError: with a one-line message naming file, key and value.

    Example:
        >>> p = load_protocol("queries/trd-pharmacogenomics.yaml")  # doctest: +SKIP
        >>> p.search.start
        datetime.date(2021, 1, 1)
    """
    path = Path(path)
    data = read_yaml(path)
    check = Checker(path)
    if data is None:
        raise check.fail("", "is empty")
    top = check.mapping(data, "", _TOP_KEYS)
    name = check.text(top.get("name"), "name", required=True)
    if not _NAME.match(name):
        raise check.fail("name", f"{name!r} must be lower case letters, digits, '.', '_' or '-'")
    harvest = check.mapping(top.get("harvest") or {}, "harvest", _HARVEST_KEYS)
    sections = {}
    for key in ("criteria", "extraction", "pathways", "convergence"):
        if top.get(key) is not None and not isinstance(top[key], dict | list):
            raise check.fail(key, f"must be a mapping or a list, got {top[key]!r:.60}")
        sections[key] = top.get(key)
    # the graph-stage sections fail now, before any harvesting, rather than at the end of a long run
    modules = protocol_modules(sections["pathways"], path)
    convergence = convergence_settings(sections["convergence"], path)
    extraction = extraction_policy(sections["extraction"], path)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return Protocol(
        name=name,
        path=path,
        title=check.text(top.get("title"), "title"),
        description=check.text(top.get("description"), "description"),
        search=_search(check, top.get("search")),
        batch_size=check.integer(harvest.get("batch_size", 250), "harvest.batch_size", 1, 10000),
        max_ids_per_search=check.integer(
            harvest.get("max_ids_per_search", 9999), "harvest.max_ids_per_search", 10, 9999
        ),
        raw_xml=check.flag(harvest.get("raw_xml", False), "harvest.raw_xml"),
        sources=_sources(check, top.get("sources")),
        sections=sections,
        digest=digest,
        criteria=load_criteria(sections["criteria"], path) if sections.get("criteria") is not None else None,
        modules=modules,
        convergence=convergence,
        other_methods=_other_methods(check, top.get("prisma")),
        extraction=extraction,
    )


def _other_methods(check: Checker, value: Any) -> dict[str, str]:
    """``prisma: {other_methods: {hand-search: citations}}``: the sources identified by other methods."""
    prisma = check.mapping(value or {}, "prisma", {"other_methods"})
    methods = prisma.get("other_methods") or {}
    if not isinstance(methods, dict):
        raise check.fail("prisma.other_methods", f"must be a mapping of source name to method, got {methods!r:.60}")
    found = {}
    for source, method in methods.items():
        where = f"prisma.other_methods.{source}"
        if method not in OTHER_METHODS:
            hint = did_you_mean(method, OTHER_METHODS)
            raise check.fail(where, f"{method!r} must be one of {', '.join(OTHER_METHODS)}{hint}")
        found[str(source)] = str(method)
    return found
