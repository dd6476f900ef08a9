"""The tagger's word lists, read from the files in ``tagger/data/``: the words are data, the rules are code.

Each file opens with comment lines (``#``) saying what the list is for, with an example; then one entry a line
(``.txt``), tab-separated columns (``.tsv``) or a YAML document (``.yaml``). The files are read once, when the
tagger's modules are imported, and their bytes are part of the tagger's identity (:func:`tagger_identity`), so
changing a list re-tags stored records on the next run.

Example:
    >>> "of" in words("function_words")
    True
    >>> GREEK_LETTERS["beta"]
    'β'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import yaml

from evsynth.version import __version__

_DATA = resources.files("evsynth.tagger") / "data"
# every file whose content decides mentions (the packaged lexicon included)
DATA_FILES = (
    "amino_acids.tsv", "function_words.txt", "gene_context_words.txt", "gene_names.yaml", "greek.tsv",
    "learned.crfsuite", "learned.json", "lexicon.json.gz", "method_phrases.txt", "mirna_hints.txt", "name_trims.yaml",
    "not_product_endings.txt", "product_words.txt", "sentence_abbreviations.txt", "species_cues.yaml",
    "treatments.yaml", "variant_equivalents.yaml", "variant_words.yaml",
)  # fmt: skip


def _lines(name: str, package: str = "evsynth.tagger") -> list[str]:
    text = (resources.files(package) / "data" / name).read_text(encoding="utf-8")
    return [line.rstrip("\n") for line in text.splitlines() if line.strip() and not line.startswith("#")]


def words(name: str, package: str = "evsynth.tagger") -> tuple[str, ...]:
    """The entries of ``data/<name>.txt`` (of the tagger, or another package of evsynth's), in file order."""
    return tuple(line.strip() for line in _lines(f"{name}.txt", package))


def table(name: str) -> list[list[str]]:
    """The rows of ``data/<name>.tsv``, each a list of its tab-separated cells."""
    return [line.split("\t") for line in _lines(f"{name}.tsv")]


def document(name: str) -> Any:
    """The YAML document ``data/<name>.yaml``."""
    return yaml.safe_load((_DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def alternation(items: Iterable[str]) -> str:
    """A regex alternation of the literal words, longest first (so no word loses to a shorter one it starts with)."""
    return "(?:" + "|".join(re.escape(item) for item in sorted(items, key=len, reverse=True)) + ")"


# Bump when a change to the rules' code changes mentions (tests/test_tagger_guard.py fails until you do, and until
# its record is renewed). Word lists need no bump: their bytes are in the identity already.
RULES_VERSION = "13"


@cache
def tagger_identity() -> str:
    """What the tagger's mentions depend on, as one digest: evsynth's version, RULES_VERSION and the bytes of every
    data file. Stored mentions made by another identity are made again; the review's fingerprint includes it."""
    digest = hashlib.sha256(f"evsynth {__version__}\0rules {RULES_VERSION}\0".encode())
    for name in DATA_FILES:
        digest.update(name.encode() + b"\0" + (_DATA / name).read_bytes() + b"\0")
    return digest.hexdigest()


_GREEK = table("greek")
GREEK_LETTERS = {word: letter for word, letter, _ in _GREEK}  # every Greek letter gene names use, by word
GREEK_SHORT = {word: short for word, _, short in _GREEK if short != "-"}  # those papers also write as one letter
MIRNA_HINTS = words("mirna_hints")
SPECIES_CUES: dict[str, tuple[str, ...]] = {kind: tuple(cues) for kind, cues in document("species_cues").items()}
SPECIES_CUE_WORDS = tuple(word for cues in SPECIES_CUES.values() for word in cues)
_AMINO = table("amino_acids")
AMINO_ACIDS = {three: one for three, one, _ in _AMINO}  # three-letter code -> one-letter code
AMINO_NAMES = {name: three for three, _, names in _AMINO for name in names.split(",") if name}  # name -> code
VARIANT_WORDS: dict[str, tuple[str, ...]] = {key: tuple(items) for key, items in document("variant_words").items()}
BASE_PAIRS = tuple(f"{a} to {b}" for a in "ACGTU" for b in "ACGTU")
# every word the variant finder is handed the places of: its triggers, amino acid and base names, base pairs, and
# the allele words (the lexicon's automaton finds them in the same pass as the names)
VARIANT_TRIGGERS = (*VARIANT_WORDS["triggers"], *AMINO_NAMES, *VARIANT_WORDS["nucleosides"], *BASE_PAIRS,
                    *VARIANT_WORDS["alleles"])  # fmt: skip
