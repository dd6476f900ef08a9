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


def record_rows(
    store: Store, columns: Iterable[str], record_ids: Iterable[int] | None = None, *, protocol: str | None = None
) -> Iterator[Any]:
    """Rows of these columns, in id order: of every record, of the protocol's records (see ``PROTOCOL_RECORDS``)
    or, in chunks and any order, of the given ids."""
    names = ", ".join(columns)
    if record_ids is None:
        where, params = (f"WHERE id IN ({PROTOCOL_RECORDS})", {"p": protocol}) if protocol is not None else ("", {})
        yield from store.conn.execute(f"SELECT {names} FROM records {where} ORDER BY id", params)
        return
    for chunk in chunks(sorted(set(record_ids))):
        yield from store.conn.execute(f"SELECT {names} FROM records WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def harvest_counts(store: Store, run_id: int) -> tuple[int, int]:
    """(records first seen, records updated) by a harvest run."""
    new = store.conn.execute("SELECT sum(is_new) FROM run_records WHERE run_id = ?", (run_id,)).fetchone()[0]
    updated = store.conn.execute("SELECT count(*) FROM records WHERE updated_run = ?", (run_id,)).fetchone()[0]
    return int(new or 0), int(updated)


# Runs that belong to a protocol: its harvests, the imports they made, imports made for it, and imports made for no
# protocol (into a store that held none, or before --protocol existed). Audits belong to none.
PROTOCOL_RUNS = (
    "SELECT id FROM runs WHERE protocol_name = :p OR (kind = 'import' AND protocol_name IS NULL AND (parent_run IS "
    "NULL OR parent_run IN (SELECT id FROM runs WHERE protocol_name = :p)))"
)
_SEEN_BY = f"SELECT record_id FROM run_records WHERE run_id IN ({PROTOCOL_RUNS})"
# The protocol's records (bind :p): those its runs saw, and the records standing for their duplicate clusters (a
# cluster's primary may have come from another protocol's harvest or an audit: it is the same work, better known).
PROTOCOL_RECORDS = (
    f"SELECT id FROM records WHERE id IN ({_SEEN_BY}) "
    f"UNION SELECT cluster_id FROM records WHERE cluster_id IS NOT NULL AND id IN ({_SEEN_BY})"
)
# An import made by `evsynth run` belongs to the version of its parent harvest run.
_VERSION_OF = "(SELECT coalesce(parent_run, id) FROM runs WHERE runs.id = rr.run_id)"


def record_sources(store: Store, protocol: str | None = None) -> dict[int, list[str]]:
    """record id -> the sources that saw it (those of the protocol's runs when ``protocol`` is given), sorted."""
    where = f"WHERE run_id IN ({PROTOCOL_RUNS})" if protocol is not None else ""
    sql = f"SELECT DISTINCT record_id, source FROM run_records {where} ORDER BY record_id, source"
    sources: dict[int, list[str]] = {}
    for record_id, source in store.conn.execute(sql, {"p": protocol}):
        sources.setdefault(record_id, []).append(source)
    return sources


def first_sightings(store: Store, protocol_name: str, after_run: int) -> list[tuple[str, int]]:
    """(source, record id) for records the protocol's runs first saw after run ``after_run``, each pair once: a
    source that saw a record again (a re-run, a resumed or repeated import) identified it once."""
    rows = store.conn.execute(
        f"SELECT DISTINCT rr.source, rr.record_id FROM run_records rr WHERE rr.run_id IN ({PROTOCOL_RUNS}) "
        f"AND {_VERSION_OF} > :prev "
        f"AND rr.record_id NOT IN (SELECT rr.record_id FROM run_records rr WHERE {_VERSION_OF} <= :prev)",
        {"p": protocol_name, "prev": after_run},
    )
    return [(row["source"], row["record_id"]) for row in rows]


def clusters_seen(store: Store, protocol_name: str, until_run: int) -> set[int]:
    """The records standing for the duplicate clusters the protocol's runs saw up to run ``until_run``."""
    rows = store.conn.execute(
        "SELECT DISTINCT coalesce(r.cluster_id, r.id) FROM run_records rr JOIN records r ON r.id = rr.record_id "
        f"WHERE rr.run_id IN ({PROTOCOL_RUNS}) AND {_VERSION_OF} <= :until",
        {"p": protocol_name, "until": until_run},
    )
    return {row[0] for row in rows}


def primaries(store: Store, record_ids: Iterable[int]) -> dict[int, int]:
    """record id -> the id of the record standing for its duplicate cluster (itself when it stands alone)."""
    found: dict[int, int] = {}
    for chunk in chunks(sorted(set(record_ids))):
        sql = f"SELECT id, coalesce(cluster_id, id) FROM records WHERE id IN ({','.join('?' * len(chunk))})"
        found.update({row[0]: row[1] for row in store.conn.execute(sql, chunk)})
    return found


def run_identifiers(store: Store, run_id: int) -> tuple[set[str], set[str]]:
    """The PMIDs and normalised DOIs of the records a run saw (a harvest: every record its search found)."""
    rows = store.conn.execute(
        "SELECT r.pmid, r.doi_norm FROM run_records rr JOIN records r ON r.id = rr.record_id WHERE rr.run_id = ?",
        (run_id,),
    ).fetchall()
    return {row[0] for row in rows if row[0]}, {row[1] for row in rows if row[1]}
