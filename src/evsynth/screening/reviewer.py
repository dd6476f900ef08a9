"""What a reviewer decides, one record at a time (``evsynth decide``, the desk) or in bulk (``decide --from``):
the one way the decisions file changes.

Every change is made under the decisions file's own lock (a hidden file beside it), read, change and write being
one step, so reviewers deciding at once never lose each other's rows. A decision that replaces another keeps it
in its ``previous`` column (``exclude (reason; reviewer 2026-12-01) | ...``, newest first).

Bulk files are read in three layouts, told apart by their columns:

* evsynth's own (``pmid`` or ``doi`` or ``record`` or ``title``, ``decision``, ``reason``): the decisions file's
  columns;
* an ASReview LAB export (``included``, ``label_included`` or ``asreview_label``: 1, 0 or empty) as
  ``asreview.csv`` went out, or any dataset with ``pmid``/``doi``/``title`` columns;
* a Rayyan export (``notes`` holding ``RAYYAN-INCLUSION: {"Reviewer"=>"Included", ...}`` and
  ``RAYYAN-EXCLUSION-REASONS: ...``): reviewers who agree decide; a conflict is ``maybe``.

A row names its record by PMID, DOI or, failing both, its title (matched by the caller against the review's
records).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evsynth.errors import EvsynthError, InputFileError
from evsynth.fileio import read_input_text
from evsynth.protocol.criteria import Criteria
from evsynth.protocol.loader import Protocol
from evsynth.screening.decisions import (
    OVERRIDE_DECISIONS,
    Override,
    load_overrides,
    parse_target,
    save_overrides,
    target_of,
)
from evsynth.screening.screen import ScreenResult, screen_store
from evsynth.sources.dedupe import fold_title
from evsynth.store.database import Store
from evsynth.store.lock import store_lock
from evsynth.store.records import record_rows


@dataclass(frozen=True)
class Change:
    """One decision to record: ``decision`` None clears the reviewer's decision (the rules decide again)."""

    target: str  # pmid:<PMID>, doi:<DOI> or title:<folded title>
    decision: str | None
    reason: str = ""
    title: str = ""  # the record's title, written beside the decision for people reading the file


def decisions_lock(path: Path) -> Path:
    """The lock that guards the decisions file ``path``."""
    return path.with_name(f".{path.name}")


def _earlier(before: Override) -> str:
    said = f"{before.decision} ({before.reason}; {' '.join(p for p in (before.reviewer, before.decided_at) if p)})"
    return said + (f" | {before.previous}" if before.previous else "")


def change_decisions(path: Path, changes: Iterable[Change], *, reviewer: str, day: str) -> dict[str, Override]:
    """Apply ``changes`` to the decisions file at ``path`` under its lock; return the decisions now in it.

    Raises:
        EvsynthError: a change clears a decision the file does not have (nothing is written).
        InputFileError: the decisions file is malformed.
    """
    with store_lock(decisions_lock(path), "decide", wait=True):
        decisions = load_overrides(path)
        for change in changes:
            before = decisions.get(change.target)
            if change.decision is None:
                if before is None:
                    raise EvsynthError(f"{path}: no reviewer decision for {change.target} to clear")
                del decisions[change.target]
                continue
            if change.decision not in OVERRIDE_DECISIONS:
                raise EvsynthError(f"decision {change.decision!r} must be one of {', '.join(OVERRIDE_DECISIONS)}")
            reason = " ".join(change.reason.split())
            if before is not None and (before.decision, before.reason) == (change.decision, reason):
                continue  # the same decision again: nothing to record, no history to grow
            previous = _earlier(before) if before is not None else ""
            title = " ".join(change.title.split()) or (before.title if before is not None else "")
            decisions[change.target] = Override(change.target, change.decision, reason, reviewer, day, previous, title)
        save_overrides(path, decisions)
    return decisions


# -- bulk files --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    """One decision read from a bulk file: its target, or the title to find it by."""

    line: int
    target: str  # "" when only a title names the record
    title: str
    decision: str
    reason: str


_LABELS = ("included", "label_included", "asreview_label", "label")
_RAYYAN = re.compile(r"RAYYAN-INCLUSION:\s*\{([^}]*)\}")
_RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*([^|]+)")
_RAYYAN_VERDICTS = {"included": "include", "excluded": "exclude", "maybe": "maybe"}


def read_bulk(path: Path) -> list[BulkRow]:
    """The decisions in a bulk file (evsynth's, ASReview LAB's or Rayyan's layout; see the module docstring).

    Raises:
        InputFileError: missing or unreadable file, no column saying which record or what decision, a bad value.
    """
    text = read_input_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip().lower() for h in reader.fieldnames or []}
    if not header & {"pmid", "doi", "record", "title"}:
        raise InputFileError(f"{path}: no column naming the record (pmid, doi, record or title)")
    if "decision" in header:
        layout = "evsynth"
    elif label := next((name for name in _LABELS if name in header), ""):
        layout = "asreview"
    elif "notes" in header:
        layout = "rayyan"
    else:
        raise InputFileError(
            f"{path}: no decision column (decision; ASReview's included or label_included; Rayyan's notes)"
        )
    rows = []
    for line, raw in enumerate(reader, start=2):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue
        if layout == "evsynth":
            decision, reason = cells.get("decision", "").lower(), cells.get("reason", "")
        elif layout == "asreview":
            decision, reason = _asreview(path, line, cells.get(label, "")), "ASReview LAB label"
        else:
            decision, reason = _rayyan(cells.get("notes", ""))
        if not decision:
            continue  # not labelled
        if decision not in OVERRIDE_DECISIONS:
            raise InputFileError(
                f"{path}: line {line}: decision {decision!r} must be one of {', '.join(OVERRIDE_DECISIONS)}"
            )
        if not reason:
            raise InputFileError(f"{path}: line {line}: reason is empty (every reviewer decision needs one)")
        rows.append(BulkRow(line, _target(path, line, cells), cells.get("title", ""), decision, reason))
    if not rows:
        raise InputFileError(f"{path}: no decisions in it (every row is unlabelled)")
    return rows


def _asreview(path: Path, line: int, value: str) -> str:
    if value in ("", "-1", "nan"):
        return ""
    if value in ("1", "1.0"):
        return "include"
    if value in ("0", "0.0"):
        return "exclude"
    raise InputFileError(f"{path}: line {line}: label {value!r} must be 1, 0 or empty")


def _rayyan(notes: str) -> tuple[str, str]:
    """(decision, reason) from a Rayyan notes cell: unanimous reviewers decide; a conflict is maybe."""
    found = _RAYYAN.search(notes)
    if not found:
        return "", ""
    votes = dict(re.findall(r'"([^"]+)"\s*=>\s*"([^"]+)"', found.group(1)))
    verdicts = {_RAYYAN_VERDICTS.get(v.strip().lower(), "maybe") for v in votes.values()}
    if not verdicts:
        return "", ""
    who = ", ".join(f"{name}: {vote}" for name, vote in votes.items())
    if len(verdicts) > 1:
        return "maybe", f"Rayyan reviewers disagree ({who})"
    reasons = _RAYYAN_REASONS.search(notes)
    reason = reasons.group(1).strip() if reasons and "exclude" in verdicts else ""
    return verdicts.pop(), f"Rayyan ({who})" + (f": {reason}" if reason else "")


def _target(path: Path, line: int, cells: dict[str, str]) -> str:
    value = cells.get("pmid") or cells.get("doi") or cells.get("record") or ""
    if not value:
        return ""
    try:
        return parse_target(value)
    except EvsynthError:
        raise InputFileError(f"{path}: line {line}: {value!r} is neither a PMID nor a DOI") from None


def review_titles(store: Store, protocol_name: str) -> dict[str, str]:
    """The decisions-file target of each of the review's records -> its title."""
    titles: dict[str, str] = {}
    for row in record_rows(store, ("pmid", "doi_norm", "title"), protocol=protocol_name):
        target = target_of(row["pmid"], row["doi_norm"], row["title"])
        if target and row["title"]:
            titles.setdefault(target, row["title"])
    return titles


def bulk_changes(
    rows: Iterable[BulkRow], store: Store | None, protocol_name: str
) -> tuple[list[Change], list[BulkRow]]:
    """The changes the rows ask for, and the rows whose record is not found: a row named only by its title is
    matched to the review's record with the same title (folded: case, accents and punctuation aside). Each change
    carries its record's title, for the decisions file's readers."""
    titles = review_titles(store, protocol_name) if store is not None else {}
    by_title: dict[str, str] = {}  # folded title -> target
    for target, title in titles.items():
        by_title.setdefault(fold_title(title), target)
    changes, unmatched = [], []
    for row in rows:
        target = row.target or by_title.get(fold_title(row.title), "")
        if target:
            changes.append(Change(target, row.decision, row.reason, titles.get(target, row.title)))
        else:
            unmatched.append(row)
    return changes, unmatched


def decide_and_rescreen(
    store: Store,
    protocol: Protocol,
    criteria: Criteria,
    changes: Iterable[Change],
    *,
    reviewer: str,
    day: str,
) -> ScreenResult:
    """Record ``changes`` and screen the review again with them: what ``evsynth decide`` and the desk do with
    each decision, before they write the outputs again (the caller holds the store's lock)."""
    decisions = change_decisions(protocol.overrides_path, changes, reviewer=reviewer, day=day)
    return screen_store(store, protocol.name, criteria, decisions, kind="override")
