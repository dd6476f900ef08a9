"""Deciding what a dictionary hit is: case rules, ambiguous symbols, abbreviations defined in the text, families."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evsynth.tagger.case_rules import PROTEIN_WORD, acronym_of, case_ok, compact
from evsynth.tagger.lexicon import GREEK_WORDS, KINDS, Entry, Lexicon
from evsynth.tagger.rules import (
    DROP,
    GENE_CONTEXT,
    HIT_RULES,
    LIST,
    RULE_NAMES,
    Hit,
    Shape,
    TextContext,
    cell_lines,
    split_ends,
    strong_genes,
)
from evsynth.tagger.wordlists import alternation, words

_DEFINITION = re.compile(r"\(([^()\s]{2,12})\)")
# a name split by its abbreviation: 'interleukin (IL)-6', 'nuclear factor (NF)-kappaB' name IL-6 and NF-kappaB
_SPLIT_NAME = re.compile(r"\(([A-Za-z][A-Za-z0-9]{0,9})\)-([A-Za-z0-9]+)\b")
_GAP = r"(?:,\s*(?:and\s+)?|\s+and\s+)"  # between the items of a list: ', ', ', and ', ' and '
_LIST_GAP = re.compile(_GAP)
_LIST_GAP_BEFORE = re.compile(_GAP + "$")
_LONG_WORDS = re.compile(r"[A-Za-z0-9α-ω]+")
# the last word of a long form that names a gene product: 'superoxide dismutase (SOD1)', 'osteoprotegerin (OPG)'
_PRODUCT_WORD = re.compile(
    rf"(?:{alternation(words('product_words'))}|[0-9]+[A-Za-z]?|(?<![a-z])[ivx]+|[α-ω])$", re.IGNORECASE
)
_NOT_PRODUCT = re.compile(rf"{alternation(words('not_product_endings'))}$", re.IGNORECASE)


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


_ROMAN = re.compile(r"[IVX]+$")
_GREEK_NUMBER = re.compile(rf"(?:{GREEK_WORDS}|[\u03b1-\u03c9])\d{{1,2}}", re.IGNORECASE)
_HEADING = re.compile(r"(?:^|[\s.])[A-Z][A-Z ]{2,40}$")


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
        self._shapes: dict[str, Shape] = {}

    def _shape(self, surface: str) -> Shape:
        shape = self._shapes.get(surface)
        if shape is None:
            if len(self._shapes) > 200_000:
                self._shapes.clear()
            folded = compact(surface)
            word_like = (
                (folded.isalpha() or _GREEK_NUMBER.fullmatch(folded))
                and "-" not in surface
                and (len(folded) <= WEAK_LENGTH or (folded[1:].islower() and not PROTEIN_WORD.search(folded)))
            )
            shape = Shape(
                bool(_ROMAN.match(folded)),
                bool(word_like),
                folded.upper() in self.lexicon.not_genes or len(folded) < 3,
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
                    if e.type == "treatment" and (e.kind == "term" or compact(surface) == compact(e.term))
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
                and compact(surface) == compact(self.lexicon.genes[gene.item].symbol if gene.item >= 0 else "")
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
        if hit.type == "gene" and compact(self.lexicon.genes[hit.item].symbol).upper() == compact(short).upper():
            return True
        long_form = text[hit.start : hit.end]
        return all(c in long_form for c in short if c.isdigit()) and acronym_of(short, _LONG_WORDS.findall(long_form))

    def _abbreviations(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Apply the text's own rules to its hits: each hit meets HIT_RULES in order until one decides it (see
        each rule); those no rule decides are kept. Then word-like aliases get a last chance from lists."""
        if not hits:
            return hits
        context = TextContext(text, self._definitions(text, hits), strong_genes(hits), cell_lines(text, hits))
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
        joined_ends = split_ends(text, hits)
        # else no definition can matter: one needs a short form with a capital in brackets
        bracketed = any(f"({surface})" in text for surface in surfaces if self._shape(surface).short)
        for match in _DEFINITION.finditer(text) if bracketed else ():
            short = match.group(1)
            if match.end() in joined_ends:
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
            if acronym_of(short, words):
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
