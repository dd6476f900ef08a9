"""microRNA mentions: find them, expand composites (miR-29a/c, miR-132/212) and normalise to miRBase-style names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evsynth.tagger.wordlists import MIRNA_HINTS

_SPECIES = r"(?:(?P<sp>(?!pr[ei])[a-z]{3})-)?"
_STEM = (
    r"(?P<stem>(?:[Mm]icro|MICRO)[\s-]?(?:RNA|rna)s?(?:\s?\((?:miRNA|miR)s?\))?|[Mm]i[Rr](?:NA)?s?|MIR(?:NA)?|"
    r"mi[Rr](?:NA)?\s?\((?:miR)\)|[Ll]et)"
)
# one member: 29a, 29b-1, 199b-5p, 26a2, 17-5p; for let-7: 7, 7a, 7f-1
_ID = r"\d{1,4}[a-z]?\d?(?:-\d{2,3}(?![\dp]))?(?:-[12](?![\d]))?(?:-[35]p?)?"
_FIRST = rf"{_SPECIES}{_STEM}(?:[-\u2010-\u2013\s]?|\s)(?P<first>{_ID})"  # also a typeset hyphen: miR\u2011145
# later members: "/c", "/212", "/b-1", "~96", ", -34a", " and 221", ", and -9"
_MORE = rf"(?:\s?[/∼~]\s?-?(?:{_ID}|[a-z](?:-[12])?)|(?:,\s?|\s?,?\s?and\s|\s?or\s)-?(?:{_ID})(?![\w.]*\s?(?:%|patients|cases|h\b|mg|days|weeks|years|of\b)))"
# substrings of the folded text without which no mention can be: the regex, which opens with a look-behind and so
# is tried at every character, runs only on texts that hold one
MIRNA_RE = re.compile(rf"(?:(?<![\w-])|(?<=[Pp]re-)|(?<=[Pp]ri-)){_FIRST}(?P<more>(?:{_MORE})*)(?![\w])")
_SEPARATOR = re.compile(r"\s*(?:[/∼~]|,?\s*\band\b|,?\s*\bor\b|,)\s*")
_CLUSTER_TAIL = re.compile(r"^(\d+)-(\d{2,3})$")


@dataclass(frozen=True)
class MirnaMember:
    name: str  # hsa-miR-29a, hsa-let-7b
    family: str  # miR-29, let-7
    in_mirbase: bool | None  # None when the species has no precursor list to check


@dataclass(frozen=True)
class MirnaMatch:
    start: int
    end: int
    members: tuple[MirnaMember, ...]


def _split_first(first: str) -> list[str]:
    cluster = _CLUSTER_TAIL.match(first)  # miR-17-92 names a cluster of two, not an arm
    return [cluster.group(1), cluster.group(2)] if cluster else [first]


def _members(first: str, more: str) -> list[str]:
    ids = _split_first(first)
    for part in filter(None, (p.strip().lstrip("-") for p in _SEPARATOR.split(more))):
        if part[0].isdigit():
            ids.extend(_split_first(part))
        else:  # a letter continues the previous number: 29a/c -> 29c, 23a/b-1 -> 23b-1
            number = re.match(r"\d+", ids[-1])
            ids.append((number.group(0) if number else "") + part)
    return ids


class MirnaNormaliser:
    """Names miRNAs the miRBase way and checks them against the precursor names the lexicon ships."""

    def __init__(self, precursors: list[str]) -> None:
        self._precursors = {name.lower() for name in precursors}
        self._species = {name.split("-", 1)[0] for name in self._precursors}
        self._prefixes: set[str] = set()
        for name in self._precursors:
            parts = name.split("-")
            for cut in range(3, len(parts) + 1):
                self._prefixes.add("-".join(parts[:cut]))

    def member(self, species: str, let: bool, ident: str) -> MirnaMember:
        species = species.lower() or "hsa"
        arm = ""
        if ident.endswith(("-5p", "-3p")):
            ident, arm = ident[:-3], ident[-3:]
        number = re.match(r"\d+", ident)
        base = number.group(0) if number else ident
        family = f"let-{base}" if let else f"miR-{base}"
        name = f"{species}-{'let' if let else 'miR'}-{ident}{arm}"
        stem = f"{species}-{'let' if let else 'mir'}-{ident}".lower()
        known = stem in self._precursors or stem in self._prefixes if species in self._species else None
        return MirnaMember(name, family, known)

    def find(self, text: str, folded: str, hinted: bool | None = None) -> Iterator[MirnaMatch]:
        """The microRNA mentions in text. folded is text as lexicon.fold gives it (lower case, any punctuation a
        space; the tagger has it already), for substring tests first: most texts name no microRNA. hinted: whether
        folded holds one of MIRNA_HINTS, when the caller knows (the lexicon's automaton looks for them)."""
        if not (any(hint in folded for hint in MIRNA_HINTS) if hinted is None else hinted):
            return
        for match in MIRNA_RE.finditer(text):
            stem = match.group("stem").lower()
            let = stem == "let"
            first = match.group("first")
            if let and not first.startswith("7"):
                continue
            if not let and first.startswith("0"):
                continue
            more = match.group("more") or ""
            ids = _members(first, more)
            members = tuple(dict.fromkeys(self.member(match.group("sp") or "", let, i) for i in ids))
            yield MirnaMatch(match.start(), match.end(), members)
