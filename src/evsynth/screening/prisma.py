"""PRISMA 2020 flow counts, computed from the store and its run log.

A *review version* is what one ``evsynth run`` produced: its harvest run, the import
runs it made, and the screenings that followed. For the first version the diagram
is a new review; for a later one (a refresh), the "previous studies" arm holds the
studies included as of the previous version, and identification counts only the
records first seen since then (PRISMA 2020 for updated reviews).

* identified, per source: distinct records first seen in this version, per source
  that saw them (a record seen by PubMed and Scopus counts once for each);
* duplicates removed: sightings minus the records left to screen, i.e. the same
  PMID seen by several sources plus records clustered by DOI or title;
* removed for other reasons: records PubMed deleted;
* screened: the remaining records (cluster primaries);
* excluded: with a count per reason (a record's first reason, protocol order);
* uncertain: awaiting a reviewer's decision (neither excluded nor included);
* included: new studies; with a previous version, also the total.

evsynth screens each record once (metadata, title, abstract); it has no separate
full-text stage. In the PRISMA2020 template, reports sought = included + uncertain
(what goes on to full text), assessed = included, so the uncertain ones show as the
difference; records are counted as both studies and reports.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evsynth.fileio import atomic_writer, csv_cell
from evsynth.protocol.criteria import Criteria
from evsynth.store.database import Store, utc_now
from evsynth.store.decisions import latest_decisions, screenings
from evsynth.store.records import clusters_seen, deleted_ids, first_sightings, pmids_by_id, primaries
from evsynth.store.runs import unfinished_harvests

SOURCE_NAMES = {
    "pubmed": "PubMed", "pubmed_xml": "PubMed XML file", "medline": "MEDLINE file", "ris": "RIS import",
    "scopus_csv": "Scopus",
}  # fmt: skip


def _version(store: Store, protocol_name: str) -> tuple[int, int, int, int] | None:
    """(current screening, its run, previous version's screening, previous run); zeros when absent.

    The previous version is the last *finished* run before the current one (see :mod:`evsynth.store.runs`): a
    run that was killed or failed is no version, and what it harvested and screened counts in the next one.
    """
    rows = screenings(store, protocol_name)  # (screening id, harvest run or None), oldest first
    if not rows:
        return None
    current = rows[-1][0]
    runs = [(sid, run) for sid, run in rows if run is not None]
    run = max((r for _, r in runs), default=0)
    unfinished = unfinished_harvests(store, protocol_name)
    previous_run = max((r for _, r in runs if r < run and r not in unfinished), default=0)
    if not previous_run:
        return current, run, 0, 0
    # the previous version's state: its last screening before any run after it began (a re-screen or a
    # reviewer's decision after a run belongs to that run's version)
    first_after = min(sid for sid, r in runs if r > previous_run)
    previous = max(sid for sid, _ in rows if sid < first_after)
    return current, run, previous, previous_run


def prisma_counts(
    store: Store,
    protocol_name: str,
    criteria: Criteria,
    *,
    state: Mapping[int, Mapping[str, Any]] | None = None,
    other_methods: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The PRISMA 2020 counts of the protocol's latest screening (see the module docstring).

    ``state`` is :func:`~evsynth.store.decisions.latest_decisions` of that screening when the caller has it already;
    ``other_methods`` maps the sources identified by other methods (hand search, citation searching) to their
    PRISMA box (websites, organisations or citations): they are counted apart from the databases.
    """
    version = _version(store, protocol_name)
    if version is None:
        raise ValueError(f"protocol {protocol_name!r} has not been screened")
    current, run, previous, previous_run = version
    sightings = first_sightings(store, protocol_name, previous_run)
    per_source = Counter(source for source, _ in sightings)
    new_ids = {record_id for _, record_id in sightings}
    if state is None:
        state = latest_decisions(store, protocol_name, until=current)
    # a cluster counts as screened in the version that first saw one of its records, through the record standing
    # for it (which another protocol's harvest may have brought)
    known = clusters_seen(store, protocol_name, previous_run) if previous_run else set()
    stands_for = primaries(store, new_ids)
    screened = {
        primary for primary in stands_for.values()
        if primary not in known and primary in state and state[primary]["decision"] != "removed"
    }  # fmt: skip
    deleted = len(new_ids & deleted_ids(store))
    decided = Counter(state[rid]["decision"] for rid in screened)
    # the rules' exclusions no reviewer decided on are automation's (PRISMA 2020 counts them before screening)
    automatic = sum(1 for rid in screened if state[rid]["decision"] == "exclude" and not state[rid]["override_reason"])
    first_reason, all_reasons = _exclusion_reasons(state, screened, criteria)
    included_now = sorted(rid for rid, row in state.items() if row["decision"] == "include")
    prior = _previous_version(store, protocol_name, state, included_now, previous, previous_run) if previous else None
    return {
        "protocol": protocol_name,
        "generated_at": utc_now(),
        "screening_id": current,
        "run_id": run or None,
        "criteria_hash": criteria.digest,
        "review": "update" if prior else "new",
        "previous": prior,
        "identification": {
            **_by_method(per_source, other_methods or {}),
            "total": len(sightings),
            "duplicates_removed": len(sightings) - len(screened) - deleted,
            "removed_other": deleted,
        },
        "screening": {
            "screened": len(screened),
            "excluded": decided["exclude"],
            "excluded_automatic": automatic,
            "excluded_by_reviewer": decided["exclude"] - automatic,
            "excluded_by_reason": dict(first_reason.most_common()),
            "reasons_any": dict(all_reasons.most_common()),
            "uncertain": decided["uncertain"],
            "overridden": sum(1 for rid in screened if state[rid]["override_reason"]),
        },
        "included": {
            "new_studies": decided["include"],
            "previous_studies": prior["studies"] if prior else None,
            "total_studies": len(included_now),
        },
        "notes": [
            "Each record is screened once on its metadata, title and abstract; there is no separate full-text stage, "
            "so reports sought, not retrieved, assessed and excluded are NA in prisma.csv and absent from the diagram.",
            "Records the screening rules excluded without a reviewer's decision are counted, in prisma.csv and the "
            "diagram, as marked ineligible by automation tools (removed before screening); records screened are "
            "the rest, and records excluded are those a reviewer excluded.",
            "Excluded records are counted under their first reason (exclusions in protocol order, then failed "
            "inclusions); reasons_any counts every reason that applied.",
            "Records are counted as both studies and reports.",
        ],
    }


def _by_method(per_source: Counter[str], other_methods: Mapping[str, str]) -> dict[str, Any]:
    """Sightings per source, the databases' apart from those of other methods (by source or display name)."""
    databases: dict[str, int] = {}
    others: dict[str, dict[str, Any]] = {}
    for source, n in sorted(per_source.items()):
        shown = SOURCE_NAMES.get(source, source)
        method = other_methods.get(source) or other_methods.get(shown)
        if method:
            others[shown] = {"method": method, "n": n}
        else:
            databases[shown] = n
    return {"sources": databases, "database_total": sum(databases.values()), "other_methods": others}


def _exclusion_reasons(
    state: Mapping[int, Mapping[str, Any]], screened: set[int], criteria: Criteria
) -> tuple[Counter[str], Counter[str]]:
    """(excluded records by their first reason, every reason that applied): a reviewer's exclusion is its own."""
    first_reason: Counter[str] = Counter()
    all_reasons: Counter[str] = Counter()
    for rid in screened:
        row = state[rid]
        if row["decision"] != "exclude":
            continue
        if row["override_reason"] is None:  # the rules' exclusion; a reviewer's, even one agreeing, is the reviewer's
            labels = [criteria.label(name) for name in json.loads(row["reasons"])]
        else:
            labels = ["Excluded by a reviewer"]
        first_reason[labels[0]] += 1
        all_reasons.update(labels)
    return first_reason, all_reasons


def _previous_version(
    store: Store,
    protocol_name: str,
    state: Mapping[int, Mapping[str, Any]],
    included_now: list[int],
    previous: int,
    previous_run: int,
) -> dict[str, Any]:
    """The "previous studies" arm: what the previous version included, and which of those are no longer."""
    before = latest_decisions(store, protocol_name, until=previous)
    was_included = {rid for rid, row in before.items() if row["decision"] == "include"}
    dropped = sorted(was_included - set(included_now))
    pmids = pmids_by_id(store, dropped)
    lost = [
        {"record_id": r, "pmid": pmids.get(r, ""), "decision": state[r]["decision"] if r in state else "removed"}
        for r in dropped
    ]
    return {"screening_id": previous, "run_id": previous_run or None, "studies": len(was_included),
            "no_longer_included": lost}  # fmt: skip


# The PRISMA2020 R package's template: one row per box. Identifiers (data, node, box) are its interface;
# descriptions are ours.
_TEMPLATE = (
    ("NA", "node4", "prevstud", "Previous studies"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review"),
    ("NA", "node6", "newstud", "Identification of new studies via databases and registers"),
    ("database_results", "node7", "box2", "Records identified from databases"),
    ("database_specific_results", "NA", "box2", "Records identified per database"),
    ("register_results", "NA", "box2", "Records identified from registers"),
    ("register_specific_results", "NA", "box2", "Records identified per register"),
    ("NA", "node16", "othstud", "Identification of new studies via other methods"),
    ("website_results", "node17", "box11", "Records identified from websites"),
    ("organisation_results", "NA", "box11", "Records identified from organisations"),
    ("citations_results", "NA", "box11", "Records identified from citation searching"),
    ("duplicates", "node8", "box3", "Duplicate records removed"),
    ("excluded_automatic", "NA", "box3", "Records marked ineligible by automation tools"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons"),
    ("records_screened", "node9", "box4", "Records screened"),
    ("records_excluded", "node10", "box5", "Records excluded"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other methods)"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other methods)"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility"),
    ("dbr_excluded", "node14", "box9", "Reports excluded, with reasons"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other methods)"),
    ("other_excluded", "node21", "box15", "Reports excluded, with reasons (other methods)"),
    ("new_studies", "node15", "box10", "New studies included in review"),
    ("new_reports", "NA", "box10", "Reports of new included studies"),
    ("total_studies", "node22", "box16", "Total studies included in review"),
    ("total_reports", "NA", "box16", "Reports of total included studies"),
    ("NA", "node1", "identification", "Identification"),
    ("NA", "node2", "screening", "Screening"),
    ("NA", "node3", "included", "Included"),
)


def template_values(counts: dict[str, Any]) -> dict[str, Any]:
    """The ``n`` column of the PRISMA2020 template for these counts."""
    ident, screen, included = counts["identification"], counts["screening"], counts["included"]
    previous = included["previous_studies"] or 0
    sources = "; ".join(f"{name}, {n}" for name, n in ident["sources"].items())
    other = Counter({"websites": 0, "organisations": 0, "citations": 0})
    for found in ident.get("other_methods", {}).values():
        other[found["method"]] += found["n"]
    automatic = screen["excluded_automatic"]
    return {
        "previous_studies": previous, "previous_reports": previous,
        "database_results": ident.get("database_total", ident["total"]), "database_specific_results": sources,
        "register_results": 0, "register_specific_results": "",
        "website_results": other["websites"], "organisation_results": other["organisations"],
        "citations_results": other["citations"],
        "duplicates": ident["duplicates_removed"], "excluded_automatic": automatic,
        "excluded_other": ident["removed_other"],
        "records_screened": screen["screened"] - automatic, "records_excluded": screen["excluded_by_reviewer"],
        # no full-text stage happened: nothing is claimed for it
        "dbr_sought_reports": "NA", "dbr_notretrieved_reports": "NA",
        "other_sought_reports": "NA", "other_notretrieved_reports": "NA",
        "dbr_assessed": "NA", "dbr_excluded": "NA", "other_assessed": "NA", "other_excluded": "NA",
        "new_studies": included["new_studies"], "new_reports": included["new_studies"],
        "total_studies": included["total_studies"], "total_reports": included["total_studies"],
    }  # fmt: skip


def write_prisma(counts: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write ``prisma.json`` and ``prisma.csv`` (PRISMA2020 template layout); return their paths."""
    json_path, csv_path = out_dir / "prisma.json", out_dir / "prisma.csv"
    with atomic_writer(json_path) as handle:
        json.dump(counts, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    values = template_values(counts)
    with atomic_writer(csv_path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("data", "node", "box", "description", "boxtext", "tooltips", "url", "n"))
        for data, node, box, text in _TEMPLATE:
            writer.writerow([csv_cell(v) for v in (data, node, box, text, text, text, "NA", values.get(data, 0))])
    return {"prisma_json": json_path, "prisma_csv": csv_path}
