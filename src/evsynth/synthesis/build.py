"""The graph stage of ``evsynth run``: evidence graph, convergence, Cytoscape exports, tables and report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from evsynth.protocol.extraction import PUBTATOR3
from evsynth.protocol.loader import Protocol
from evsynth.protocol.pathways import ConvergenceSettings, Module, check_members
from evsynth.store.annotations import annotation_states
from evsynth.store.database import Store
from evsynth.store.decisions import ReviewState
from evsynth.store.runs import last_search
from evsynth.synthesis.convergence import ConvergenceRow, convergence
from evsynth.synthesis.evidence import EvidenceRecord, ExcludedStudy, excluded_studies, load_evidence
from evsynth.synthesis.exports import GRAPH_FORMATS, export_graph
from evsynth.synthesis.graph import build_graph
from evsynth.synthesis.picture import Positions, layout
from evsynth.synthesis.report import write_report
from evsynth.synthesis.tables import write_convergence, write_evidence_tables
from evsynth.tagger import learned
from evsynth.tagger.lexicon import Lexicon, default_lexicon

LAYOUT_LIMIT = 400


@dataclass
class Synthesis:
    records: list[EvidenceRecord]
    graph: nx.Graph
    rows: list[ConvergenceRow]
    modules: dict[str, Module]
    settings: ConvergenceSettings
    search: str = ""  # the search as run: database, query, window and when it last ran (for the report)
    extraction: str = ""  # whose mentions, when the protocol takes PubTator3's (for the report)
    background_note: str = ""  # the background statistics explained, when a mined background is given
    background_rows: list[dict[str, str]] = field(default_factory=list)  # their strongest links, for the report
    excluded: list[ExcludedStudy] = field(default_factory=list)  # the screened records excluded, with reasons
    outputs: dict[str, Path] = field(default_factory=dict)
    positions: Positions | None = None  # the layout graph.cx2 carries, once written

    @property
    def convergent_modules(self) -> list[str]:
        return [r.name for r in self.rows if r.level == "module" and r.convergent]


def settings_text(settings: ConvergenceSettings) -> str:
    counted = "all records" if settings.count_reviews else "primary records (reviews are listed but not counted)"
    return (
        f"Convergent: evidence from at least {settings.min_modalities} treatment modalities, or at least "
        f"{settings.min_records} independent records; counted over {counted}. Umbrella terms "
        f"({', '.join(settings.ignore_treatments) or 'none'}) are not a modality. Thresholds: the protocol's "
        "`convergence:` section."
    )


def synthesise(
    protocol: Protocol,
    store: Store,
    state: ReviewState,
    *,
    include_records: bool = False,
    lexicon: Lexicon | None = None,
) -> Synthesis:
    """Build the graph and the convergence rows for the records the review covers (``state.included``)."""
    modules = protocol.modules
    lexicon = lexicon or default_lexicon()
    check_members(modules, lexicon.by_symbol, {family.id for family in lexicon.families})
    settings = protocol.convergence
    records = load_evidence(store, state.included, protocol.extraction)
    graph = build_graph(records, modules, include_records=include_records, name=protocol.title or protocol.name)
    graph.graph["protocol"] = protocol.name
    rows = convergence(graph, records, modules, settings)
    search = search_text(protocol, last_search(store, protocol.name))
    excluded = excluded_studies(protocol, store, state) if state.screened else []
    extraction = extraction_text(protocol, store, state.included)
    return Synthesis(records, graph, rows, modules, settings, search=search, excluded=excluded, extraction=extraction)


def extraction_text(protocol: Protocol, store: Store, record_ids: Iterable[int]) -> str:
    """Whose mentions the review uses, which of evsynth's tiers made its own and the confidence floor, as the
    report states them ("" for evsynth's dictionary tier alone with no floor)."""
    policy = protocol.extraction
    parts = []
    if policy.external:
        ids = set(record_ids)
        annotated = sum(s.status == "annotated" for s in annotation_states(store, PUBTATOR3, ids).values())
        parts.append(
            f"Mentions: {policy.describe()} (the protocol's extraction policy). PubTator3 annotations were used for "
            f"{annotated} of the {len(ids)} included records; evsynth's own tags for the others, and for microRNAs, "
            "gene families and procedures throughout (annotation-sources.csv says which record had which)."
        )
    elif policy.tier != "dictionary" or policy.min_confidence:
        parts.append(f"Mentions: evsynth's tags, {policy.describe()} (the protocol's extraction policy).")
    if policy.tier != "dictionary":
        model = learned.provenance()
        parts.append(
            f"The learned tier's model: {model['model']} (sha256 {str(model['sha256'])[:12]}), trained "
            f"{model['trained']} on {model['documents']} annotated abstracts."
        )
    if policy.min_confidence:
        parts.append(
            f"Mentions less sure than {policy.min_confidence:g} are left out of the graph and the evidence tables; "
            "mentions.jsonl keeps them with their confidence."
        )
    return " ".join(parts)


def search_text(protocol: Protocol, searched: str) -> str:
    """The search as the report states it: where, when, which window and the query."""
    search = protocol.search
    window = (
        f"published {search.start or 'any time'} to {search.end or 'now'} ([{search.date_field}])"
        if search.start or search.end
        else "no date limit"
    )
    when = f"last searched {searched[:10]}" if searched else "not searched yet"
    database = "PubMed" if search.database == "pubmed" else search.database
    return f"{database}, {when}; {window}.\n{search.query}"


def _inline_svg(path: Path) -> str | None:
    if not path.is_file():
        return None
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", path.read_text(encoding="utf-8"))


def write_synthesis(
    result: Synthesis,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = tuple(GRAPH_FORMATS),
) -> dict[str, Path]:
    """The graph stage's outputs but the report into ``out_dir`` (Cytoscape exports, convergence, evidence
    tables); return name -> path. The layout graph.cx2 carries is kept for the report's interactive graph."""
    outputs: dict[str, Path] = {}
    # CX2 carries a layout when it is cheap (a few hundred nodes); bigger graphs are left to Cytoscape's layouts
    small = result.graph.number_of_nodes() <= LAYOUT_LIMIT
    result.positions = layout(result.graph, list(result.graph)) if small else None
    for fmt in formats:
        for number, path in enumerate(
            export_graph(result.graph, fmt, out_dir / GRAPH_FORMATS[fmt].default_file, result.positions)
        ):
            outputs[fmt if number == 0 else path.name] = path
    outputs.update(write_convergence(result.rows, out_dir, settings_text=settings_text(result.settings)))
    outputs.update(write_evidence_tables(result.records, out_dir))
    result.outputs = outputs
    return outputs


def write_synthesis_report(
    result: Synthesis,
    out_dir: Path,
    *,
    title: str,
    prisma_svg: Path | None = None,
    changes: dict[str, Any] | None = None,
) -> Path:
    """report.html into ``out_dir``. ``prisma_svg`` is the diagram this run wrote, inlined in the report (a
    protocol without criteria has none, whatever file the folder holds); ``changes`` what the last update found."""
    path = write_report(
        out_dir / "report.html",
        title=title,
        graph=result.graph,
        rows=result.rows,
        records=result.records,
        prisma_svg=_inline_svg(prisma_svg) if prisma_svg else None,
        settings_text=settings_text(result.settings),
        search=result.search,
        extraction=result.extraction,
        background=(result.background_note, result.background_rows),
        excluded=result.excluded,
        positions=result.positions,
        changes=changes,
    )
    result.outputs["report"] = path
    return path
