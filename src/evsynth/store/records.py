"""Read queries over the stored records that the stages need: lookups, the rows a digest or a table is made from,
and who saw what (the sightings PRISMA counts). Writes stay in :class:`~evsynth.store.database.Store`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from evsynth.store.database import Store

T = TypeVar("T")
_CHUNK = 900  # ids per IN (...) list: below SQLite's default limit of 999 parameters


def chunks(ids: Sequence[T]) -> Iterator[Sequence[T]]:
    """The ids (or PMIDs) in lists short enough for one ``IN (...)``."""
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def primary_of(store: Store, *, pmid: str = "", doi: str = "") -> int | None:
    """The id of the record standing for the cluster of the record with this PMID (or normalised DOI)."""
    if pmid:
        row = store.conn.execute("SELECT id, cluster_id FROM records WHERE pmid = ?", (pmid,)).fetchone()
    else:
        row = store.conn.execute(
            "SELECT id, cluster_id FROM records WHERE doi_norm = ? ORDER BY source_rank DESC, id LIMIT 1", (doi,)
        ).fetchone()
    return None if row is None else int(row["cluster_id"] or row["id"])


def ids_by_pmid(store: Store, pmids: list[str]) -> dict[str, int]:
    """PMID -> record id for the stored ones."""
    found: dict[str, int] = {}
    for chunk in chunks(pmids):
        sql = f"SELECT id, pmid FROM records WHERE pmid IN ({','.join('?' * len(chunk))})"
        found.update({row["pmid"]: row["id"] for row in store.conn.execute(sql, chunk)})
    return found


def pmids_by_id(store: Store, record_ids: Iterable[int] | None = None) -> dict[int, str]:
    """record id -> PMID ("" for records without one), for the given ids or every record."""
    if record_ids is None:
        return {row[0]: row[1] or "" for row in store.conn.execute("SELECT id, pmid FROM records")}
    found: dict[int, str] = {}
    for chunk in chunks(sorted(set(record_ids))):
        sql = f"SELECT id, pmid FROM records WHERE id IN ({','.join('?' * len(chunk))})"
        found.update({row[0]: row[1] or "" for row in store.conn.execute(sql, chunk)})
    return found


def keys_by_id(store: Store) -> dict[int, str]:
    """record id -> its PMID, or its record key when it has none."""
    return {row[0]: row[1] or row[2] for row in store.conn.execute("SELECT id, pmid, record_key FROM records")}


def deleted_ids(store: Store) -> set[int]:
    """Records PubMed deleted."""
    return {row[0] for row in store.conn.execute("SELECT id FROM records WHERE deleted_run")}


def record_rows(store: Store, columns: Iterable[str], record_ids: Iterable[int] | None = None) -> Iterator[Any]:
    """Rows of these columns, for every record (in id order) or for the given ids (in chunks, any order)."""
    names = ", ".join(columns)
    if record_ids is None:
        yield from store.conn.execute(f"SELECT {names} FROM records ORDER BY id")
        return
    for chunk in chunks(sorted(set(record_ids))):
        yield from store.conn.execute(f"SELECT {names} FROM records WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def harvest_counts(store: Store, run_id: int) -> tuple[int, int]:
    """(records first seen, records updated) by a harvest run."""
    new = store.conn.execute("SELECT sum(is_new) FROM run_records WHERE run_id = ?", (run_id,)).fetchone()[0]
    updated = store.conn.execute("SELECT count(*) FROM records WHERE updated_run = ?", (run_id,)).fetchone()[0]
    return int(new or 0), int(updated)


# Runs that belong to a protocol: its harvests, the imports they made, and stand-alone imports.
_PROTOCOL_RUNS = (
    "SELECT id FROM runs WHERE protocol_name = :p OR (kind = 'import' AND (parent_run IS NULL OR parent_run IN "
    "(SELECT id FROM runs WHERE protocol_name = :p)))"
)
# An import made by `evsynth run` belongs to the version of its parent harvest run.
_VERSION_OF = "(SELECT coalesce(parent_run, id) FROM runs WHERE runs.id = rr.run_id)"


def first_sightings(store: Store, protocol_name: str, after_run: int) -> list[tuple[str, int]]:
    """(source, record id) for records the protocol's runs first saw after run ``after_run``, each pair once: a
    source that saw a record again (a re-run, a resumed or repeated import) identified it once."""
    rows = store.conn.execute(
        f"SELECT DISTINCT rr.source, rr.record_id FROM run_records rr WHERE rr.run_id IN ({_PROTOCOL_RUNS}) "
        f"AND {_VERSION_OF} > :prev "
        f"AND rr.record_id NOT IN (SELECT rr.record_id FROM run_records rr WHERE {_VERSION_OF} <= :prev)",
        {"p": protocol_name, "prev": after_run},
    )
    return [(row["source"], row["record_id"]) for row in rows]
