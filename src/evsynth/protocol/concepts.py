"""Text concepts for screening: named term lists matched on a record's title and abstract.

A concept is compiled once into at most two regular expressions (one case-sensitive,
one not), so a record is searched with one pass per field, not one pass per term.

Matching rules (documented in the README, "Screening criteria"):

* **Word boundaries.** A term matches whole words only: ``rat`` does not match
  "ratio" and ``miR-29`` does not match "miR-29a" (use a pattern for families).
* **Case.** With ``case: auto`` (the default) a term written in capitals, such as
  ``ECT``, ``TRD`` or ``SNP``, matches only in capitals; any other term ignores
  case. ``case: sensitive`` / ``insensitive`` apply to every term and pattern.
* **Variants.** Words may be joined by a space, a hyphen (any dash) or nothing
  ("genome-wide" = "genome wide" = "genomewide"); the last word may take a plural
  (-s, -es, -y -> -ies); a trailing ``*`` truncates like PubMed (``genotyp*``).
* **Patterns.** ``patterns`` are regular expressions for what a list cannot say
  (``rs\\d{3,}``), also matched on word boundaries.
* **Fuzzy.** With ``fuzzy: N`` (0-100), a term of five letters or more that is
  not found exactly may match a run of words whose rapidfuzz ``ratio`` is >= N
  (misspellings and transliterations); the score is kept with the evidence.

An outcome is three-valued: found (True), not found (False), or unknown (None) when
the text was not found in a record that has no abstract, since a title alone is not
enough to rule a concept out (``missing_abstract: false`` turns that off).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

from evsynth.models import Evidence, Record

_BOUND_START = r"(?<!\w)"
_BOUND_END = r"(?!\w)"
_JOIN = r"[\s\-\u2010\u2011\u2012\u2013]?"
_SPLIT = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")
_WORDS = re.compile(r"\w+(?:['\-]\w+)*")
_VOWELS = set("aeiou")
_WORD_CHAR = re.compile(r"\w")
# what may join two words of a term (_JOIN): nothing, any white space, a hyphen or dash
_JOINERS = ("", *(c for c in map(chr, range(0x3001)) if c.isspace()), "-", "\u2010", "\u2011", "\u2012", "\u2013")
_LEADING_LITERAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
# Non-ASCII letters that IGNORECASE matches to an ASCII letter where str.lower() does not lower them to it
# (U+0130, whose lower case is two characters, makes a text too unlike its folded form: it is searched in full)
_ASCII_FOLD = str.maketrans({"\u0131": "i", "\u017f": "s"})


def is_acronym(term: str) -> bool:
    """Whether ``term`` is written in capitals (two or more, no lower-case letter).

    >>> is_acronym("ECT"), is_acronym("rTMS"), is_acronym("5-HTTLPR")
    (True, False, True)
    """
    letters = [c for c in term if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


def term_pattern(term: str) -> str:
    """Regular expression (without boundaries) for one term with its spelling variants.

    >>> bool(re.fullmatch(term_pattern("genome-wide association"), "genome wide associations"))
    True
    """
    truncated = term.endswith("*")
    words = [w for w in _SPLIT.split(term.rstrip("*").strip()) if w]
    parts = [re.escape(w) for w in words]
    last = words[-1]
    if truncated:
        parts[-1] += r"\w*"
    elif last.isalpha() and len(last) >= 3:
        if last[-1] in "yY" and last[-2].lower() not in _VOWELS:
            parts[-1] = re.escape(last[:-1]) + ("(?:Y|IES)" if last.isupper() else "(?:y|ies)")
        elif last[-1] not in "sS":
            parts[-1] += "(?:s|S|ES)?" if last.isupper() else "(?:s|es)?"
    return _JOIN.join(parts)


def term_anchors(term: str) -> list[str]:
    """What every match of ``term`` starts with, in lower case: its first word, and a second word's start after
    each joiner a match may have (nothing, a space or any white space, a hyphen or dash); a last word less a final
    y, which a plural turns into -ies.

    >>> term_anchors("study"), term_anchors("genotyp*"), {"acase", "a case", "a-case"} <= set(term_anchors("a case"))
    (['stud'], ['genotyp'], True)
    """
    words = [word.lower() for word in _SPLIT.split(term.rstrip("*").strip()) if word]
    if not words:
        return []
    if words[-1].endswith("y") and len(words[-1]) > 1 and not term.endswith("*"):
        words[-1] = words[-1][:-1]
    if len(words) == 1:
        return [words[0]]
    return [words[0] + joiner + words[1] for joiner in _JOINERS]


def pattern_anchor(pattern: str) -> str | None:
    r"""The letters, digits and hyphens every match of a regular expression starts with (lower case), when that
    can be read off its start; None when it cannot (an alternation, a group, a class or an escape first).

    >>> pattern_anchor(r"rs\d{3,}"), pattern_anchor(r"miR-?\d+"), pattern_anchor(r"5-HTTLPR")
    ('rs', 'mir', '5-httlpr')
    """
    literal = _LEADING_LITERAL.match(pattern)
    if "|" in pattern or literal is None:
        return None
    text = literal.group()
    if pattern[literal.end() : literal.end() + 1] in ("?", "*", "{"):  # the last character may be absent
        text = text[:-1]
    return text.lower() or None


@functools.lru_cache(maxsize=16)  # a record's title and abstract, asked for by each of the protocol's concepts
def _anchor_form(text: str) -> str | None:
    """``text`` in lower case, as anchors are looked for in it (with the two letters IGNORECASE folds that
    str.lower does not); None when its lower case is not letter for letter (U+0130), so offsets would not agree."""
    folded = text.lower()
    if len(folded) != len(text):
        return None
    if "\u0131" in folded or "\u017f" in folded:
        folded = folded.translate(_ASCII_FOLD)
    return folded


def _anchor_automaton(terms: tuple[str, ...], patterns: tuple[str, ...]) -> Any:
    """An automaton of the anchors of every term and of the patterns that have one, each with its length; None
    when a term has none (or one with a non-ASCII letter, whose case rules differ between the regular expressions
    and str.lower), so that the regular expressions search all text."""
    anchors = [anchor for term in terms for anchor in term_anchors(term) or [""]]
    if any(not anchor or not _ascii_letters(anchor) for anchor in anchors):
        return None
    anchors += [anchor for anchor in map(pattern_anchor, patterns) if anchor is not None]
    if not anchors:
        return None
    automaton = ahocorasick.Automaton()
    for anchor in anchors:
        automaton.add_word(anchor, len(anchor))
    automaton.make_automaton()
    return automaton


def _ascii_letters(anchor: str) -> bool:
    return all(c.isascii() for c in anchor if c.isalnum())


def _alternation(pieces: list[str]) -> str:
    return _BOUND_START + "(?:" + "|".join(pieces) + ")" + _BOUND_END


@dataclass(frozen=True)
class Outcome:
    """What a predicate found: True, False or None (unknown), and the evidence."""

    value: bool | None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Concept:
    """A named list of terms and patterns searched in a record's text fields."""

    name: str
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    fields: tuple[str, ...] = ("title", "abstract")
    case: str = "auto"
    fuzzy: int = 0
    missing_abstract_unknown: bool = True
    description: str = ""
    _compiled: tuple[re.Pattern[str], ...] = field(default=(), init=False, repr=False, compare=False)
    _anchors: Any = field(default=None, init=False, repr=False, compare=False)
    _unanchored: tuple[re.Pattern[str], ...] = field(default=(), init=False, repr=False, compare=False)
    _longest_anchor: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sensitive: list[str] = []
        insensitive: list[str] = []
        for term in sorted(self.terms, key=len, reverse=True):
            exact = self.case == "sensitive" or (self.case == "auto" and is_acronym(term))
            (sensitive if exact else insensitive).append(term_pattern(term))
        unanchored = []
        for pattern in self.patterns:
            (sensitive if self.case == "sensitive" else insensitive).append(f"(?:{pattern})")
            if pattern_anchor(pattern) is None:
                flags = 0 if self.case == "sensitive" else re.IGNORECASE
                unanchored.append(re.compile(_alternation([f"(?:{pattern})"]), flags))
        object.__setattr__(self, "_unanchored", tuple(unanchored))
        compiled = []
        if sensitive:
            compiled.append(re.compile(_alternation(sensitive)))
        if insensitive:
            compiled.append(re.compile(_alternation(insensitive), re.IGNORECASE))
        object.__setattr__(self, "_compiled", tuple(compiled))
        automaton = _anchor_automaton(self.terms, self.patterns)
        object.__setattr__(self, "_anchors", automaton)
        object.__setattr__(self, "_longest_anchor", max(automaton.values(), default=0) if automaton else 0)

    def search(self, record: Record, criterion: str = "") -> Outcome:
        """Search the concept's fields of ``record``; the first match per field is the evidence."""
        evidence = []
        for name, text in _field_texts(record, self.fields):
            found = self._first_match(text)
            if found is None and self.fuzzy:
                found = self._fuzzy_match(text)
            if found is not None:
                start, end, note = found
                evidence.append(Evidence(criterion, name, text[start:end] + note, start, end))
        if evidence:
            return Outcome(True, tuple(evidence))
        if self.missing_abstract_unknown and "abstract" in self.fields and not record.abstract.strip():
            note = f"no abstract, and no term of '{self.name}' in the title"
            return Outcome(None, (Evidence(criterion, "abstract", note),))
        return Outcome(False, (Evidence(criterion, "/".join(self.fields), f"no term of '{self.name}'"),))

    def _first_match(self, text: str) -> tuple[int, int, str] | None:
        """The leftmost match of the concept's expressions (the first expression's at a tie).

        A match of a term, or of a pattern with an anchor (a term's first words, a pattern's leading letters),
        starts with that anchor at the start of a word. One pass of an Aho-Corasick automaton finds the anchors,
        and the expressions are tried there alone, where a search tries them at every position of the text; the
        pass stops once no later anchor can start before the match found. A pattern without an anchor adds where
        its own leftmost match starts (the leftmost match of the whole cannot be one of its later ones).
        """
        folded = _anchor_form(text) if self._anchors is not None else None
        if folded is None:  # each expression searches the whole text
            matches = [m for m in (regex.search(text) for regex in self._compiled) if m]
            first = min(matches, key=lambda m: m.start(), default=None)
            return None if first is None else (first.start(), first.end(), "")
        best: tuple[int, int, str] | None = None
        if self._unanchored:
            for start in sorted(m.start() for regex in self._unanchored if (m := regex.search(text))):
                if best := self._match_at(text, start):
                    break
        for end, length in self._anchors.iter(folded):
            start = end - length + 1
            if best is not None and start >= best[0]:
                if end - self._longest_anchor >= best[0]:  # every later anchor starts after the match
                    break
                continue
            if (start == 0 or not _WORD_CHAR.match(text, start - 1)) and (at := self._match_at(text, start)):
                best = at
        return best

    def _match_at(self, text: str, start: int) -> tuple[int, int, str] | None:
        for regex in self._compiled:
            if match := regex.match(text, start):
                return start, match.end(), ""
        return None

    def _fuzzy_match(self, text: str) -> tuple[int, int, str] | None:
        words = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
        for term in self.terms:
            if term.endswith("*") or len(term) < 5:
                continue
            size = len(_SPLIT.split(term))
            spans = [(words[i][0], words[i + size - 1][1]) for i in range(len(words) - size + 1)]
            if not spans:
                continue
            choices = [text[s:e].lower() for s, e in spans]
            hit = process.extractOne(term.lower(), choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy)
            if hit is not None:
                start, end = spans[hit[2]]
                return start, end, f" (fuzzy {hit[1]:.0f} for '{term}')"
        return None


def _field_texts(record: Record, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    texts = []
    for name in fields:
        value = "; ".join(record.keywords) if name == "keywords" else getattr(record, name)
        if value:
            texts.append((name, value))
    return texts


def concept_from_mapping(name: str, data: dict[str, Any]) -> Concept:
    """Build a concept from validated protocol data (see :mod:`evsynth.protocol.criteria`)."""
    return Concept(
        name=name,
        terms=tuple(data.get("terms") or ()),
        patterns=tuple(data.get("patterns") or ()),
        fields=tuple(data.get("fields") or ("title", "abstract")),
        case=data.get("case", "auto"),
        fuzzy=int(data.get("fuzzy") or 0),
        missing_abstract_unknown=data.get("missing_abstract", "unknown") == "unknown",
        description=data.get("description", ""),
    )
