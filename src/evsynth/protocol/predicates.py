"""Predicates for screening criteria: leaves that read one field of a record, and three-valued groups.

A predicate takes a record, a per-record cache (so a text concept is searched once
however many criteria use it) and the name of the criterion asking (it goes into the
evidence), and returns an :class:`~evsynth.protocol.concepts.Outcome`: True, False or None
(unknown) with the evidence that decided it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import re
from collections.abc import Callable
from typing import Any

from evsynth.models import Evidence, Record, iso_day
from evsynth.protocol.concepts import Concept, Outcome

Predicate = Callable[[Record, dict[str, Outcome], str], Outcome]


def _group(children: list[Predicate], decisive: tuple[bool | None, ...], otherwise: bool) -> Predicate:
    """``all`` (decided by the first False, then None) or ``any`` (the first True, then None)."""

    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        outcomes = [child(record, cache, name) for child in children]
        for value in decisive:
            if any(o.value is value for o in outcomes):
                return Outcome(value, joined(o for o in outcomes if o.value is value))
        return Outcome(otherwise, joined(outcomes))

    return run


def all_of(children: list[Predicate]) -> Predicate:
    """True when every child is; False when one is; otherwise unknown."""
    return _group(children, (False, None), True)


def any_of(children: list[Predicate]) -> Predicate:
    """True when one child is; False when every child is; otherwise unknown."""
    return _group(children, (True, None), False)


def negate(child: Predicate) -> Predicate:
    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        outcome = child(record, cache, name)
        return Outcome(None if outcome.value is None else not outcome.value, outcome.evidence)

    return run


def joined(outcomes: Any) -> tuple[Evidence, ...]:
    return tuple(e for o in outcomes for e in o.evidence)


def values_leaf(
    field_name: str, wanted: list[str], missing: bool | None, get: Callable[[Record], list[str]]
) -> Predicate:
    folded_wanted = [w.casefold() for w in wanted]
    exact = {p for p in folded_wanted if "*" not in p}
    wildcards = [p for p in folded_wanted if "*" in p]
    # the wildcards as one expression (fnmatch's own translation), tried once per value
    wildcard = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in wildcards)) if wildcards else None

    @functools.lru_cache(maxsize=1 << 16)  # a vocabulary: MeSH headings, publication types, languages
    def matches(value: str) -> bool:
        folded = value.casefold()
        return folded in exact or (wildcard is not None and wildcard.match(folded) is not None)

    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        values = get(record)
        if not values:
            return Outcome(missing, (Evidence(name, field_name, "(none)"),))
        hits = [v for v in values if matches(v)]
        if hits:
            return Outcome(True, tuple(Evidence(name, field_name, v) for v in hits[:3]))
        if field_name == "mesh":
            return Outcome(False, (Evidence(name, field_name, f"none of {', '.join(wanted[:4])}..."),))
        return Outcome(False, (Evidence(name, field_name, "; ".join(values)),))

    return run


def mesh_values(major: bool) -> Callable[[Record], list[str]]:
    """A record's MeSH names and UIs (of major topics only, with ``major``), for a criterion on them."""
    return _MESH_VALUES[major]


def _mesh_getter(major: bool) -> Callable[[Record], list[str]]:
    # the record asked about last and its values (one tuple, replaced whole): every MeSH criterion asks in turn
    last: list[tuple[Record | None, list[str]]] = [(None, [])]

    def get(record: Record) -> list[str]:
        asked, values = last[0]
        if asked is not record:
            values = [v for m in record.mesh if m.major or not major for v in (m.name, m.ui)]
            last[0] = (record, values)
        return values

    return get


_MESH_VALUES = {major: _mesh_getter(major) for major in (False, True)}


def partial_date_range(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day a partial ISO date can mean.

    >>> partial_date_range("2025-02")
    (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28))
    """
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text or "")
    if not match:
        return None
    iso = "-".join(part for part in match.groups() if part)
    try:
        first, last = iso_day(iso), iso_day(iso, last=True)  # the one reading of partial dates (models.iso_day)
    except ValueError:
        return None
    return (first, last) if first and last else None


def _record_date(record: Record, field_name: str) -> str:
    if field_name == "earliest":
        dates = [d for d in (record.pub_date, record.electronic_date) if d]
        return min(dates) if dates else (str(record.pub_year) if record.pub_year else "")
    value = str(getattr(record, field_name) or "")
    if not value and field_name == "pub_date" and record.pub_year:
        value = str(record.pub_year)
    return value


def date_leaf(start: dt.date | None, end: dt.date | None, field_name: str, missing: bool | None) -> Predicate:
    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        text = _record_date(record, field_name)
        span = partial_date_range(text)
        evidence = (Evidence(name, field_name, text or "(none)"),)
        if span is None:
            return Outcome(missing, evidence)
        low, high = span
        if (start and high < start) or (end and low > end):
            return Outcome(False, evidence)
        if (start and low < start) or (end and high > end):
            return Outcome(None, evidence)  # a year or month that straddles a window edge
        return Outcome(True, evidence)

    return run


def text_leaf(concept: Concept) -> Predicate:
    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        # one search per concept and record, whichever criteria use it; evidence names the criterion asking
        found = cache.get(concept.name)
        if found is None:
            found = cache[concept.name] = concept.search(record)
        return Outcome(found.value, tuple(Evidence(name, e.field, e.value, e.start, e.end) for e in found.evidence))

    return run


def flag_leaf(field_name: str, wanted: bool, get: Callable[[Record], tuple[bool, str]]) -> Predicate:
    def run(record: Record, cache: dict[str, Outcome], name: str) -> Outcome:
        value, shown = get(record)
        return Outcome(value == wanted, (Evidence(name, field_name, shown),))

    return run


def retraction(record: Record) -> tuple[bool, str]:
    notes = [f"{c.ref_type} {c.pmid}".strip() for c in record.comments_corrections if c.ref_type == "RetractionIn"]
    if "Retracted Publication" in record.pub_types:
        notes.insert(0, "Retracted Publication")
    return record.is_retracted, "; ".join(notes) or "not retracted"
