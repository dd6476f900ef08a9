"""Screening outputs: the decision table, the hand-offs to other tools, and PRISMA.

* ``screening.csv``: one row per screened record with its decision, the criteria
  that decided it (names and reviewer-facing labels), the evidence, and whether a
  reviewer's decision overrode the rules;
* ``included.ris``: the included records for Zotero, EndNote or Mendeley;
* ``asreview.csv``: every screened record with ``label`` 1 (include), 0 (exclude)
  or empty (uncertain), so ASReview LAB can take the labelled records as prior
  knowledge and the team can continue with the uncertain ones;
* ``prisma.json``, ``prisma.csv`` (PRISMA2020 template), ``prisma.svg``.

Every file is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.formats.ris import record_url, ris_lines
from evsynth.models import Evidence, Record
from evsynth.protocol.criteria import Criteria
from evsynth.screening.prisma import prisma_counts, write_prisma
from evsynth.screening.prisma_svg import render_prisma_svg
from evsynth.screening.screen import evidence_from_json
from evsynth.store.database import Store, row_to_record
from evsynth.store.decisions import ReviewState

SCREENING_COLUMNS = (
    "pmid", "decision", "title", "decided_by", "reason_labels", "evidence_context", "reasons", "evidence",
    "overridden", "override_reason", "rule_decision", "record_id", "doi", "year", "journal", "source", "screening_id",
)  # fmt: skip
CONTEXT = 40  # characters of text shown either side of a matched term
ASREVIEW_COLUMNS = (
    "record_id", "pmid", "doi", "title", "abstract", "authors", "year", "journal", "keywords", "url", "label",
    "evsynth_decision", "evsynth_reasons",
)  # fmt: skip


def _screened(store: Store, state: Mapping[int, Mapping[str, Any]]) -> Iterator[tuple[Record, Mapping[str, Any], int]]:
    for row in store.iter_records():
        decision = state.get(row["id"])
        if decision is not None and decision["decision"] != "removed":
            yield row_to_record(row), decision, row["id"]


def _screening_row(record: Record, decision: Mapping[str, Any], record_id: int, criteria: Criteria) -> dict[str, Any]:
    names = json.loads(decision["reasons"])
    evidence = evidence_from_json(decision["evidence"])
    return {
        "pmid": record.pmid,
        "decision": decision["decision"],
        "decided_by": "reviewer" if decision["override_reason"] is not None else "rules",
        "evidence_context": " | ".join(evidence_context(record, e) for e in evidence),
        "reasons": "; ".join(names),
        "evidence": " | ".join(e.describe() for e in evidence),
        "overridden": int(decision["override_reason"] is not None),
        "override_reason": decision["override_reason"] or "",
        "rule_decision": decision["rule_decision"],
        "reason_labels": _reason_labels(decision["rule_decision"], names, evidence, criteria),
        "record_id": record_id,
        "doi": record.doi,
        "title": record.title,
        "year": record.pub_year or "",
        "journal": record.journal,
        "source": record.source,
        "screening_id": decision["screening_id"],
    }


def evidence_context(record: Record, evidence: Evidence) -> str:
    """One piece of evidence as a reader checks it: a matched term in its words ("criterion: ...patients with
    treatment-resistant [depression] receiving...") or a field's value ("criterion: language eng")."""
    text = {"title": record.title, "abstract": record.abstract}.get(evidence.field, "")
    if not text or not 0 <= evidence.start < evidence.end <= len(text):
        return f"{evidence.criterion}: {evidence.field} {evidence.value}"
    before = text[max(0, evidence.start - CONTEXT) : evidence.start]
    after = text[evidence.end : evidence.end + CONTEXT]
    lead = "..." if evidence.start > CONTEXT else ""
    tail = "..." if evidence.end + CONTEXT < len(text) else ""
    shown = f"{lead}{before}[{text[evidence.start : evidence.end]}]{after}{tail}"
    return f"{evidence.criterion}: {' '.join(shown.split())}"


def _reason_labels(rule: str, names: list[str], evidence: tuple[Evidence, ...], criteria: Criteria) -> str:
    """What the rules decided, in words: an uncertain record says what is unknown ("Cannot tell from the record:
    english (language: none)"), not the labels of the exclusions it might meet."""
    if rule == "include":
        return "Meets every inclusion criterion"
    if rule != "uncertain":
        return "; ".join(criteria.label(n) for n in names)
    unknown = []
    for name in names:
        seen = [f"{e.field}: {'none' if e.value == '(none)' else e.value}" for e in evidence if e.criterion == name]
        unknown.append(f"{name} ({'; '.join(dict.fromkeys(seen))})" if seen else name)
    return "Cannot tell from the record: " + "; ".join(unknown)


def _write_asreview_row(writer: Any, record: Record, decision: Mapping[str, Any], record_id: int) -> None:
    label = {"include": 1, "exclude": 0}.get(decision["decision"], "")
    writer.writerow({
        "record_id": record_id, "pmid": record.pmid, "doi": record.doi, "title": record.title,
        "abstract": record.abstract, "authors": "; ".join(a.display_name for a in record.authors),
        "year": record.pub_year or "", "journal": record.journal, "keywords": "; ".join(record.keywords),
        "url": record_url(record), "label": label, "evsynth_decision": decision["decision"],
        "evsynth_reasons": decision["override_reason"] or "; ".join(json.loads(decision["reasons"])),
    })  # fmt: skip


def write_screening_outputs(
    store: Store,
    review: ReviewState,
    criteria: Criteria,
    out_dir: Path,
    *,
    title: str = "",
    other_methods: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write every screening output for the review's latest screening; return name -> path."""
    paths = {
        "screening": out_dir / "screening.csv",
        "included_ris": out_dir / "included.ris",
        "asreview": out_dir / "asreview.csv",
    }
    state = review.decisions
    with (
        atomic_writer(paths["screening"], newline="") as table,
        atomic_writer(paths["included_ris"], newline="\n") as ris,
        atomic_writer(paths["asreview"], newline="") as asreview,
    ):
        _write_all(store, state, criteria, table, ris, asreview)
    counts = prisma_counts(store, review.protocol_name, criteria, state=state, other_methods=other_methods)
    paths.update(write_prisma(counts, out_dir))
    svg_path = out_dir / "prisma.svg"
    with atomic_writer(svg_path) as handle:
        handle.write(render_prisma_svg(counts, title or review.protocol_name))
    paths["prisma_svg"] = svg_path
    return paths


def _write_all(
    store: Store,
    state: Mapping[int, Mapping[str, Any]],
    criteria: Criteria,
    table: IO[str],
    ris: IO[str],
    asreview: IO[str],
) -> None:
    table_writer = CsvWriter(table, fieldnames=SCREENING_COLUMNS)
    table_writer.writeheader()
    asreview_writer = CsvWriter(asreview, fieldnames=ASREVIEW_COLUMNS)
    asreview_writer.writeheader()
    for record, decision, record_id in _screened(store, state):
        table_writer.writerow(_screening_row(record, decision, record_id, criteria))
        _write_asreview_row(asreview_writer, record, decision, record_id)
        if decision["decision"] == "include":
            note = decision["override_reason"] or "; ".join(json.loads(decision["reasons"]))
            ris.write("\n".join(ris_lines(record, f"evsynth: included ({note})")) + "\n")
