"""Audit a review: resolve its reference list, compare each citation with its PubMed record, check its claims.

Findings have a severity:

* ``critical``: the reference cannot be trusted as cited: unresolved, a DOI or PMID that leads to another
  paper, a wrong journal, year or first author, a retracted paper, a publication outside the review's window,
  a claims row for a reference that is not in the list;
* ``warning``: worth a look: ambiguous resolution, title, volume, pages or author count differ, an erratum or
  expression of concern, a notice cited instead of the article, a claimed entity or sample size the abstract
  does not support, a claimed microRNA that miRBase does not have;
* ``note``: for the record: a low-confidence match, the e-publication year cited, entities the abstract names
  that the claim leaves out, a sample size the abstract does not state.

The library neither prints nor writes files; :mod:`evsynth.audit.outputs` writes ``audit.csv``/``audit.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from evsynth.audit.citations import SEVERITIES, Finding, compare
from evsynth.audit.claims import Claim, ClaimCheck, check_claim, truncated_abstract
from evsynth.audit.references import Citation
from evsynth.audit.resolve import (
    AGREES,
    RESOLVED,
    SAME_PAPER,
    Resolution,
    record_years,
    resolve,
    surname_key,
    title_similarity,
)
from evsynth.errors import EvsynthError
from evsynth.models import Record, iso_day
from evsynth.sources.eutils import EUtils
from evsynth.store.database import Store, utc_now
from evsynth.store.records import ids_by_pmid
from evsynth.synthesis.design import classify
from evsynth.tagger.stored import stored_documents, tag_store
from evsynth.tagger.tagger import Tagger


@dataclass
class ReferenceAudit:
    citation: Citation
    resolution: Resolution
    record: Record | None
    findings: list[Finding] = field(default_factory=list)
    claim: ClaimCheck | None = None


@dataclass
class AuditResult:
    references: list[ReferenceAudit]
    orphans: list[Finding]  # claims rows for references the list does not have
    window: tuple[dt.date, dt.date] | None
    run_id: int
    steps: dict[str, int]
    requests: int

    @property
    def findings(self) -> list[Finding]:
        return [f for ref in self.references for f in ref.findings] + self.orphans

    def counts(self) -> dict[str, int]:
        status = Counter(ref.resolution.status for ref in self.references)
        severity = Counter(f.severity for f in self.findings)
        return {"references": len(self.references), **{s: status[s] for s in ("resolved", "ambiguous",
                "unresolved")}, **{s: severity[s] for s in SEVERITIES}}  # fmt: skip

    def summary(self) -> str:
        c = self.counts()
        return (
            f"audit: {c['references']} references: {c['resolved']} resolved, {c['ambiguous']} ambiguous, "
            f"{c['unresolved']} unresolved; {c['critical']} critical, {c['warning']} warning(s), "
            f"{c['note']} note(s)"
        )


def parse_window(text: str) -> tuple[dt.date, dt.date]:
    """``2021-01-01:2025-06-01`` -> two dates (a year or year-month is widened to its first/last day)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise EvsynthError(f"--window {text!r}: expected START:END, e.g. 2021-01-01:2025-06-01")
    try:
        if not all(re.fullmatch(r"\d{4}(?:-\d{2}){0,2}", part.strip()) for part in parts):
            raise ValueError(text)
        start, end = iso_day(parts[0].strip()), iso_day(parts[1].strip(), last=True)
    except ValueError:
        raise EvsynthError(f"--window {text!r}: dates must be YYYY, YYYY-MM or YYYY-MM-DD") from None
    assert start is not None and end is not None
    if end < start:
        raise EvsynthError(f"--window {text!r}: ends before it starts")
    return start, end


# -- comparing a citation with its record --------------------------------------------------------------------


def _resolution_findings(citation: Citation, resolution: Resolution, probable: Record | None = None) -> list[Finding]:
    key, out = citation.key, []
    candidates = ", ".join(f"PMID {p} ({s:.2f})" for p, s in resolution.candidates)
    notes = "; ".join(resolution.notes)
    if resolution.status == "unresolved" and resolution.probable and probable is not None:
        pmid, share = resolution.probable
        message = (
            f"probably PMID {pmid}: the same first author and year, and {share:.0%} of the cited title's topic words "
            f"in its title or abstract; the cited title, journal and pages are not that record's"
        )
        found = f"PMID {pmid}: {probable.title} {probable.journal_iso or probable.journal} {probable.pub_year}"
        out.append(Finding(key, "critical", "mistitled", message, citation.text[:200], found))
    elif resolution.status == "unresolved":
        out.append(
            Finding(
                key,
                "critical",
                "resolution",
                "no PubMed record found" + (f": {notes}" if notes else ""),
                citation.text[:200],
                candidates,
            )
        )
    elif resolution.status == "ambiguous":
        out.append(
            Finding(
                key,
                "warning",
                "resolution",
                "several records fit; none was chosen" + (f": {notes}" if notes else ""),
                citation.text[:200],
                candidates,
            )
        )
    else:
        for note in resolution.notes:
            if "another paper" in note:
                out.append(Finding(key, "critical", "identifier", note, citation.doi or citation.pmid, resolution.pmid))
        if resolution.confidence < 0.9:
            out.append(
                Finding(
                    key,
                    "note",
                    "resolution",
                    f"resolved by {resolution.method} with confidence {resolution.confidence:.2f}; check the match",
                    citation.text[:200],
                    f"PMID {resolution.pmid}",
                )
            )
    return out


def claim_findings(check: ClaimCheck) -> list[Finding]:
    key, out = check.key, []
    for entity in check.entities:
        if entity.unknown:
            out.append(
                Finding(
                    key, "warning", "claim_mirna", f"microRNA {entity.claimed!r} is not in miRBase", entity.claimed, ""
                )
            )
        if not entity.found:
            # absence from a missing or cut-short abstract is no contradiction: say why, as a note
            if not check.has_abstract:
                severity, why = "note", "the title; the record has no abstract to check it against"
            elif check.truncated:
                severity, why = "note", "the title or abstract, which PubMed cut short: the rest may name it"
            else:
                severity, why = "warning", "the title or abstract"
            out.append(
                Finding(
                    key,
                    severity,
                    f"claim_{entity.type}",
                    f"{entity.type} {entity.claimed!r} is not supported by {why}",
                    entity.claimed,
                    entity.evidence,
                )
            )
    if check.omitted:
        names = ", ".join(f"{text} ({kind})" for kind, text in check.omitted)
        out.append(Finding(key, "note", "claim_omits", f"the abstract also names {names}", "", names))
    if check.sample_size is not None:
        sizes = check.abstract_sizes
        if not sizes:
            out.append(
                Finding(
                    key,
                    "note",
                    "sample_size",
                    "the abstract states no sample size to compare",
                    str(check.sample_size),
                    "",
                )
            )
        elif check.sample_size not in sizes and check.sample_size != sum(sizes):
            shown = ", ".join(map(str, sizes))
            out.append(
                Finding(
                    key,
                    "warning",
                    "sample_size",
                    f"claimed n = {check.sample_size}; the abstract gives {shown}",
                    str(check.sample_size),
                    shown,
                )
            )
    for name in check.finding_unsupported:
        out.append(
            Finding(
                key,
                "warning",
                "claim_finding",
                f"the finding names {name!r}, which the title and abstract do not",
                name,
                "",
            )
        )
    return out


def table_findings(claim: Claim, record: Record) -> list[Finding]:
    """The study as the review's table shows it (title, year, first author, design) against its record: a row
    that describes another paper, or calls a review a primary study (or the reverse), is critical."""
    key, out = claim.key, []
    if title := claim.table("title"):
        similarity = title_similarity(title, record.title)
        if similarity < SAME_PAPER:
            out.append(Finding(key, "critical", "table_title", f"the table's title is another paper's (similarity "
                               f"{similarity:.2f})", title, record.title))  # fmt: skip
        elif similarity < AGREES:
            out.append(Finding(key, "warning", "table_title", f"the table's title differs from the record's "
                               f"(similarity {similarity:.2f})", title, record.title))  # fmt: skip
    years = record_years(record)
    if (year := claim.table("year")) and years and int(year) not in years:
        found = "/".join(str(y) for y in sorted(years))
        out.append(Finding(key, "critical", "table_year", "the table's year is not the record's", year, found))
    author = record.authors[0].last_name or record.authors[0].collective_name if record.authors else ""
    if (
        (cited := claim.table("first_author"))
        and author
        and surname_key(cited.split()[0].strip(",")) != surname_key(author.split()[0])
    ):
        out.append(Finding(key, "critical", "table_author", "the table's first author is not the record's", cited,
                           author))  # fmt: skip
    if design := claim.table("design"):
        out += _design_finding(key, design, record)
    return out


def _design_finding(key: str, design: str, record: Record) -> list[Finding]:
    """The table's design against evsynth's classifier: a review called a primary study (or the reverse) is
    critical; other differences are left alone (the classifier's designs overlap)."""
    shown_review = classify(design, "", ()).is_review
    found = classify(record.title, record.abstract, record.pub_types)
    if not found.primary or shown_review == found.is_review:
        return []
    what = found.primary + (" (a review)" if found.is_review else " (a primary study)")
    message = f"the table calls it {'a review' if shown_review else 'a primary study'}; the record is a {what}"
    return [Finding(key, "critical", "table_design", message, design, ", ".join(found.designs))]


# -- the audit -----------------------------------------------------------------------------------------------


def audit(
    citations: Sequence[Citation],
    store: Store,
    client: EUtils,
    *,
    claims: Sequence[Claim] = (),
    window: tuple[dt.date, dt.date] | None = None,
    tagger: Tagger | None = None,
    source: str = "",
) -> AuditResult:
    """Resolve, compare and check; resolved records join ``store`` as an ``audit`` run and are tagged there."""
    run_id = store.start_run("audit", query=source, count_total=len(citations))
    resolved = resolve(citations, client)
    pmids = sorted({r.pmid for r in resolved.resolutions.values() if r.status == RESOLVED}, key=int)
    records = [resolved.records[p] for p in pmids]
    outcome = store.upsert_records(records, run_id, format_name="pubmed", sighting="audit")
    ids = ids_by_pmid(store, pmids)
    tagger = tagger or Tagger()
    tag_store(store, ids.values(), tagger)
    documents = {doc.id: doc for doc in stored_documents(store, ids.values())}
    by_key = {claim.key: claim for claim in claims}
    references = []
    for citation in citations:
        resolution = resolved.resolutions[citation.key]
        record = resolved.records.get(resolution.pmid) if resolution.status == RESOLVED else None
        probable = resolved.records.get(resolution.probable[0]) if resolution.probable else None
        entry = ReferenceAudit(citation, resolution, record, _resolution_findings(citation, resolution, probable))
        if record is not None:
            compared = compare(citation, record, window)
            if any(f.check == "identifier" for f in entry.findings):  # the DOI is reported once, as what it leads to
                compared = [f for f in compared if f.check != "doi"]
            entry.findings += compared
        claim = by_key.get(citation.key)
        if claim and record is not None:
            doc = documents[record.pmid]
            entry.claim = check_claim(claim, doc.text, doc.mentions, tagger, has_abstract=bool(record.abstract),
                                      truncated=truncated_abstract(record.abstract))  # fmt: skip
            entry.findings += claim_findings(entry.claim) + table_findings(claim, record)
        elif claim:
            entry.findings.append(
                Finding(citation.key, "note", "claim", "the claims cannot be checked: the reference is not resolved")
            )
        entry.findings.sort(key=lambda f: SEVERITIES.index(f.severity))
        references.append(entry)
    keys = {c.key for c in citations}
    orphans = [
        Finding(
            c.key,
            "critical",
            "claim",
            f"claims line {c.row} cites reference {c.key}, which the reference list does not have",
        )
        for c in claims
        if c.key not in keys
    ]
    requests = client.stats.requests
    store.update_run(
        run_id,
        status="complete",
        finished_at=utc_now(),
        count_new=outcome.new,
        manifest={"requests": client.stats.as_dict(), "resolved_by": resolved.steps},
    )
    return AuditResult(references, orphans, window, run_id, resolved.steps, requests)
