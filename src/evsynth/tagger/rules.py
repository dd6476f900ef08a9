"""The text's rules for its dictionary hits, as named steps.

Each rule looks at one hit and returns DROP (no mention), LIST (a mention only if a list of genes supports it), a
hit (kept, perhaps as another gene) or None (not its business: the next rule decides); a hit no rule decides is
kept. HIT_RULES is their order; RULE_NAMES adds the list support. ``Tagger(without=...)`` and
``benchmarks/bench_extract.py --without RULE`` switch one off to measure what it contributes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from evsynth.tagger.lexicon import KINDS
from evsynth.tagger.wordlists import alternation, words

GENE_CONTEXT = re.compile(rf"\s?{alternation(words('gene_context_words'))}\b")
CELL_LINE = re.compile(r"[A-Za-z]{1,5}-?\d{1,3}[A-Za-z]?")
CELLS_AFTER = re.compile(r"\s+cell(?:s|\s+lines?)?\b")
WEAK_KINDS = ("alias", "previous")


class Hit(NamedTuple):
    """A dictionary hit that survived the rules: what it is and how sure the lexicon is. (A named tuple: texts
    make several each, and a tuple is made several times faster than a frozen dataclass.)"""

    start: int
    end: int
    type: str  # gene, family, treatment
    item: int  # the gene, family or treatment: its index in the lexicon's list
    kind: str
    rank: int  # lower is stronger
    canonical: int = -1  # a family's member that HGNC gives the family's name to (AKT -> AKT1), else -1


class Shape(NamedTuple):
    """What a hit's spelling alone says about it, for the text's rules (see Resolver._abbreviations)."""

    roman: bool  # II, IV: a Roman numeral
    word_like: bool  # spelled like a word (FISH, spatial, beta3), so as a weak alias it needs support
    stop_listed: bool  # a stop-listed abbreviation (ECT, MRI) or shorter than three letters and digits
    short: bool  # could be defined in brackets: 'electroconvulsive therapy (ECT)'


DROP, LIST = "drop", "list"


class TextContext(NamedTuple):
    """What the rules know about the whole text."""

    text: str
    defined: dict[str, Hit | None]  # short form -> its definition (see Resolver._definitions)
    strong: set[int]  # genes the text names by symbol, name or protein name
    cell_lines: set[str]  # weak aliases the text names cells by ('THP-1 cells')


def split_ends(text: str, hits: list[Hit]) -> set[int]:
    """Where '(IL)' of a joined '(IL)-6' ends: no definition of IL ends there."""
    if ")-" not in text:
        return set()
    return {
        text.index(")", h.start) + 1 for h in hits if text.startswith("(", h.start) and ")-" in text[h.start : h.end]
    }


def strong_genes(hits: list[Hit]) -> set[int]:
    return {h.item for h in hits if h.type == "gene" and h.kind in ("symbol", "name", "protein")}


def cell_lines(text: str, hits: list[Hit]) -> set[str]:
    return {
        text[h.start : h.end]
        for h in hits
        if h.type == "gene"
        and h.kind in WEAK_KINDS
        and CELL_LINE.fullmatch(text, h.start, h.end)
        and CELLS_AFTER.match(text, h.end)
    }


def cell_line(context: TextContext, hit: Hit, surface: str, shape: Shape) -> str | None:
    """An alias or old symbol the text names cells by is a cell line: 'THP-1 cells', 'INS-1 cells', 'Huh7 cells'
    (and every other THP-1 of that text)."""
    if context.cell_lines and hit.kind in WEAK_KINDS and surface in context.cell_lines:
        return DROP
    return None


def roman_numeral(context: TextContext, hit: Hit, surface: str, shape: Shape) -> str | None:
    """A Roman numeral is no gene: 'type II receptor', 'phase IV' name no gene II or IV."""
    return DROP if hit.type == "gene" and shape.roman else None


def word_like_alias(context: TextContext, hit: Hit, surface: str, shape: Shape) -> str | None:
    """A weak alias spelled like a word (FISH, HEK, spatial, flower) needs the text's support: a definition, the
    gene named by a strong name too, a gene word after it ('FISH gene'), or a list of genes around it. A hyphen
    makes it no word (GM-CSF needs none)."""
    if (
        hit.type == "gene"
        and hit.kind in WEAK_KINDS
        and shape.word_like
        and surface not in context.defined
        and hit.item not in context.strong
        and not GENE_CONTEXT.match(context.text, hit.end)
    ):
        return LIST
    return None


def treatment_or_long_name(context: TextContext, hit: Hit, surface: str, shape: Shape) -> Hit | None:
    """Treatments, and names of several words longer than 12 characters, are what they are: no abbreviation
    rule applies to 'electroconvulsive therapy' or 'brain-derived neurotrophic factor'."""
    if hit.type == "treatment" or (hit.end - hit.start > 12 and " " in surface):
        return hit
    return None


def defined_in_text(context: TextContext, hit: Hit, surface: str, shape: Shape) -> Hit | str | None:
    """A short form the text defines is what its definition says: 'electroconvulsive therapy (ECT)' makes every
    ECT no gene; 'brain-derived neurotrophic factor (BDNF)' makes BDNF that gene; 'substance P (SP)' makes SP the
    gene TAC1, not the Sp factors."""
    if surface not in context.defined:
        return None
    definition = context.defined[surface]
    if definition is None:
        return DROP
    if definition.type == hit.type and definition.start != hit.start:
        return Hit(hit.start, hit.end, hit.type, definition.item, hit.kind, hit.rank)
    if definition.type == "gene" and hit.type == "family" and " " in context.text[definition.start : definition.end]:
        return Hit(hit.start, hit.end, "gene", definition.item, "alias", KINDS.index("alias"))
    return hit


def stop_listed(context: TextContext, hit: Hit, surface: str, shape: Shape) -> str | None:
    """A stop-listed abbreviation (ECT, MRI, SD: gene_names.yaml's not_genes) or one shorter than three letters
    and digits is no gene unless a gene word follows it ('SD gene')."""
    return DROP if shape.stop_listed and not GENE_CONTEXT.match(context.text, hit.end) else None


Rule = Callable[[TextContext, Hit, str, Shape], Hit | str | None]
HIT_RULES: tuple[Rule, ...] = (cell_line, roman_numeral, word_like_alias, treatment_or_long_name, defined_in_text,
                               stop_listed)  # fmt: skip
# the named steps a benchmark may switch off: the hit rules and the list support of word-like aliases
RULE_NAMES = (*(rule.__name__ for rule in HIT_RULES), "list_support")
