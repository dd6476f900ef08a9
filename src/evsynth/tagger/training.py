"""Training the learned tier on annotated corpora, and the folds that measure it honestly.

The corpora (JSONL, see ../shared/data/corpora/README.md) are pooled and de-duplicated by PMID: a PMID in two
corpora is kept once, from the corpus that annotates more kinds (BioRED, then tmVar3, NLM-Gene, GNormPlus). A
document's fold is fixed by its PMID's hash, so a PMID is in the same fold whichever corpus holds it, and a model
is never scored on a document it was trained on. Training is deterministic: the same documents give the same model.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycrfsuite

from evsynth.tagger import learned
from evsynth.tagger.evaluate import Score, gene_ids, mirna_spans, read_corpus, variant_spans
from evsynth.tagger.lexicon import Lexicon
from evsynth.tagger.tagger import Tagger

# (folder, file stem, the entity types it annotates that the learned tier labels), richest first
CORPORA = (
    ("biored", "train", ("gene", "variant")),
    ("tmvar3", "dev", ("gene", "variant")),
    ("nlm_gene", "dev", ("gene",)),
    ("gnormplus", "dev", ("gene",)),
)
FOLDS = 5
PARAMS: dict[str, Any] = {
    "c1": 0.05,  # L1: most features get no weight, which keeps the model small
    "c2": 0.01,
    "max_iterations": 200,
    "feature.possible_transitions": True,
    "feature.minfreq": 2,
}


@dataclass(frozen=True)
class Doc:
    pmid: str
    corpus: str
    text: str
    entities: tuple[dict[str, Any], ...]
    types: tuple[str, ...]


def pooled(corpora: Path, names: Iterable[tuple[str, str, tuple[str, ...]]] = CORPORA) -> list[Doc]:
    """Every document of the corpora, once per PMID (the richest corpus's copy)."""
    seen: set[str] = set()
    docs = []
    for folder, stem, types in names:
        for raw in read_corpus(corpora / folder / f"{stem}.jsonl"):
            if raw["pmid"] in seen:
                continue
            seen.add(raw["pmid"])
            docs.append(Doc(raw["pmid"], folder, raw["text"], tuple(raw["entities"]), types))
    return docs


def fold_of(pmid: str, folds: int = FOLDS) -> int:
    """The fold a document belongs to, fixed by its PMID."""
    return int(hashlib.sha256(pmid.encode()).hexdigest(), 16) % folds


def _in_fold(pmid: str, fold: int, folds: int) -> bool:
    return fold_of(pmid, folds) == fold


def train(tagger: Tagger, docs: Iterable[Doc], path: Path, params: dict[str, Any] | None = None) -> int:
    """Train a model on the documents and write it to path; returns the number of tokens trained on."""
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params({**PARAMS, **(params or {})})
    count = 0
    for doc in docs:
        toks, rows, found = tagger.learning_rows(doc.text)
        gold = [(e["start"], e["end"], e["type"]) for e in doc.entities if e["type"] in doc.types]
        # a type the corpus does not annotate is labelled as the dictionary tier found it (silver), not as absent:
        # an unannotated variant in a gene corpus would teach the model that the tier's variants are wrong
        gold += [(start, end, kind) for start, end, kind in found if kind in learned.TYPES and kind not in doc.types]
        trainer.append(rows, learned.labels(toks, gold))
        count += len(toks)
    trainer.train(str(path))
    return count


# the measures of ../shared/data/corpora/README.md, per corpus: (name, folder, file stem, what is scored)
MEASURES = (
    ("gene id F1 (GNormPlus)", "gnormplus", "dev", "genes"),
    ("gene id F1 (NLM-Gene)", "nlm_gene", "dev", "genes, alternatives"),
    ("gene id F1 (BioRED)", "biored", "train", "genes"),
    ("variant span F1 (tmVar3)", "tmvar3", "dev", "variants"),
    ("rsID F1 (tmVar3)", "tmvar3", "dev", "rsids"),
    ("variant span F1 (BioRED)", "biored", "train", "variants"),
    ("miRNA span F1 (SCAI)", "scai_mirna", "dev", "mirnas"),
)


def score(corpora: Path, tagger: Tagger, keep: Callable[[str], bool] = lambda pmid: True) -> dict[str, Score]:
    """Every measure of MEASURES over the corpora's documents that ``keep`` takes (by PMID)."""
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
    variants: dict[tuple[str, str], tuple[Score, Score]] = {}  # a corpus's span and rsID scores: one tagging
    out: dict[str, Score] = {}
    for name, folder, stem, what in MEASURES:
        if (folder, stem) not in cache:
            cache[(folder, stem)] = [d for d in read_corpus(corpora / folder / f"{stem}.jsonl") if keep(d["pmid"])]
        docs = cache[(folder, stem)]
        if what.startswith("genes"):
            out[name] = gene_ids(docs, tagger, alternatives=what.endswith("alternatives"))
        elif what in ("variants", "rsids"):
            if (folder, stem) not in variants:
                variants[(folder, stem)] = variant_spans(docs, tagger)
            out[name] = variants[(folder, stem)][what == "rsids"]
        else:
            out[name] = mirna_spans(docs, tagger)
    return out


def cross_validate(
    corpora: Path, lexicon: Lexicon, folder: Path, folds: int = FOLDS, progress: Callable[[str], None] | None = None
) -> dict[str, dict[str, Score]]:
    """k-fold cross-validation by document: for each fold, a model trained on the other folds' documents (written
    into ``folder``) scores the fold's documents; the counts add up over the folds. Returns the scores of each
    tier ("dictionary", "all") by measure. The dictionary tier learns nothing from the folds: its figures are
    its figures on every document (its rules were written looking at these corpora)."""
    docs = pooled(corpora)
    dictionary = Tagger(lexicon)
    totals: dict[str, dict[str, Score]] = {"dictionary": {}, "all": {}}
    for fold in range(folds):
        model = folder / f"fold{fold}.crfsuite"
        train(dictionary, [doc for doc in docs if fold_of(doc.pmid, folds) != fold], model)
        held_out = functools.partial(_in_fold, fold=fold, folds=folds)  # by PMID: SCAI's documents too
        for tier, tagger in (("dictionary", dictionary), ("all", Tagger(lexicon, tier="all", model=model))):
            for name, found in score(corpora, tagger, held_out).items():
                total = totals[tier].setdefault(name, Score())
                total.tp, total.fp, total.fn = total.tp + found.tp, total.fp + found.fp, total.fn + found.fn
        if progress:
            progress(f"fold {fold + 1} of {folds} done")
    return totals
