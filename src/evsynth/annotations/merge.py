"""evsynth's own tags and PubTator3's annotations merged as the protocol's extraction policy says.

For each entity group (genes, variants, chemicals) the policy takes evsynth's mentions, PubTator3's, or both.
Where two kept mentions overlap:

* within one group, the policy's source wins (``pubtator3``); with ``both``, the longer span, and evsynth's on
  a tie (its mention carries more: the species, the match);
* across groups, or against a type only evsynth tags (microRNAs, families, procedures), evsynth's mention
  stays and PubTator3's gives way (PubTator3 tags MIR132 as a gene where evsynth tags miR-132).

A record PubTator3 has no document for keeps evsynth's tags for every group. Every mention keeps its source:
PubTator3's carry ``source: pubtator3``; evsynth's carry none.

Example:
    >>> from evsynth.models import Mention
    >>> own = [Mention(0, 4, "BDNF", "gene", "627", 0, (("symbol", "BDNF"),))]
    >>> theirs = [Mention(0, 4, "BDNF", "gene", "627", 0, (("symbol", "BDNF"), ("source", "pubtator3")))]
    >>> [dict(m.attrs).get("source", "evsynth") for m in merge_mentions(own, theirs, ExtractionPolicy("pubtator3"))]
    ['pubtator3']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from evsynth.annotations.convert import group_of
from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.formats.annotations import Document
from evsynth.models import Mention
from evsynth.protocol.extraction import GROUPS, PUBTATOR3, ExtractionPolicy
from evsynth.store.annotations import annotation_mentions, annotation_states, record_keys
from evsynth.store.database import Store
from evsynth.store.mentions import mentions_of
from evsynth.store.records import pmids_by_id
from evsynth.tagger.stored import stored_documents


def _group(mention: Mention) -> str | None:
    return group_of(mention.type, dict(mention.attrs))


def merge_mentions(own: list[Mention], external: list[Mention] | None, policy: ExtractionPolicy) -> list[Mention]:
    """One record's mentions under ``policy``; ``external`` None: the source has no document for the record."""
    if external is None or not policy.external:
        return own
    kept_own = [m for m in own if (g := _group(m)) is None or policy.source(g) != PUBTATOR3]
    wanted = [m for m in external if (g := _group(m)) is not None and policy.source(g) != "evsynth"]
    # PubTator3's mentions, longest first, each kept unless it overlaps one kept before it or one of evsynth's
    # that wins (see the module docstring)
    taken: list[Mention] = []
    for mention in sorted(wanted, key=lambda m: (m.start - m.end, m.start)):
        if any(_overlap(mention, other) for other in taken):
            continue
        group = _group(mention)
        rivals = [m for m in kept_own if _overlap(mention, m)]
        if any(_group(m) != group or not _longer(mention, m) for m in rivals):
            continue
        kept_own = [m for m in kept_own if m not in rivals]
        taken.append(mention)
    return sorted(kept_own + taken, key=lambda m: (m.start, m.end, m.type))


def _overlap(a: Mention, b: Mention) -> bool:
    return a.start < b.end and b.start < a.end


def _longer(theirs: Mention, own: Mention) -> bool:
    """Whether PubTator3's mention beats evsynth's in a group whose policy is ``both``."""
    return theirs.end - theirs.start > own.end - own.start


def merged_mentions(store: Store, record_ids: Iterable[int], policy: ExtractionPolicy) -> Iterator[tuple[int, Mention]]:
    """(record id, mention) for the records under the policy, each record's in text order (as
    :func:`evsynth.store.mentions.mentions_of` gives evsynth's own)."""
    ids = sorted(set(record_ids))
    if not policy.external:
        yield from mentions_of(store, ids)
        return
    own: dict[int, list[Mention]] = defaultdict(list)
    for record_id, mention in mentions_of(store, ids):
        own[record_id].append(mention)
    for record_id, mentions in _merged(store, ids, own, policy):
        for mention in mentions:
            yield record_id, mention


def _merged(
    store: Store, ids: list[int], own: dict[int, list[Mention]], policy: ExtractionPolicy
) -> Iterator[tuple[int, list[Mention]]]:
    annotated = {rid for rid, state in annotation_states(store, PUBTATOR3, ids).items() if state.status == "annotated"}
    theirs: dict[int, list[Mention]] = defaultdict(list)
    for record_id, mention in annotation_mentions(store, annotated, PUBTATOR3):
        theirs[record_id].append(mention)
    for record_id in ids:
        external = theirs[record_id] if record_id in annotated else None
        yield record_id, merge_mentions(own.get(record_id, []), external, policy)


def review_documents(store: Store, record_ids: Iterable[int], policy: ExtractionPolicy) -> list[Document]:
    """The records as documents carrying their mentions under the policy (mentions.jsonl, PubTator, BioC)."""
    ids = sorted(set(record_ids))
    docs = stored_documents(store, ids)
    if not policy.external:
        return docs
    by_key = {doc.fields["record"]: doc for doc in docs}
    keys = record_keys(store, ids)
    own = {record_id: by_key[keys[record_id]].mentions for record_id in ids if keys.get(record_id) in by_key}
    for record_id, mentions in _merged(store, ids, own, policy):
        if keys.get(record_id) in by_key:
            by_key[keys[record_id]].mentions = mentions
    return docs


STATUS_COLUMNS = ("pmid", "record", "pubtator3", "version", "mentions_from", "problems")


def write_annotation_status(store: Store, record_ids: Iterable[int], policy: ExtractionPolicy, path: Path) -> Path:
    """annotation-sources.csv: for each record, what PubTator3 said of it and whose mentions the review used."""
    ids = sorted(set(record_ids))
    states = annotation_states(store, PUBTATOR3, ids)
    pmids = pmids_by_id(store, ids)
    keys = record_keys(store, ids)
    groups = [g for g in GROUPS if policy.source(g) != "evsynth"]
    with atomic_writer(path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=STATUS_COLUMNS)
        writer.writeheader()
        for record_id in sorted(ids, key=lambda i: (len(pmids.get(i) or keys[i]), pmids.get(i) or keys[i])):
            state = states.get(record_id)
            if state is not None and state.status == "annotated":
                used = "; ".join(f"{g}: {policy.source(g)}" for g in groups)
            else:
                used = "evsynth (PubTator3 has no document for it)" if state else "evsynth (not asked yet)"
            status = state.status if state else ("not asked: no PMID" if not pmids.get(record_id) else "not asked")
            writer.writerow({"pmid": pmids.get(record_id, ""), "record": keys[record_id], "pubtator3": status,
                             "version": state.version if state else "", "mentions_from": used,
                             "problems": " | ".join(state.problems) if state else ""})  # fmt: skip
    return path
