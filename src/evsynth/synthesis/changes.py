"""What an update changed.

After every run the review's state is kept in the store as a *snapshot*:

* ``fingerprint``: a digest of everything the outputs are made from (each record's
  content hash, duplicate cluster and deletion; the protocol; its pathway modules; the
  reviewer's decisions file; evsynth and tagger versions). Equal fingerprints mean the
  outputs would come out the same, so an update can stop after the harvest.
* ``state``: every record's decision (``include``/``exclude``/``uncertain``,
  ``duplicate``, ``deleted``, ``unscreened``) and a short content hash; the graph's
  evidence edges with their PMIDs; the convergent pathways; retraction/erratum notices
  on primary records (reported when the record is or was included).

:func:`compare` turns the previous and the new state into the ``changes.json``
document; :func:`write_changes` writes it with ``changes.md``. A record is new when
its key (PMID, or the store's key for records without one) was not in the previous
state, so a record shows up in exactly one update's changes, and an update killed
before it saved its snapshot is reported in full by the next one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import networkx as nx

from evsynth.models import is_retracted
from evsynth.protocol.loader import Protocol
from evsynth.store.database import Store, utc_now
from evsynth.store.decisions import ReviewState
from evsynth.store.records import keys_by_id, record_rows
from evsynth.synthesis.convergence import ConvergenceRow
from evsynth.synthesis.evidence import author_name
from evsynth.tagger.wordlists import tagger_identity
from evsynth.version import __version__

EVIDENCE_RELATIONS = ("co-mention", "variant_of")
NOTICE_TYPES = {
    "RetractionIn": "retraction",
    "ErratumIn": "erratum",
    "ExpressionOfConcernIn": "expression of concern",
    "RepublishedIn": "republished",
    "UpdateIn": "updated version",
}
LISTS = (
    "new_records",
    "newly_included",
    "no_longer_included",
    "updated_records",
    "new_edges",
    "strengthened_edges",
    "newly_convergent",
    "no_longer_convergent",
    "notices",
    "deleted_records",
)


def fingerprint(protocol: Protocol, store: Store, decisions_digest: str) -> str:
    """A digest of every input of the outputs; cheap (no graph, no lexicon load). ``decisions_digest`` is the
    SHA-256 of the decisions file as the run read it (not as it is now: see screening.decisions.read_decisions)."""
    digest = hashlib.sha256()
    for part in (__version__, tagger_identity(), protocol.digest, repr(protocol.modules), decisions_digest):
        digest.update(part.encode() + b"\n")
    columns = ("record_key", "content_hash", "cluster_id", "duplicate_reason", "deleted_run IS NULL")
    for row in record_rows(store, columns, protocol=protocol.name):
        digest.update("\t".join(map(str, tuple(row))).encode() + b"\n")
    return digest.hexdigest()


def _record_key(row: Any) -> str:
    return str(row["pmid"] or row["record_key"])


def _notices(row: Any) -> list[str]:
    links = json.loads(row["comments_corrections"] or "[]")
    found = [f"{NOTICE_TYPES[c['ref_type']]}:{c.get('pmid') or ''}" for c in links if c.get("ref_type") in NOTICE_TYPES]
    retracted = is_retracted(json.loads(row["pub_types"] or "[]"), (c.get("ref_type") for c in links))
    if retracted and not any(n.startswith("retraction:") for n in found):
        found.append("retraction:")  # marked retracted with no notice to link
    return sorted(set(found))


def review_state(store: Store, review: ReviewState, graph: nx.Graph, rows: Iterable[ConvergenceRow]) -> dict[str, Any]:
    """The snapshot ``state`` after a run: records, evidence edges, convergent pathways, notices."""
    decided = review.decisions
    records: dict[str, list[str]] = {}
    notices: dict[str, list[str]] = {}
    columns = (
        "id",
        "pmid",
        "record_key",
        "content_hash",
        "cluster_id",
        "deleted_run",
        "comments_corrections",
        "pub_types",
    )
    for row in record_rows(store, columns, protocol=review.protocol_name):
        if row["deleted_run"] is not None:
            decision = "deleted"
        elif row["cluster_id"] not in (None, row["id"]):
            decision = "duplicate"
        elif not review.screened:
            decision = "include"  # a protocol without criteria takes every primary record
        else:
            decision = decided[row["id"]]["decision"] if row["id"] in decided else "unscreened"
        key = _record_key(row)
        records[key] = [decision, row["content_hash"][:16]]
        if decision not in ("duplicate", "deleted") and (found := _notices(row)):
            notices[key] = found
    edges = {
        "\t".join((*sorted((a, b)), data["relation"])): list(data["pmids"])
        for a, b, data in graph.edges(data=True)
        if data.get("relation") in EVIDENCE_RELATIONS
    }
    convergent = {row.id: row.name for row in rows if row.level == "module" and row.convergent}
    return {"records": records, "edges": edges, "convergent": convergent, "notices": notices}


def _details(store: Store, review: ReviewState, keys: set[str]) -> dict[str, dict[str, Any]]:
    """Citation details and the decision's reasons for the records with these keys."""
    decided = review.decisions
    pmid_of = keys_by_id(store)
    found: dict[str, dict[str, Any]] = {}
    columns = (
        "id",
        "pmid",
        "record_key",
        "doi",
        "title",
        "pub_year",
        "source",
        "authors",
        "cluster_id",
        "duplicate_reason",
    )
    for row in record_rows(store, columns):
        key = _record_key(row)
        if key not in keys:
            continue
        authors = json.loads(row["authors"] or "[]")
        decision = decided.get(row["id"], {})
        primary = row["cluster_id"] if row["cluster_id"] not in (None, row["id"]) else None
        found[key] = {
            "pmid": row["pmid"] or "",
            "record_key": row["record_key"],
            "doi": row["doi"] or "",
            "title": row["title"] or "",
            "year": row["pub_year"],
            "source": row["source"],
            "first_author": author_name(authors[0]) if authors else "",
            "reasons": json.loads(decision.get("reasons") or "[]"),
            "override_reason": decision.get("override_reason") or "",
            "duplicate_of": (pmid_of.get(primary, "") if primary else ""),
            "duplicate_reason": row["duplicate_reason"] or "",
        }
    return found


def _sort_key(item: dict[str, Any]) -> tuple[int, str]:
    key = str(item.get("pmid") or item.get("record_key") or "")
    return (len(key), key)


def _edge(key: str, pmids: list[str], graph: nx.Graph) -> dict[str, Any]:
    a, b, relation = key.split("\t")

    def name(node: str) -> str:
        return str(graph.nodes[node].get("name", node)) if node in graph else node

    return {
        "source": a,
        "target": b,
        "source_name": name(a),
        "target_name": name(b),
        "relation": relation,
        "n_records": len(pmids),
        "pmids": pmids,
    }


def _record_changes(
    old_records: dict[str, list[str]], new_records: dict[str, list[str]]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(new, updated, newly included, no longer included) record keys; a record is [decision, content hash]."""
    added = [k for k in new_records if k not in old_records]
    updated = [k for k in new_records if k in old_records and old_records[k][1] != new_records[k][1]]
    gained = [k for k, (d, _) in new_records.items() if d == "include" and old_records.get(k, [""])[0] != "include"]
    lost = [k for k, (d, _) in old_records.items() if d == "include" and new_records.get(k, [""])[0] != "include"]
    return added, updated, gained, lost


def _fresh_notices(
    old_notices: dict[str, list[str]],
    new_notices: dict[str, list[str]],
    old_records: dict[str, list[str]],
    new_records: dict[str, list[str]],
) -> list[tuple[str, str]]:
    """(record key, notice) for notices new since the snapshot, among records included now or until now (a
    retraction usually ends an inclusion)."""
    return [
        (k, n)
        for k, found in new_notices.items()
        for n in found
        if n not in old_notices.get(k, []) and "include" in (new_records[k][0], old_records.get(k, [""])[0])
    ]


def _edge_changes(
    old_edges: dict[str, list[str]], new_edges: dict[str, list[str]], graph: nx.Graph
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(edges new since the snapshot, edges with records they did not have)."""
    added = [_edge(k, p, graph) for k, p in new_edges.items() if k not in old_edges]
    strengthened = []
    for key, pmids in new_edges.items():
        earlier = set(old_edges.get(key, ()))
        if key in old_edges and not set(pmids) <= earlier:
            strengthened.append(
                {
                    **_edge(key, pmids, graph),
                    "n_before": len(earlier),
                    "new_pmids": [p for p in pmids if p not in earlier],
                }
            )
    return added, strengthened


def compare(
    previous: dict[str, Any] | None,
    state: dict[str, Any],
    *,
    protocol: Protocol,
    store: Store,
    review: ReviewState,
    graph: nx.Graph,
    run_id: int | None,
) -> dict[str, Any]:
    """The ``changes.json`` document: what ``state`` has that the ``previous`` snapshot did not."""
    before = previous["state"] if previous else {"records": {}, "edges": {}, "convergent": {}, "notices": {}}
    old_records, new_records = before["records"], state["records"]
    added, updated, gained, lost = _record_changes(old_records, new_records)
    deleted = [
        k for k, (d, _) in new_records.items() if d == "deleted" and old_records.get(k, ["deleted"])[0] != "deleted"
    ]
    fresh_notices = _fresh_notices(before["notices"], state["notices"], old_records, new_records)
    details = _details(store, review, {*added, *updated, *gained, *lost, *deleted, *(k for k, _ in fresh_notices)})

    def entry(key: str, **extra: Any) -> dict[str, Any]:
        return {**details.get(key, {"pmid": key}), **extra}

    new_edges, strengthened = _edge_changes(before["edges"], state["edges"], graph)
    convergent = state["convergent"]
    changes: dict[str, Any] = {
        "protocol": protocol.name,
        "generated_at": utc_now(),
        "run_id": run_id,
        "since": ({"snapshot_at": previous["created_at"], "run_id": previous["run_id"]} if previous else None),
        "baseline": previous is None,
        "new_records": sorted((entry(k, decision=new_records[k][0]) for k in added), key=_sort_key),
        "newly_included": sorted(
            (entry(k, was=old_records[k][0] if k in old_records else "new") for k in gained), key=_sort_key
        ),
        "no_longer_included": sorted((entry(k, now=new_records.get(k, ["gone"])[0]) for k in lost), key=_sort_key),
        "updated_records": sorted((entry(k, decision=new_records[k][0]) for k in updated), key=_sort_key),
        "new_edges": sorted(new_edges, key=lambda e: (-e["n_records"], e["source"], e["target"])),
        "strengthened_edges": sorted(strengthened, key=lambda e: (-len(e["new_pmids"]), e["source"], e["target"])),
        "newly_convergent": [{"id": i, "name": n} for i, n in convergent.items() if i not in before["convergent"]],
        "no_longer_convergent": [{"id": i, "name": n} for i, n in before["convergent"].items() if i not in convergent],
        "notices": [
            entry(k, notice=n.split(":", 1)[0], notice_pmid=n.split(":", 1)[1], decision=new_records[k][0])
            for k, n in fresh_notices
        ],
        # records PubMed deleted (an imported update file's DeleteCitation) since the snapshot
        "deleted_records": sorted((entry(k, was=old_records[k][0]) for k in deleted), key=_sort_key),
    }
    changes["summary"] = {name: len(changes[name]) for name in LISTS}
    return changes


def has_news(changes: dict[str, Any]) -> bool:
    """Whether the changes list anything at all."""
    return any(changes["summary"].values())
