"""Offsets from another tool's passages onto the text evsynth tagged (title, a line break, the abstract).

A passage is matched to its part of the record's text (the title passage to the title, the abstract passage to
the abstract; a lone passage of another kind to the whole text). Where the two read the same, character for
character or with other whitespace, an offset moves by the passage's place. Where they differ (markup kept or
dropped, an entity written out, a section label added), the characters are aligned and an annotation keeps its
place only when both of its ends fall on aligned characters and the record's text there reads as the
annotation does (whitespace aside). Anything else is a problem of the record, never a guess.

Example:
    >>> spans, problems = align_spans(
    ...     "BDNF and mood\\nrs6265 in  depression",
    ...     [Passage("title", 0, "BDNF and mood"), Passage("abstract", 14, "rs6265 in depression")],
    ...     [(14, 20, "rs6265"), (24, 34, "depression")])
    >>> spans
    [(14, 20), (25, 35)]
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from evsynth.annotations.documents import Passage


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _segments(text: str, title: str, passages: Sequence[Passage]) -> list[tuple[Passage, int, int]]:
    """Each passage with the (start, end) of the record's text it stands for."""
    title_end = len(title) if title and text.startswith(title) else 0
    abstract_start = title_end + 1 if title_end else 0
    out = []
    for passage in passages:
        if passage.kind == "title" and title_end:
            out.append((passage, 0, title_end))
        elif passage.kind == "abstract":
            out.append((passage, abstract_start, len(text)))
        elif len(passages) == 1 or (passage.kind == "title" and not title_end):
            out.append((passage, 0, len(text)))
    return out


class _Map:
    """Positions in one passage's text -> positions in the record's text."""

    def __init__(self, source: str, target: str, target_start: int) -> None:
        self.start = target_start
        self.same = len(source) == len(target) and all(
            a == b or (a.isspace() and b.isspace()) for a, b in zip(source, target, strict=True)
        )
        self.at: dict[int, int] = {}
        if not self.same:
            matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
            for block in matcher.get_matching_blocks():
                for k in range(block.size):
                    self.at[block.a + k] = target_start + block.b + k

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        if self.same:
            return self.start + start, self.start + end
        first, last = self.at.get(start), self.at.get(end - 1)
        return None if first is None or last is None or last < first else (first, last + 1)


def align_spans(
    text: str, passages: Sequence[Passage], spans: Sequence[tuple[int, int, str]], title: str = ""
) -> tuple[list[tuple[int, int] | None], list[str]]:
    """Where each (start, end, annotation text), in document offsets, falls in ``text``, or None; and why not.

    ``title`` is the record's title (the start of ``text``); without it the first line is taken for it.
    """
    title = title or text.split("\n", 1)[0]
    segments = _segments(text, title, passages)
    maps = [(p, _Map(p.text, text[lo:hi], lo)) for p, lo, hi in segments]
    found: list[tuple[int, int] | None] = []
    problems: list[str] = []
    for start, end, surface in spans:
        place = None
        for passage, mapping in maps:
            if passage.offset <= start and end <= passage.offset + len(passage.text) and start < end:
                place = mapping.span(start - passage.offset, end - passage.offset)
                break
        else:
            problems.append(f"{surface!r:.40} at {start}-{end} is outside the text's passages")
            found.append(None)
            continue
        if place is None or _squeeze(text[place[0] : place[1]]) != _squeeze(surface):
            problems.append(f"{surface!r:.40} at {start}-{end} does not match the record's text there")
            place = None
        found.append(place)
    return found, problems
