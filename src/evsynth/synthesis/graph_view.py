"""The report's interactive evidence graph: the graph as data for cytoscape.js (bundled, inlined: the page needs
no network), in the CX2 style's colours and shapes, with the evidence and records behind every node and edge."""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

import networkx as nx

from evsynth.synthesis.evidence import EvidenceRecord, doi_address, pubmed_address
from evsynth.synthesis.graph_formats import TYPE_COLOURS, TYPE_SHAPES
from evsynth.synthesis.picture import (
    HEIGHT,
    LEGEND_TYPES,
    WIDTH,
    Positions,
    canvas_scale,
    label_lines,
    label_order,
    layout,
    node_radius,
    picture_nodes,
    place_labels,
    type_label,
)

VIEW_NODES = 400  # a bigger graph shows its best-supported part (graph.cx2 has it all)
NODE_RECORDS = 60  # records listed for a node; the rest are counted
EDGE_EVIDENCE = 12  # evidence sentences listed for an edge (its other records are listed without one)
# where cytoscape.js puts a label (text-valign, text-halign) for each side the label placement chose
_ALIGN = {
    "below": ("bottom", "center"),
    "above": ("top", "center"),
    "right": ("center", "right"),
    "left": ("center", "left"),
    "below-right": ("bottom", "right"),
    "below-left": ("bottom", "left"),
    "above-right": ("top", "right"),
    "above-left": ("top", "left"),
}
RELATIONS = {"co-mention": "co-mentioned", "member_of": "member of", "variant_of": "variant of"}


def _asset(name: str) -> str:
    return resources.files("evsynth.synthesis").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(document: object) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could end it or open a comment."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Records:
    """Each record key as [shown text, address]: a PMID linked to PubMed; a record without one as its first
    author, year and short title, linked to its DOI when it has one; never the store's internal key."""

    def __init__(self, records: list[EvidenceRecord]) -> None:
        self.known = {record.key: record for record in records}

    def __call__(self, key: str) -> list[str]:
        if key.isdigit():
            return [f"PMID {key}", pubmed_address(key)]
        record = self.known.get(key)
        if record is None:
            return ["a record without a PMID", ""]
        return [record.reference, doi_address(record.doi) if record.doi else ""]


def _ids(data: dict[str, Any]) -> str:
    """What identifies a node for a reader: HGNC and NCBI Gene, miRBase, MeSH, FamPlex, a variant's gene, a
    module's sources."""
    kind = data.get("type")
    if kind == "gene":
        parts = [str(data.get("hgnc") or ""), f"NCBI Gene {data['ncbi_gene']}" if data.get("ncbi_gene") else ""]
    elif kind == "mirna":
        parts = [str(data.get("mirbase") or ""), "family-level name" if data.get("family_level") else ""]
    elif kind == "variant":
        parts = [f"in {data['gene']}" if data.get("gene") else "", str(data.get("kind") or "")]
    elif kind == "module":
        parts = [str(s) for s in data.get("sources", [])]
    else:
        parts = [str(data.get("treatment_id") or data.get("famplex") or data.get("mesh") or "")]
    return " · ".join(p for p in parts if p)


def view_data(graph: nx.Graph, records: list[EvidenceRecord], positions: Positions | None = None) -> dict[str, Any]:
    """Nodes and edges as graph-view.js reads them. ``positions`` (graph.cx2's layout) is used when it places
    every node shown; otherwise the shown part is laid out here."""
    shown = list(graph) if graph.number_of_nodes() <= VIEW_NODES else picture_nodes(graph, VIEW_NODES)
    if positions is None or any(n not in positions for n in shown):
        positions = layout(graph, shown)
    record = _Records(records)
    top_records = max((int(graph.nodes[n].get("n_records", 1)) for n in shown), default=1) or 1
    radius = {n: node_radius(graph, n, top_records) for n in shown}
    lines = {n: label_lines(str(graph.nodes[n].get("name", n))) for n in shown}
    # the names that fit beside their node without overlapping show at every zoom; the others once zoomed in
    scale = canvas_scale(len(shown))
    placed = place_labels(label_order(graph, shown, radius), positions, radius, lines,
                          bounds=(WIDTH * scale, HEIGHT * scale), reach=(0.0,))  # fmt: skip
    nodes = []
    for key in shown:
        data = graph.nodes[key]
        kind = str(data.get("type", ""))
        keys = [str(p) for p in data.get("pmids", [])]
        x, y = positions[key]
        valign, halign = _ALIGN[placed[key].side] if key in placed else ("bottom", "center")
        nodes.append(
            {
                "id": key,
                "name": str(data.get("name", key)),
                "label": "\n".join(lines[key]),
                "type": kind,
                "kind": type_label(kind),
                "ids": _ids(data),
                "shape": TYPE_SHAPES.get(kind, "ellipse"),
                "colour": TYPE_COLOURS.get(kind, "#cccccc"),
                "size": round(2 * radius[key], 1),
                "major": key in placed,
                "valign": valign,
                "halign": halign,
                "n_records": int(data.get("n_records", len(keys))),
                "records": [record(k) for k in keys[:NODE_RECORDS]],
                "more": max(0, len(keys) - NODE_RECORDS),
                "x": round(x, 1),
                "y": round(y, 1),
            }
        )
    sub = graph.subgraph(shown)
    top_score = max((float(s) for _, _, s in sub.edges(data="score")), default=1.0) or 1.0
    edges = []
    for number, (a, b, data) in enumerate(sorted(sub.edges(data=True), key=lambda e: (e[0], e[1]))):
        evidence = []
        for line in [str(e) for e in data.get("evidence", [])][:EDGE_EVIDENCE]:
            key, _, sentence = line.partition(": ")
            evidence.append([*record(key), sentence])
        # the records behind the edge that no sentence above stands for (membership edges have none)
        said = {line.partition(": ")[0] for line in data.get("evidence", [])}
        evidence += [[*record(str(k)), ""] for k in data.get("pmids", []) if str(k) not in said]
        evidence = evidence[:NODE_RECORDS]
        relation = str(data.get("relation", ""))
        n_records = int(data.get("n_records", 0))
        edges.append(
            {
                "id": f"e{number}",
                "source": a,
                "target": b,
                "relation": relation,
                "kind": RELATIONS.get(relation, relation),
                "title": f"{graph.nodes[a].get('name', a)} – {graph.nodes[b].get('name', b)}",
                "n_records": n_records,
                "score": round(float(data.get("score", 0.0)), 2),
                "width": round(0.8 + 6.0 * float(data.get("score", 0.0)) / top_score, 2),
                "evidence": evidence,
                "more": max(0, n_records - len(evidence)),
            }
        )
    return {"nodes": nodes, "edges": edges}


def graph_view_html(graph: nx.Graph, records: list[EvidenceRecord], positions: Positions | None = None) -> str:
    """The interactive graph's section: canvas, search, type filters and evidence panel, the graph as JSON and
    the scripts (cytoscape.js and graph-view.js) inline."""
    data = view_data(graph, records, positions)
    present = {node["type"] for node in data["nodes"]}
    filters = "".join(
        f'<label><input type="checkbox" checked data-type="{kind}"> '
        f'<span class="swatch" style="background:{TYPE_COLOURS[kind]}"></span>{escape(type_label(kind))}</label>'
        for kind in LEGEND_TYPES
        if kind in present
    )
    part = "" if len(data["nodes"]) == graph.number_of_nodes() else f" (the {VIEW_NODES} best-supported nodes)"
    return (
        '<div id="graph-live">'
        f'<div class="graph-tools"><input type="search" placeholder="Find a gene, miRNA, treatment…" '
        f'aria-label="Find a node"> {filters} <button type="button" class="fit">Fit</button></div>'
        '<div class="graph-body"><div class="graph-canvas" role="img" '
        f'aria-label="interactive evidence graph{escape(part)}"></div>'
        '<aside class="graph-info" aria-live="polite"><p class="note">Point at (or tap) a node or an edge to see '
        "the records and the sentences behind it. Scroll or pinch to zoom; smaller names appear as you zoom in."
        "</p></aside></div></div>"
        f'<script type="application/json" id="graph-data">{_script_json(data)}</script>'
        f"<script>{_asset('cytoscape.min.js')}</script>"
        f"<script>{_asset('graph-view.js')}</script>"
    )


GRAPH_CSS = """#graph-live{display:none}body.graph-live #graph-live{display:block}
body.graph-live #graph-static{display:none}body.graph-live #graph-static.open{display:block}
.graph-tools{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;margin:.5rem 0;font-size:.85rem}
.graph-tools input[type=search]{flex:1 1 14rem;padding:.3rem}.swatch{display:inline-block;width:.8em;height:.8em;
margin:0 .3em 0 .1em;border:1px solid #333;vertical-align:-.05em}
.graph-body{display:flex;flex-wrap:wrap;gap:.8rem}.graph-canvas{flex:3 1 520px;min-width:0;height:70vh;min-height:380px;
border:1px solid #ddd}.graph-info{flex:1 1 240px;min-width:0;max-height:70vh;overflow:auto;font-size:.85rem}
.graph-info h3{margin:.2rem 0;font-size:1rem}.graph-info ul{padding-left:1.1rem}.graph-info li{margin:.2rem 0}
@media print{#graph-live{display:none!important}#graph-static{display:block!important}}"""
