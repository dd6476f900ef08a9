"""Annotations into the store: fetched from PubTator3 for a review's records, or imported from files.

A document is placed on the record's text (:mod:`evsynth.annotations.align`), its annotations become evsynth
mentions (:mod:`evsynth.annotations.convert`), and the two are kept together with the document as received and
what could not be placed (:mod:`evsynth.store.annotations`). A record is asked again only when it is new to the
source, its content changed since, or the source did not know it a week or more ago (PubTator3 adds new
PubMed records weekly). A batch whose answer never comes whole (an HTML error page, a broken body, after the
client's retries) changes nothing: its records are reported as failed, keep evsynth's tags, and are asked at
the next run. An imported file lands whole or not at all.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evsynth.annotations.align import align_spans
from evsynth.annotations.convert import Converter
from evsynth.annotations.documents import AnnotatedDocument, parse_annotations
from evsynth.errors import EutilsError, InputFileError
from evsynth.formats.annotations import record_document
from evsynth.models import Mention
from evsynth.protocol.extraction import PUBTATOR3
from evsynth.sources.eutils import PUBTATOR3_BATCH, PubTator3, RetryableBody
from evsynth.store.annotations import AnnotationState, annotation_states, records_named, save_annotations
from evsynth.store.database import Store
from evsynth.store.mentions import record_texts
from evsynth.tagger.tagger import sentence_starts

ASK_UNKNOWN_AGAIN = dt.timedelta(days=7)


@dataclass
class AnnotationResult:
    """What fetching or importing annotations did, record by record where it matters."""

    source: str
    annotated: int = 0  # records given a document now
    reused: int = 0  # records whose stored document still holds
    unknown: list[str] = field(default_factory=list)  # the source has no document for these (PMIDs or keys)
    failed: dict[str, str] = field(default_factory=dict)  # PMID -> why its batch's answer never came whole
    problems: dict[str, list[str]] = field(default_factory=dict)  # PMID -> annotations that could not be placed
    unmatched: list[str] = field(default_factory=list)  # an imported file's documents the store has no record of
    requests: int = 0

    def summary(self) -> str:
        """One line for the CLI."""
        parts = [f"{self.annotated} records annotated"]
        if self.reused:
            parts.append(f"{self.reused} kept from before")
        if self.requests:
            parts.append(f"{self.requests} request{'s' if self.requests != 1 else ''}")
        if self.unknown:
            parts.append(f"{len(self.unknown)} not known to {self.source} (evsynth's tags used)")
        if self.failed:
            parts.append(f"{len(self.failed)} failed (evsynth's tags used; asked again next run)")
        if self.problems:
            dropped = sum(map(len, self.problems.values()))
            parts.append(f"{dropped} annotations in {len(self.problems)} records could not be placed")
        if self.unmatched:
            parts.append(f"{len(self.unmatched)} documents match no record")
        return f"{self.source}: " + ", ".join(parts)


def place(doc: AnnotatedDocument, row: Any, converter: Converter, source: str) -> tuple[list[Mention], list[str]]:
    """A document's annotations as mentions of the record ``row`` (its stored title and abstract), and the
    problems: annotations that could not be read or placed."""
    text_doc = record_document(row["pmid"] or row["record_key"], row["title"] or "", row["abstract"] or "")
    text = text_doc.text
    spans, problems = align_spans(text, doc.passages, [(a.start, a.end, a.text) for a in doc.annotations],
                                  text_doc.title)  # fmt: skip
    starts = sentence_starts(text)
    mentions = []
    for annotation, span in zip(doc.annotations, spans, strict=True):
        made = converter.convert(annotation, source) if span else None
        if span is None or made is None:
            continue
        kind, ident, attrs = made
        start, end = span
        sentence = bisect.bisect_right(starts, start) - 1
        mentions.append(Mention(start, end, text[start:end], kind, ident, sentence, tuple(attrs.items())))
    return mentions, [*doc.problems, *problems]


def _due(state: AnnotationState | None, content_hash: str, now: dt.datetime) -> bool:
    if state is None or state.content_hash != content_hash:
        return True
    if state.status != "unknown":
        return False
    return now - dt.datetime.fromisoformat(state.fetched_at) >= ASK_UNKNOWN_AGAIN


def _parse_answer(body: bytes) -> list[AnnotatedDocument]:
    try:
        return parse_annotations(body, "PubTator3's answer")
    except InputFileError as err:
        raise RetryableBody(str(err)) from None


def fetch_pubtator3(
    store: Store,
    record_ids: Iterable[int],
    client: PubTator3,
    converter: Converter,
    *,
    now: dt.datetime | None = None,
) -> AnnotationResult:
    """Ask PubTator3 for the records (those with a PMID) it has not answered for yet, 100 a request.

    Raises:
        CassetteError: replaying a cassette that has no answer for a request (recorded for other records).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    result = AnnotationResult(PUBTATOR3)
    ids = sorted(set(record_ids))
    states = annotation_states(store, PUBTATOR3, ids)
    rows = [row for row in record_texts(store, ids) if row["pmid"]]
    due = [row for row in rows if _due(states.get(row["id"]), row["content_hash"], now)]
    result.reused = len(rows) - len(due)
    before = client.stats.requests
    for start in range(0, len(due), PUBTATOR3_BATCH):
        batch = due[start : start + PUBTATOR3_BATCH]
        try:
            docs = client.export_biocjson([row["pmid"] for row in batch], _parse_answer)
        except EutilsError as err:  # HarvestGaveUp too (not CassetteError): this batch keeps evsynth's tags
            result.failed.update((row["pmid"], str(err)) for row in batch)
            continue
        _keep(store, [(row["pmid"], row) for row in batch], {doc.id: doc for doc in docs}, converter, result,
              client.base_url)  # fmt: skip
    result.requests = client.stats.requests - before
    return result


def _keep(
    store: Store,
    rows: Sequence[tuple[str, Any]],
    docs: dict[str, AnnotatedDocument],
    converter: Converter,
    result: AnnotationResult,
    origin: str,
) -> None:
    """Store each (name, record row)'s document, the one named so, or that the source has none (one
    transaction)."""
    with store.transaction():
        for key, row in rows:
            doc = docs.get(key)
            if doc is None:
                save_annotations(store, row["id"], result.source, status="unknown", content_hash=row["content_hash"],
                                 origin=origin)  # fmt: skip
                result.unknown.append(key)
                continue
            mentions, problems = place(doc, row, converter, result.source)
            save_annotations(store, row["id"], result.source, status="annotated", content_hash=row["content_hash"],
                             origin=origin, version=doc.version, raw=doc.bioc_json(), problems=problems,
                             mentions=mentions)  # fmt: skip
            result.annotated += 1
            if problems:
                result.problems[key] = problems


def import_annotations(
    store: Store, docs: list[AnnotatedDocument], converter: Converter, *, source: str, origin: str
) -> AnnotationResult:
    """Keep a file's documents for the records they name (by PMID, or by record key for records without one),
    all in one transaction."""
    result = AnnotationResult(source)
    named = records_named(store, (doc.id for doc in docs))
    result.unmatched = [doc.id for doc in docs if doc.id not in named]
    rows = {row["id"]: row for row in record_texts(store, sorted(set(named.values())))}
    known = [(doc.id, rows[named[doc.id]]) for doc in docs if doc.id in named]
    _keep(store, known, {doc.id: doc for doc in docs}, converter, result, origin)
    return result
