"""``report.html``: one self-contained page (nothing fetched, no other file) with the search, what the last update
changed, the PRISMA diagram, the convergence summary, the evidence graph (interactive, with a static picture for
printing and for readers without scripts), the included and excluded studies and the evidence tables."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

import networkx as nx

from evsynth.fileio import atomic_writer
from evsynth.synthesis.changes import LISTS
from evsynth.synthesis.changes_report import why
from evsynth.synthesis.convergence import ConvergenceRow
from evsynth.synthesis.evidence import EvidenceRecord, ExcludedStudy, doi_address, pubmed_address
from evsynth.synthesis.graph_view import GRAPH_CSS, graph_view_html
from evsynth.synthesis.picture import PICTURE_NODES, Positions, graph_svg
from evsynth.synthesis.tables import TABLES, table_rows

_CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;
line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;
font-size:.85rem;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.yes{color:#0a6b2d;font-weight:600}.no{color:#888}.note{color:#555;font-size:.9rem}
figure{margin:0}svg{max-width:100%;height:auto;border:1px solid #eee}
pre.query{white-space:pre-wrap;background:#f6f6f6;padding:.6rem;font-size:.8rem}
@media (max-width:700px){table{display:block;overflow-x:auto}}"""
_CHANGE_ROWS = 50  # rows per list in the report's "what changed" section; changes.md and changes.json have all


def _doi_link(doi: str, shown: str) -> str:
    """``shown`` (already HTML) linked to the DOI."""
    return f'<a href="{escape(doi_address(doi))}">{shown}</a>'


def _id_link(pmid: str, doi: str) -> str:
    """The PMID linked to PubMed, else the DOI linked to doi.org, else nothing."""
    if pmid:
        return f'<a href="{escape(pubmed_address(pmid))}">{escape(pmid)}</a>'
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
        return _doi_link(record.doi, escape(record.reference)) if record.doi else escape(record.reference)

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


def _changes_section(changes: dict[str, Any] | None, known: dict[str, EvidenceRecord]) -> list[str]:
    """What the last update changed: the studies that came in or went out, notices, deletions and pathways whose
    verdict turned (changes.md has every list in full)."""
    if changes is None:
        return []
    when = str(changes.get("generated_at", ""))[:10]
    html = ["<h2>What changed at the last update</h2>"]
    since = changes.get("since")
    if not since:
        return [*html, f"<p>The first version of this review (run {changes.get('run_id')}, {escape(when)}): every "
                "record was new.</p>"]  # fmt: skip
    summary = changes.get("summary", {})
    counted = [f"{summary[name]} {name.replace('_', ' ')}" for name in LISTS if summary.get(name)]
    html.append(
        f"<p>Run {changes.get('run_id')} ({escape(when)}) against the review as it stood after run "
        f"{since.get('run_id')} ({escape(str(since.get('snapshot_at', ''))[:10])}): "
        + (escape(", ".join(counted)) if counted else "nothing changed")
        + ". <span class='note'>changes.md lists everything.</span></p>"
    )

    def record(item: dict[str, Any]) -> str:
        pmid, key, doi = (str(item.get(name) or "") for name in ("pmid", "record_key", "doi"))
        if pmid.isdigit() or key not in known:
            return _id_link(pmid if pmid.isdigit() else "", doi) or "no PMID or DOI"
        return _record_links([key], known)

    lists: list[tuple[str, list[str], list[list[str]]]] = [
        ("Newly included", ["Study", "Title", "Was"], [
            [record(i), escape(str(i.get("title", ""))), escape(str(i.get("was", "")))]
            for i in changes.get("newly_included", [])]),
        ("No longer included", ["Study", "Title", "Now", "Why"], [
            [record(i), escape(str(i.get("title", ""))), escape(str(i.get("now", ""))), escape(why(i))]
            for i in changes.get("no_longer_included", [])]),
        ("Retractions, errata and notices", ["Study", "Title", "Notice"], [
            [record(i), escape(str(i.get("title", ""))), escape(str(i.get("notice", "")))]
            for i in changes.get("notices", [])]),
        ("Deleted by PubMed", ["Study", "Title"], [
            [record(i), escape(str(i.get("title", "")))] for i in changes.get("deleted_records", [])]),
        ("Pathways that became convergent", ["Pathway"], [
            [escape(str(i.get("name", "")))] for i in changes.get("newly_convergent", [])]),
        ("Pathways no longer convergent", ["Pathway"], [
            [escape(str(i.get("name", "")))] for i in changes.get("no_longer_convergent", [])]),
    ]  # fmt: skip
    for heading, header, rows in lists:
        if not rows:
            continue
        html.append(f"<h3>{heading} ({len(rows)})</h3><table><tr>" + "".join(f"<th>{h}</th>" for h in header))
        html += ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows[:_CHANGE_ROWS]]
        html.append("</table>")
        if len(rows) > _CHANGE_ROWS:
            html.append(f"<p class='note'>… and {len(rows) - _CHANGE_ROWS} more in changes.md.</p>")
    return html


def render_report(
    *,
    title: str,
    graph: nx.Graph,
    rows: list[ConvergenceRow],
    records: list[EvidenceRecord],
    prisma_svg: str | None,
    settings_text: str,
    search: str = "",
    extraction: str = "",
    background: tuple[str, list[dict[str, str]]] = ("", []),
    excluded: list[ExcludedStudy] | None = None,
    positions: Positions | None = None,
    changes: dict[str, Any] | None = None,
) -> str:
    """The report page as HTML text."""
    modules = [r for r in rows if r.level == "module" and r.n_records]
    known = {record.key: record for record in records}
    convergent_entities = [r for r in rows if r.level != "module" and r.convergent]
    html = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        f"<style>{_CSS}\n{GRAPH_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='note'>Generated by evsynth on {dt.date.today().isoformat()} from {len(records)} included "
        f"records: {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges. Every finding below "
        "comes from the records' titles and abstracts and links to the PMIDs behind it.</p>",
    ]
    if search:
        where, _, query = search.partition("\n")
        html.append(f"<h2>Search</h2><p>{escape(where)}</p><pre class='query'>{escape(query)}</pre>")
    if extraction:
        html.append(f"<p class='note'>{escape(extraction)}</p>")
    html += _changes_section(changes, known)
    html.append("<h2>PRISMA 2020 flow</h2>")
    html.append(f"<figure>{prisma_svg}</figure>" if prisma_svg else "<p>No screening in this protocol.</p>")
    html.append("<h2>Convergence</h2>")
    html.append(f"<p class='note'>{escape(settings_text)}</p>")
    html += _background_section(*background)
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
    html.append("<h2>Evidence graph</h2>")
    html.append(graph_view_html(graph, records, positions))
    html.append(
        "<div id='graph-static'><figure>" + graph_svg(graph) + "</figure>"
        f"<p class='note'>The core of the graph: modules, treatments and the best-supported entities "
        f"(up to {PICTURE_NODES} nodes); a name that would overlap another is left to the node's tooltip. "
        f"Line width grows with the edge score ({escape(str(graph.graph.get('score_formula', '')))}); dashed "
        "lines are module membership. Open graph.cx2 in Cytoscape for the whole graph.</p></div>"
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


def _background_section(note: str, rows: list[dict[str, str]]) -> list[str]:
    """The links tested against a mined background (evsynth mine), strongest first."""
    if not note:
        return []
    titles = ("Pathway / entity", "Treatment", "Records here", "Background: both", "Expected", "Lift", "q", "Enriched")
    head = "".join(f"<th>{escape(h)}</th>" for h in titles)
    cells = [
        "<tr>" + "".join(f"<td>{escape(row[k])}</td>" for k in ("what", "treatment", "review", "background",
                                                                  "expected", "lift", "q", "enriched")) + "</tr>"
        for row in rows
    ]  # fmt: skip
    return [f"<p class='note'>{escape(note)}</p>", "<table><tr>", head, "</tr>", *cells, "</table>"]


def write_report(path: Path, **parts: object) -> Path:
    with atomic_writer(path) as handle:
        handle.write(render_report(**parts))  # type: ignore[arg-type]
    return path
