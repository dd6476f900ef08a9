"""One YAML loader and one checker for the files a review is configured by (the protocol, its criteria and
pathway modules, a pathways file): every error is one line naming the file, the key and the value.

The loader refuses what YAML would silently accept: a key given twice in one mapping (the second would replace
the first: a second ``exclude:`` block drops ten criteria) is an error naming both lines; dates stay text, so
an impossible one (``2021-02-30``) is reported by the checker instead of failing inside the YAML library.

Example:
    >>> Checker(Path("p.yaml")).integer(300, "harvest.batch_size", 1, 10_000)
    300
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from evsynth.errors import ProtocolError

_DATE = re.compile(r"^(\d{4})[-/](\d{2})[-/](\d{2})$")


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps, refusing repeated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                line = first.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: SafeLoader reports it
                continue
            if line != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {line})", key_node.start_mark
                )
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, where: Path | str) -> Any:
    """The YAML document in ``text``; a syntax error, a repeated key or another problem names the line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProtocolError(f"{where}: invalid YAML{at}: {getattr(err, 'problem', None) or 'syntax error'}") from None


def read_yaml(path: Path, what: str = "protocol file") -> Any:
    """Read and parse a YAML file; every way it can fail is one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProtocolError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ProtocolError(f"{path}: is a directory, not a {what}") from None
    except UnicodeDecodeError as err:
        raise ProtocolError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ProtocolError(f"{path}: cannot read ({err.strerror})") from None
    return parse_yaml(text, path)


class Checker:
    """Checks values read from one file; each failure is ``file: key: message``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def fail(self, key: str, message: str) -> ProtocolError:
        return ProtocolError(f"{self.path}: {key}: {message}" if key else f"{self.path}: {message}")

    def mapping(self, value: Any, key: str, allowed: Iterable[str]) -> dict[str, Any]:
        """A mapping whose keys are all allowed (an unknown one gets a "did you mean")."""
        allowed = set(allowed)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__} {value!r:.60}")
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else str(name)
                raise self.fail(
                    where, f"unknown key{did_you_mean(name, allowed)} (allowed: {', '.join(sorted(allowed))})"
                )
        return value

    def text(self, value: Any, key: str, *, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, f"must be a non-empty string, got {value!r:.60}")
        return value.strip()

    def strings(self, value: Any, key: str) -> list[str]:
        """A string, or a non-empty list of them."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) and v.strip() for v in items):
            raise self.fail(key, f"must be a string or a non-empty list of strings, got {value!r:.60}")
        return [v.strip() for v in items]

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        """A list of names, or nothing."""
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, f"must be a list of names, got {value!r:.60}")
        return tuple(v.strip() for v in value)

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"{value!r} must be true or false")
        return value

    def date(self, value: Any, key: str) -> dt.date | None:
        """A date written YYYY-MM-DD (or with slashes), or nothing; an impossible one is refused."""
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        match = _DATE.match(str(value).strip())
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                pass
        raise self.fail(key, f"{value!r} is not a valid date (YYYY-MM-DD)")

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"{value!r} must be a whole number from {low} to {high}")
        return value


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
