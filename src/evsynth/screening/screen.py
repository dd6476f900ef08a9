"""Screening the store: rules for new and changed records, reviewer decisions on top.

``screen_store`` screens every record that stands for its duplicate cluster (the
primary) and is not deleted. A record is evaluated by the rules only when it is new,
its content changed since its last decision, or the criteria changed (their hash);
otherwise its last rule decision is reused. Reviewer overrides are applied on top,
and a decision row is written only when something changed, in one transaction with
the screening it belongs to (a killed process leaves the previous state intact).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evsynth.models import Evidence
from evsynth.protocol.criteria import Criteria, screen_record
from evsynth.screening.decisions import Override
from evsynth.sources.dedupe import fold_title
from evsynth.store.database import Store, row_to_record
from evsynth.store.decisions import (
    ReviewState,
    ScreeningPass,
    count_in_scope,
    iter_in_scope,
    latest_decisions,
    save_screening,
)
from evsynth.store.records import primary_of, record_rows


@dataclass(frozen=True)
class ScreenResult:
    """What one screening pass did."""

    screening_id: int
    screened: int
    reused: int
    changed: int
    counts: dict[str, int]
    criteria_changed: bool
    unmatched_overrides: tuple[str, ...] = ()


def evidence_json(evidence: tuple[Evidence, ...]) -> str:
    """Evidence as a compact JSON list of [criterion, field, value, start, end]."""
    return json.dumps([[e.criterion, e.field, e.value, e.start, e.end] for e in evidence], ensure_ascii=False)


def evidence_from_json(text: str) -> tuple[Evidence, ...]:
    """The inverse of :func:`evidence_json`."""
    return tuple(Evidence(*item) for item in json.loads(text or "[]"))


def resolve_overrides(store: Store, overrides: dict[str, Override]) -> tuple[dict[int, Override], list[str]]:
    """Map each override to the primary record of its cluster; also return the targets not found."""
    found: dict[int, Override] = {}
    missing = []
    by_title: dict[str, int] = {}
    if any(override.folded_title for override in overrides.values()):
        for row in record_rows(store, ("id", "cluster_id", "title")):
            by_title.setdefault(fold_title(row["title"] or ""), int(row["cluster_id"] or row["id"]))
    for target, override in overrides.items():
        if override.folded_title:
            primary = by_title.get(override.folded_title)
        else:
            primary = primary_of(store, pmid=override.pmid, doi=override.doi)
        if primary is None:
            missing.append(target)
        else:
            found[primary] = override
    return found, missing


def _row(rule: str, reasons: str, evidence: str, override: Override | None) -> dict[str, Any]:
    return {
        "rule_decision": rule,
        "decision": override.screening_decision if override is not None else rule,
        "reasons": reasons,
        "evidence": evidence,
        "override_reason": override.reason if override else None,
    }


_COMPARED = ("content_hash", "criteria_hash", "rule_decision", "decision", "reasons", "evidence", "override_reason")


def screen_store(
    store: Store,
    protocol_name: str,
    criteria: Criteria,
    overrides: dict[str, Override],
    *,
    run_id: int | None = None,
    review_run: int | None = None,
    kind: str = "rules",
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreenResult:
    """Screen the store's primary records for one protocol (see the module docstring)."""
    previous = latest_decisions(store, protocol_name)
    by_record, missing = resolve_overrides(store, overrides)
    total = count_in_scope(store, protocol_name)
    screened = reused = 0
    counts: Counter[str] = Counter()
    pending: list[tuple[int, dict[str, Any]]] = []
    seen: set[int] = set()
    for done, row in enumerate(iter_in_scope(store, protocol_name), start=1):
        record_id = row["id"]
        seen.add(record_id)
        before = previous.get(record_id)
        override = by_record.get(record_id)
        if (
            before is not None
            and before["rule_decision"] != "removed"
            and before["content_hash"] == row["content_hash"]
            and before["criteria_hash"] == criteria.digest
        ):
            rule = before["rule_decision"]
            values = _row(rule, before["reasons"], before["evidence"], override)
            reused += 1
        else:
            decision = screen_record(row_to_record(row), criteria)
            reasons = json.dumps(list(decision.reasons))
            values = _row(decision.decision, reasons, evidence_json(decision.evidence), override)
            screened += 1
        values.update(content_hash=row["content_hash"], criteria_hash=criteria.digest)
        counts[values["decision"]] += 1
        if before is None or any(before[k] != values[k] for k in _COMPARED):
            pending.append((record_id, values))
        if progress and done % 1000 == 0:
            progress("screen", done, total)
    for record_id, before in previous.items():
        if record_id not in seen and before["decision"] != "removed":
            values = _row("removed", json.dumps(["not-screened"]), "[]", None)
            values.update(content_hash=before["content_hash"], criteria_hash=criteria.digest)
            pending.append((record_id, values))
    # a decision about a record that only another protocol (or an audit) saw is not this review's
    missing += [override.target for record_id, override in by_record.items() if record_id not in seen]
    criteria_changed = any(b["criteria_hash"] != criteria.digest for b in previous.values())
    screening = ScreeningPass(protocol_name, criteria.digest, run_id, review_run, kind, screened, reused, counts)
    screening_id = save_screening(store, screening, pending)
    return ScreenResult(screening_id, screened, reused, len(pending), dict(counts), criteria_changed, tuple(missing))


def sweeping_criterion(review: ReviewState, criteria: Criteria, *, share: float = 0.95, least: int = 20) -> str | None:
    """A warning when one criterion alone excludes (nearly) every screened record, which is usually a typo in
    the protocol (``language: [english]`` where PubMed writes ``eng``); None otherwise."""
    decided = [row for row in review.decisions.values() if row["decision"] != "removed"]
    if len(decided) < least:
        return None
    # every criterion that applied to a record the rules excluded, whatever its place among the reasons
    applied = Counter(
        name for row in decided if row["rule_decision"] == "exclude" for name in set(json.loads(row["reasons"]))
    )
    if not applied:
        return None
    name, count = applied.most_common(1)[0]
    if count < share * len(decided):
        return None
    return (
        f"criterion {name!r} ({criteria.label(name)}) alone excludes {count} of {len(decided)} records: "
        "check its values in the protocol"
    )
