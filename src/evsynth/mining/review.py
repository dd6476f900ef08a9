"""A review's convergence links tested against a mined background (:mod:`evsynth.mining.background`), written as
``convergence-background.csv``, two more columns of ``convergence.csv``, and a section of the report."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.mining.background import ENRICHED_Q, Background, Link, LinkQuery
from evsynth.synthesis.build import Synthesis
from evsynth.synthesis.convergence import COLUMNS
from evsynth.synthesis.graph import mention_nodes, modules_of

LINK_COLUMNS = (
    "level", "id", "name", "treatment", "treatment_name", "review_records", "background_x", "background_treatment",
    "background_both", "background_records", "expected", "lift", "pmi", "p_value", "q_value", "enriched",
)  # fmt: skip


def link_queries(synthesis: Synthesis) -> list[LinkQuery]:
    """Every module or entity of the convergence table with each treatment its records name."""
    graph = synthesis.graph
    treatments_of: dict[str, set[str]] = {}
    for record in synthesis.records:
        treatments_of[record.key] = {key for m in record.mentions if m.type == "treatment"
                                     for key, _ in mention_nodes(m) if key in graph}  # fmt: skip
    members = modules_of(graph)
    queries = []
    for row in synthesis.rows:
        if not row.n_records:
            continue
        keys = frozenset(members.get(f"module:{row.id}", [])) if row.level == "module" else frozenset(
            {f"{row.level}:{row.id}"})  # fmt: skip
        counts: dict[str, int] = defaultdict(int)
        for pmid in row.pmids:
            for treatment in treatments_of.get(pmid, ()):
                counts[treatment] += 1
        for treatment, review in sorted(counts.items()):
            name = str(graph.nodes[treatment]["name"])
            queries.append(LinkQuery(row.level, row.id, row.name, keys, treatment, name, review))
    return queries


def apply_background(synthesis: Synthesis, background: Background, out_dir: Path) -> dict[str, Path]:
    """Test the review's links; write convergence-background.csv and convergence.csv with the two columns; give
    the report its section. Returns the files written."""
    links = background.test(link_queries(synthesis))
    paths = {"convergence_background": out_dir / "convergence-background.csv", "convergence": out_dir /
             "convergence.csv"}  # fmt: skip
    with atomic_writer(paths["convergence_background"], newline="") as handle:
        writer = CsvWriter(handle, fieldnames=LINK_COLUMNS)
        writer.writeheader()
        writer.writerows(_row(link) for link in links)
    by_row: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in links:
        by_row[(link.level, link.id)].append(link)
    with atomic_writer(paths["convergence"], newline="") as handle:
        writer = CsvWriter(handle, fieldnames=(*COLUMNS, "background_enriched", "background_links"))
        writer.writeheader()
        for row in synthesis.rows:
            mine = by_row.get((row.level, row.id), [])
            writer.writerow({**row.to_row(), "background_enriched": "; ".join(x.treatment_name for x in mine
                                                                              if x.enriched),
                             "background_links": "; ".join(x.describe() for x in mine)})  # fmt: skip
    enriched = [link for link in links if link.enriched]
    synthesis.background_note = (
        f"Background: {background.records:,} records mined from PubMed files ({background.folder.name}). For each "
        "pathway or entity and each treatment its records name, the background counts the records naming both and "
        "the number expected if the literature named them independently; a link is enriched when they are named "
        f"together more than chance would give (Benjamini-Hochberg q < {ENRICHED_Q}, lift > 1). "
        f"{len(enriched)} of {len(links)} links are enriched."
    )
    synthesis.background_rows = [
        {"what": link.name, "treatment": link.treatment_name, "review": str(link.review),
         "background": str(link.background_both), "expected": f"{link.expected:.2g}", "lift": f"{link.lift:.1f}",
         "q": f"{link.q_value:.2g}", "enriched": "yes" if link.enriched else "no"}
        for link in sorted(links, key=lambda x: (x.q_value, -x.lift, x.name, x.treatment_name))[:40]
    ]  # fmt: skip
    return paths


def _row(link: Link) -> dict[str, object]:
    return {
        "level": link.level, "id": link.id, "name": link.name, "treatment": link.treatment,
        "treatment_name": link.treatment_name, "review_records": link.review, "background_x": link.background_x,
        "background_treatment": link.background_t, "background_both": link.background_both,
        "background_records": link.background_records, "expected": f"{link.expected:.3f}",
        "lift": f"{link.lift:.3f}", "pmi": "" if link.pmi is None else f"{link.pmi:.3f}",
        "p_value": f"{link.p_value:.3g}", "q_value": f"{link.q_value:.3g}",
        "enriched": "yes" if link.enriched else "no",
    }  # fmt: skip
