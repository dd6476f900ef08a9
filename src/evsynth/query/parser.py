"""PubMed's query syntax, parsed into a tree (:class:`Term`, :class:`Range`, :class:`Bool`).

What is read, as PubMed reads it:

* ``AND``, ``OR``, ``NOT`` (upper case; a lower-case ``and`` is a word), applied strictly left to right with no
  precedence: ``a OR b AND c`` is ``(a OR b) AND c``; parentheses group. Words side by side with no operator
  are joined by AND.
* ``"quoted phrases"``; a field tag after bare words makes them one phrase (``treatment resistant
  depression[tiab]``), as PubMed searches a tagged phrase.
* Truncation: ``pharmacogen*``, also on a phrase's last word (``"genetic variant*"[tiab]``), at least four
  characters before the ``*``.
* Field tags, short or long (``[tiab]``, ``[Title/Abstract]``, ``[mh:noexp]``...; ``query/data/field_tags.tsv``).
* Ranges: ``2021:2025[dp]``, ``2021/01/01:2025/06/30[pdat]``, ``"2021"[dp] : "2025"[dp]``, ``1:90000050[uid]``.

Anything else PubMed would refuse is a :class:`QuerySyntaxError` naming the column (1-based): unbalanced quotes,
brackets or parentheses, an unknown field tag, short truncation, an operator with nothing on one side, empty
parentheses, a range on a field that has none.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from evsynth.errors import EvsynthError

OPERATORS = ("AND", "OR", "NOT")
RANGE_FIELDS = ("dp", "edat", "uid")
MIN_TRUNCATION = 4  # characters before a '*', as PubMed asks


class QuerySyntaxError(EvsynthError):
    """A query PubMed would refuse; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Term:
    """Words searched in a field: one word, or a phrase (``words`` in order), the last one truncated or not."""

    words: tuple[str, ...]
    field: str  # a field of query/data/field_tags.tsv, or "all" when untagged
    truncated: bool = False
    column: int = 1
    tagged: bool = False  # the query named the field

    @property
    def text(self) -> str:
        return " ".join(self.words) + ("*" if self.truncated else "")


@dataclass(frozen=True)
class Range:
    """A range of dates (``dp``, ``edat``: ``YYYY[/MM[/DD]]``) or of PMIDs (``uid``)."""

    low: str
    high: str
    field: str
    column: int = 1


@dataclass(frozen=True)
class Bool:
    op: str  # AND, OR, NOT
    left: Node
    right: Node


Node = Term | Range | Bool


@cache
def field_tags() -> dict[str, str]:
    """Every field tag a query may write (lower case) -> the field evaluated."""
    text = resources.files("evsynth.query").joinpath("data", "field_tags.tsv").read_text(encoding="utf-8")
    pairs = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {alias.strip(): field.strip() for alias, field in pairs}


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, op, open, close, colon
    text: str
    column: int
    tag: str = ""  # the field tag written after a word or phrase (already checked)
    tag_column: int = 0


_WORD_END = re.compile(r'[\s()"\[\]]')


def _tag(query: str, at: int) -> tuple[str, int, int]:
    """A field tag starting at or after ``at`` (spaces allowed before '['): (field, its column, where after it)."""
    skip = at
    while skip < len(query) and query[skip] == " ":
        skip += 1
    if skip >= len(query) or query[skip] != "[":
        return "", 0, at
    end = query.find("]", skip)
    if end < 0:
        raise QuerySyntaxError("'[' is never closed", skip + 1)
    written = " ".join(query[skip + 1 : end].split()).lower()
    tags = field_tags()
    if written not in tags:
        near = difflib.get_close_matches(written, list(tags), n=1, cutoff=0.6)
        hint = f" (did you mean [{near[0]}]?)" if near else ""
        raise QuerySyntaxError(f"unknown field tag [{query[skip + 1 : end]}]{hint}", skip + 1)
    return tags[written], skip + 1, end + 1


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(query):
        char = query[at]
        if char.isspace():
            at += 1
        elif char in "()":
            tokens.append(_Token("open" if char == "(" else "close", char, at + 1))
            at += 1
        elif char == "]":
            raise QuerySyntaxError("']' without a '['", at + 1)
        elif char == "[":
            raise QuerySyntaxError("a field tag with no term before it", at + 1)
        elif char == ":" and tokens and tokens[-1].kind == "phrase":
            tokens.append(_Token("colon", ":", at + 1))
            at += 1
        elif char == '"':
            end = query.find('"', at + 1)
            if end < 0:
                raise QuerySyntaxError("a quote is never closed", at + 1)
            field, tag_column, after = _tag(query, end + 1)
            tokens.append(_Token("phrase", query[at + 1 : end], at + 1, field, tag_column))
            at = after
        else:
            match = _WORD_END.search(query, at)
            end = match.start() if match else len(query)
            word = query[at:end]
            if word in OPERATORS:
                tokens.append(_Token("op", word, at + 1))
                at = end
                continue
            field, tag_column, after = _tag(query, end)
            tokens.append(_Token("word", word, at + 1, field, tag_column))
            at = after
    return tokens


def _words(text: str, column: int) -> tuple[tuple[str, ...], bool]:
    """The words of a term and whether its last one is truncated; checks the truncation."""
    words = tuple(text.split())
    if not words:
        raise QuerySyntaxError("an empty phrase", column)
    for number, word in enumerate(words):
        stars = word.count("*")
        if not stars:
            continue
        if stars > 1 or not word.endswith("*") or number != len(words) - 1:
            raise QuerySyntaxError(f"'*' truncates only the end of a term ({text!r})", column)
        if len(word) - 1 < MIN_TRUNCATION:
            raise QuerySyntaxError(
                f"truncation needs at least {MIN_TRUNCATION} characters before '*' ({word!r})", column
            )
    truncated = words[-1].endswith("*")
    return (*words[:-1], words[-1].rstrip("*")) if truncated else words, truncated


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("an empty query", 1)
        node = self.expression()
        extra = self.peek()
        if extra is not None:  # only a ')' can stop an expression early
            raise QuerySyntaxError("')' without a '('", extra.column)
        return node

    def expression(self) -> Node:
        node = self.operand()
        while (token := self.peek()) is not None and token.kind != "close":
            if token.kind == "op":
                self.at += 1
                if self.peek() is None or self.peek().kind in ("op", "close"):  # type: ignore[union-attr]
                    raise QuerySyntaxError(f"{token.text} has nothing after it", token.column)
                node = Bool(token.text, node, self.operand())
            else:  # side by side: AND
                node = Bool("AND", node, self.operand())
        return node

    def operand(self) -> Node:
        token = self.peek()
        assert token is not None  # the callers look first
        if token.kind == "op":
            raise QuerySyntaxError(f"{token.text} has nothing before it", token.column)
        if token.kind == "close":
            raise QuerySyntaxError("')' without a '('", token.column)
        if token.kind == "colon":
            raise QuerySyntaxError("':' outside a range", token.column)
        if token.kind == "open":
            self.at += 1
            if (inner := self.peek()) is not None and inner.kind == "close":
                raise QuerySyntaxError("empty parentheses", token.column)
            if inner is None:
                raise QuerySyntaxError("'(' is never closed", token.column)
            node = self.expression()
            closing = self.peek()
            if closing is None:
                raise QuerySyntaxError("'(' is never closed", token.column)
            self.at += 1
            return node
        if token.kind == "phrase":
            self.at += 1
            if (colon := self.peek()) is not None and colon.kind == "colon":
                return self.quoted_range(token, colon)
            return self.term(token.text, token, token.tag)
        return self.words()

    def words(self) -> Node:
        """Bare words: up to the first one with a tag (the tagged run is one phrase), else each word alone."""
        run: list[_Token] = []
        while (token := self.peek()) is not None and token.kind == "word":
            run.append(token)
            self.at += 1
            if token.tag:
                break
        first, last = run[0], run[-1]
        if last.tag:
            text = " ".join(t.text for t in run)
            if len(run) == 1 and ((last.tag in RANGE_FIELDS and ":" in text) or _RANGE_LIKE.match(text)):
                return self.range(text, last)
            return self.term(text, first, last.tag)
        nodes = [self.term(t.text, t, "") for t in run]
        node: Node = nodes[0]
        for other in nodes[1:]:
            node = Bool("AND", node, other)
        return node

    def term(self, text: str, token: _Token, field: str) -> Term:
        words, truncated = _words(text, token.column)
        return Term(words, field or "all", truncated, token.column, tagged=bool(field))

    def range(self, text: str, token: _Token) -> Range:
        if token.tag not in RANGE_FIELDS:
            raise QuerySyntaxError(f"a range needs a date or uid field, not [{token.tag}] ({text!r})", token.column)
        low, _, high = text.partition(":")
        return _checked_range(low, high, token.tag, token.column)

    def quoted_range(self, low: _Token, colon: _Token) -> Range:
        self.at += 1
        high = self.peek()
        if high is None or high.kind not in ("phrase", "word"):
            raise QuerySyntaxError("a range with nothing after ':'", colon.column)
        self.at += 1
        field = high.tag or low.tag
        if field not in RANGE_FIELDS or (low.tag and high.tag and low.tag != high.tag):
            raise QuerySyntaxError("a range needs the same date or uid field on both ends", low.column)
        return _checked_range(low.text, high.text, field, low.column)


_RANGE_LIKE = re.compile(r"^\d[\d/-]*:\d[\d/-]*$")
_DATE = re.compile(r"^\d{4}(?:[/-]\d{1,2}(?:[/-]\d{1,2})?)?$")


def _checked_range(low: str, high: str, field: str, column: int) -> Range:
    low, high = low.strip(), high.strip()
    pattern = re.compile(r"^\d{1,9}$") if field == "uid" else _DATE
    for end in (low, high):
        if not pattern.match(end):
            kind = "a PMID" if field == "uid" else "a date (YYYY, YYYY/MM or YYYY/MM/DD)"
            raise QuerySyntaxError(f"{end!r} is not {kind}", column)
    return Range(low, high, field, column)


def parse_query(query: str) -> Node:
    """The query as a tree.

    >>> parse_query('a OR b AND c')
    Bool(op='AND', left=Bool(op='OR', left=Term(words=('a',), field='all', truncated=False, column=1, tagged=False), \
right=Term(words=('b',), field='all', truncated=False, column=6, tagged=False)), \
right=Term(words=('c',), field='all', truncated=False, column=12, tagged=False))

    Raises:
        QuerySyntaxError: what PubMed would refuse, with the column.
    """
    return _Parser(query).parse()


def blocks(node: Node) -> list[Node]:
    """The top-level AND blocks of a query: ``(a) AND (b) AND (c)`` has three; a query that ends in ``NOT x``
    (or OR), read left to right, is one block."""
    if isinstance(node, Bool) and node.op == "AND":
        return [*blocks(node.left), *blocks(node.right)]
    return [node]


def terms(node: Node) -> list[Term | Range]:
    """Every term and range of a query, left to right."""
    if isinstance(node, Bool):
        return [*terms(node.left), *terms(node.right)]
    return [node]


def to_text(node: Node) -> str:
    """The query written back in PubMed's syntax (fully parenthesised, tags in short form)."""
    if isinstance(node, Bool):
        return f"({to_text(node.left)} {node.op} {to_text(node.right)})"
    if isinstance(node, Range):
        return f"{node.low}:{node.high}[{node.field}]"
    text = node.text
    quoted = f'"{text}"' if len(node.words) > 1 or any(c in text for c in ' ():[]"') else text
    return f"{quoted}[{node.field}]" if node.tagged else quoted
