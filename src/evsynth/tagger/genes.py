"""Deciding what a dictionary hit is: case rules, ambiguous symbols, abbreviations defined in the text, families."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from evsynth.tagger.lexicon import GREEK_WORDS, KINDS, Entry, Lexicon, greek_short
from evsynth.tagger.wordlists import alternation, words

_ALNUM = re.compile(r"[^0-9A-Za-zα-ω]")
GENE_CONTEXT = re.compile(rf"\s?{alternation(words('gene_context_words'))}\b")
_DEFINITION = re.compile(r"\(([^()\s]{2,12})\)")
# a name split by its abbreviation: 'interleukin (IL)-6', 'nuclear factor (NF)-kappaB' name IL-6 and NF-kappaB
_SPLIT_NAME = re.compile(r"\(([A-Za-z][A-Za-z0-9]{0,9})\)-([A-Za-z0-9]+)\b")
_GAP = r"(?:,\s*(?:and\s+)?|\s+and\s+)"  # between the items of a list: ', ', ', and ', ' and '
_LIST_GAP = re.compile(_GAP)
_LIST_GAP_BEFORE = re.compile(_GAP + "$")
_CELL_LINE = re.compile(r"[A-Za-z]{1,5}-?\d{1,3}[A-Za-z]?")
_CELLS_AFTER = re.compile(r"\s+cell(?:s|\s+lines?)?\b")
_LONG_WORDS = re.compile(r"[A-Za-z0-9α-ω]+")
# the last word of a long form that names a gene product: 'superoxide dismutase (SOD1)', 'osteoprotegerin (OPG)'
_PRODUCT_WORD = re.compile(
    rf"(?:{alternation(words('product_words'))}|[0-9]+[A-Za-z]?|(?<![a-z])[ivx]+|[α-ω])$", re.IGNORECASE
)
_NOT_PRODUCT = re.compile(rf"{alternation(words('not_product_endings'))}$", re.IGNORECASE)


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


# what a name stands for when these follow it: a measure ('tau = 13 ms'), a domain ('Src homology 2'), another
# protein ('Src-like adapter'), cells or an ion carrying it ('CD8+ T cells', 'Ca2+')
_NOT_NAMED_AFTER = re.compile(r"\s?[=<>\u2264\u2265]\s?[-+\d.]|-like\b|\s+homology\b|\+")
# a number or Roman numeral after a name of words: 'angiotensin-converting enzyme 2' names another, numbered
# protein than 'angiotensin-converting enzyme' (not a dose or a time: 'lactoferrin 2 g', 'perforin 2 h after')
_NUMBERED_AFTER = re.compile(
    r"[ -](?:\d{1,2}|[IVX]{1,4})(?![\w.,/%-])(?!\s*(?:%|[a-zµμ]{1,2}\b|(?:hours?|minutes?|"
    r"days?|weeks?|months?|years?|times|fold|patients|subjects)\b))"
)


def _torn(text: str, start: int, end: int) -> bool:
    """A key the text only seems to spell once punctuation is folded away: 'protein(s', "protein's" (not protein
    S), 'EC 2' of 'EC 2.7.1.1' (not EC2), 'p36' of the band 1p36.2. A bracket may close just outside the key:
    'p16(INK4a)', '(RAR)a'."""
    surface = text[start:end]
    if surface.endswith(("'s", "\u2019s", "(s")):  # a possessive, or a plural in brackets: 'protein(s)'
        return True
    opened = surface.count("(") - surface.count(")")
    if opened and not (
        (opened == 1 and text[end : end + 1] == ")") or (opened == -1 and text[start - 1 : start] == "(")
    ):
        return True
    return surface[-1].isdigit() and text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit()


@lru_cache(maxsize=65536)
def _compact(text: str) -> str:
    return _ALNUM.sub("", text)


_PROTEIN_WORD = re.compile(r"(?:in|ins|ase|ases|ogen|ulin|ectin|kine|kines|tide|mone|ase\w)$")


_ROMAN = re.compile(r"[IVX]+$")
_GREEK_NUMBER = re.compile(rf"(?:{GREEK_WORDS}|[\u03b1-\u03c9])\d{{1,2}}", re.IGNORECASE)
_HEADING = re.compile(r"(?:^|[\s.])[A-Z][A-Z ]{2,40}$")


def case_ok(surface: str, term: str, kind: str, sentence_start: bool = False) -> bool:
    """Whether the text's spelling may stand for the term.

    Names of several words match in any case, one-word names only when they look like protein names
    (osteopontin, neuraminidase). A symbol matches as written, in capitals (MTOR for mTOR), or capitalised the
    way rodent and some human genes are written (Bdnf, Fos) when not the first word of a sentence; never in
    lower case (cat is not CAT).
    """
    s, t = _compact(surface), _compact(term)
    if len(s) < 2 or not any(c.isalpha() for c in s):
        return False
    if s.endswith("s") and not t.endswith("s") and len(t) > 3:  # plurals the lexicon allowed: AMPARs, receptors
        s = s[:-1]
    if s == t:
        return True
    if s != (short := greek_short(s)) or t != greek_short(t):
        s, t = short, greek_short(t)  # TGF-b1 for TGF-beta1
        if s == t:
            return True
    lower_term = not any(c.isupper() for c in t)
    if kind == "name" or (lower_term and len(t) >= 7):
        return _name_case_ok(s, t, term, kind)
    if lower_term:  # p11: as written or capitalised
        return s.lower() == t.lower() and (s.islower() or s[:1].isupper() and s[1:] == t[1:])
    if s.upper() != t.upper():
        return False
    return _symbol_case_ok(s, surface, kind, sentence_start)


def _name_case_ok(s: str, t: str, term: str, kind: str) -> bool:
    """A name (or a long lower-case term) in another case: names of several words, with a hyphen or a number,
    or that look like protein names match in any case; other one-word terms only as written."""
    if " " in term.strip() or "-" in term or any(c.isdigit() for c in t) or _PROTEIN_WORD.search(t):
        return s.lower() == t.lower() or kind == "name"
    return False


def _symbol_case_ok(s: str, surface: str, kind: str, sentence_start: bool) -> bool:
    """A symbol's letters written in other capitals: in capitals (MTOR for mTOR), with the capitals papers give
    it, a numbered symbol in lower case, or capitalised the rodent way (not as a sentence's first word)."""
    if not any(c.islower() for c in s):
        return True
    if _capitals_as_papers_write(s):
        return True  # PTHrP, hnRNP, apoE, erbB3 (not cT2-4): a symbol written with the capitals papers give it
    if _numbered_lower_case(s, surface, kind):
        return True  # rac1, cdc2: a symbol with a number is not an English word in any case (but 'them 6', 'min-1')
    capitalised = s[0].isupper() and not any(c.isupper() for c in s[1:])
    return capitalised and len(s) >= 3 and (not sentence_start or any(c.isdigit() for c in s))


def _capitals_as_papers_write(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    uppers = sum(c.isupper() for c in letters)
    return len(s) >= 4 and (
        uppers >= 2
        or (uppers == 1 and s[0].islower() and (s[-1].isupper() or (letters[-1].isupper() and len(letters) >= 4)))
    )


def _numbered_lower_case(s: str, surface: str, kind: str) -> bool:
    return (
        len(s) >= 4
        and not any(c.isupper() for c in s)
        and any(c.isdigit() for c in s)
        and s[0].isalpha()
        and kind != "alias"
        and " " not in surface
    )


def _acronym_of(short: str, words: Sequence[str]) -> bool:
    """Schwartz-Hearst style: the letters of short appear, in order, in words of the long form, and its first
    letter starts one ('translocator protein' does not spell Arnt)."""
    letters = [c.lower() for c in short if c.isalpha()]
    if not letters or not words:
        return False
    i = len(letters) - 1
    for word in reversed(words):
        w = word.lower()
        while i > 0 and letters[i] in w[1:] and not w.startswith(letters[i]):
            i -= 1
        if i >= 0 and w.startswith(letters[i]):
            i -= 1
        if i < 0:
            return True
    return False


WEAK_KINDS = ("alias", "previous")
WEAK_LENGTH = 5
# a definition by a gene-product name the lexicon lacks: keeps the abbreviation as it is (its type is no hit's)
_PRODUCT = Hit(-1, -1, "product", -1, "name", 0)


@dataclass(frozen=True)
class _Decision:
    """What a surface with given lexicon entries may be, wherever it stands."""

    gene: tuple[int, str, int] | None  # (gene index or -1 when ambiguous, kind, rank)
    genes: tuple[Entry, ...]
    family: int  # -1: none
    canonical: int
    treatment: Entry | None


class _Shape(NamedTuple):
    """What a hit's spelling alone says about it, for the text's rules (see Resolver._abbreviations)."""

    roman: bool  # II, IV: a Roman numeral
    word_like: bool  # spelled like a word (FISH, spatial, beta3), so as a weak alias it needs support
    stop_listed: bool  # a stop-listed abbreviation (ECT, MRI) or shorter than three letters and digits
    short: bool  # could be defined in brackets: 'electroconvulsive therapy (ECT)'


# -- the text's rules for its hits ------------------------------------------------------------------------------
# Each rule looks at one hit and returns DROP (no mention), LIST (a mention only if a list supports it), a hit
# (kept, perhaps as another gene) or None (not its business: the next rule decides). A hit no rule decides is kept.
# benchmarks/bench_extract.py --without RULE measures what one rule contributes.

DROP, LIST = "drop", "list"


class _TextContext(NamedTuple):
    """What the rules know about the whole text."""

    text: str
    defined: dict[str, Hit | None]  # short form -> its definition (see Resolver._definitions)
    strong: set[int]  # genes the text names by symbol, name or protein name
    cell_lines: set[str]  # weak aliases the text names cells by ('THP-1 cells')


def _split_ends(text: str, hits: list[Hit]) -> set[int]:
    """Where '(IL)' of a joined '(IL)-6' ends: no definition of IL ends there."""
    if ")-" not in text:
        return set()
    return {
        text.index(")", h.start) + 1 for h in hits if text.startswith("(", h.start) and ")-" in text[h.start : h.end]
    }


def _strong_genes(hits: list[Hit]) -> set[int]:
    return {h.item for h in hits if h.type == "gene" and h.kind in ("symbol", "name", "protein")}


def _cell_lines(text: str, hits: list[Hit]) -> set[str]:
    return {
        text[h.start : h.end]
        for h in hits
        if h.type == "gene"
        and h.kind in WEAK_KINDS
        and _CELL_LINE.fullmatch(text, h.start, h.end)
        and _CELLS_AFTER.match(text, h.end)
    }


def cell_line(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> str | None:
    """An alias or old symbol the text names cells by is a cell line: 'THP-1 cells', 'INS-1 cells', 'Huh7 cells'
    (and every other THP-1 of that text)."""
    if context.cell_lines and hit.kind in WEAK_KINDS and surface in context.cell_lines:
        return DROP
    return None


def roman_numeral(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> str | None:
    """A Roman numeral is no gene: 'type II receptor', 'phase IV' name no gene II or IV."""
    return DROP if hit.type == "gene" and shape.roman else None


def word_like_alias(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> str | None:
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


def treatment_or_long_name(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> Hit | None:
    """Treatments, and names of several words longer than 12 characters, are what they are: no abbreviation
    rule applies to 'electroconvulsive therapy' or 'brain-derived neurotrophic factor'."""
    if hit.type == "treatment" or (hit.end - hit.start > 12 and " " in surface):
        return hit
    return None


def defined_in_text(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> Hit | str | None:
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


def stop_listed(context: _TextContext, hit: Hit, surface: str, shape: _Shape) -> str | None:
    """A stop-listed abbreviation (ECT, MRI, SD: gene_names.yaml's not_genes) or one shorter than three letters
    and digits is no gene unless a gene word follows it ('SD gene')."""
    return DROP if shape.stop_listed and not GENE_CONTEXT.match(context.text, hit.end) else None


Rule = Callable[[_TextContext, Hit, str, _Shape], Hit | str | None]
HIT_RULES: tuple[Rule, ...] = (cell_line, roman_numeral, word_like_alias, treatment_or_long_name, defined_in_text,
                               stop_listed)  # fmt: skip
# the named steps a benchmark may switch off: the hit rules and the list support of word-like aliases
RULE_NAMES = (*(rule.__name__ for rule in HIT_RULES), "list_support")


class Resolver:
    """Turns the automaton's raw hits in one text into typed, disambiguated hits."""

    def __init__(self, lexicon: Lexicon, *, without: frozenset[str] = frozenset()) -> None:
        unknown = without - set(RULE_NAMES)
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(sorted(unknown))}; the rules: {', '.join(RULE_NAMES)}")
        self.lexicon = lexicon
        self.without = without
        self._rules = tuple(rule for rule in HIT_RULES if rule.__name__ not in without)
        # what a surface with these entries may be does not depend on where it stands: decided once
        self._decided: dict[tuple[str, bool, int], _Decision] = {}
        self._shapes: dict[str, _Shape] = {}

    def _shape(self, surface: str) -> _Shape:
        shape = self._shapes.get(surface)
        if shape is None:
            if len(self._shapes) > 200_000:
                self._shapes.clear()
            compact = _compact(surface)
            word_like = (
                (compact.isalpha() or _GREEK_NUMBER.fullmatch(compact))
                and "-" not in surface
                and (len(compact) <= WEAK_LENGTH or (compact[1:].islower() and not _PROTEIN_WORD.search(compact)))
            )
            shape = _Shape(
                bool(_ROMAN.match(compact)),
                bool(word_like),
                compact.upper() in self.lexicon.not_genes or len(compact) < 3,
                bool(_DEFINITION.fullmatch(f"({surface})")) and any(c.isupper() for c in surface),
            )
            self._shapes[surface] = shape
        return shape

    @staticmethod
    def _first_word(text: str, start: int) -> bool:
        """Whether the word at start begins a sentence, also after a structured-abstract heading
        ("BACKGROUND: Not every ...")."""
        before = start - 1
        while before >= 0 and text[before].isspace():
            before -= 1
        return (
            before < 0
            or text[before] in ".!?"
            or (text[before] == ":" and bool(_HEADING.search(text, max(0, before - 45), before)))
        )

    def _gene_choice(self, surface: str, first: bool, genes: tuple[Entry, ...]) -> tuple[int, str, int] | None:
        """(gene index, or -1 when ambiguous; kind; rank) of the strongest entries the spelling allows."""
        valid = [e for e in genes if case_ok(surface, e.term, e.kind, first)]
        if not valid:
            return None
        best = min(KINDS.index(e.kind) for e in valid)
        indexes = {e.index for e in valid if KINDS.index(e.kind) == best}
        if len(indexes) > 1:
            coding = {g for g in indexes if self.lexicon.genes[g].locus == "protein"}
            indexes = coding or indexes
        return (indexes.pop() if len(indexes) == 1 else -1), KINDS[best], best

    def _decide(self, surface: str, first: bool, entries: tuple[Entry, ...]) -> _Decision:
        key = (surface, first, id(entries))  # entry tuples live as long as the lexicon's automaton
        decision = self._decided.get(key)
        if decision is None:
            if len(self._decided) > 500_000:
                self._decided.clear()
            genes = tuple(e for e in entries if e.type == "gene")
            family = next(
                (
                    e
                    for e in entries
                    if e.type == "family" and case_ok(surface, e.term, "name" if " " in e.term else "alias")
                ),
                None,
            )
            treatment = next(
                (
                    e
                    for e in entries
                    if e.type == "treatment" and (e.kind == "term" or _compact(surface) == _compact(e.term))
                ),
                None,
            )
            # the curated member a family's name stands for (PI3K -> PIK3CB) comes first: HGNC may list the name as
            # an alias of another member (PI3K of PIK3CA), while annotators follow NCBI Gene
            canonical = -1
            if family:
                canonical = self.lexicon.representatives.get(family.index, -1)
                if canonical < 0:
                    canonical = self._canonical(surface, genes, family.index)
            decision = _Decision(
                self._gene_choice(surface, first, genes) if genes else None,
                genes,
                family.index if family else -1,
                canonical,
                treatment,
            )
            self._decided[key] = decision
        return decision

    def resolve(self, text: str, raw: list[tuple[int, int, tuple[Entry, ...]]]) -> list[Hit]:
        hits: list[Hit] = []
        ambiguous: list[tuple[Hit, tuple[Entry, ...]]] = []
        for start, end, entries in raw:
            surface = text[start:end]
            if _torn(text, start, end) or _NOT_NAMED_AFTER.match(text, end):
                continue
            # where a sentence starts matters only to a capitalised spelling (see case_ok)
            first = (surface[0].isupper() or not surface[0].isalnum()) and self._first_word(text, start)
            decision = self._decide(surface, first, entries)
            choice = decision.gene
            if choice and (
                text.startswith("(2+", end)  # Mg(2+): an ion
                or (choice[1] == "name" and " " in surface and _NUMBERED_AFTER.match(text, end))
            ):
                choice = None
            gene = Hit(start, end, "gene", *choice) if choice else None
            treatment = decision.treatment
            if treatment and not (gene and gene.kind == "symbol" and GENE_CONTEXT.match(text, end)):
                hits.append(Hit(start, end, "treatment", treatment.index, treatment.kind, 0))
            elif decision.family >= 0 and not (
                gene
                and gene.kind == "symbol"
                and _compact(surface) == _compact(self.lexicon.genes[gene.item].symbol if gene.item >= 0 else "")
            ):
                hits.append(Hit(start, end, "family", decision.family, "name", 1, decision.canonical))
            elif gene and gene.item < 0:
                ambiguous.append((gene, decision.genes))
            elif gene:
                hits.append(gene)
        hits.extend(self._settle(ambiguous, hits))
        if ")-" in text:
            hits.extend(self._split_names(text))
        return self._abbreviations(text, hits)

    def _split_names(self, text: str) -> list[Hit]:
        """'(IL)-6' after 'interleukin': the abbreviation and what follows its bracket, joined, when that is a
        name the lexicon knows (IL-6). The hit covers '(IL)-6'; a joined name it does not know ('(VHL)-deficient')
        leaves the abbreviation as it is."""
        found = []
        for match in _SPLIT_NAME.finditer(text):
            name = f"{match.group(1)}-{match.group(2)}"
            whole = [h for h in self.resolve(name, self.lexicon.lookup(name)) if (h.start, h.end) == (0, len(name))]
            if whole:
                found.append(whole[0]._replace(start=match.start(), end=match.end()))
        return found

    def _canonical(self, surface: str, entries: tuple[Entry, ...], family: int) -> int:
        """The one member of the family whose symbol, previous symbol or alias the surface is (VEGF -> VEGFA)."""
        members = self.lexicon.families[family].members
        found = {
            e.index
            for e in entries
            if e.kind != "name" and case_ok(surface, e.term, e.kind) and self.lexicon.genes[e.index].symbol in members
        }
        return found.pop() if len(found) == 1 else -1

    def _settle(self, ambiguous: list[tuple[Hit, tuple[Entry, ...]]], hits: list[Hit]) -> list[Hit]:
        """An ambiguous symbol takes the gene the same text names unambiguously, if exactly one of its genes."""
        named = {h.item for h in hits if h.type == "gene"}
        settled = []
        for hit, entries in ambiguous:
            options = {e.index for e in entries if KINDS.index(e.kind) == hit.rank} & named
            if len(options) == 1:
                settled.append(Hit(hit.start, hit.end, "gene", options.pop(), hit.kind, hit.rank))
        return settled

    def _spells(self, short: str, hit: Hit, text: str) -> bool:
        """Whether a long form the lexicon knows defines short: its words give the letters ('interleukin-6
        (IL-6)') or its gene has that symbol. 'monokine induced by IFN-gamma (Mig)' ends in a known name, but
        IFN-gamma does not spell Mig, and 'angiotensin converting enzyme' does not spell ACE2 (no 2)."""
        if hit.type == "gene" and _compact(self.lexicon.genes[hit.item].symbol).upper() == _compact(short).upper():
            return True
        long_form = text[hit.start : hit.end]
        return all(c in long_form for c in short if c.isdigit()) and _acronym_of(short, _LONG_WORDS.findall(long_form))

    def _abbreviations(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Apply the text's own rules to its hits: each hit meets HIT_RULES in order until one decides it (see
        each rule); those no rule decides are kept. Then word-like aliases get a last chance from lists."""
        if not hits:
            return hits
        context = _TextContext(text, self._definitions(text, hits), _strong_genes(hits), _cell_lines(text, hits))
        out: list[Hit] = []
        listed: list[Hit] = []
        for hit in hits:
            surface = text[hit.start : hit.end]
            shape = self._shape(surface)
            verdict: Hit | str | None = None
            for rule in self._rules:
                verdict = rule(context, hit, surface, shape)
                if verdict is not None:
                    break
            if verdict is DROP:
                continue
            if verdict is LIST:
                listed.append(hit)
                continue
            out.append(verdict if isinstance(verdict, Hit) else hit)
        if listed and out and "list_support" not in self.without:
            out = self._listed(text, out, listed)
        return out

    def _definitions(self, text: str, hits: list[Hit]) -> dict[str, Hit | None]:
        """The text's bracketed definitions of what was hit: 'electroconvulsive therapy (ECT)' defines ECT as no
        gene (None); 'brain-derived neurotrophic factor (BDNF)' as that gene's hit; 'superoxide dismutase (SOD1)'
        as a product the lexicon lacks (_PRODUCT). The first definition of a short form counts."""
        ends = {h.end: h for h in hits}  # a long form the lexicon knows
        surfaces = {text[h.start : h.end] for h in hits}  # only definitions of what was hit can matter
        defined: dict[str, Hit | None] = {}
        split_ends = _split_ends(text, hits)
        # else no definition can matter: one needs a short form with a capital in brackets
        bracketed = any(f"({surface})" in text for surface in surfaces if self._shape(surface).short)
        for match in _DEFINITION.finditer(text) if bracketed else ():
            short = match.group(1)
            if match.end() in split_ends:
                continue  # 'interleukin (IL)-6' defines IL-6, not IL
            if short not in surfaces or not self._shape(short).short:  # a hit, with a capital
                continue
            end = match.start()
            while end and text[end - 1].isspace():
                end -= 1
            long_hit = ends.get(end)
            if long_hit is not None and long_hit.start < end - len(short) and self._spells(short, long_hit, text):
                defined.setdefault(short, long_hit)
                continue
            words = _LONG_WORDS.findall(text, max(0, end - 120), end)[-(len(short) + 4) :]
            if _acronym_of(short, words):
                if _NOT_PRODUCT.search(words[-1]):
                    defined.setdefault(short, None)
                elif _PRODUCT_WORD.search(words[-1]):
                    defined.setdefault(short, _PRODUCT)
        return defined

    @staticmethod
    def _listed(text: str, kept: list[Hit], candidates: list[Hit]) -> list[Hit]:
        """Word-like aliases that stand in a list between genes the tagger kept ('CD34, NCAM, and CD20'): the
        list is their support. A gene on one side only is not enough ('HAT and APOL1')."""
        genes = [h for h in kept if h.type == "gene"]
        starts = {h.start for h in genes}
        ends = {h.end for h in genes}
        found = []
        for hit in candidates:
            after = _LIST_GAP.match(text, hit.end)
            before = _LIST_GAP_BEFORE.search(text, max(0, hit.start - 8), hit.start)
            if after and after.end() in starts and before and before.start() in ends:
                found.append(hit)
        return sorted(kept + found) if found else kept
