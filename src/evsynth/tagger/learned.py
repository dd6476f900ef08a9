"""The learned tier: a CRF sequence labeller for gene and variant mentions, beside the dictionary tier.

Each text is cut into fine tokens (letters, digits and single marks apart: ``c.920T>G`` is seven tokens), each token
described by its spelling, shape, affixes and neighbours, and by what the dictionary tier made of it (the lexicon
keys covering it, the mention it kept). A linear-chain CRF (CRFsuite) labels the tokens B/I-gene, B/I-variant or
O. The model is a data file of the package (``data/learned.crfsuite``), trained by ``scripts/train_tagger.py`` on
the shared corpora; ``data/learned.json`` says from what, when, and how well it did by cross-validation.

A span's confidence is the model's marginal probability of its labels, averaged over its tokens: the chance, in
the model's eyes, that each token is inside a mention of that type.

Example:
    >>> [text for text, _, _ in tokens("c.920T>G in BDNF")]
    ['c', '.', '920', 'T', '>', 'G', 'in', 'BDNF']
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite

from evsynth.errors import InputFileError
from evsynth.tagger.wordlists import AMINO_ACIDS, GREEK_LETTERS

_TOKEN = re.compile(r"[^\W\d_]+|\d+|\S")
_SHAPE = (re.compile(r"[A-Z]+"), re.compile(r"[a-z]+"), re.compile(r"[0-9]+"))
LABELS = ("B-gene", "I-gene", "B-variant", "I-variant")
TYPES = ("gene", "variant")
_AMINO3 = frozenset(code.lower() for code in AMINO_ACIDS)
_AMINO1 = frozenset(AMINO_ACIDS.values())
_GREEK = frozenset(GREEK_LETTERS) | frozenset(GREEK_LETTERS.values())
_DATA = resources.files("evsynth.tagger") / "data"
MODEL = "learned.crfsuite"
PROVENANCE = "learned.json"

Token = tuple[str, int, int]  # (text, start, end)
Mark = tuple[int, int, str]  # (start, end, kind or type) of something the dictionary tier found


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The fine tokens of text (or of text[start:end], with offsets in text): runs of letters, runs of digits, and
    each other non-space character."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, len(text) if end is None else end)]


@lru_cache(maxsize=200_000)
def _own(token: str) -> tuple[str, ...]:
    """What a token says of itself, whatever its place."""
    lower = token.lower()
    shape = token
    for pattern, mark in zip(_SHAPE, "Aa0", strict=True):
        shape = pattern.sub(mark, shape)
    out = [f"w={lower}", f"sh={shape}", f"p2={lower[:2]}", f"p3={lower[:3]}", f"s2={lower[-2:]}", f"s3={lower[-3:]}"]
    out.append(f"len={min(len(token), 6)}")
    if lower in _GREEK:
        out.append("greek")
    if lower in _AMINO3:
        out.append("aa3")
    if len(token) == 1 and token in _AMINO1:
        out.append("aa1")
    if token in ("A", "C", "G", "T", "U"):
        out.append("base")
    if token.isupper() and len(token) > 1:
        out.append("caps")
    if any(c.isupper() for c in token[1:]) and any(c.islower() for c in token):
        out.append("mixed")
    return tuple(out)


@lru_cache(maxsize=200_000)
def _near(token: str, offset: int) -> tuple[str, ...]:
    """What a token says of the token ``offset`` places from it."""
    lower = token.lower()
    own = _own(token)
    return (f"{offset}w={lower}", f"{offset}{own[1]}")


@lru_cache(maxsize=200_000)
def _chunk(chunk: str) -> tuple[str, ...]:
    """What the run of tokens between two spaces says (``c.920T>G``, ``IL-6``): its shape, and itself if short."""
    shape = chunk
    for pattern, mark in zip(_SHAPE, "Aa0", strict=True):
        shape = pattern.sub(mark, shape)
    out = [f"csh={shape}"]
    if len(chunk) <= 12:
        out.append(f"cw={chunk.lower()}")
    return tuple(out)


def features(toks: Sequence[Token], hints: Sequence[Sequence[str]], text: str = "") -> list[list[str]]:
    """Each token's features. ``hints[i]`` are the dictionary tier's words about token i (see :func:`hints`);
    ``text`` (the tokens' text) adds what the whitespace-delimited run each token is in says."""
    n = len(toks)
    words = [token for token, _, _ in toks]
    # who is glued to the token before it, and the whitespace-delimited run (chunk) each glued token is in
    glued = [False] + [toks[i - 1][2] == toks[i][1] for i in range(1, n)]
    chunks: list[tuple[str, ...]] = [()] * n
    if text:
        i = 0
        while i < n:
            j = i
            while j + 1 < n and glued[j + 1]:
                j += 1
            if j > i:
                inner = _chunk(text[toks[i][1] : toks[j][2]].rstrip(".,;:)"))
                for k in range(i, j + 1):
                    chunks[k] = inner
            i = j + 1
    left2 = [("-2edge",), ("-2edge",)] + [_near(word, -2) for word in words[:-2]]
    left1 = [("-1edge",)] + [_near(word, -1) for word in words[:-1]]
    right1 = [_near(word, 1) for word in words[1:]] + [("1edge",)]
    right2 = [_near(word, 2) for word in words[2:]] + [("2edge",), ("2edge",)]
    out: list[list[str]] = []
    for i, word in enumerate(words):
        row = [*_own(word), "glued" if glued[i] else "spaced"]
        if i + 1 < n and glued[i + 1]:
            row.append("glued+")
        row += chunks[i]
        row += left2[i]
        row += left1[i]
        row += right1[i]
        row += right2[i]
        if hints[i]:
            row += hints[i]
        if i and hints[i - 1]:
            row += [f"-1{hint}" for hint in hints[i - 1]]
        if i + 1 < n and hints[i + 1]:
            row += [f"+1{hint}" for hint in hints[i + 1]]
        out.append(row)
    return out


def hints(
    toks: Sequence[Token], keys: Iterable[tuple[int, int, str]], kept: Iterable[tuple[int, int, str]]
) -> list[list[str]]:
    """The dictionary tier's words about each token: ``k:<kind>`` for each lexicon key covering it (a gene key's
    strongest kind, family, treatment), ``d:B-<type>``/``d:I-<type>`` for the mention the tier kept there."""
    starts = [start for _, start, _ in toks]
    out: list[list[str]] = [[] for _ in toks]
    for marks, prefix in ((keys, "k:"), (kept, "d:")):
        for start, end, kind in marks:
            for n, i in enumerate(_covered(toks, starts, start, end)):
                mark = f"{prefix}{kind}" if prefix == "k:" else f"{prefix}{'I' if n else 'B'}-{kind}"
                if mark not in out[i]:
                    out[i].append(mark)
    return out


def _covered(toks: Sequence[Token], starts: list[int], start: int, end: int) -> range:
    """The indices of the tokens that overlap text[start:end] (``starts``: each token's start)."""
    first = max(0, bisect.bisect_right(starts, start) - 1)  # the token holding start, or the last before it
    if first < len(toks) and toks[first][2] <= start:
        first += 1
    return range(first, max(first, bisect.bisect_left(starts, end)))


def labels(toks: Sequence[Token], spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """The B/I/O label of each token for gold spans (start, end, type); a span that does not start and end at
    token edges labels the tokens it overlaps, and a span inside another is left out."""
    out = ["O"] * len(toks)
    starts = [start for _, start, _ in toks]
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        covered = _covered(toks, starts, start, end)
        if not covered or out[covered[0]] != "O":
            continue
        out[covered[0]] = f"B-{kind}"
        for i in covered[1:]:
            if out[i] != "O":
                break
            out[i] = f"I-{kind}"
    return out


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    confidence: float


class LearnedTier:
    """A trained model, opened once; :meth:`label` labels a run of tokens. Not for sharing between threads: the
    model holds the last sequence it labelled (its marginals are read from it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tagger = pycrfsuite.Tagger()
        try:
            self._tagger.open(str(path))
        except (OSError, ValueError) as exc:
            raise InputFileError(f"{path}: not a CRFsuite model the learned tier can read ({exc})") from exc

    def label(
        self, toks: Sequence[Token], rows: list[list[str]], asked: Sequence[Mark] = ()
    ) -> tuple[list[Span], list[float]]:
        """The mentions the model finds among the tokens, with their confidence, and its confidence in each asked
        (start, end, type) span of the same tokens (a type it does not label: 0)."""
        if not toks:
            return [], [0.0] * len(asked)
        tagger = self._tagger
        tagger.set(rows)
        predicted = tagger.tag()
        starts = [start for _, start, _ in toks]

        def confidence(start: int, end: int, kind: str) -> float:
            covered = _covered(toks, starts, start, end) if kind in TYPES else range(0)
            total = sum(tagger.marginal(f"{'I' if n else 'B'}-{kind}", i) for n, i in enumerate(covered))
            return total / len(covered) if covered else 0.0

        found: list[Span] = []
        i = 0
        while i < len(predicted):
            label = predicted[i]
            if label == "O":
                i += 1
                continue
            kind = label[2:]
            j = i + 1
            while j < len(predicted) and predicted[j] == f"I-{kind}":
                j += 1
            start, end = toks[i][1], toks[j - 1][2]
            found.append(Span(start, end, kind, confidence(start, end, kind)))
            i = j
        return found, [confidence(*mark) for mark in asked]


def packaged_model() -> Path:
    """The model shipped in the package."""
    return Path(str(_DATA / MODEL))


def provenance() -> dict[str, Any]:
    """What the shipped model was trained on, when, by which commit, and its cross-validation figures."""
    data: dict[str, Any] = json.loads((_DATA / PROVENANCE).read_text(encoding="utf-8"))
    return data
