"""Mentions in the store: what the tagger found in each record, and which content and tagger it was found with.

``tagged`` says which content (hash) and tagger a record's mentions were made from, so a later run tags again
only new or changed records, or all of them when the tagger changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from evsynth.models import Mention
from evsynth.store.database import Store, utc_now
from evsynth.store.records import chunks


def tagged_with(store: Store) -> dict[int, tuple[str, str]]:
    """record id -> (content hash, tagger key) its stored mentions were made from."""
    return {
        row[0]: (row[1], row[2]) for row in store.conn.execute("SELECT record_id, content_hash, tagger FROM tagged")
    }


def record_texts(store: Store, record_ids: Iterable[int]) -> Iterator[Any]:
    """(id, pmid, record_key, title, abstract, pub_year, doi, content_hash) rows of the records, in the order asked."""
    for record_id in record_ids:
        yield store.conn.execute(
            "SELECT id, pmid, record_key, title, abstract, pub_year, doi, content_hash FROM records WHERE id = ?",
            (record_id,),
        ).fetchone()


def replace_mentions(store: Store, record_id: int, content_hash: str, tagger_key: str, mentions: list[Mention]) -> None:
    """Store a record's mentions in place of its earlier ones (inside the caller's transaction)."""
    conn = store.conn
    conn.execute("DELETE FROM mentions WHERE record_id = ?", (record_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO mentions (record_id, start, end, text, type, norm_id, sentence, attrs) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(record_id, m.start, m.end, m.text, m.type, m.id, m.sentence, json.dumps(dict(m.attrs))) for m in mentions],
    )
    conn.execute(
        "INSERT OR REPLACE INTO tagged (record_id, content_hash, tagger, tagged_at, n_mentions) VALUES (?, ?, ?, ?, ?)",
        (record_id, content_hash, tagger_key, utc_now(), len(mentions)),
    )


def count_mentions(store: Store, record_ids: list[int]) -> int:
    """How many mentions the records have."""
    if not record_ids:
        return 0
    placeholders = ",".join("?" * len(record_ids))
    sql = f"SELECT count(*) FROM mentions WHERE record_id IN ({placeholders})"
    return int(store.conn.execute(sql, record_ids).fetchone()[0])


def stored_mentions(store: Store, record_id: int) -> list[Mention]:
    """A record's stored mentions, in text order."""
    rows = store.conn.execute("SELECT * FROM mentions WHERE record_id = ? ORDER BY start, end", (record_id,))
    return [
        Mention(m["start"], m["end"], m["text"], m["type"], m["norm_id"], m["sentence"],
                tuple(json.loads(m["attrs"]).items()))
        for m in rows
    ]  # fmt: skip


def mentions_of(store: Store, record_ids: Iterable[int]) -> Iterator[tuple[int, Mention]]:
    """(record id, mention) for the records' stored mentions, in chunks of ids, each record's in text order."""
    for chunk in chunks(sorted(set(record_ids))):
        rows = store.conn.execute(
            f"SELECT record_id, start, end, text, type, norm_id, sentence, attrs FROM mentions "
            f"WHERE record_id IN ({','.join('?' * len(chunk))}) ORDER BY record_id, start, end",
            chunk,
        )
        for m in rows:
            yield m[0], Mention(m[1], m[2], m[3], m[4], m[5], m[6], tuple(json.loads(m[7]).items()))
