"""The extract stage over the store: tag the records a protocol includes, keep their mentions, read them back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from evsynth.formats.annotations import Document, record_document
from evsynth.models import Mention
from evsynth.screening.screen import PRIMARY, latest_decisions
from evsynth.store.database import Store, utc_now
from evsynth.tagger.tagger import Tagger

TAGGER_VERSION = "11"  # bump when a change to the tagger changes mentions: stored mentions are then redone


@dataclass
class TagResult:
    tagged: int = 0  # records (re)tagged now
    reused: int = 0  # records whose stored mentions still hold
    mentions: int = 0  # mentions across all the records asked for


def tagger_key(tagger: Tagger) -> str:
    return f"{TAGGER_VERSION}:{tagger.lexicon.digest}"


def records_to_tag(store: Store, protocol_name: str, screened: bool) -> list[int]:
    """The protocol's included records, or every primary record when the protocol does not screen."""
    if screened:
        state = latest_decisions(store, protocol_name)
        return sorted(rid for rid, row in state.items() if row["decision"] == "include")
    return [
        row[0]
        for row in store.conn.execute(f"SELECT id FROM records WHERE {PRIMARY} AND deleted_run IS NULL ORDER BY id")
    ]


def tag_store(
    store: Store, record_ids: Iterable[int], tagger: Tagger, progress: Callable[[int], None] | None = None
) -> TagResult:
    """Tag the given records, skipping those already tagged from the same content by the same tagger."""
    key = tagger_key(tagger)
    result = TagResult()
    ids = sorted(set(record_ids))
    rows = store.conn.execute("SELECT record_id, content_hash, tagger FROM tagged")
    done = {row[0]: (row[1], row[2]) for row in rows}
    with store.transaction() as conn:
        for number, record_id in enumerate(ids, 1):
            row = conn.execute(
                "SELECT pmid, record_key, title, abstract, content_hash FROM records WHERE id = ?", (record_id,)
            ).fetchone()
            if done.get(record_id) == (row["content_hash"], key):
                result.reused += 1
                continue
            doc = record_document(row["pmid"] or row["record_key"], row["title"] or "", row["abstract"] or "")
            mentions = tagger.tag(doc.text)
            conn.execute("DELETE FROM mentions WHERE record_id = ?", (record_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO mentions (record_id, start, end, text, type, norm_id, sentence, attrs) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (record_id, m.start, m.end, m.text, m.type, m.id, m.sentence, json.dumps(dict(m.attrs)))
                    for m in mentions
                ],
            )
            conn.execute(
                "INSERT OR REPLACE INTO tagged (record_id, content_hash, tagger, tagged_at, n_mentions) "
                "VALUES (?, ?, ?, ?, ?)",
                (record_id, row["content_hash"], key, utc_now(), len(mentions)),
            )
            result.tagged += 1
            if progress and number % 500 == 0:
                progress(number)
    placeholders = ",".join("?" * len(ids))
    if ids:
        result.mentions = store.conn.execute(
            f"SELECT count(*) FROM mentions WHERE record_id IN ({placeholders})", ids
        ).fetchone()[0]
    return result


def stored_documents(store: Store, record_ids: Iterable[int]) -> list[Document]:
    """The records as documents carrying their stored mentions, in PMID order."""
    docs = []
    for record_id in record_ids:
        row = store.conn.execute(
            "SELECT pmid, record_key, title, abstract, pub_year, doi FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        doc = record_document(
            row["pmid"] or row["record_key"],
            row["title"] or "",
            row["abstract"] or "",
            year=row["pub_year"],
            doi=row["doi"] or None,
        )
        doc.fields["record"] = row["record_key"]
        doc.mentions = [
            Mention(
                m["start"],
                m["end"],
                m["text"],
                m["type"],
                m["norm_id"],
                m["sentence"],
                tuple(json.loads(m["attrs"]).items()),
            )
            for m in store.conn.execute("SELECT * FROM mentions WHERE record_id = ? ORDER BY start, end", (record_id,))
        ]
        docs.append(doc)
    return sorted(docs, key=lambda d: (len(d.id), d.id))
