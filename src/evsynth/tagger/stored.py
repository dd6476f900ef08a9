"""The extract stage over the store: tag the records a review covers, keep their mentions, read them back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from evsynth.formats.annotations import Document, record_document
from evsynth.store.database import Store
from evsynth.store.mentions import count_mentions, record_texts, replace_mentions, stored_mentions, tagged_with
from evsynth.tagger.tagger import Tagger
from evsynth.tagger.wordlists import tagger_identity


@dataclass
class TagResult:
    tagged: int = 0  # records (re)tagged now
    reused: int = 0  # records whose stored mentions still hold
    mentions: int = 0  # mentions across all the records asked for


def tagger_key(tagger: Tagger) -> str:
    """The tagger's identity, tier and lexicon's (a tagger may be given another lexicon than the packaged one)."""
    tier = "" if tagger.tier == "dictionary" else f":{tagger.tier}"  # the dictionary tier's keys as before tiers
    return f"{tagger_identity()[:16]}:{tagger.lexicon.digest}{tier}"


def tag_store(
    store: Store, record_ids: Iterable[int], tagger: Tagger, progress: Callable[[int], None] | None = None
) -> TagResult:
    """Tag the given records, skipping those already tagged from the same content by the same tagger."""
    key = tagger_key(tagger)
    result = TagResult()
    ids = sorted(set(record_ids))
    done = tagged_with(store)
    with store.transaction():
        for number, row in enumerate(record_texts(store, ids), 1):
            if done.get(row["id"]) == (row["content_hash"], key):
                result.reused += 1
                continue
            doc = record_document(row["pmid"] or row["record_key"], row["title"] or "", row["abstract"] or "")
            replace_mentions(store, row["id"], row["content_hash"], key, tagger.tag(doc.text))
            result.tagged += 1
            if progress and number % 500 == 0:
                progress(number)
    result.mentions = count_mentions(store, ids)
    return result


def stored_documents(store: Store, record_ids: Iterable[int]) -> list[Document]:
    """The records as documents carrying their stored mentions, in PMID order."""
    docs = []
    for row in record_texts(store, record_ids):
        doc = record_document(
            row["pmid"] or row["record_key"],
            row["title"] or "",
            row["abstract"] or "",
            year=row["pub_year"],
            doi=row["doi"] or None,
        )
        doc.fields["record"] = row["record_key"]
        doc.mentions = stored_mentions(store, row["id"])
        docs.append(doc)
    return sorted(docs, key=lambda d: (len(d.id), d.id))
