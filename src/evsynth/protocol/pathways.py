"""Pathways and modules: the packaged curated set plus a protocol's own, and the convergence settings.

A protocol may add modules (or replace a packaged one by reusing its id) under ``pathways:``, either inline
(``pathways: {modules: {id: {...}}}``) or from a YAML file beside it (``pathways: {file: my-modules.yaml}``),
and set the convergence thresholds under ``convergence:``. Every mistake is a one-line ``ProtocolError``
naming the file, the key and the value.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from evsynth.errors import ProtocolError
from evsynth.protocol.schema import Checker, parse_yaml, read_yaml

MODULE_KINDS = ("pathway", "module", "mirna_family")
_MODULE_KEYS = {"name", "kind", "sources", "genes", "families", "mirnas", "description"}
_PATHWAY_KEYS = {"file", "modules"}
_CONVERGENCE_KEYS = {"background", "min_modalities", "min_records", "count_reviews", "ignore_treatments"}
# umbrella terms that name no particular treatment ("the antidepressant response to ketamine"): they appear in
# the treatments column but are not a modality of their own
GENERIC_TREATMENTS = ("MESH:D000928",)


@dataclass(frozen=True)
class Module:
    """A pathway, module or microRNA family: its members and where the grouping comes from."""

    id: str
    name: str
    kind: str
    sources: tuple[str, ...]
    genes: tuple[str, ...] = ()
    families: tuple[str, ...] = ()  # FamPlex ids without the FPLX: prefix
    mirnas: tuple[str, ...] = ()  # name stems: miR-29, let-7
    origin: str = "evsynth"  # "evsynth" for the packaged set, else the file that defined it
    defined_at: str = ""  # "<file>: <key>", for error messages


@dataclass(frozen=True)
class ConvergenceSettings:
    """When an entity or module counts as convergent (README, "Convergence")."""

    min_modalities: int = 2
    min_records: int = 3
    count_reviews: bool = False
    ignore_treatments: tuple[str, ...] = GENERIC_TREATMENTS
    background: Path | None = None  # a mined folder (evsynth mine) the links are tested against


def _fail(where: Path | str, key: str, message: str) -> ProtocolError:
    return Checker(where).fail(key, message)


def _names(value: Any, where: Path | str, key: str) -> tuple[str, ...]:
    return Checker(where).names(value, key)


def parse_modules(data: Any, where: Path | str, key: str = "") -> dict[str, Module]:
    """Validate a mapping of module id -> definition."""
    prefix = f"{key}." if key else ""
    if not isinstance(data, dict):
        raise _fail(where, key or "modules", f"must be a mapping of module id to module, got {data!r:.60}")
    modules = {}
    for module_id, raw in data.items():
        here = f"{prefix}{module_id}"
        if not isinstance(module_id, str) or not module_id.strip():
            raise _fail(where, here, "a module id must be a non-empty string")
        if not isinstance(raw, dict):
            raise _fail(where, here, f"must be a mapping, got {raw!r:.60}")
        unknown = sorted(set(raw) - _MODULE_KEYS)
        if unknown:
            raise _fail(where, f"{here}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_MODULE_KEYS))})")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(where, f"{here}.name", f"must be a non-empty string, got {name!r:.60}")
        kind = raw.get("kind", "module")
        if kind not in MODULE_KINDS:
            raise _fail(where, f"{here}.kind", f"{kind!r} must be one of {', '.join(MODULE_KINDS)}")
        sources = _names(raw.get("sources"), where, f"{here}.sources")
        if not sources:
            raise _fail(where, f"{here}.sources", "name at least one source for the grouping")
        module = Module(
            id=module_id, name=name.strip(), kind=kind, sources=sources,
            genes=_names(raw.get("genes"), where, f"{here}.genes"),
            families=tuple(f.removeprefix("FPLX:") for f in _names(raw.get("families"), where, f"{here}.families")),
            mirnas=_names(raw.get("mirnas"), where, f"{here}.mirnas"),
            origin="evsynth" if where == "evsynth" else str(where),
            defined_at=f"{'src/evsynth/protocol/data/pathways.yaml' if where == 'evsynth' else where}: {here}",
        )  # fmt: skip
        if not (module.genes or module.families or module.mirnas):
            raise _fail(where, here, "has no members (genes, families or mirnas)")
        modules[module_id] = module
    return modules


@lru_cache(maxsize=1)
def default_modules() -> dict[str, Module]:
    """The packaged curated modules (``evsynth/protocol/data/pathways.yaml``)."""
    text = resources.files("evsynth.protocol").joinpath("data/pathways.yaml").read_text(encoding="utf-8")
    return parse_modules(parse_yaml(text, "src/evsynth/protocol/data/pathways.yaml"), "evsynth")


def protocol_modules(section: Any, protocol_path: Path) -> dict[str, Module]:
    """The packaged modules plus (or replaced by) those the protocol's ``pathways:`` section defines."""
    modules = dict(default_modules())
    if section is None:
        return modules
    if not isinstance(section, dict):
        raise _fail(protocol_path, "pathways", f"must be a mapping with 'file' and/or 'modules', got {section!r:.60}")
    unknown = sorted(set(section) - _PATHWAY_KEYS)
    if unknown:
        raise _fail(protocol_path, f"pathways.{unknown[0]}", "unknown key (allowed: file, modules)")
    if section.get("file") is not None:
        if not isinstance(section["file"], str):
            raise _fail(protocol_path, "pathways.file", f"must be a file name, got {section['file']!r:.60}")
        path = protocol_path.parent / section["file"]
        if not path.is_file():
            raise _fail(protocol_path, "pathways.file", f"{path} not found")
        data = read_yaml(path, "pathways file")
        modules.update(parse_modules(data, path))
    if section.get("modules") is not None:
        modules.update(parse_modules(section["modules"], protocol_path, "pathways.modules"))
    return modules


def convergence_settings(section: Any, protocol_path: Path) -> ConvergenceSettings:
    """The protocol's ``convergence:`` thresholds, defaults for what it leaves out."""
    if section is None:
        return ConvergenceSettings()
    if not isinstance(section, dict):
        raise _fail(protocol_path, "convergence", f"must be a mapping, got {section!r:.60}")
    unknown = sorted(set(section) - _CONVERGENCE_KEYS)
    if unknown:
        raise _fail(
            protocol_path, f"convergence.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_CONVERGENCE_KEYS))})"
        )
    values: dict[str, Any] = {}
    for key, low in (("min_modalities", 1), ("min_records", 1)):
        if key in section:
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10000:
                raise _fail(
                    protocol_path, f"convergence.{key}", f"{value!r} must be a whole number from {low} to 10000"
                )
            values[key] = value
    if "count_reviews" in section:
        if not isinstance(section["count_reviews"], bool):
            raise _fail(
                protocol_path, "convergence.count_reviews", f"{section['count_reviews']!r} must be true or false"
            )
        values["count_reviews"] = section["count_reviews"]
    if "ignore_treatments" in section:
        values["ignore_treatments"] = _names(
            section["ignore_treatments"], protocol_path, "convergence.ignore_treatments"
        )
    if section.get("background") is not None:
        text = Checker(protocol_path).text(section["background"], "convergence.background", required=True)
        folder = (Path(protocol_path).parent / text).resolve()
        if not (folder / "background.json").is_file():
            raise _fail(protocol_path, "convergence.background", f"{text!r} is not a mined folder (looked for "
                        f"{folder / 'background.json'}; make one with evsynth mine)")  # fmt: skip
        values["background"] = folder
    return ConvergenceSettings(**values)


def check_members(modules: dict[str, Module], symbols: Container[str], families: Container[str]) -> None:
    """Fail on a gene symbol or FamPlex family the lexicon does not know (a typo would silently match nothing)."""
    for module in modules.values():
        for symbol in module.genes:
            if symbol not in symbols:
                raise ProtocolError(f"{module.defined_at}.genes: {symbol!r} is not an HGNC approved symbol")
        for family in module.families:
            if family not in families:
                raise ProtocolError(f"{module.defined_at}.families: {family!r} is not a FamPlex family")
