"""PubTator3 annotations beside evsynth's tags: how often they agree, and what fetching them costs.

    python benchmarks/bench_annotations.py [--records 1000] [--biored PATH]

1. Agreement, per entity group (genes, variants, chemicals), between evsynth's own tags and another source's
   annotations of the same texts: mentions each has, spans the two share exactly, spans that only overlap, and
   of the shared spans those with the same identifier (NCBI Gene id; rsID or HGVS; MeSH id).
   * the demo: evsynth against the synthetic PubTator3 answers the demo cassette carries (made up by
     evsynth.testing.pubtator3 with simple rules: the figures show the merge has work to do, not PubTator3's
     quality);
   * BioRED (../shared/data/corpora/biored, 376 abstracts annotated by NCBI's curators in the scheme PubTator3's
     GNorm2/tmVar3/NLM-Chem follow; no real PubTator3 output is on this machine): the expert annotations read as
     a PubTator file would be, joined to evsynth's identifiers by the same code as PubTator3's. evsynth tags
     chemicals only as treatments (a curated list for depression research), so its chemical recall here is low
     by design.
2. The fetch: requests per 1,000 records and the time at PubTator3's 3 requests/s, against the local server
   answering synthetic documents, each batch parsed, placed and stored as a run does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from evsynth.annotations.convert import Converter, group_of
from evsynth.annotations.documents import AnnotatedDocument, Annotation, Passage, parse_annotations
from evsynth.annotations.sources import fetch_pubtator3
from evsynth.config import Settings
from evsynth.models import Mention
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import EUtils, PubTator3
from evsynth.sources.harvest import harvest
from evsynth.store.database import Store
from evsynth.tagger.tagger import Tagger
from evsynth.testing.corpus import Corpus
from evsynth.testing.pubtator3 import synthetic_document
from evsynth.testing.server import serving
from evsynth.testing.synthetic import article_set, generated_corpus

ROOT = Path(__file__).resolve().parents[1]
BIORED_TYPES = {"gene": "Gene", "variant": "SequenceVariant", "chemical": "Chemical"}
GROUPS = ("genes", "variants", "chemicals")


def _mentions(doc: AnnotatedDocument, converter: Converter) -> list[Mention]:
    out = []
    for a in doc.annotations:
        made = converter.convert(a, "other")
        if made:
            out.append(Mention(a.start, a.end, a.text, made[0], made[1], 0, tuple(made[2].items())))
    return out


def agreement(pairs: list[tuple[list[Mention], list[Mention]]]) -> dict[str, Counter[str]]:
    """Per group: evsynth's mentions, the other's, exact shared spans, overlaps only, same id on shared spans."""
    table: dict[str, Counter[str]] = {group: Counter() for group in GROUPS}
    for own, other in pairs:
        for group in GROUPS:
            mine = [m for m in own if group_of(m.type, dict(m.attrs)) == group]
            theirs = [m for m in other if group_of(m.type, dict(m.attrs)) == group]
            row = table[group]
            row["evsynth"] += len(mine)
            row["other"] += len(theirs)
            spans = {(m.start, m.end): m for m in mine}
            for m in theirs:
                twin = spans.get((m.start, m.end))
                if twin is not None:
                    row["exact"] += 1
                    row["same id"] += bool(m.id) and m.id == twin.id
                elif any(m.start < o.end and o.start < m.end for o in mine):
                    row["overlap"] += 1
    return table


def print_table(title: str, table: dict[str, Counter[str]]) -> None:
    print(f"\n{title}")
    print("| group | evsynth | other | exact span | overlap only | same id (of exact) | span agreement F1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group, row in table.items():
        f1 = 2 * row["exact"] / (row["evsynth"] + row["other"]) if row["evsynth"] + row["other"] else 0.0
        same = f"{row['same id']} ({row['same id'] / row['exact']:.0%})" if row["exact"] else "0"
        print(
            f"| {group} | {row['evsynth']} | {row['other']} | {row['exact']} | {row['overlap']} | {same} | {f1:.3f} |"
        )


def demo_pairs(tagger: Tagger) -> list[tuple[list[Mention], list[Mention]]]:
    cassette = yaml.safe_load((ROOT / "cassettes" / "trd-pharmacogenomics-pubtator3.yaml").read_text())
    converter = Converter(tagger.lexicon)
    pairs = []
    for interaction in cassette["interactions"]:
        if "biocjson" not in interaction["request"]["uri"]:
            continue
        for doc in parse_annotations(interaction["response"]["body"]["string"].encode(), "cassette"):
            title, abstract = doc.passages[0].text, doc.passages[1].text
            text = f"{title}\n{abstract}"
            pairs.append((tagger.tag(text), _mentions(doc, converter)))
    return pairs


def biored_pairs(path: Path, tagger: Tagger) -> list[tuple[list[Mention], list[Mention]]]:
    converter = Converter(tagger.lexicon)
    pairs = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        text = item["text"]
        doc = AnnotatedDocument(item["pmid"], [Passage("text", 0, text)])
        for e in item["entities"]:
            if e["type"] in BIORED_TYPES:
                ident = e["id"] or ""
                ident = (
                    f"RS#:{ident.removeprefix('rs')}" if e["type"] == "variant" and ident.startswith("rs") else ident
                )
                doc.annotations.append(Annotation(e["start"], e["end"], e["text"], BIORED_TYPES[e["type"]], ident))
        pairs.append((tagger.tag(text), _mentions(doc, converter)))
    return pairs


def fetch_cost(records: int, tagger: Tagger) -> tuple[int, float]:
    """Requests and seconds to fetch, place and store ``records`` records' documents at 3 requests/s."""
    served = Corpus.from_xml(article_set(list(generated_corpus(records))))
    lexicon = tagger.lexicon
    served.annotations = {
        pmid: synthetic_document(pmid, r.record.title, r.record.abstract, lexicon)
        for pmid, r in served.records.items()
        if r.record is not None
    }
    with tempfile.TemporaryDirectory() as tmp, serving(served) as server, Store.open(Path(tmp) / "s.sqlite") as store:
        harvest(load_protocol(ROOT / "queries" / "trd-pharmacogenomics.yaml"), store,
                EUtils(Settings(eutils_url=server.url, rate=None)))  # fmt: skip
        ids = [row[0] for row in store.conn.execute("SELECT id FROM records")]
        client = PubTator3(Settings(pubtator3_url=server.url, rate=3.0))
        started = time.perf_counter()
        result = fetch_pubtator3(store, ids, client, Converter(lexicon))
        return result.requests, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument(
        "--biored", type=Path, default=ROOT.parent / "shared" / "data" / "corpora" / "biored" / "train.jsonl"
    )
    args = parser.parse_args()
    tagger = Tagger()
    print_table(
        "Demo: evsynth vs the synthetic PubTator3 answers (made up; see the docstring)", agreement(demo_pairs(tagger))
    )
    if args.biored.is_file():
        print_table(
            f"BioRED ({args.biored}): evsynth vs NCBI's expert annotations",
            agreement(biored_pairs(args.biored, tagger)),
        )
    else:
        print(f"\n{args.biored}: not found; BioRED agreement skipped", file=sys.stderr)
    requests, seconds = fetch_cost(args.records, tagger)
    print(f"\nFetch: {args.records} records -> {requests} requests ({requests * 1000 / args.records:.0f} per 1,000), "
          f"{seconds:.1f} s at 3 requests/s ({seconds * 1000 / args.records:.1f} s per 1,000; the rate limit alone "
          f"is {(requests - 1) / 3:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
