"""Text conventions every output shares, written once."""

from __future__ import annotations

import re
import unicodedata

# what could open a link, an image, emphasis, code, a table cell or raw HTML in CommonMark and GitHub's Markdown
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!|])")
# characters XML 1.0 forbids (C0 controls but tab, line feed and carriage return; lone surrogates; U+FFFE/FFFF)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Text for comparison: ASCII, lower case, letters and digits, single spaces (how titles are matched across
    sources and how the query engine matches words).

    >>> fold("[BDNF Val66Met and ketamine]: a Study.")
    'bdnf val66met and ketamine a study'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_WORD.sub(" ", ascii_text.lower()).strip()


class Markdown(str):
    """Markup evsynth wrote itself (a link to PubMed): :func:`markdown_cell` keeps it as it is."""


def markdown_cell(value: object) -> str:
    """Record text as Markdown text (a table cell, a heading): line breaks as spaces, and every character that
    could open a link, an image, emphasis, code or raw HTML escaped with a backslash, so a record's title
    cannot inject markup into changes.md, the evidence tables or audit.md (a CommonMark renderer, a GitHub job
    summary). The one escaping of those files; None is an empty cell."""
    if isinstance(value, Markdown):
        return value
    text = str(value if value is not None else "").replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_code(value: object) -> str:
    """Text as a Markdown code span, fenced by more backticks than it holds in a row (nothing inside is markup)."""
    text = str(value if value is not None else "").replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml_text(value: str) -> str:
    """The text with every character XML 1.0 forbids replaced by U+FFFD, so that a record whose title or
    abstract holds a control character still gives a well-formed GraphML or XGMML file."""
    return _XML_ILLEGAL.sub("\ufffd", value) if _XML_ILLEGAL.search(value) else value
