"""``report.html``: one self-contained page (no scripts, no external files) with the PRISMA diagram, the
convergence summary, a picture of the evidence graph and the evidence tables."""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from pathlib import Path
from urllib.parse import quote

import networkx as nx

from evsynth.fileio import atomic_writer
from evsynth.synthesis.convergence import ConvergenceRow
from evsynth.synthesis.evidence import EvidenceRecord, ExcludedStudy
from evsynth.synthesis.graph_formats import TYPE_COLOURS
from evsynth.synthesis.tables import TABLES, table_rows

PICTURE_NODES = 60  # the picture shows modules, treatments and the entities with the most records, up to this many
_WIDTH, _HEIGHT, _MARGIN = 1000, 720, 70


def picture_nodes(graph: nx.Graph, limit: int = PICTURE_NODES) -> list[str]:
    """Modules and treatments with evidence, then the best-supported genes, families, miRNAs and variants."""

    def records(key: str) -> int:
        return int(graph.nodes[key].get("n_records", 0))

    fixed = sorted((n for n, t in graph.nodes(data="type") if t in ("module", "treatment")), key=lambda n: -records(n))
    fixed = fixed[: limit // 2]
    others = sorted(
        (n for n, t in graph.nodes(data="type") if t in ("gene", "family", "mirna", "variant")),
        key=lambda n: (-records(n), n),
    )
    return fixed + others[: limit - len(fixed)]


def layout(graph: nx.Graph, nodes: list[str]) -> dict[str, tuple[float, float]]:
    """Spring layout of the picture's nodes, weighted by edge score, scaled to the picture (deterministic)."""
    if not nodes:
        return {}
    # modules sit fixed on a ring and pull their members outwards; treatments start in the middle; a hidden hub
    # tied weakly to every node keeps unconnected parts from drifting to the edges of the picture
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    edges = list(graph.subgraph(nodes).edges(data=True))
    top = max((float(d.get("score", 1.0)) for *_, d in edges), default=1.0) or 1.0
    # membership pulls hardest, so members gather by their module; co-mentions by their share of the top score
    sub.add_edges_from(
        (a, b, {"score": 1.0 if d.get("relation") == "member_of" else 0.2 + 0.5 * float(d["score"]) / top})
        for a, b, d in edges
    )
    modules = sorted(n for n in nodes if graph.nodes[n]["type"] == "module")
    start = {
        n: (1.15 * math.cos(2 * math.pi * i / len(modules)), 1.15 * math.sin(2 * math.pi * i / len(modules)))
        for i, n in enumerate(modules)
    }
    hub = "\0hub"
    sub.add_edges_from(((hub, n) for n in nodes), score=0.1)
    start[hub] = (0.0, 0.0)
    fixed = [*modules, hub] if modules else None
    raw = nx.spring_layout(
        sub, pos=start or None, fixed=fixed, seed=7, weight="score", k=2.0 / math.sqrt(len(nodes)), iterations=300
    )
    raw.pop(hub)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        n: (
            _MARGIN + (float(p[0]) - min(xs)) / span_x * (_WIDTH - 2 * _MARGIN),
            _MARGIN + (float(p[1]) - min(ys)) / span_y * (_HEIGHT - 2 * _MARGIN),
        )
        for n, p in raw.items()
    }


def graph_svg(graph: nx.Graph, limit: int = PICTURE_NODES) -> str:
    """An SVG picture of the graph's core: colour by type, size by records, line width by score."""
    nodes = picture_nodes(graph, limit)
    pos = layout(graph, nodes)
    sub = graph.subgraph(nodes)
    top_score = max((float(s) for _, _, s in sub.edges(data="score")), default=1.0) or 1.0
    top_records = max((int(graph.nodes[n].get("n_records", 1)) for n in nodes), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="100%" '
        f'role="img" aria-label="evidence graph" font-family="sans-serif">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="#ffffff"/>',
    ]
    for a, b, data in sorted(sub.edges(data=True), key=lambda e: float(e[2].get("score", 0))):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        width = 0.6 + 6.0 * float(data.get("score", 0)) / top_score
        dash = ' stroke-dasharray="5,4"' if data.get("relation") == "member_of" else ""
        tip = f"{graph.nodes[a]['name']} – {graph.nodes[b]['name']}: {data.get('n_records', 0)} records"
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#8c8c8c" '
            f'stroke-opacity="0.55" stroke-width="{width:.2f}"{dash}><title>{escape(tip)}</title></line>'
        )
    for key in nodes:
        data = graph.nodes[key]
        x, y = pos[key]
        radius = 7 + 16 * math.sqrt(int(data.get("n_records", 1)) / top_records)
        colour = TYPE_COLOURS.get(str(data["type"]), "#cccccc")
        tip = f"{data['name']} ({data['type']}): {data.get('n_records', 0)} records"
        shape = (
            f'<rect x="{x - radius:.1f}" y="{y - radius:.1f}" width="{2 * radius:.1f}" height="{2 * radius:.1f}" rx="5"'
            if data["type"] == "module"
            else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"'
        )
        parts.append(
            f'{shape} fill="{colour}" stroke="#333" stroke-width="1"><title>{escape(tip)}</title>'
            f"{'</rect>' if data['type'] == 'module' else '</circle>'}"
        )
        parts.append(
            f'<text x="{x:.1f}" y="{y + radius + 12:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#111">{escape(str(data["name"]))}</text>'
        )
    legend_y = 18
    for kind in ("module", "gene", "family", "variant", "mirna", "treatment"):
        parts.append(
            f'<circle cx="16" cy="{legend_y}" r="6" fill="{TYPE_COLOURS[kind]}" stroke="#333"/>'
            f'<text x="28" y="{legend_y + 4}" font-size="12">{"miRNA" if kind == "mirna" else kind}</text>'
        )
        legend_y += 18
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;
line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;
font-size:.85rem;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.yes{color:#0a6b2d;font-weight:600}.no{color:#888}.note{color:#555;font-size:.9rem}
figure{margin:0}svg{max-width:100%;height:auto;border:1px solid #eee}
pre.query{white-space:pre-wrap;background:#f6f6f6;padding:.6rem;font-size:.8rem}"""


def _doi_link(doi: str, shown: str) -> str:
    """``shown`` (already HTML) linked to the DOI."""
    return f'<a href="https://doi.org/{escape(quote(doi, safe="/:;()"))}">{shown}</a>'


def _id_link(pmid: str, doi: str) -> str:
    """The PMID linked to PubMed, else the DOI linked to doi.org, else nothing."""
    if pmid:
        return f'<a href="https://pubmed.ncbi.nlm.nih.gov/{escape(pmid)}/">{escape(pmid)}</a>'
    return _doi_link(doi, escape(doi)) if doi else ""


def _record_links(keys: tuple[str, ...] | list[str], known: dict[str, EvidenceRecord]) -> str:
    """PMIDs as PubMed links; a record without one (a Scopus or RIS import) as its first author, year and title,
    linked to its DOI when it has one: never the store's internal key."""

    def one(key: str) -> str:
        if key.isdigit():
            return _id_link(key, "")
        record = known.get(key)
        if record is None:
            return "a record without a PMID"
        short = record.title if len(record.title) <= 80 else record.title[:77] + "..."
        shown = f"{escape(record.citation)}, {escape(short)}" if record.citation != record.key else escape(short)
        return _doi_link(record.doi, shown) if record.doi else shown

    return ", ".join(one(key) for key in keys)


def _included_table(records: list[EvidenceRecord]) -> list[str]:
    """Table 1: every included study with its title, design and sample size, by year then first author."""
    rows = sorted(records, key=lambda r: (r.year or 0, r.first_author, r.key))
    html = [f"<h2>Table 1. Included studies ({len(rows)})</h2><table><tr><th>Study</th><th>Title</th><th>Design</th>"
            "<th>N</th><th>PMID or DOI</th></tr>"]  # fmt: skip
    for record in rows:
        size = "" if record.design.sample_size is None else str(record.design.sample_size)
        link = _id_link(record.pmid or "", record.doi or "")
        cells = (escape(record.citation), escape(record.title), escape(record.design.primary or "-"), escape(size))
        html.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in (*cells, link)) + "</tr>")
    return [*html, "</table>"]


def _excluded_table(excluded: list[ExcludedStudy]) -> list[str]:
    """The excluded studies with the reason for each (collapsed: a review may exclude thousands)."""
    if not excluded:
        return []
    html = [f"<details><summary><h2 style='display:inline'>Excluded studies ({len(excluded)}), with reasons</h2>"
            "</summary><table><tr><th>Study</th><th>Title</th><th>Reason</th><th>PMID or DOI</th></tr>"]  # fmt: skip
    for study in excluded:
        cells = (escape(study.citation), escape(study.title), escape(study.reason), _id_link(study.pmid, study.doi))
        html.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return [*html, "</table></details>"]


def render_report(
    *,
    title: str,
    graph: nx.Graph,
    rows: list[ConvergenceRow],
    records: list[EvidenceRecord],
    prisma_svg: str | None,
    settings_text: str,
    search: str = "",
    excluded: list[ExcludedStudy] | None = None,
) -> str:
    """The report page as HTML text."""
    modules = [r for r in rows if r.level == "module" and r.n_records]
    known = {record.key: record for record in records}
    convergent_entities = [r for r in rows if r.level != "module" and r.convergent]
    html = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='note'>Generated by evsynth on {dt.date.today().isoformat()} from {len(records)} included "
        f"records: {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges. Every finding below "
        "comes from the records' titles and abstracts and links to the PMIDs behind it.</p>",
    ]
    if search:
        where, _, query = search.partition("\n")
        html.append(f"<h2>Search</h2><p>{escape(where)}</p><pre class='query'>{escape(query)}</pre>")
    html.append("<h2>PRISMA 2020 flow</h2>")
    html.append(f"<figure>{prisma_svg}</figure>" if prisma_svg else "<p>No screening in this protocol.</p>")
    html.append("<h2>Convergence</h2>")
    html.append(f"<p class='note'>{escape(settings_text)}</p>")
    html.append(
        "<table><tr><th>Pathway / module</th><th>Convergent</th><th>Primary records</th><th>Reviews</th>"
        "<th>Evidence by treatment modality</th><th>Members named</th></tr>"
    )
    for row in modules:
        by_modality = "<br>".join(f"{escape(m)}: {_record_links(p, known)}" for m, p in row.modality_pmids) or "none"
        verdict = "yes" if row.convergent else "no"
        html.append(
            f"<tr><td>{escape(row.name)}</td><td class='{verdict}' title='{escape(row.reason)}'>{verdict}</td>"
            f"<td>{row.n_primary}</td><td>{row.n_reviews}</td><td>{by_modality}</td>"
            f"<td>{escape(', '.join(row.members))}</td></tr>"
        )
    html.append("</table>")
    html.append(
        f"<p>Convergent genes, families and microRNAs ({len(convergent_entities)}): "
        + (
            ", ".join(
                f"<b>{escape(r.name)}</b> ({escape('; '.join(r.modalities)) or r.n_primary})"
                for r in convergent_entities
            )
            or "none"
        )
        + ".</p>"
    )
    html.append("<h2>Evidence graph</h2><figure>" + graph_svg(graph) + "</figure>")
    html.append(
        f"<p class='note'>The core of the graph: modules, treatments and the best-supported entities "
        f"(up to {PICTURE_NODES} nodes). Line width grows with the edge score "
        f"({escape(str(graph.graph.get('score_formula', '')))}); dashed lines are module membership. "
        "Open graph.cx2 in Cytoscape for the whole graph.</p>"
    )
    html += _included_table(records)
    html += _excluded_table(excluded or [])
    grouped = table_rows(records)
    for table, caption in TABLES.items():
        html.append(
            f"<h2>{escape(caption)}</h2><table><tr><th>PMID or DOI</th><th>Study</th><th>Design</th><th>N</th>"
            "<th>Genes</th><th>Variants</th><th>miRNAs</th><th>Treatments</th></tr>"
        )
        for line in grouped[table]:
            html.append(
                "<tr>"
                + f"<td>{_record_links([line['pmid']], known)}</td>"
                + "".join(
                    f"<td>{escape(line[c])}</td>"
                    for c in ("citation", "design", "sample_size", "genes", "variants", "mirnas", "treatments")
                )
                + "</tr>"
            )
        html.append("</table>")
    html.append("</body></html>")
    return "\n".join(html)


def write_report(path: Path, **parts: object) -> Path:
    with atomic_writer(path) as handle:
        handle.write(render_report(**parts))  # type: ignore[arg-type]
    return path
