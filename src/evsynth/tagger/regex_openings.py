"""What a regular expression can start with: read from Python's own regex parser, so that a scanner can skip
to the few places where a pattern may match (the variant finder runs over 40 patterns this way).

Example:
    >>> openings(r"rs\\d+").pattern
    '[r](?:[s])'
"""

from __future__ import annotations

import re
from typing import Any

try:  # the regex parser, read for the characters each pattern can start with
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_constants as _sre
    import sre_parse as _sre_parse


_CATEGORIES = {
    _sre.CATEGORY_DIGIT: r"\d",
    _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s",
    _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w",
    _sre.CATEGORY_NOT_WORD: r"\W",
}


_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT))
_ZERO_WIDTH = (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT)


class _Unread(Exception):
    """The parse holds something the readers below do not read: the pattern is then tried everywhere."""


def _char_class(op: Any, arg: Any) -> str | None:
    """The class of the one character a parsed item matches; None when the item is not a single character."""
    if op is _sre.LITERAL or op is _sre.NOT_LITERAL:
        return f"[{'^' if op is _sre.NOT_LITERAL else ''}{re.escape(chr(arg))}]"
    if op is not _sre.IN:
        return None
    parts: list[str] = []
    for item_op, item in arg:
        if item_op is _sre.NEGATE:
            parts.insert(0, "^")
        elif item_op is _sre.LITERAL:
            parts.append(re.escape(chr(item)))
        elif item_op is _sre.RANGE:
            parts.append(f"{re.escape(chr(item[0]))}-{re.escape(chr(item[1]))}")
        elif item_op is _sre.CATEGORY and item in _CATEGORIES:
            parts.append(_CATEGORIES[item])
        else:
            raise _Unread(item_op)
    return "[" + "".join(parts) + "]"


def _first_classes(items: list[tuple[Any, Any]]) -> tuple[list[str], bool]:
    """Character classes that together hold every character a parsed pattern can start with, and whether it can
    match the empty string."""
    classes: list[str] = []
    for op, arg in items:
        single = _char_class(op, arg)
        if single is not None:
            return [*classes, single], False
        if op is _sre.BRANCH:
            empty = False
            for branch in arg[1]:
                first = _first_classes(list(branch))
                classes += first[0]
                empty = empty or first[1]
            if not empty:
                return classes, False
        elif op is _sre.SUBPATTERN:
            first = _first_classes(list(arg[-1]))
            classes += first[0]
            if not first[1]:
                return classes, False
        elif op in _REPEATS:
            first = _first_classes(list(arg[2]))
            classes += first[0]
            if arg[0] and not first[1]:
                return classes, False
        elif op not in _ZERO_WIDTH:  # zero-width ones do not consume
            raise _Unread(op)
    return classes, True


def _first_pairs(items: list[tuple[Any, Any]]) -> list[tuple[str, str | None]]:
    """Every way a parsed pattern can start, as (class of its first character, class of its second); None for the
    second when the first may also end the match. Lookarounds are passed over (so this may allow more)."""
    for at, (op, arg) in enumerate(items):
        rest = items[at + 1 :]
        if op in _ZERO_WIDTH:
            continue
        single = _char_class(op, arg)
        if single is not None:
            classes, empty = _first_classes(rest)
            return [(single, None if empty else "|".join(classes))]
        if op is _sre.BRANCH:
            return [pair for branch in arg[1] for pair in _first_pairs([*branch, *rest])]
        if op is _sre.SUBPATTERN:
            return _first_pairs([*arg[-1], *rest])
        if op in _REPEATS:
            low, high, body = arg[0], arg[1], list(arg[2])
            if _first_classes(body)[1]:
                raise _Unread("a repeated part that may be empty")
            pairs = [] if low else _first_pairs(rest)
            if high:  # once, then the rest of the repeat
                more = high if high == _sre.MAXREPEAT else high - 1
                again = [(op, (max(0, low - 1), more, arg[2]))] if more else []
                pairs += _first_pairs([*body, *again, *rest])
            return pairs
        raise _Unread(op)
    raise _Unread("may match the empty string")


def openings(pattern: str) -> re.Pattern[str] | None:
    """A regex matching the first two characters of every text the pattern can match at its start (or its one
    character, when the match may be that short); None when any may (or the parse is unread)."""
    try:
        pairs = _first_pairs(list(_sre_parse.parse(pattern)))
    except Exception:  # noqa: BLE001 - unread, or a parser that changed shape: try the pattern everywhere
        return None
    return re.compile("|".join(f"{first}(?:{second})" if second else first for first, second in pairs))
