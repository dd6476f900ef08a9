"""Convergence: which modules and entities have evidence from several treatments or many independent records.

For each module (every curated one, with or without evidence) and each gene, family and microRNA in the
graph: the records behind it (for a module, the records naming any member), the treatments and treatment
modalities those records name, their study designs, and a verdict. An entity or module is **convergent**
when its primary records (reviews excluded unless ``count_reviews``) name at least ``min_modalities``
treatment modalities, or when there are at least ``min_records`` of them. ``reason`` says which rule held
and ``modality_pmids`` shows the records behind each modality, so every verdict can be checked by hand.
Umbrella treatment terms ("antidepressant") are listed but are not a modality (``ignore_treatments``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from evsynth.protocol.pathways import ConvergenceSettings, Module
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.synthesis.graph import gc_paused, modules_of

LEVEL_ORDER = {"module": 0, "gene": 1, "family": 2, "mirna": 3}
COLUMNS = (
    "level",
    "id",
    "name",
    "kind",
    "convergent",
    "reason",
    "n_records",
    "n_primary",
    "n_reviews",
    "modalities",
    "modality_pmids",
    "treatments",
    "designs",
    "members",
    "pmids",
)


@dataclass(frozen=True)
class ConvergenceRow:
    level: str  # module | gene | family | mirna
    id: str
    name: str
    kind: str
    convergent: bool
    reason: str
    n_records: int
    n_primary: int
    n_reviews: int
    modalities: tuple[str, ...]
    modality_pmids: tuple[tuple[str, tuple[str, ...]], ...]
    treatments: tuple[str, ...]
    designs: tuple[tuple[str, int], ...]
    members: tuple[str, ...]
    pmids: tuple[str, ...]

    def to_row(self) -> dict[str, str | int]:
        """A CSV row: lists joined with '; ' (modality_pmids as 'ect: 1, 2; ketamine: 3')."""
        return {
            "level": self.level, "id": self.id, "name": self.name, "kind": self.kind,
            "convergent": "yes" if self.convergent else "no", "reason": self.reason,
            "n_records": self.n_records, "n_primary": self.n_primary, "n_reviews": self.n_reviews,
            "modalities": "; ".join(self.modalities),
            "modality_pmids": "; ".join(f"{m}: {', '.join(p)}" for m, p in self.modality_pmids),
            "treatments": "; ".join(self.treatments),
            "designs": "; ".join(f"{d} ({n})" for d, n in self.designs),
            "members": "; ".join(self.members), "pmids": "; ".join(self.pmids),
        }  # fmt: skip


def _treatments(record: EvidenceRecord, settings: ConvergenceSettings) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    modalities: set[str] = set()
    for mention in record.mentions:
        if mention.type == "treatment" and mention.id:
            attrs = dict(mention.attrs)
            names.add(str(attrs.get("name") or mention.id))
            if mention.id not in settings.ignore_treatments and attrs.get("modality"):
                modalities.add(str(attrs["modality"]))
    return names, modalities


def _row(
    level: str,
    ident: str,
    name: str,
    kind: str,
    keys: list[str],
    members: list[str],
    by_key: dict[str, EvidenceRecord],
    treatments: dict[str, tuple[set[str], set[str]]],
    settings: ConvergenceSettings,
) -> ConvergenceRow:
    records = [by_key[k] for k in keys]
    reviews = [r for r in records if r.design.is_review]
    counted = records if settings.count_reviews else [r for r in records if not r.design.is_review]
    per_modality: dict[str, list[str]] = defaultdict(list)
    names: set[str] = set()
    for record in records:
        names |= treatments[record.key][0]
    for record in counted:
        for modality in treatments[record.key][1]:
            per_modality[modality].append(record.key)
    what = "records" if settings.count_reviews else "primary records"
    reasons = []
    by_modality = len(per_modality) >= settings.min_modalities
    by_records = len(counted) >= settings.min_records
    if by_modality:
        reasons.append(
            f"{len(per_modality)} treatment modalities ({', '.join(sorted(per_modality))}) >= {settings.min_modalities}"
        )
    if by_records:
        reasons.append(f"{len(counted)} {what} >= {settings.min_records}")
    if not reasons:
        reasons.append(
            f"{len(per_modality)} modalities < {settings.min_modalities} and "
            f"{len(counted)} {what} < {settings.min_records}"
        )
    designs = Counter(r.design.primary or "unclassified" for r in records)
    return ConvergenceRow(
        level=level, id=ident, name=name, kind=kind, convergent=by_modality or by_records,
        reason="; ".join(reasons), n_records=len(records), n_primary=len(records) - len(reviews),
        n_reviews=len(reviews), modalities=tuple(sorted(per_modality)),
        modality_pmids=tuple((m, tuple(p)) for m, p in sorted(per_modality.items())),
        treatments=tuple(sorted(names)), designs=tuple(sorted(designs.items(), key=lambda x: (-x[1], x[0]))),
        members=tuple(sorted(members)), pmids=tuple(keys),
    )  # fmt: skip


def convergence(
    graph: nx.Graph, records: list[EvidenceRecord], modules: dict[str, Module], settings: ConvergenceSettings
) -> list[ConvergenceRow]:
    """One row per module (all curated ones, then automatic microRNA families) and per gene, family and miRNA."""
    with gc_paused():
        return _convergence(graph, records, modules, settings)


def _convergence(
    graph: nx.Graph, records: list[EvidenceRecord], modules: dict[str, Module], settings: ConvergenceSettings
) -> list[ConvergenceRow]:
    by_key = {r.key: r for r in records}
    treatments = {r.key: _treatments(r, settings) for r in records}
    members = modules_of(graph)
    rows = []
    module_ids = list(modules) + sorted(
        n.removeprefix("module:") for n in graph if n.startswith("module:") and n.removeprefix("module:") not in modules
    )
    for module_id in module_ids:
        key = f"module:{module_id}"
        data = graph.nodes[key] if key in graph else None
        module = modules.get(module_id)
        name = module.name if module else str(data["name"] if data else module_id)
        kind = module.kind if module else str(data["kind"] if data else "")
        names = [str(graph.nodes[m]["name"]) for m in members.get(key, [])]
        rows.append(
            _row(
                "module",
                module_id,
                name,
                kind,
                list(data["pmids"]) if data else [],
                names,
                by_key,
                treatments,
                settings,
            )
        )
    for key, data in graph.nodes(data=True):
        if data["type"] in LEVEL_ORDER and data["type"] != "module":
            rows.append(
                _row(
                    data["type"],
                    key.split(":", 1)[1],
                    str(data["name"]),
                    data["type"],
                    list(data["pmids"]),
                    [],
                    by_key,
                    treatments,
                    settings,
                )
            )
    head = rows[: len(module_ids)]
    rest = sorted(rows[len(module_ids) :], key=lambda r: (LEVEL_ORDER[r.level], -r.n_records, r.name))
    return head + rest
