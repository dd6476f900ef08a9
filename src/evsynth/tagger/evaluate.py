"""Measure the tagger against annotated corpora (JSONL lines {"pmid", "text", "entities": [...]}).

The measures are the ones ../shared/data/corpora/README.md names: exact-span micro P/R/F1 for microRNAs and
variants, per-document rsID sets, and per-document sets of human NCBI Gene ids (BioCreative GN style).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.models import Mention
from evsynth.tagger.tagger import Tagger

_RSID = re.compile(r"rs\s?\d+")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[Any], predicted: set[Any]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_corpus(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _human_gene_ids(id_field: str | None, human: set[str], alternatives: bool) -> set[str]:
    """Gold ids that are human genes. NLM-Gene joins genes with ';' and lists alternatives with ','
    (one counts); GNormPlus joins genes with ','."""
    if not id_field:
        return set()
    if not alternatives:
        return {i for i in re.split(r"[,;]", id_field) if i in human}
    found = set()
    for part in id_field.split(";"):
        options = [i for i in part.split(",") if i in human]
        found.update(options[:1])
    return found


Source = Path | Iterable[dict[str, Any]]  # a corpus file, or its documents (one fold of it, say)


def _measure(source: Source, tagger: Tagger, score: Callable[[dict[str, Any], list[Mention]], None]) -> None:
    for doc in read_corpus(source) if isinstance(source, Path) else source:
        score(doc, tagger.tag(doc["text"]))


def mirna_spans(path: Source, tagger: Tagger) -> Score:
    result = Score()
    _measure(
        path,
        tagger,
        lambda doc, ms: result.add(
            {(e["start"], e["end"]) for e in doc["entities"] if e["type"] == "mirna"},
            {(m.start, m.end) for m in ms if m.type == "mirna"},
        ),
    )
    return result


def variant_spans(path: Source, tagger: Tagger) -> tuple[Score, Score]:
    """(span score over every variant class, per-document rsID score for rsIDs written in the text)."""
    spans, rsids = Score(), Score()

    def score(doc: dict[str, Any], ms: list[Mention]) -> None:
        gold = [e for e in doc["entities"] if e["type"] == "variant"]
        spans.add({(e["start"], e["end"]) for e in gold}, {(m.start, m.end) for m in ms if m.type == "variant"})
        rsids.add(
            {re.sub(r"\s", "", e["text"]) for e in gold if _RSID.fullmatch(e["text"])},
            {m.id for m in ms if m.type == "variant" and m.id and m.id.startswith("rs")},
        )

    _measure(path, tagger, score)
    return spans, rsids


def predicted_gene_ids(mentions: list[Mention]) -> set[str]:
    """The NCBI Gene ids a text's mentions name: genes, the canonical member a family is named after
    (VEGF -> VEGFA) or the genes a composite names
    (ERK1/2 -> MAPK3, MAPK1), which is what the corpora's annotators normalise such a mention to, and the HGNC genes of
    human microRNAs (miR-98 -> MIR98)."""
    ids = {m.id for m in mentions if m.type == "gene" and m.id}
    for m in mentions:
        attrs = dict(m.attrs)
        canonical = attrs.get("canonical") if m.type == "family" else None
        if isinstance(canonical, dict) and canonical.get("id"):
            ids.add(str(canonical["id"]))
        named = attrs.get("named")  # ERK1/2 -> MAPK3, MAPK1
        if isinstance(named, list):
            ids.update(str(x["id"]) for x in named if isinstance(x, dict) and x.get("id"))
        members = attrs.get("members") if m.type == "mirna" else None
        if isinstance(members, list):
            ids.update(str(x["gene_id"]) for x in members if isinstance(x, dict) and x.get("gene_id"))
    return ids


def gene_ids(path: Source, tagger: Tagger, *, alternatives: bool) -> Score:
    """Per-document sets of human NCBI Gene ids; gold ids count only when HGNC lists them."""
    human = set(tagger.lexicon.by_ncbi)
    result = Score()
    _measure(
        path,
        tagger,
        lambda doc, ms: result.add(
            {i for e in doc["entities"] if e["type"] == "gene" for i in _human_gene_ids(e["id"], human, alternatives)},
            predicted_gene_ids(ms),
        ),
    )
    return result
