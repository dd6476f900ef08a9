"""Graph stage at scale: build the evidence graph, the convergence rows and every export for N included records.

    python benchmarks/bench_graph.py [N]        # default 100,000 records

The records are synthetic (generated here, PMIDs from 90000001): 4-14 mentions each over 3 sentences, drawn
from the packaged lexicon with a long-tailed (Zipf-like) choice of 3,000 genes, 200 microRNAs, 300 variants and
the curated treatments, so that a few entities are in many records as in a real review. Target (issue 5):
graph build and all exports in under a minute. Baseline, measured in the same run: writing the same records'
mentions once as JSON lines (what mentions.jsonl costs), so the ratio says how many "passes over the input"
the graph stage costs.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from evsynth.models import Mention
from evsynth.protocol.pathways import ConvergenceSettings, default_modules
from evsynth.synthesis.convergence import convergence
from evsynth.synthesis.design import classify
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.synthesis.exports import GRAPH_FORMATS, export_graph
from evsynth.synthesis.graph import build_graph
from evsynth.synthesis.tables import write_convergence, write_evidence_tables
from evsynth.tagger.lexicon import default_lexicon


def _pools() -> dict[str, list[tuple[str, str | None, tuple[tuple[str, object], ...]]]]:
    lexicon = default_lexicon()
    rng = random.Random(1)
    curated = [g for m in default_modules().values() for g in m.genes]
    genes = curated + rng.sample([g.symbol for g in lexicon.genes if g.ncbi], 3000 - len(curated))
    gene_of = {g.symbol: g for g in lexicon.genes}
    gene_pool = [(s, gene_of[s].ncbi, (("symbol", s), ("hgnc", gene_of[s].hgnc), ("species", "human"))) for s in genes]
    stems = [
        "miR-29",
        "miR-132",
        "miR-212",
        "let-7",
        "miR-16",
        "miR-124",
        "miR-135",
        "miR-146",
        "miR-223",
        "miR-1202",
    ] + [f"miR-{n}" for n in range(300, 490)]
    mirna_pool = [
        (s, f"hsa-{s}a", (("members", [{"id": f"hsa-{s}a", "family": s, "in_mirbase": True}]), ("family", s)))
        for s in stems
    ]
    treatments = [(t.key, t.id, (("name", t.name), ("modality", t.modality))) for t in lexicon.treatments]
    variant_pool = [(f"rs{1000 + n}", f"rs{1000 + n}", (("kind", "rsid"), ("gene", genes[n % 60]))) for n in range(300)]
    return {"gene": gene_pool, "mirna": mirna_pool, "treatment": treatments, "variant": variant_pool}


def _zipf_pick(rng: random.Random, pool: list, skew: float = 1.1) -> tuple:
    index = min(int(rng.paretovariate(skew)) - 1, len(pool) - 1)
    return pool[index if rng.random() < 0.7 else rng.randrange(len(pool))]


def make_records(count: int) -> list[EvidenceRecord]:
    rng = random.Random(7)
    pools = _pools()
    text = "Synthetic sentence zero for the benchmark. Synthetic sentence one. Synthetic sentence two."
    design = classify("Synthetic benchmark record", "We genotyped 120 patients.", ["Journal Article"])
    review = classify("A narrative review", "This review covers it.", ["Review"])
    records = []
    for number in range(count):
        mentions = []
        for _ in range(rng.randint(4, 14)):
            kind = rng.choices(("gene", "mirna", "treatment", "variant"), (5, 2, 2, 1))[0]
            surface, ident, attrs = _zipf_pick(rng, pools[kind])
            mentions.append(Mention(0, len(surface), surface, kind, ident, rng.randrange(3), attrs))
        pmid = str(90000001 + number)
        records.append(
            EvidenceRecord(
                key=pmid,
                pmid=pmid,
                title="Synthetic",
                text=text,
                year=2023,
                first_author="Synth A",
                doi=None,
                pub_types=("Journal Article",),
                design=review if number % 20 == 0 else design,
                mentions=mentions,
            )
        )
    return records


def _timed(label: str, func, figures: dict[str, float]):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = func()
    figures[label] = time.perf_counter() - started
    print(f"  {label:<28} {figures[label]:7.2f} s")
    return result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    started = time.perf_counter()
    records = make_records(count)
    mentions = sum(len(r.mentions) for r in records)
    print(f"{count:,} synthetic records, {mentions:,} mentions, generated in {time.perf_counter() - started:.1f} s")
    figures: dict[str, float] = {}
    modules = default_modules()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        print("baseline:")
        _timed(
            "mentions as JSON lines",
            lambda: (out / "m.jsonl").write_text(
                "\n".join(json.dumps({"pmid": r.key, "entities": [m.to_json() for m in r.mentions]}) for r in records)
            ),
            figures,
        )
        print("graph stage:")
        graph = _timed("build graph", lambda: build_graph(records, modules), figures)
        rows = _timed("convergence", lambda: convergence(graph, records, modules, ConvergenceSettings()), figures)
        _timed(
            "convergence + tables files",
            lambda: (write_convergence(rows, out, settings_text=""), write_evidence_tables(records, out)),
            figures,
        )
        for fmt in GRAPH_FORMATS:
            _timed(f"export {fmt}", lambda fmt=fmt: export_graph(graph, fmt, out / f"graph.{fmt}"), figures)
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    stage = sum(v for k, v in figures.items() if k != "mentions as JSON lines")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\ngraph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"graph.cx2 {sizes['graph.cx2'] / 1e6:.0f} MB, graph.graphml {sizes['graph.graphml'] / 1e6:.0f} MB"
    )
    print(
        f"graph build + convergence + tables + all {len(GRAPH_FORMATS)} exports: {stage:.1f} s for {count:,} records "
        f"(target < 60 s: {'met' if stage < 60 else 'MISSED'}); "
        f"{stage / figures['mentions as JSON lines']:.1f}x the JSON-lines baseline; peak RSS {peak:,.0f} MB"
    )


if __name__ == "__main__":
    main()
