"""A review run's lifecycle in the store: opened, advanced stage by stage, closed.

``evsynth run`` and ``evsynth update`` each open one review run before they touch anything, name each stage as
they begin it, and close it after the last output is written. A run killed on the way stays ``running`` in the
table until the next run of the same protocol opens, which marks it ``interrupted``. Either way it is visible
(``evsynth`` says so, and the run manifest records it), and it is never taken as a finished version of the
review: PRISMA's "previous version" and ``update``'s last snapshot come only from runs that closed.

Example:
    >>> store = Store.open(":memory:")
    >>> run = open_review_run(store, "demo", "run")
    >>> advance(store, run, "screen")
    >>> close_review_run(store, run, outcome="new evidence")
    >>> [r.status for r in review_runs(store, "demo")]
    ['complete']
"""

from __future__ import annotations

from dataclasses import dataclass

from evsynth.store.database import Store, utc_now

STAGES = (
    "opened", "harvest", "import", "deduplicate", "screen", "annotate", "extract", "outputs", "graph", "changes",
)  # fmt: skip
COMMANDS = ("run", "update")


@dataclass(frozen=True)
class ReviewRun:
    """One row of ``review_runs``."""

    id: int
    protocol_name: str
    command: str
    harvest_run: int | None
    stage: str
    status: str
    outcome: str | None
    started_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        """Whether the run closed after its last output (only such a run is a version of the review)."""
        return self.status == "complete"


def open_review_run(store: Store, protocol_name: str, command: str) -> int:
    """Open a review run; earlier runs of the protocol still ``running`` were killed and become ``interrupted``.

    The caller holds the store's lock, so no other process can be running this protocol.
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown review command {command!r}")
    with store.transaction() as conn:
        conn.execute(
            "UPDATE review_runs SET status = 'interrupted' WHERE protocol_name = ? AND status = 'running'",
            (protocol_name,),
        )
        cursor = conn.execute(
            "INSERT INTO review_runs (protocol_name, command, stage, status, started_at) "
            "VALUES (?, ?, 'opened', 'running', ?)",
            (protocol_name, command, utc_now()),
        )
    return int(cursor.lastrowid or 0)


def advance(store: Store, run_id: int, stage: str, *, harvest_run: int | None = None) -> None:
    """Record that ``stage`` has begun (and, once known, the harvest run this review run made)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    with store.transaction() as conn:
        conn.execute("UPDATE review_runs SET stage = ? WHERE id = ?", (stage, run_id))
        if harvest_run is not None:
            conn.execute("UPDATE review_runs SET harvest_run = ? WHERE id = ?", (harvest_run, run_id))


def close_review_run(store: Store, run_id: int, *, outcome: str, status: str = "complete") -> None:
    """Close the run: ``complete`` after its last output, ``failed`` when an error stopped it."""
    if status not in ("complete", "failed"):
        raise ValueError(f"a run closes complete or failed, not {status!r}")
    with store.transaction() as conn:
        conn.execute(
            "UPDATE review_runs SET status = ?, outcome = ?, finished_at = ? WHERE id = ?",
            (status, outcome, utc_now(), run_id),
        )


def review_runs(store: Store, protocol_name: str) -> list[ReviewRun]:
    """Every review run of the protocol, oldest first."""
    rows = store.conn.execute(
        "SELECT id, protocol_name, command, harvest_run, stage, status, outcome, started_at, finished_at "
        "FROM review_runs WHERE protocol_name = ? ORDER BY id",
        (protocol_name,),
    )
    return [ReviewRun(*row) for row in rows]


def last_unfinished(store: Store, protocol_name: str, *, before: int | None = None) -> ReviewRun | None:
    """The protocol's latest review run (before run ``before``) if it did not finish, else None."""
    runs = [r for r in review_runs(store, protocol_name) if before is None or r.id < before]
    return runs[-1] if runs and not runs[-1].finished else None


def unfinished_harvests(store: Store, protocol_name: str) -> set[int]:
    """Harvest runs made by review runs of the protocol that never finished.

    A harvest run with no review run at all (a store older than review runs) counts as finished.
    """
    rows = store.conn.execute(
        "SELECT harvest_run FROM review_runs WHERE protocol_name = ? AND harvest_run IS NOT NULL "
        "GROUP BY harvest_run HAVING max(status = 'complete') = 0",
        (protocol_name,),
    )
    return {int(row[0]) for row in rows}


def protocols(store: Store) -> list[str]:
    """The names of the protocols whose runs are in the store, sorted."""
    rows = store.conn.execute("SELECT DISTINCT protocol_name FROM runs WHERE protocol_name IS NOT NULL")
    return sorted(row[0] for row in rows)


def last_search(store: Store, protocol_name: str) -> str:
    """When the protocol's search last ran to the end (an ISO timestamp), or "" before the first."""
    row = store.conn.execute(
        "SELECT max(started_at) FROM runs WHERE kind = 'harvest' AND protocol_name = ? AND status = 'complete'",
        (protocol_name,),
    ).fetchone()
    return str(row[0] or "")
