"""Screening decisions in the store, and the review state every stage after screening reads.

``decisions`` holds a row only when a record's decision (or what it was decided from) changed, so the state as of
screening S is, per record, its latest row with ``screening_id <= S``. :class:`ReviewState` is that state read
once for a run: the records in scope, their latest decisions and the records the synthesis covers. The pipeline
loads it after screening and hands it to the tagger stage, the screening outputs, the synthesis and the changes,
so they all see one state and none queries it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from evsynth.store.database import Store, utc_now
from evsynth.store.records import PROTOCOL_RECORDS

PRIMARY = "(cluster_id IS NULL OR cluster_id = id)"  # a record that stands for its duplicate cluster
# what a protocol's screening covers (bind :p): the primaries of the clusters its runs saw, less PubMed's deletions
IN_SCOPE = f"{PRIMARY} AND deleted_run IS NULL AND id IN ({PROTOCOL_RECORDS})"


@dataclass(frozen=True)
class ReviewState:
    """The review as of one screening: what each later stage of a run is given instead of querying the store.

    ``decisions`` maps record id -> its latest decision row (empty for a protocol without criteria);
    ``included`` are the record ids the synthesis covers, ascending: the included records, or every record in
    scope when the protocol does not screen.
    """

    protocol_name: str
    screened: bool
    decisions: Mapping[int, Mapping[str, Any]]
    included: tuple[int, ...]


def load_review_state(store: Store, protocol_name: str, *, screened: bool) -> ReviewState:
    """Read the protocol's review state (one query for the decisions, one for the records in scope)."""
    if screened:
        decisions = latest_decisions(store, protocol_name)
        included = tuple(sorted(rid for rid, row in decisions.items() if row["decision"] == "include"))
        return ReviewState(protocol_name, True, decisions, included)
    ids = tuple(row[0] for row in iter_in_scope(store, protocol_name, "id"))
    return ReviewState(protocol_name, False, {}, ids)


def latest_decisions(store: Store, protocol_name: str, *, until: int | None = None) -> dict[int, dict[str, Any]]:
    """record id -> its latest decision row (as of screening ``until`` if given)."""
    limit = "AND screening_id <= ?" if until is not None else ""
    params: tuple[Any, ...] = (protocol_name, until) if until is not None else (protocol_name,)
    sql = (
        "SELECT d.*, s.run_id FROM decisions d JOIN ("
        f"  SELECT record_id, max(screening_id) AS sid FROM decisions WHERE protocol_name = ? {limit}"
        "  GROUP BY record_id) last ON d.record_id = last.record_id AND d.screening_id = last.sid "
        "JOIN screenings s ON s.id = d.screening_id"
    )
    return {row["record_id"]: dict(row) for row in store.conn.execute(sql, params)}


def count_in_scope(store: Store, protocol_name: str) -> int:
    """How many records the protocol's screening covers."""
    sql = f"SELECT count(*) FROM records WHERE {IN_SCOPE}"
    return int(store.conn.execute(sql, {"p": protocol_name}).fetchone()[0])


def iter_in_scope(store: Store, protocol_name: str, columns: str = "*") -> Iterator[Any]:
    """The records the protocol's screening covers, as rows, in id order."""
    return iter(store.conn.execute(f"SELECT {columns} FROM records WHERE {IN_SCOPE} ORDER BY id", {"p": protocol_name}))


@dataclass(frozen=True)
class ScreeningPass:
    """What one screening pass is recorded with."""

    protocol_name: str
    criteria_hash: str
    run_id: int | None  # the harvest run it followed (None: `screen` or `decide` alone)
    review_run: int | None
    kind: str  # rules | override
    screened: int
    reused: int
    counts: Mapping[str, int]  # final decisions by kind, over every record screened


def save_screening(store: Store, screening: ScreeningPass, pending: list[tuple[int, dict[str, Any]]]) -> int:
    """Record a screening pass and its changed decision rows in one transaction; return the screening's id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO screenings (protocol_name, run_id, review_run, kind, criteria_hash, started_at, finished_at, "
            "screened, reused, changed, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                screening.protocol_name, screening.run_id, screening.review_run, screening.kind,
                screening.criteria_hash, utc_now(), utc_now(), screening.screened, screening.reused, len(pending),
                json.dumps(dict(screening.counts), sort_keys=True),
            ),
        )  # fmt: skip
        screening_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO decisions (screening_id, record_id, protocol_name, content_hash, criteria_hash, "
            "rule_decision, decision, reasons, evidence, override_reason) VALUES (:screening_id, :record_id, "
            ":protocol_name, :content_hash, :criteria_hash, :rule_decision, :decision, :reasons, :evidence, "
            ":override_reason)",
            (
                {**values, "screening_id": screening_id, "record_id": record_id,
                 "protocol_name": screening.protocol_name}
                for record_id, values in pending
            ),
        )  # fmt: skip
    return screening_id


def screenings(store: Store, protocol_name: str) -> list[tuple[int, int | None]]:
    """(screening id, harvest run id or None) of every screening of the protocol, oldest first."""
    rows = store.conn.execute("SELECT id, run_id FROM screenings WHERE protocol_name = ? ORDER BY id", (protocol_name,))
    return [(row[0], row[1]) for row in rows]


def state_token(store: Store) -> tuple[int, ...]:
    """A token that changes whenever anything the outputs are derived from may have: a screening (each decision
    makes one), a run of any kind (harvest, import, audit), a review run, a snapshot, a record tagged."""
    row = store.conn.execute(
        "SELECT (SELECT max(id) FROM screenings), (SELECT max(id) FROM runs), (SELECT max(id) FROM review_runs), "
        "(SELECT max(rowid) FROM snapshots), (SELECT max(rowid) FROM tagged)"
    ).fetchone()
    return tuple(int(value or 0) for value in row)
