"""Naming what only the learned tier finds: a gene span that is no lexicon key, ranked against HGNC's names.

A span is looked up whole among the lexicon's keys first; then cut back (a word or letter for the product's form
or a species letter before a symbol, a product word after a name: data/name_trims.yaml) and looked up again; then
by its letters and digits alone (CEBPbeta = C/EBP-beta); then compared with every approved name, alias and protein
name of the lexicon (rapidfuzz's normalised similarity of the folded strings without generic words, names of 8
characters and more, numbers and Greek letters equal). A span that stays equally close to two genes keeps both as
candidates and no id: ambiguity is kept, not guessed away.

Example:
    >>> from evsynth.tagger.lexicon import default_lexicon
    >>> ranker = NameRanker(default_lexicon())
    >>> lexicon = default_lexicon()
    >>> lexicon.genes[ranker.rank("hXPC").gene].symbol
    'XPC'
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from evsynth.tagger.lexicon import KINDS, Lexicon, fold
from evsynth.tagger.wordlists import GREEK_LETTERS, document

_TRIMS = document("name_trims")
_SPECIES_LETTER = re.compile(rf"^[{''.join(_TRIMS['species_letters'])}](?=[A-Z0-9][A-Z0-9-]*[a-z]?$)")
_FORM = re.compile(
    rf"^(?:(?:{'|'.join(_TRIMS['form_words'])})-?(?=\w)|(?:{'|'.join(_TRIMS['form_letters'])})-?(?=[A-Z]))"
)
_TRAILING = re.compile(rf"\s+(?:{'|'.join(map(re.escape, _TRIMS['trailing_words']))})$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_GENERIC = re.compile(rf"\b(?:{'|'.join(map(re.escape, _TRIMS['generic_words']))})\b")
# what tells members of a family apart: numbers (roman numerals too) and Greek letters, as words
_NUMBER = re.compile(r"\d+|(?<![a-z])[ivx]+(?![a-z])")
_GREEK_WORD = re.compile(rf"(?<![a-z])(?:{'|'.join(sorted(GREEK_LETTERS, key=len, reverse=True))})(?![a-z])")
_GREEK_INITIAL = {
    **{word: word[0] for word in GREEK_LETTERS},
    **{letter: word[0] for word, letter in GREEK_LETTERS.items()},
}
# a Greek letter as a word or after a capital or digit (CEBPbeta), not inside a word (metalloproteinase)
_GREEK_SQUEEZE = re.compile(
    rf"(?<![a-z])(?i:{'|'.join(sorted(map(re.escape, _GREEK_INITIAL), key=len, reverse=True))})(?![a-z])"
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11}
_FUZZY_LENGTH = 8  # shorter names are symbols: a near miss of a symbol is another symbol
_FUZZY_CUTOFF = 90.0
_SHORTEST = _FUZZY_CUTOFF / (200 - _FUZZY_CUTOFF) - 0.01  # the shorter of two names this similar is at least this
# part of the longer one


@dataclass(frozen=True)
class Named:
    """The gene a span names (its index in the lexicon), or None with the candidates it may name."""

    gene: int | None
    how: str  # key, trimmed, squeezed, fuzzy, ambiguous, unknown
    candidates: tuple[int, ...] = field(default=())


class NameRanker:
    """Ranks a span against the lexicon's gene names; built once per tagger (the fuzzy index on first need)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._names: list[str] | None = None
        self._genes: list[int] = []
        self._lengths: list[int] = []
        self._squeeze: dict[str, tuple[int, ...]] | None = None
        self.rank = lru_cache(maxsize=50_000)(self._rank)

    def build(self) -> None:
        """Build the indexes now rather than on the first span that needs them (about 0.7 s)."""
        self._squeezed()
        self._index()

    def _rank(self, surface: str) -> Named:
        found = self._whole_key(surface)
        if found is not None:
            return found
        trimmed = _TRAILING.sub("", _SPECIES_LETTER.sub("", _FORM.sub("", surface)))
        if trimmed != surface and trimmed:
            found = self._whole_key(trimmed)
            if found is not None:
                return Named(found.gene, "trimmed" if found.gene is not None else found.how, found.candidates)
        genes = self._squeezed().get(squeeze(trimmed or surface), ())
        if genes:
            return Named(genes[0], "squeezed") if len(genes) == 1 else Named(None, "ambiguous", genes)
        return self._fuzzy(surface)

    def _squeezed(self) -> dict[str, tuple[int, ...]]:
        """Symbols, previous symbols, aliases and protein names by their letters and digits alone, Greek letters
        as their first letter (CEBPbeta, C/EBP-beta -> cebpb)."""
        if self._squeeze is None:
            index: dict[str, set[int]] = {}
            for term, gene, kind in self.lexicon.gene_terms:
                if kind != "name":
                    index.setdefault(squeeze(term), set()).add(gene)
            self._squeeze = {key: tuple(sorted(genes)) for key, genes in index.items() if len(key) >= 3}
        return self._squeeze

    def _whole_key(self, surface: str) -> Named | None:
        """The genes a key spelling the whole span stands for, strongest kind first."""
        best: dict[int, int] = {}
        for start, end, entries in self.lexicon.lookup(surface):
            if start != 0 or end != len(surface):
                continue
            for entry in entries:
                if entry.type == "gene":
                    rank = KINDS.index(entry.kind)
                    best[entry.index] = min(rank, best.get(entry.index, rank))
        if not best:
            return None
        strongest = min(best.values())
        genes = sorted(index for index, rank in best.items() if rank == strongest)
        if len(genes) == 1:
            return Named(genes[0], "key")
        return Named(None, "ambiguous", tuple(genes))

    def _fuzzy(self, surface: str) -> Named:
        query = _comparable(surface)
        if len(query) < _FUZZY_LENGTH:
            return Named(None, "unknown")
        names = self._index()
        # a name this similar is within these lengths (ratio = 2 * matches / (len(a) + len(b))): only those are tried
        low = bisect.bisect_left(self._lengths, math.floor(len(query) * _SHORTEST))
        high = bisect.bisect_right(self._lengths, math.ceil(len(query) / _SHORTEST))
        top = [
            (name, score, low + i)
            for name, score, i in process.extract(
                query, names[low:high], scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=50
            )
        ]
        if not top:
            return Named(None, "unknown")
        marks = _marks(query)
        top = [hit for hit in top if _same_member(marks, _marks(hit[0]))]  # 'factor 9' is not 'factor 6'
        if not top:
            return Named(None, "unknown")
        best = top[0][1]
        genes = sorted({self._genes[i] for _, score, i in top if score == best})
        if len(genes) == 1:
            return Named(genes[0], "fuzzy")
        return Named(None, "ambiguous", tuple(genes))

    def _index(self) -> list[str]:
        if self._names is None:
            names: dict[str, set[int]] = {}
            for term, index, kind in self.lexicon.gene_terms:
                if kind != "symbol":
                    key = _comparable(term)
                    if len(key) >= _FUZZY_LENGTH:
                        names.setdefault(key, set()).add(index)
            pairs = sorted(((key, gene) for key, genes in names.items() for gene in genes), key=lambda p: len(p[0]))
            self._names = [key for key, _ in pairs]  # by length, so that a query's lengths are one slice
            self._genes = [gene for _, gene in pairs]
            self._lengths = [len(key) for key in self._names]
        return self._names


def squeeze(name: str) -> str:
    """A name's letters and digits, lower-cased, each Greek letter (word or letter) as its first Latin letter.

    Example:
        >>> squeeze("IL-2R alpha"), squeeze("CEBPbeta")
        ('il2ra', 'cebpb')
    """
    return _NOT_ALNUM.sub("", _GREEK_SQUEEZE.sub(_initial, name).lower())


def _initial(match: re.Match[str]) -> str:
    letter = match.group()  # any case of a word or letter, 'µ' (the micro sign) for 'μ' too
    return _GREEK_INITIAL.get(letter.lower()) or _GREEK_INITIAL.get(letter.casefold(), letter)


def _comparable(name: str) -> str:
    """A name as the fuzzy ranking compares it: folded, without generic words, single spaces."""
    return _SPACES.sub(" ", _GENERIC.sub(" ", fold(name))).strip()


def _marks(name: str) -> tuple[list[int], set[str]]:
    """The numbers (roman numerals as numbers) and Greek letters of a folded name."""
    numbers = [int(n) if n.isdigit() else _ROMAN.get(n, -1) for n in _NUMBER.findall(name)]
    return numbers, set(_GREEK_WORD.findall(name))


def _same_member(one: tuple[list[int], set[str]], other: tuple[list[int], set[str]]) -> bool:
    """Whether two names may name the same member of a family: the same numbers, and no Greek letter apart."""
    return one[0] == other[0] and (not one[1] or not other[1] or one[1] == other[1])
