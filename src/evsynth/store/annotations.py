"""Other sources' annotations in the store: what each source said of a record, and its mentions placed on the
record's text (see ``m007_annotations``)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from evsynth.models import Mention
from evsynth.store.database import Store, utc_now
from evsynth.store.records import chunks


@dataclass(frozen=True)
class AnnotationState:
    """What a source last said of a record."""

    status: str  # annotated | unknown
    content_hash: str  # the record content its annotations were placed on
    fetched_at: str
    version: str
    origin: str
    problems: tuple[str, ...]


def annotation_states(store: Store, source: str, record_ids: Iterable[int]) -> dict[int, AnnotationState]:
    """record id -> the source's last word on it, for the records given."""
    found = {}
    for chunk in chunks(sorted(set(record_ids))):
        sql = (
            "SELECT record_id, status, content_hash, fetched_at, version, origin, problems FROM annotation_docs "
            f"WHERE source = ? AND record_id IN ({','.join('?' * len(chunk))})"
        )
        for row in store.conn.execute(sql, [source, *chunk]):
            found[row[0]] = AnnotationState(row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])))
    return found


def save_annotations(
    store: Store,
    record_id: int,
    source: str,
    *,
    status: str,
    content_hash: str,
    origin: str,
    version: str = "",
    raw: dict[str, Any] | None = None,
    problems: list[str] | tuple[str, ...] = (),
    mentions: Iterable[Mention] = (),
) -> None:
    """Keep what ``source`` said of a record in place of what it said before (inside the caller's transaction)."""
    conn = store.conn
    conn.execute("DELETE FROM annotation_mentions WHERE record_id = ? AND source = ?", (record_id, source))
    conn.executemany(
        "INSERT OR IGNORE INTO annotation_mentions (record_id, source, start, end, text, type, norm_id, sentence, "
        "attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(record_id, source, m.start, m.end, m.text, m.type, m.id, m.sentence, json.dumps(dict(m.attrs)))
         for m in mentions],
    )  # fmt: skip
    packed = zlib.compress(json.dumps(raw, ensure_ascii=False).encode()) if raw is not None else None
    conn.execute(
        "INSERT OR REPLACE INTO annotation_docs (record_id, source, status, version, origin, fetched_at, "
        "content_hash, raw, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record_id, source, status, version, origin, utc_now(), content_hash, packed, json.dumps(list(problems))),
    )


def annotation_mentions(store: Store, record_ids: Iterable[int], source: str) -> Iterator[tuple[int, Mention]]:
    """(record id, mention) for a source's placed annotations of the records, each record's in text order."""
    for chunk in chunks(sorted(set(record_ids))):
        rows = store.conn.execute(
            f"SELECT record_id, start, end, text, type, norm_id, sentence, attrs FROM annotation_mentions "
            f"WHERE source = ? AND record_id IN ({','.join('?' * len(chunk))}) ORDER BY record_id, start, end",
            [source, *chunk],
        )
        for m in rows:
            yield m[0], Mention(m[1], m[2], m[3], m[4], m[5], m[6], tuple(json.loads(m[7]).items()))


def records_named(store: Store, names: Iterable[str]) -> dict[str, int]:
    """name -> record id, for the names that are a record's PMID or, failing that, its record key."""
    wanted = sorted(set(names))
    found: dict[str, int] = {}
    for column in ("record_key", "pmid"):  # a PMID wins over a record key spelt the same
        for chunk in chunks(wanted):
            sql = f"SELECT {column}, id FROM records WHERE {column} IN ({','.join('?' * len(chunk))})"
            found.update(store.conn.execute(sql, list(chunk)).fetchall())
    return found


def record_keys(store: Store, record_ids: Iterable[int]) -> dict[int, str]:
    """record id -> record key, for the records given."""
    found: dict[int, str] = {}
    for chunk in chunks(sorted(set(record_ids))):
        sql = f"SELECT id, record_key FROM records WHERE id IN ({','.join('?' * len(chunk))})"
        found.update(store.conn.execute(sql, list(chunk)).fetchall())
    return found
