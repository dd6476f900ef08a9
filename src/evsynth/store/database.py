"""The evidence store: one SQLite file (WAL) holding runs, records and which run saw which record.

No business rules live here: callers decide what to write; the store makes
every write an idempotent upsert inside a transaction, so a killed process
leaves the file consistent and a re-run converges to the same content.

Identity: a record with a PMID is keyed ``pmid:<PMID>``; one without (a Scopus or
RIS export row) by ``<source>:<id>`` or a hash of its citation. When the same
PMID arrives from several sources the richest source's content is kept
(efetch/PubMed XML > MEDLINE > RIS/Scopus) and every sighting is recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.errors import StoreError
from evsynth.models import Author, Chemical, CommentCorrection, MeshHeading, Record
from evsynth.store.migrations import apply_migrations

_BATCH = 500  # records per round of statements (a record key IN (...) list stays below SQLite's 999 parameters)
SOURCE_RANK = {"pubmed": 4, "pubmed_xml": 3, "medline": 2, "ris": 1, "scopus_csv": 1}

_FIELDS = (
    "pmid", "doi", "pmcid", "title", "abstract", "journal", "journal_iso", "volume", "issue", "pages",
    "pub_year", "pub_date", "pub_date_text", "electronic_date", "entrez_date", "revised_date", "status",
    "source_id",
)  # fmt: skip
_JSON_FIELDS = (
    "languages", "pub_types", "mesh", "chemicals", "keywords", "authors", "comments_corrections",
)  # fmt: skip


def utc_now() -> str:
    """Return the current UTC time as an ISO string (seconds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _plain(value: Any) -> dict[str, Any]:
    """A model dataclass as a dict, its fields in declared order (``json.dumps``' ``default``; it writes tuples
    as lists itself)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def record_key(record: Record, format_name: str) -> str:
    """Return the identity key of ``record`` in the store."""
    if record.pmid:
        return f"pmid:{record.pmid}"
    if record.source_id:
        return f"{record.source}:{record.source_id}"
    basis = "|".join((record.doi_normalized, record.title.lower(), str(record.pub_year), format_name))
    return f"{record.source}:sha1:{hashlib.sha1(basis.encode()).hexdigest()[:16]}"


def content_hash(record: Record) -> str:
    """Hash of everything a later stage reads from the record (not raw, not source)."""
    data = {name: getattr(record, name) for name in _FIELDS + _JSON_FIELDS}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=_plain).encode()).hexdigest()


def row_values(record: Record, format_name: str) -> dict[str, Any]:
    """The ``records`` row of ``record`` (JSON columns encoded, content hash taken), as :meth:`Store.upsert_rows`
    takes it; pure, so a worker process can make rows for the store."""
    values: dict[str, Any] = {name: getattr(record, name) for name in _FIELDS}
    values["pmid"] = record.pmid or None
    for name in _JSON_FIELDS:
        values[name] = json.dumps(getattr(record, name), ensure_ascii=False, default=_plain)
    values.update(
        journal_medline=record.journal_medline or None,  # not in the content hash (see m006)
        record_key=record_key(record, format_name),
        doi_norm=record.doi_normalized,
        source=record.source,
        source_rank=SOURCE_RANK.get(format_name, 1),
        raw=zlib.compress(record.raw, 6) if record.raw else None,
        raw_format=format_name if record.raw else None,
        content_hash=content_hash(record),
    )
    return values


def row_to_record(row: sqlite3.Row) -> Record:
    """Rebuild a :class:`Record` from a ``records`` row."""
    loads = json.loads
    return Record(
        **{name: (row[name] if row[name] is not None else "") for name in _FIELDS if name != "pub_year"},  # type: ignore[arg-type]
        pub_year=row["pub_year"],
        journal_medline=row["journal_medline"] or "",
        source=row["source"],
        languages=tuple(loads(row["languages"])),
        pub_types=tuple(loads(row["pub_types"])),
        keywords=tuple(loads(row["keywords"])),
        mesh=tuple(MeshHeading(**{**m, "qualifiers": tuple(m["qualifiers"])}) for m in loads(row["mesh"])),
        chemicals=tuple(Chemical(**c) for c in loads(row["chemicals"])),
        authors=tuple(Author(**{**a, "affiliations": tuple(a["affiliations"])}) for a in loads(row["authors"])),
        comments_corrections=tuple(CommentCorrection(**c) for c in loads(row["comments_corrections"])),
    )


@dataclass(frozen=True)
class UpsertResult:
    """What one batch of upserts did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged)


def _refuse_foreign(conn: sqlite3.Connection, name: str) -> None:
    """An SQLite database with tables but no evsynth migrations is someone else's: never adopt it."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5])
        conn.close()
        raise StoreError(f"{name}: an SQLite database but not an evsynth store (tables: {shown}); pass another --db")


class Store:
    """A connection to one evidence store file.

    Example:
        >>> store = Store.open(":memory:")
        >>> store.count_records()
        0
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Store:
        """Open (and migrate) the store at ``path``.

        Raises:
            StoreError: the file is missing (with ``create=False``), not an SQLite
                database, corrupt, or its folder is not writable.
        """
        name = str(path)
        if name != ":memory:":
            file = Path(path)
            if not create and not file.exists():
                raise StoreError(f"{file}: store not found (run 'evsynth run' first or pass --db)")
            if file.is_dir():
                raise StoreError(f"{file}: is a directory, not a store file")
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"{file.parent}: cannot create folder ({err.strerror})") from None
        try:
            conn = sqlite3.connect(name, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            if name != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            _refuse_foreign(conn, name)
            apply_migrations(conn)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{name}: cannot use as an evsynth store ({err})") from None
        return cls(conn, name)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An explicit write transaction: all of it lands, or none of it (also on SIGKILL). Inside another, it is
        part of that one (an import of several files is one transaction of many writes)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, kind: str, **fields: Any) -> int:
        """Insert a run with status ``running`` and return its id."""
        fields = {"kind": kind, "started_at": utc_now(), "status": "running", **fields}
        if isinstance(fields.get("manifest"), dict):
            fields["manifest"] = json.dumps(fields["manifest"])
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.transaction():
            cursor = self.conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", tuple(fields.values()))
        return int(cursor.lastrowid or 0)

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Update columns of a run (``manifest`` may be a dict)."""
        if isinstance(fields.get("manifest"), dict):
            fields["manifest"] = json.dumps(fields["manifest"], sort_keys=True)
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction():
            self.conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id))

    def run(self, run_id: int) -> dict[str, Any]:
        """Return a run as a dict, with the manifest decoded."""
        row = self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no run {run_id}")
        data = dict(row)
        data["manifest"] = json.loads(data["manifest"] or "{}")
        return data

    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """All runs (of ``kind`` if given), oldest first."""
        sql = "SELECT id FROM runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return [self.run(row[0]) for row in self.conn.execute(sql, (kind,) if kind else ())]

    def unfinished_run(self, protocol_name: str, protocol_hash: str) -> dict[str, Any] | None:
        """The last harvest run of this protocol if it did not complete (to resume it)."""
        row = self.conn.execute(
            "SELECT id, status, protocol_hash FROM runs WHERE kind = 'harvest' AND protocol_name = ? "
            "ORDER BY id DESC LIMIT 1",
            (protocol_name,),
        ).fetchone()
        if row is None or row["status"] == "complete" or row["protocol_hash"] != protocol_hash:
            return None
        return self.run(row["id"])

    def last_complete_run(self, protocol_name: str) -> dict[str, Any] | None:
        """The last complete harvest run of this protocol."""
        row = self.conn.execute(
            "SELECT id FROM runs WHERE kind = 'harvest' AND protocol_name = ? AND status = 'complete' "
            "ORDER BY id DESC LIMIT 1",
            (protocol_name,),
        ).fetchone()
        return self.run(row[0]) if row else None

    # -- records ---------------------------------------------------------------------------

    def upsert_records(
        self, records: Iterable[Record], run_id: int, *, format_name: str, sighting: str | None = None
    ) -> UpsertResult:
        """Insert or update ``records`` and record that ``run_id`` saw them (as ``sighting``, else each record's
        source), in one transaction. See :meth:`upsert_rows`."""
        rows = ((row_values(record, format_name), sighting or record.source) for record in records)
        return self.upsert_rows(rows, run_id, format_name=format_name)

    def upsert_rows(self, rows: Iterable[tuple[dict[str, Any], str]], run_id: int, *, format_name: str) -> UpsertResult:
        """Insert or update records given as (:func:`row_values`, sighting) and record that ``run_id`` saw them,
        in one transaction.

        A stored record is overwritten only by a source at least as rich as the one
        it came from, and only if its content changed (``updated_run`` is then set).
        ``rows`` may be a stream: they are written in batches as they come, never all held.
        """
        total = UpsertResult()
        rank = SOURCE_RANK.get(format_name, 1)
        with self.transaction():
            batch: dict[str, tuple[dict[str, Any], str]] = {}
            for values, sighting in rows:
                if values["record_key"] in batch or len(batch) >= _BATCH:  # a repeat is written after the first
                    total = total + self._upsert_batch(list(batch.values()), run_id, rank)
                    batch = {}
                batch[values["record_key"]] = (values, sighting)
            total = total + self._upsert_batch(list(batch.values()), run_id, rank)
        return total

    def _upsert_batch(self, batch: list[tuple[dict[str, Any], str]], run_id: int, rank: int) -> UpsertResult:
        """Upsert rows with distinct record keys (inside the caller's transaction), with a sighting each."""
        if not batch:
            return UpsertResult()
        existing = {
            row["record_key"]: row
            for row in self.conn.execute(
                "SELECT id, record_key, content_hash, source_rank FROM records WHERE record_key IN "
                f"({','.join('?' * len(batch))})",
                [values["record_key"] for values, _ in batch],
            )
        }
        inserts = [values for values, _ in batch if values["record_key"] not in existing]
        if inserts:
            columns = [*inserts[0], "first_seen_run"]
            self.conn.executemany(
                f"INSERT INTO records ({', '.join(columns)}) VALUES ({', '.join(f':{name}' for name in columns)})",
                ({**values, "first_seen_run": run_id} for values in inserts),
            )
        updates = []
        for values, _ in batch:
            row = existing.get(values["record_key"])
            if row is not None and row["content_hash"] != values["content_hash"] and rank >= row["source_rank"]:
                updates.append({**values, "updated_run": run_id, "id": row["id"]})
        if updates:
            names = [name for name in updates[0] if name not in ("record_key", "id")]
            self.conn.executemany(
                f"UPDATE records SET {', '.join(f'{name} = :{name}' for name in names)} WHERE id = :id", updates
            )
        self.conn.executemany(
            "INSERT INTO run_records (run_id, record_id, source, is_new) "
            "SELECT ?, id, ?, ? FROM records WHERE record_key = ? "
            "ON CONFLICT DO UPDATE SET is_new = max(is_new, excluded.is_new)",
            (
                (run_id, source, int(values["record_key"] not in existing), values["record_key"])
                for values, source in batch
            ),
        )
        return UpsertResult(new=len(inserts), updated=len(updates), unchanged=len(batch) - len(inserts) - len(updates))

    def mark_seen(self, run_id: int, pmids: Iterable[str], source: str = "pubmed") -> int:
        """Record that ``run_id`` saw the stored records with these PMIDs; return how many."""
        count = 0
        with self.transaction():
            for pmid in pmids:
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO run_records (run_id, record_id, source, is_new) "
                    "SELECT ?, id, ?, 0 FROM records WHERE pmid = ?",
                    (run_id, source, pmid),
                )
                count += cursor.rowcount
        return count

    def mark_deleted(self, run_id: int, pmids: Iterable[str]) -> int:
        """Flag records that PubMed deleted (DeleteCitation); they are kept, not removed."""
        with self.transaction():
            return sum(
                self.conn.execute(
                    "UPDATE records SET deleted_run = ? WHERE pmid = ? AND deleted_run IS NULL", (run_id, p)
                ).rowcount
                for p in pmids
            )

    def stored_pmids(self, *, min_rank: int = 0) -> set[str]:
        """PMIDs in the store (only those held from a source of at least ``min_rank``)."""
        sql = "SELECT pmid FROM records WHERE pmid IS NOT NULL AND source_rank >= ?"
        return {row[0] for row in self.conn.execute(sql, (min_rank,))}

    def count_records(self) -> int:
        """How many records the store holds."""
        return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])

    def iter_records(self, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[sqlite3.Row]:
        """Iterate over ``records`` rows (optionally filtered by an SQL ``where`` clause)."""
        sql = "SELECT * FROM records" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        yield from self.conn.execute(sql, params)

    def get_record(self, pmid: str) -> Record | None:
        """The stored record with this PMID, or None."""
        row = self.conn.execute("SELECT * FROM records WHERE pmid = ?", (pmid,)).fetchone()
        return row_to_record(row) if row else None

    def raw_xml(self, pmid: str) -> bytes:
        """The stored raw XML of a record (decompressed), or b""."""
        row = self.conn.execute("SELECT raw FROM records WHERE pmid = ?", (pmid,)).fetchone()
        return zlib.decompress(row[0]) if row and row[0] else b""

    def set_clusters(self, assignments: Iterable[tuple[int, int, str | None]]) -> None:
        """Store duplicate clusters: (record id, primary record id, reason or None)."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE records SET cluster_id = ?, duplicate_reason = ? WHERE id = ?",
                ((primary, reason, record_id) for record_id, primary, reason in assignments),
            )

    def add_import(self, run_id: int, path: str, source: str, format_name: str, sha256: str, n: int) -> None:
        """Log one imported file."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO imports (run_id, path, source, format, sha256, records, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, path, source, format_name, sha256, n, utc_now()),
            )

    def earlier_import(self, sha256: str, other_than: str) -> tuple[str, str] | None:
        """(source, date) of an earlier import of the same bytes under another source name, or None."""
        row = self.conn.execute(
            "SELECT source, imported_at FROM imports WHERE sha256 = ? AND source != ? ORDER BY id LIMIT 1",
            (sha256, other_than),
        ).fetchone()
        return None if row is None else (row[0], row[1][:10])

    # -- snapshots -------------------------------------------------------------------------

    def save_snapshot(
        self,
        protocol_name: str,
        run_id: int | None,
        fingerprint: str,
        state: Any,
        changes: Any,
        outputs: dict[str, list[int]] | None = None,
    ) -> int:
        """Keep what a run left the review as (``state``), what it found changed (JSON-able) and the outputs it
        wrote (``{name: [size, mtime_ns]}``)."""

        def pack(value: Any) -> bytes:
            return zlib.compress(json.dumps(value, sort_keys=True, separators=(",", ":")).encode(), 6)

        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO snapshots (protocol_name, run_id, created_at, fingerprint, state, changes, outputs) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    protocol_name,
                    run_id,
                    utc_now(),
                    fingerprint,
                    pack(state),
                    pack(changes),
                    None if outputs is None else json.dumps(outputs, sort_keys=True),
                ),  # fmt: skip
            )
        return int(cursor.lastrowid or 0)

    def set_snapshot_outputs(self, protocol_name: str, outputs: dict[str, list[int]]) -> None:
        """Record the outputs written again for the protocol's last snapshot (``{name: [size, mtime_ns]}``)."""
        with self.transaction():
            self.conn.execute(
                "UPDATE snapshots SET outputs = ? WHERE id = (SELECT max(id) FROM snapshots WHERE protocol_name = ?)",
                (json.dumps(outputs, sort_keys=True), protocol_name),
            )

    def latest_snapshot(self, protocol_name: str) -> dict[str, Any] | None:
        """The last snapshot of this protocol, ``state`` and ``changes`` decoded; None before the first."""
        row = self.conn.execute(
            "SELECT * FROM snapshots WHERE protocol_name = ? ORDER BY id DESC LIMIT 1", (protocol_name,)
        ).fetchone()
        if row is None:
            return None
        data = dict(row)
        for name in ("state", "changes"):
            data[name] = json.loads(zlib.decompress(data[name]))
        data["outputs"] = json.loads(data["outputs"]) if data["outputs"] else None
        return data

    def integrity_ok(self) -> bool:
        """Whether ``PRAGMA integrity_check`` reports ok."""
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
