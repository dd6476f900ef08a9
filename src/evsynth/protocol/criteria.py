"""Screening criteria: the protocol's ``criteria`` section, validated into predicates.

The section (README, "Screening criteria") has named text ``concepts``, a list of
``include`` criteria (all must hold) and a list of ``exclude`` criteria (any one
excludes). Each criterion has a ``name``, a ``label`` (the reason a reviewer reads,
and the line PRISMA counts) and a ``when`` predicate built from:

==============  ==============================================================
``pub_type``    any of these publication types (PubMed names; Scopus and RIS
                types are mapped to them on import)
``language``    any of these languages (ISO 639-2 codes such as ``eng``)
``mesh``        any of these MeSH descriptors (names or UIs; ``Depressive*``
                matches by prefix); ``major: true`` for major topics only
``journal``     journal title or ISO abbreviation (``*`` wildcards)
``date``        ``{from, to, field}``: the date lies in the window; ``field`` is
                ``pub_date`` (journal issue, default), ``electronic_date``,
                ``entrez_date`` or ``earliest``
``text``        a concept name, or an inline concept ``{terms, patterns, ...}``
``retracted``   ``true``: PubMed marks the record retracted
``source``      the record came from one of these sources
``has_abstract``  ``true`` or ``false``
``all`` / ``any`` / ``none``  lists of predicates; ``not``: one predicate
==============  ==============================================================

Logic is three-valued (Kleene): a predicate is true, false, or unknown when the
record lacks the field (``missing: true|false|unknown`` on a leaf says what a
missing field means). Unknown never excludes; it makes a decision ``uncertain``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from evsynth.errors import ProtocolError
from evsynth.formats.fields import LANGUAGE_CODES
from evsynth.models import Decision, Record
from evsynth.protocol.concepts import Concept, Outcome, concept_from_mapping
from evsynth.protocol.predicates import (
    Predicate,
    all_of,
    any_of,
    date_leaf,
    flag_leaf,
    joined,
    mesh_values,
    negate,
    retraction,
    text_leaf,
    values_leaf,
)
from evsynth.protocol.schema import Checker, did_you_mean

ENGINE_VERSION = "1"  # bump when a change to this module changes decisions: stored decisions are then redone
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_CONCEPT_KEYS = {"description", "terms", "patterns", "fields", "case", "fuzzy", "missing_abstract"}
_CRITERION_KEYS = {"name", "label", "description", "when"}
_SECTION_KEYS = {"description", "concepts", "include", "exclude", "notes", "overrides_file"}
_DATE_FIELDS = ("pub_date", "electronic_date", "entrez_date", "earliest")
_GROUPS = {"all", "any", "none", "not"}
_MISSING = {"true": True, "false": False, "unknown": None}


@dataclass(frozen=True)
class Criterion:
    """A named criterion: ``when`` decides it for a record."""

    name: str
    label: str
    when: Predicate
    description: str = ""


@dataclass(frozen=True)
class Criteria:
    """A protocol's validated screening criteria."""

    include: tuple[Criterion, ...]
    exclude: tuple[Criterion, ...]
    concepts: dict[str, Concept]
    digest: str
    overrides_file: Path | None = None

    def label(self, name: str) -> str:
        """The reviewer-facing label of a criterion (its name if unknown)."""
        for criterion in self.include + self.exclude:
            if criterion.name == name:
                return criterion.label
        return name


# -- validation: protocol data -> predicates -----------------------------------------------


class _Builder(Checker):
    """Turns the ``criteria`` section into predicates; every error names file, key and value."""

    def __init__(self, path: Path, concepts: dict[str, Concept]) -> None:
        super().__init__(path)
        self.concepts = concepts
        self.inline = 0

    def missing(self, node: dict[str, Any], key: str, default: bool | None) -> bool | None:
        if "missing" not in node:
            return default
        text = str(node["missing"]).lower()
        if text not in _MISSING:
            raise self.fail(f"{key}.missing", f"{node['missing']!r} must be true, false or unknown")
        return _MISSING[text]

    def predicate(self, node: Any, key: str) -> Predicate:
        if not isinstance(node, dict) or not node:
            raise self.fail(key, f"must be a mapping such as {{pub_type: [...]}}, got {node!r:.60}")
        kinds = [k for k in node if k in CRITERION_TYPES.keys() | _GROUPS]
        extra = [k for k in node if k not in CRITERION_TYPES.keys() | _GROUPS | {"missing", "major"}]
        if extra:
            allowed = ", ".join(sorted(CRITERION_TYPES.keys() | _GROUPS))
            raise self.fail(f"{key}.{extra[0]}", f"unknown test (allowed: {allowed})")
        if len(kinds) != 1:
            raise self.fail(key, f"needs exactly one test, got {', '.join(kinds) or 'none'} (wrap several in all/any)")
        kind = kinds[0]
        where = f"{key}.{kind}"
        if kind in ("all", "any", "none"):
            children = node[kind]
            if not isinstance(children, list) or not children:
                raise self.fail(where, "must be a non-empty list of tests")
            built = [self.predicate(child, f"{where}[{i}]") for i, child in enumerate(children)]
            return all_of(built) if kind == "all" else any_of(built) if kind == "any" else negate(any_of(built))
        if kind == "not":
            return negate(self.predicate(node[kind], where))
        return self.leaf(kind, node, key)

    def leaf(self, kind: str, node: dict[str, Any], key: str) -> Predicate:
        return CRITERION_TYPES[kind].build(self, node, key, f"{key}.{kind}", node[kind])

    def date_test(self, value: Any, where: str, missing: bool | None) -> Predicate:
        if not isinstance(value, dict) or not set(value) <= {"from", "to", "field"} or not value:
            raise self.fail(where, f"must be {{from: YYYY-MM-DD, to: YYYY-MM-DD, field: ...}}, got {value!r:.60}")
        bounds: list[dt.date | None] = []
        for end in ("from", "to"):
            raw = value.get(end)
            if raw is None:
                bounds.append(None)
            elif isinstance(raw, dt.date):
                bounds.append(raw)
            else:
                try:
                    bounds.append(dt.date.fromisoformat(str(raw)))
                except ValueError:
                    raise self.fail(f"{where}.{end}", f"{raw!r} is not a date (YYYY-MM-DD)") from None
        if bounds[0] is None and bounds[1] is None:
            raise self.fail(where, "needs 'from' or 'to'")
        if bounds[0] and bounds[1] and bounds[1] < bounds[0]:
            raise self.fail(where, f"'to' {bounds[1]} is before 'from' {bounds[0]}")
        field_name = value.get("field", "pub_date")
        if field_name not in _DATE_FIELDS:
            raise self.fail(f"{where}.field", f"{field_name!r} must be one of {', '.join(_DATE_FIELDS)}")
        return date_leaf(bounds[0], bounds[1], field_name, missing)

    def concept(self, value: Any, where: str) -> Concept:
        if isinstance(value, str):
            if value not in self.concepts:
                known = ", ".join(sorted(self.concepts)) or "none defined"
                raise self.fail(where, f"unknown concept {value!r} (concepts: {known})")
            return self.concepts[value]
        self.inline += 1
        return build_concept(self.path, where, f"(inline {self.inline})", value)  # cannot clash with a name


# -- criterion types: the tests a criterion's ``when`` is built from ------------------------------------------

Build = Callable[[_Builder, dict[str, Any], str, str, Any], Predicate]  # builder, node, key, where, value


@dataclass(frozen=True)
class CriterionType:
    """A test a criterion can use in ``when`` (besides the groups all, any, none and not)."""

    name: str
    description: str
    build: Build


def _values(field: str, missing: bool | None, get: Callable[[Record], list[str]]) -> Build:
    """A test that holds when one of the record's values matches one of the listed ones."""
    return lambda b, node, key, where, value: values_leaf(
        field, b.strings(value, where), b.missing(node, key, missing), get
    )


_LANGUAGE_CODE = re.compile(r"[a-z]{3}")


def _language(b: _Builder, node: dict[str, Any], key: str, where: str, value: Any) -> Predicate:
    """Languages as PubMed codes them (eng, ger, fre ...): a name ('english') or anything but three lower-case
    letters matches no record, so it is refused with the code it probably means."""
    codes = b.strings(value, where)
    for code in codes:
        if not _LANGUAGE_CODE.fullmatch(code):
            known = LANGUAGE_CODES.get(code.lower())
            hint = f"; did you mean {known!r}?" if known else ""
            raise b.fail(where, f"{code!r} is not a PubMed language code (three letters such as 'eng'){hint}")
    return values_leaf("language", codes, b.missing(node, key, None), lambda r: list(r.languages))


def _publication_types() -> dict[str, str]:
    """data/publication_types.txt: casefolded name -> the name as PubMed spells it."""
    text = resources.files("evsynth.protocol").joinpath("data/publication_types.txt").read_text(encoding="utf-8")
    names = (line.strip() for line in text.splitlines() if not line.startswith("#"))
    return {name.casefold(): name for name in names if name}


PUBLICATION_TYPES = _publication_types()


def _pub_type(b: _Builder, node: dict[str, Any], key: str, where: str, value: Any) -> Predicate:
    """Publication types as PubMed names them: a name it does not use ('Randomised Controlled Trial', 'RCT')
    matches no record, so it is refused with the closest one (a * pattern is taken as it is)."""
    names = b.strings(value, where)
    for name in names:
        if "*" not in name and name.casefold() not in PUBLICATION_TYPES:
            hint = did_you_mean(name, PUBLICATION_TYPES.values())
            raise b.fail(where, f"{name!r} is not a PubMed publication type{hint}")
    return values_leaf("pub_types", names, b.missing(node, key, False), lambda r: list(r.pub_types))


def _mesh(b: _Builder, node: dict[str, Any], key: str, where: str, value: Any) -> Predicate:
    major = node.get("major", False)
    if not isinstance(major, bool):
        raise b.fail(f"{key}.major", f"{major!r} must be true or false")
    return values_leaf("mesh", b.strings(value, where), b.missing(node, key, False), mesh_values(major))


def _has_abstract(record: Record) -> tuple[bool, str]:
    return bool(record.abstract.strip()), "present" if record.abstract else "none"


CRITERION_TYPES: dict[str, CriterionType] = {
    kind.name: kind
    for kind in (
        CriterionType("pub_type", "any of these publication types (PubMed names; Scopus and RIS types are mapped)",
                      _pub_type),
        CriterionType("language", "any of these languages (ISO 639-2 codes such as eng)", _language),
        CriterionType("mesh",
                      "any of these MeSH descriptors (names, UIs, * for a prefix); major: true for major topics only",
                      _mesh),
        CriterionType("journal", "journal title or ISO abbreviation (* wildcards)",
                      _values("journal", False, lambda r: [v for v in (r.journal, r.journal_iso) if v])),
        CriterionType("source", "the record came from one of these sources",
                      lambda b, node, key, where, value: values_leaf("source", b.strings(value, where), False,
                                                                     lambda r: [r.source])),
        CriterionType("date", "{from, to, field}: the date lies in the window (pub_date, electronic_date, ...)",
                      lambda b, node, key, where, value: b.date_test(value, where, b.missing(node, key, None))),
        CriterionType("text", "a concept name, or an inline concept {terms, patterns, ...}",
                      lambda b, node, key, where, value: text_leaf(b.concept(value, where))),
        CriterionType("retracted", "true: PubMed marks the record retracted",
                      lambda b, node, key, where, value: flag_leaf("retraction", b.flag(value, where), retraction)),
        CriterionType("has_abstract", "true: the record has an abstract; false: it has none",
                      lambda b, node, key, where, value: flag_leaf("abstract", b.flag(value, where), _has_abstract)),
    )
}  # fmt: skip


def build_concept(path: Path, key: str, name: str, data: Any) -> Concept:
    """Validate one concept mapping and compile it."""

    def fail(sub: str, message: str) -> ProtocolError:
        return ProtocolError(f"{path}: {key}{sub}: {message}")

    if not isinstance(data, dict):
        raise fail("", f"must be a mapping {{terms: [...]}}, got {data!r:.60}")
    for item in data:
        if item not in _CONCEPT_KEYS:
            raise fail(f".{item}", f"unknown key (allowed: {', '.join(sorted(_CONCEPT_KEYS))})")
    for list_key in ("terms", "patterns"):
        items = data.get(list_key) or []
        if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
            raise fail(f".{list_key}", "must be a list of non-empty strings")
    if not data.get("terms") and not data.get("patterns"):
        raise fail("", "needs 'terms' or 'patterns'")
    for i, pattern in enumerate(data.get("patterns") or []):
        try:
            re.compile(pattern)
        except re.error as err:
            raise fail(f".patterns[{i}]", f"{pattern!r} is not a valid regular expression ({err})") from None
    fields = data.get("fields") or ["title", "abstract"]
    if not isinstance(fields, list) or not all(f in ("title", "abstract", "keywords") for f in fields):
        raise fail(".fields", f"{fields!r} must be a list of title, abstract, keywords")
    if data.get("case", "auto") not in ("auto", "sensitive", "insensitive"):
        raise fail(".case", f"{data['case']!r} must be auto, sensitive or insensitive")
    fuzzy = data.get("fuzzy", 0)
    if isinstance(fuzzy, bool) or not isinstance(fuzzy, int) or not (fuzzy == 0 or 50 <= fuzzy <= 100):
        raise fail(".fuzzy", f"{fuzzy!r} must be 0 (off) or a score from 50 to 100")
    if str(data.get("missing_abstract", "unknown")).lower() not in ("unknown", "false"):
        raise fail(".missing_abstract", f"{data['missing_abstract']!r} must be unknown or false")
    clean = {**data, "missing_abstract": str(data.get("missing_abstract", "unknown")).lower()}
    return concept_from_mapping(name, clean)


def _criteria_list(builder: _Builder, value: Any, key: str, seen: set[str]) -> tuple[Criterion, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise builder.fail(key, "must be a list of {name, label, when}")
    items = []
    for i, raw in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(raw, dict):
            raise builder.fail(where, f"must be a mapping {{name, label, when}}, got {raw!r:.60}")
        for item in raw:
            if item not in _CRITERION_KEYS:
                raise builder.fail(f"{where}.{item}", f"unknown key (allowed: {', '.join(sorted(_CRITERION_KEYS))})")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise builder.fail(f"{where}.name", f"{name!r} must be lower-case letters, digits, '-' or '_'")
        if name in seen:
            raise builder.fail(f"{where}.name", f"{name!r} is used twice")
        seen.add(name)
        if "when" not in raw:
            raise builder.fail(where, f"criterion {name!r} needs a 'when' test")
        label = raw.get("label") or name
        if not isinstance(label, str):
            raise builder.fail(f"{where}.label", f"{label!r} must be a string")
        when = builder.predicate(raw["when"], f"{where}.when")
        items.append(Criterion(name=name, label=label.strip(), when=when, description=str(raw.get("description", ""))))
    return tuple(items)


def load_criteria(section: Any, path: Path) -> Criteria:
    """Validate a protocol's ``criteria`` section (``path`` names the protocol in errors).

    Raises:
        ProtocolError: one line naming the file, the key and the value at fault.
    """
    if not isinstance(section, dict):
        raise ProtocolError(f"{path}: criteria: must be a mapping with include/exclude lists")
    for key in section:
        if key not in _SECTION_KEYS:
            raise ProtocolError(f"{path}: criteria.{key}: unknown key (allowed: {', '.join(sorted(_SECTION_KEYS))})")
    raw_concepts = section.get("concepts") or {}
    if not isinstance(raw_concepts, dict):
        raise ProtocolError(f"{path}: criteria.concepts: must be a mapping of name -> {{terms: [...]}}")
    concepts = {}
    for name, data in raw_concepts.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ProtocolError(f"{path}: criteria.concepts.{name}: name must be lower-case letters, digits, - or _")
        concepts[name] = build_concept(path, f"criteria.concepts.{name}", name, data)
    builder = _Builder(path, concepts)
    seen: set[str] = set()
    include = _criteria_list(builder, section.get("include"), "criteria.include", seen)
    exclude = _criteria_list(builder, section.get("exclude"), "criteria.exclude", seen)
    if not include and not exclude:
        raise ProtocolError(f"{path}: criteria: needs at least one include or exclude criterion")
    overrides = section.get("overrides_file")
    if overrides is not None and (not isinstance(overrides, str) or not overrides.strip()):
        raise ProtocolError(f"{path}: criteria.overrides_file: {overrides!r} must be a file name")
    canonical = json.dumps([ENGINE_VERSION, section], sort_keys=True, default=str)
    return Criteria(
        include=include,
        exclude=exclude,
        concepts=concepts,
        digest=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        overrides_file=(path.parent / overrides) if overrides else None,
    )


def screen_record(record: Record, criteria: Criteria) -> Decision:
    """Decide one record: exclude if an exclusion fires or an inclusion fails; uncertain if
    a criterion cannot be decided; include otherwise. Reasons and evidence are kept.

    Example:
        >>> decision = screen_record(record, criteria)  # doctest: +SKIP
        >>> decision.decision, decision.reasons
        ('exclude', ('animal-only',))
    """
    cache: dict[str, Outcome] = {}
    excluded = [(c, c.when(record, cache, c.name)) for c in criteria.exclude]
    included = [(c, c.when(record, cache, c.name)) for c in criteria.include]
    against = [(c, o) for c, o in excluded if o.value is True] + [(c, o) for c, o in included if o.value is False]
    if against:
        return Decision("exclude", tuple(c.name for c, _ in against), joined(o for _, o in against))
    open_ = [(c, o) for c, o in excluded + included if o.value is None]
    if open_:
        return Decision("uncertain", tuple(c.name for c, _ in open_), joined(o for _, o in open_))
    return Decision("include", tuple(c.name for c, _ in included), joined(o for _, o in included))
