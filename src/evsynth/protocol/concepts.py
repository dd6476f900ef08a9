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

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from evsynth.models import Evidence, Record

_BOUND_START = r"(?<!\w)"
_BOUND_END = r"(?!\w)"
_JOIN = r"[\s\-\u2010\u2011\u2012\u2013]?"
_SPLIT = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")
_WORDS = re.compile(r"\w+(?:['\-]\w+)*")
_VOWELS = set("aeiou")


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

    def __post_init__(self) -> None:
        sensitive: list[str] = []
        insensitive: list[str] = []
        for term in sorted(self.terms, key=len, reverse=True):
            exact = self.case == "sensitive" or (self.case == "auto" and is_acronym(term))
            (sensitive if exact else insensitive).append(term_pattern(term))
        for pattern in self.patterns:
            (sensitive if self.case == "sensitive" else insensitive).append(f"(?:{pattern})")
        compiled = []
        if sensitive:
            compiled.append(re.compile(_alternation(sensitive)))
        if insensitive:
            compiled.append(re.compile(_alternation(insensitive), re.IGNORECASE))
        object.__setattr__(self, "_compiled", tuple(compiled))

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
        best: tuple[int, int, str] | None = None
        for regex in self._compiled:
            match = regex.search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), match.end(), "")
        return best

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
