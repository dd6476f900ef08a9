"""Well-known variants under their several names (data/variant_equivalents.yaml): one variant, one id.

A variant mention whose gene the table lists and whose name (or id) is one of that gene's names takes the table's
id, gene and label; an rsID the table lists takes its gene. A few names are specific enough to be variants
wherever they are written (5-HTTLPR): :func:`standalone` finds them.

Example:
    >>> known("BDNF", "Val66Met", "p.Val66Met").id
    'rs6265'
    >>> known(None, "rs4680", "rs4680").gene
    'COMT'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evsynth.tagger.lexicon import fold
from evsynth.tagger.wordlists import alternation, document


@dataclass(frozen=True)
class Known:
    gene: str
    id: str
    label: str


_NOISE = re.compile(r"[\s()\[\]]|^[pc]\.", re.IGNORECASE)


def name_key(name: str) -> str:
    """A name as the table compares it: no case, spaces, brackets or 'p.'/'c.' prefix."""
    return _NOISE.sub("", name).lower()


def _load() -> tuple[dict[tuple[str, str], Known], dict[str, Known], dict[str, Known]]:
    by_name: dict[tuple[str, str], Known] = {}
    by_id: dict[str, Known] = {}
    standalone: dict[str, Known] = {}
    for entry in document("variant_equivalents"):
        item = Known(str(entry["gene"]), str(entry["id"]), str(entry["label"]))
        by_id[item.id.lower()] = item
        for name in [item.id, *entry["names"]]:
            by_name[(item.gene, name_key(str(name)))] = item
        for name in entry.get("standalone") or ():
            standalone[str(name).lower()] = item
    return by_name, by_id, standalone


_BY_NAME, _BY_ID, _STANDALONE = _load()
_STANDALONE_RE = re.compile(rf"(?<![\w-]){alternation(_STANDALONE)}(?![\w-])", re.IGNORECASE)


def known(gene: str | None, surface: str, ident: str | None) -> Known | None:
    """The table's variant a mention names: by its rsID or standalone name alone, else by its gene and name."""
    if ident and ident.lower() in _BY_ID and (ident.lower().startswith("rs") or ident.lower() in _STANDALONE):
        return _BY_ID[ident.lower()]
    if surface.lower() in _STANDALONE:
        return _STANDALONE[surface.lower()]
    if gene is None:
        return None
    for name in (surface, ident):
        if name:
            found = _BY_NAME.get((gene, name_key(name)))
            if found is not None:
                return found
    return None


# each standalone name folded (lexicon.fold: lower case, punctuation as spaces, one character for one): a text
# whose folded form holds none of them holds no such name
_FOLDED = tuple(sorted({fold(name) for name in _STANDALONE}))


def standalone(text: str, folded: str | None = None) -> Iterator[tuple[int, int, Known]]:
    """(start, end, variant) of each standalone name in text. ``folded``: lexicon.fold(text) (padded or not), when
    the caller has it."""
    folded = fold(text) if folded is None else folded
    if not any(name in folded for name in _FOLDED):
        return
    for match in _STANDALONE_RE.finditer(text):
        yield match.start(), match.end(), _STANDALONE[match.group().lower()]
