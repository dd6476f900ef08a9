"""The tagging lexicon: HGNC genes, FamPlex families, miRBase names and treatments, compiled into one automaton.

The data file (data/lexicon.json.gz) is built by scripts/build_lexicon.py; its provenance travels inside it.
Matching folds case and punctuation without changing string length, so automaton offsets are text offsets.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick

from evsynth.errors import InputFileError
from evsynth.tagger import compiled
from evsynth.tagger.derived_names import derived_terms
from evsynth.tagger.wordlists import (
    GREEK_LETTERS,
    GREEK_SHORT,
    MIRNA_HINTS,
    SPECIES_CUE_WORDS,
    VARIANT_TRIGGERS,
    document,
    words,
)

GREEK = {word: GREEK_LETTERS[word] for word in GREEK_SHORT}  # the letters with a short form, as letters
_SEPARATORS = "-‐‑‒–—/\\()[]{},;:.'\"+_!?*&%#@=<>|~^`´’‘“”·•"
_FOLDED = _SEPARATORS + "\t\n\r\f\v\u00a0"
_FOLD_RE = re.compile("[" + re.escape(_FOLDED) + "]")
_ASCII_FOLDED = bytes(ord(c) for c in _FOLDED if c.isascii())
_FOLD_ASCII = bytes.maketrans(_ASCII_FOLDED, b" " * len(_ASCII_FOLDED))
_SPLIT_DIGITS = re.compile(r"^([a-z]{2,})(\d{1,2}[a-z]?)$")
# kinds of gene term, strongest first
KINDS = ("symbol", "protein", "previous", "alias", "name")


def padded_fold(text: str) -> str:
    """fold(text) with a space on each side, so whole words are keys between spaces; offsets shift by one."""
    return f" {fold(text)} "


def fold(text: str) -> str:
    """Lower-case and turn punctuation into spaces, keeping every character where it was."""
    if text.isascii():  # most abstracts: a byte table does it at once
        return text.encode("ascii").lower().translate(_FOLD_ASCII).decode("ascii")
    if "\u03a3" not in text:  # capital sigma lowers by its place in a word: the whole text is lowered below
        # the ASCII characters by the byte table, then each other one (a '?' in the bytes) on its own
        raw = text.encode("ascii", "replace")
        folded = raw.lower().translate(_FOLD_ASCII).decode("ascii")
        parts: list[str] = []
        last = 0
        at = raw.find(b"?")
        while at >= 0:
            char = text[at]
            if char != "?":
                lowered = char.lower()
                parts += (folded[last:at], " " if char in _FOLDED else lowered if len(lowered) == 1 else char)
                last = at + 1
            at = raw.find(b"?", at + 1)
        return "".join((*parts, folded[last:]))
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters (İ) lengthen when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _FOLD_RE.sub(" ", lowered)


GREEK_WORDS = "|".join(GREEK_SHORT)  # the Greek letters papers spell out in gene names
_GREEK_WORD = re.compile(rf"(?<=[a-z0-9])\s?({GREEK_WORDS})(?![a-z])")
# a leading Greek word: beta-catenin, also written b-catenin (not alpha: 'a catenin' is English)
_GREEK_LEAD = re.compile(r"^(beta|gamma|delta|kappa|zeta) (?=[a-z])")
_GREEK_ANY = re.compile(f"({GREEK_WORDS})(?![a-z])|([{''.join(GREEK.values())}])", re.IGNORECASE)
_LETTER_OF = {**GREEK_SHORT, **{g: GREEK_SHORT[w] for w, g in GREEK.items()}}


def greek_short(text: str) -> str:
    """Greek words and letters as the one Latin letter papers also write: TNF-alpha, TNFα -> TNFa."""
    return _GREEK_ANY.sub(lambda m: _LETTER_OF[m.group(0).lower()], text)


def _greek(join: str, table: dict[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda match: join + table[match.group(1)]


def key_variants(term: str, kind: str) -> set[str]:
    """The folded spellings a term may take in text: IL-6, IL 6, IL6; TNF-alpha, TNF-α, TNFα, TNFa; receptors."""
    tokens = fold(term).split()
    if not tokens or not any(c.isalpha() for c in term):
        return set()
    forms = {" ".join(tokens)}
    if kind != "name" and len(tokens) <= 3 and sum(map(len, tokens)) <= 8 and any(c.isdigit() for c in term):
        forms.add("".join(tokens))
    split = _SPLIT_DIGITS.match(tokens[0]) if len(tokens) == 1 else None
    if split:
        forms.add(f"{split.group(1)} {split.group(2)}")
    forms |= _greek_spellings(forms, kind)
    if kind != "name":
        forms |= {_GREEK_LEAD.sub(lambda m: GREEK_SHORT[m.group(1)] + " ", form) for form in forms}
    elif len(tokens) == 2 and tokens[1].isdigit() and len(tokens[0]) > 3:  # talin 1 -> talin1
        forms.add("".join(tokens))
    if kind in ("name", "protein", "family", "term"):
        forms |= {form + "s" for form in forms if len(form.split()[-1]) > 3 and form[-1].isalpha()}
    return {" ".join(form.split()) for form in forms}


def _greek_spellings(forms: set[str], kind: str) -> set[str]:
    """The forms with their Greek written each way: the letter as a word (TNFα -> TNF alpha), then every Greek
    word as the letter, as the word and (but in names) as its short form, joined or apart (TNFα, TNF alpha, TNFa)."""
    worded = set(forms)
    for form in forms:
        for word, letter in GREEK.items():
            if letter in form:
                worded.add(form.replace(letter, " " + word).strip())
    spelled = set(worded)
    tables = [GREEK, {w: w for w in GREEK}] + ([GREEK_SHORT] if kind != "name" else [])
    for form in worded:
        if _GREEK_WORD.search(form):
            for join in ("", " "):
                for table in tables:
                    spelled.add(_GREEK_WORD.sub(_greek(join, table), form))
    return spelled


@dataclass(frozen=True)
class Gene:
    hgnc: str  # HGNC:1033
    symbol: str
    name: str
    ncbi: str  # NCBI Gene id, "" when HGNC gives none
    locus: str  # protein, mirna, other


@dataclass(frozen=True)
class Family:
    id: str  # FamPlex id: GRIN, GRIA, AKT, ERK
    members: tuple[str, ...]  # HGNC symbols


@dataclass(frozen=True)
class Treatment:
    key: str
    id: str  # MESH:D007649 or evsynth:arketamine
    name: str
    mesh: str  # the MeSH UI of the concept or of the broader one it falls under
    modality: str


@dataclass(frozen=True)
class Entry:
    """What one folded key may stand for. `term` is the spelling it came from, for case checks."""

    type: str  # gene, family, treatment
    index: int
    kind: str  # gene: a KINDS value; family: name; treatment: term or abbrev
    term: str


# English function words that HGNC lists as aliases or previous symbols (OF, IN, AS, AN, ON, FOR, ALL, NOT ...):
# most dictionary hits in running text would be these, and none would be kept without a definition or gene word
FUNCTION_WORDS = frozenset(words("function_words"))
KeyHit = tuple[int, int, tuple[Entry, ...]]  # (start, end, entries) of a key in a text


class Scan(NamedTuple):
    """What one pass of the lexicon's automaton finds in a text."""

    keys: list[KeyHit]  # every key that the text's spelling may stand for
    words: list[tuple[int, str]]  # (start, word) of each variant or allele trigger word as written (VARIANT_TRIGGERS)
    hinted: bool  # whether the folded text holds a microRNA hint (wordlists.MIRNA_HINTS)
    cues: list[tuple[int, int]]  # (start, length) of each species cue word, in any case (species.CUE_KIND)


def needs_capital(entry: Entry) -> bool:
    """Whether no all-lower-case spelling can stand for the entry (see genes.case_ok): symbols, aliases and
    abbreviations written with a capital, no digit and no Greek. Names, lower-case terms and numbered symbols
    (rac1) can."""
    if entry.kind in ("name", "term") or (entry.type == "family" and " " in entry.term):
        return False
    if greek_short(entry.term) != entry.term:  # Greek words compare in any case: DELTA, IFN-GAMMA
        return False
    return any(c.isupper() for c in entry.term) and not any(c.isdigit() for c in entry.term)


CURATED_FILE = "src/evsynth/tagger/data/gene_names.yaml"


def with_curated(data: dict[str, Any], curated: dict[str, Any]) -> dict[str, Any]:
    """The lexicon data with the curated gene names, stop words and family representatives of gene_names.yaml
    (read at load time: a new alias needs no rebuild of the packaged lexicon). Each must name a gene or family the
    lexicon has.

    Raises:
        InputFileError: a curated entry names a symbol or family the lexicon does not have.
    """
    symbols = {gene[1]: index for index, gene in enumerate(data["genes"])}
    members = {family[0]: family[1] for family in data["families"]}
    terms = list(data["gene_terms"])
    for symbol, names in (curated.get("names") or {}).items():
        if symbol not in symbols:
            raise InputFileError(f"{CURATED_FILE}: names: {symbol!r} is not an approved HGNC symbol")
        terms.extend([name, symbols[symbol], "protein"] for name in names)
    representatives = dict(data.get("representatives", {}))
    for fid, symbol in (curated.get("representatives") or {}).items():
        if symbol not in members.get(fid, ()):
            raise InputFileError(f"{CURATED_FILE}: representatives: {symbol!r} is not a member of {fid!r}")
        representatives[fid] = symbol
    not_genes = sorted({*data.get("not_genes", ()), *(curated.get("not_genes") or ())})
    return {**data, "gene_terms": terms, "representatives": representatives, "not_genes": not_genes}


def _keys(data: dict[str, Any]) -> dict[str, list[Entry]]:
    """Every folded key the lexicon's genes, families and treatments may be written as, with what it stands for."""
    keys: dict[str, list[Entry]] = {}

    def add(term: str, entry: Entry, kind: str) -> None:
        for key in key_variants(term, kind):
            keys.setdefault(key, []).append(entry)

    for term, index, kind in data["gene_terms"]:
        add(term, Entry("gene", index, kind, term), kind)
        for extra, extra_kind in derived_terms(term, kind):
            add(extra, Entry("gene", index, extra_kind, extra), extra_kind)
    for index, (_, _, names) in enumerate(data["families"]):
        for name in names:
            add(name, Entry("family", index, "name", name), "family")
    for index, (*_, terms, abbrevs) in enumerate(data["treatments"]):
        for term in terms:
            add(term, Entry("treatment", index, "term", term), "term")
        for abbrev in abbrevs:
            add(abbrev, Entry("treatment", index, "abbrev", abbrev), "abbrev")
    return keys


RawEntry = tuple[str, int, str, str]  # an Entry as plain data (type, index, kind, term): what the cache keeps


class Lexicon:
    """The genes, families and treatments, and one automaton that finds every way they may be written.

    The automaton's values hold plain data (a key's length, the number of its entry set, whether every entry
    needs a capital, whether it is a species cue), so that a compiled lexicon is read back from the cache in a
    fraction of the time the build takes (:func:`read_lexicon`); a key's entries become :class:`Entry` objects
    the first time a text holds it, once for the lexicon's life (their identity is a cache key in genes.py).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._tables(data)
        keys = _keys(data)
        self._raw_sets: list[tuple[RawEntry, ...]] = []
        self._sets: list[tuple[Entry, ...] | None] = []
        self.size = 0  # the dictionary keys looked up
        self.automaton = self._automaton(keys)

    def _tables(self, data: dict[str, Any]) -> None:
        self.provenance: dict[str, Any] = data["provenance"]
        self.digest = hashlib.sha256(json.dumps(self.provenance, sort_keys=True).encode()).hexdigest()[:12]
        self.genes = [Gene(f"HGNC:{n}", s, name, ncbi, locus) for n, s, name, ncbi, locus in data["genes"]]
        self.families = [Family(fid, tuple(members)) for fid, members, _ in data["families"]]
        self.treatments = [Treatment(k, i, name, mesh, mod) for k, i, name, mesh, mod, _, _ in data["treatments"]]
        self.mirbase: list[str] = data["mirbase"]
        self.not_genes = frozenset(data["not_genes"])
        self.by_symbol = {gene.symbol: i for i, gene in enumerate(self.genes)}
        self.by_ncbi = {gene.ncbi: i for i, gene in enumerate(self.genes) if gene.ncbi}
        self.family_by_id = {family.id: i for i, family in enumerate(self.families)}
        # family index -> the gene index of the member its name stands for (ERK -> MAPK1)
        self.representatives = {
            self.family_by_id[fid]: self.by_symbol[symbol] for fid, symbol in data.get("representatives", {}).items()
        }

    def _automaton(self, keys: dict[str, list[Entry]]) -> ahocorasick.Automaton:
        """One automaton for every word the tagger looks for; a value is (length, entry set, capital, species cue).
        Species cues are whole words too; a key that is also a cue ('mice') carries both."""
        cues = {fold(word) for word in SPECIES_CUE_WORDS}
        automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            if key in FUNCTION_WORDS and all(e.type == "gene" and e.kind in ("alias", "previous") for e in entries):
                continue  # 'of', 'In', 'ALL': an alias or old symbol spelled as a function word is never read as one
            self.size += 1
            unique = tuple(dict.fromkeys(entries))
            self._sets.append(unique)
            self._raw_sets.append(tuple((e.type, e.index, e.kind, e.term) for e in unique))
            automaton.add_word(
                f" {key} ", (len(key), len(self._sets) - 1, all(map(needs_capital, unique)), key in cues)
            )
        for key in cues:
            if not automaton.exists(f" {key} "):
                automaton.add_word(f" {key} ", (len(key), None, False, True))
        # the variant trigger words and microRNA hints ride along unpadded (found inside words too), so the tagger
        # needs no pass of its own for them; the value holds the word as written ('' for a hint: any case)
        for word in VARIANT_TRIGGERS:
            automaton.add_word(fold(word), (len(word), word, False, False))
        for hint in MIRNA_HINTS:
            automaton.add_word(hint, (len(hint), "", False, False))
        automaton.make_automaton()
        return automaton

    def compiled(self) -> dict[str, Any]:
        """The lexicon as plain data and its automaton, what the cache keeps (see :meth:`from_compiled`)."""
        return {"data": self._data, "raw_sets": self._raw_sets, "size": self.size, "automaton": self.automaton}

    @classmethod
    def from_compiled(cls, compiled: dict[str, Any]) -> Lexicon:
        """The lexicon :meth:`compiled` kept, without building its keys again."""
        lexicon = cls.__new__(cls)
        lexicon._tables(compiled["data"])
        lexicon._data = compiled["data"]
        lexicon._raw_sets = compiled["raw_sets"]
        lexicon._sets = [None] * len(lexicon._raw_sets)
        lexicon.size = compiled["size"]
        lexicon.automaton = compiled["automaton"]
        return lexicon

    @property
    def gene_terms(self) -> list[tuple[str, int, str]]:
        """Every (term, gene index, kind) the lexicon names genes by: approved symbols and names, previous ones,
        aliases and the curated protein names."""
        return [(str(term), int(index), str(kind)) for term, index, kind in self._data["gene_terms"]]

    def entry_sets(self) -> Iterator[tuple[tuple[Entry, ...], bool]]:
        """Every key's entries, and whether all of them need a capital (what the lookup checks)."""
        for _, entries, capital, _ in self.automaton.values():
            if entries.__class__ is int:
                yield self._entries(entries), capital

    def _entries(self, number: int) -> tuple[Entry, ...]:
        chosen = self._sets[number]
        if chosen is None:  # the first text that holds this key (a lexicon read from the cache)
            chosen = self._sets[number] = tuple(Entry(*raw) for raw in self._raw_sets[number])
        return chosen

    def scan(self, text: str, padded: str | None = None) -> Scan:
        """One automaton pass over the folded text for everything the tagger looks up (see Scan). Keys whose every
        entry needs a capital are left out where the text writes them in lower case ('cell', 'type'): most hits in
        running text would be such words. padded is padded_fold(text), when the caller has it already."""
        found: list[KeyHit] = []
        words: list[tuple[int, str]] = []
        cues: list[tuple[int, int]] = []
        hinted = False
        sets = self._sets
        for last, (length, entries, capital, cue) in self.automaton.iter(padded or padded_fold(text)):
            start = last - length - 1  # the padded key ends in a space; the pad shifts offsets by one
            if entries.__class__ is str:  # a trigger word or hint: unpadded, so it starts one further on
                if not entries:
                    hinted = True
                elif text.startswith(entries, start + 1):
                    words.append((start + 1, entries))
                continue
            if cue:
                cues.append((start, length))
            if entries is None or (capital and text[start : start + length].islower()):
                continue
            chosen = sets[entries]
            found.append((start, start + length, chosen if chosen is not None else self._entries(entries)))
        return Scan(found, words, hinted, cues)

    def lookup(self, text: str, padded: str | None = None) -> list[KeyHit]:
        """The key hits of :meth:`scan`."""
        return self.scan(text, padded).keys


def read_lexicon(path: Path | None = None, cache: Path | None = None) -> Lexicon:
    """Load a lexicon file (the packaged one when path is None). With ``cache`` (a folder), the compiled lexicon is
    read from there when it was compiled from the same lexicon, curated names, code and library versions, and kept
    there when it was not (see :mod:`evsynth.tagger.compiled`)."""
    try:
        if path is None:
            raw = resources.files("evsynth.tagger").joinpath("data/lexicon.json.gz").read_bytes()
        else:
            raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if cache is not None:
        found = compiled.load(cache, raw)
        if found is not None:
            try:
                return Lexicon.from_compiled(found)
            except (KeyError, TypeError, ValueError, IndexError):
                pass  # a compiled form of another shape: built again below
    lexicon = _build(raw, path)
    if cache is not None:
        compiled.save(cache, raw, lexicon.compiled())
    return lexicon


def _build(raw: bytes, path: Path | None) -> Lexicon:
    try:
        data = json.loads(gzip.decompress(raw))
    except (OSError, ValueError, EOFError) as exc:
        raise _unreadable(path, exc) from None
    if data.get("format") not in (1, 2):  # 1 had the curated names built in; merging them again changes nothing
        raise InputFileError(f"{path}: unknown lexicon format {data.get('format')!r}")
    return Lexicon(with_curated(data, document("gene_names")))


def _unreadable(path: Path | None, exc: Exception) -> InputFileError:
    where = path or "the packaged lexicon (src/evsynth/tagger/data/lexicon.json.gz)"
    return InputFileError(f"{where}: cannot read the lexicon: {exc}")


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The packaged lexicon, compiled once per machine (the cache folder: evsynth.config.cache_dir)."""
    from evsynth.config import cache_dir

    return read_lexicon(cache=cache_dir())
