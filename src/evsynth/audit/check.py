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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from evsynth.audit.claims import Claim, ClaimCheck, check_claim
from evsynth.audit.references import CONNECTORS, Citation, first_page
from evsynth.audit.resolve import AGREES, RESOLVED, Resolution, record_years, resolve, surname_key, title_similarity
from evsynth.errors import EvsynthError
from evsynth.models import ERRATUM_TYPES, Record, iso_day
from evsynth.sources.dedupe import fold_title
from evsynth.sources.eutils import EUtils
from evsynth.store.database import Store, utc_now
from evsynth.store.records import ids_by_pmid
from evsynth.tagger.stored import stored_documents, tag_store
from evsynth.tagger.tagger import Tagger

SEVERITIES = ("critical", "warning", "note")
_NOTICE_TYPES = {
    "Published Erratum": "an erratum",
    "Retraction of Publication": "a retraction notice",
    "Comment": "a comment",
    "Expression of Concern": "an expression of concern",
}


@dataclass(frozen=True, slots=True)
class Finding:
    key: str
    severity: str
    check: str
    message: str
    cited: str = ""
    found: str = ""


@dataclass
class ReferenceAudit:
    citation: Citation
    resolution: Resolution
    record: Record | None
    findings: list[Finding] = field(default_factory=list)
    claim: ClaimCheck | None = None

    @property
    def worst(self) -> str:
        ranks = [SEVERITIES.index(f.severity) for f in self.findings]
        return SEVERITIES[min(ranks)] if ranks else "ok"


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


def _journal_words(name: str) -> list[str]:
    name = re.sub(r"\([^)]*\)", " ", name).replace("&", " and ")
    return [w for w in fold_title(name).split() if w not in CONNECTORS]


def journal_matches(cited: str, record: Record) -> bool:
    """The cited journal is the record's full title or ISO abbreviation, or abbreviates it word by word."""
    words = _journal_words(cited)
    for name in (record.journal, record.journal_iso):
        known = _journal_words(name)
        if words == known or (
            len(words) == len(known)
            and all(k.startswith(w) or w.startswith(k) for w, k in zip(words, known, strict=True))
        ):
            return True
    return False


def _last_page(pages: str) -> str:
    """``"123-9"`` -> ``"129"`` (abbreviated last pages expanded); ``""`` when there is none."""
    parts = re.split(r"\s*-\s*", pages.strip())
    if len(parts) != 2 or not parts[1]:
        return ""
    start, end = parts
    if end.isdigit() and start.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return end


def _pages_differ(cited: str, known: str) -> bool:
    if not cited or not known:
        return False

    def plain(page: str) -> str:
        return page.lower().lstrip("e0") or page.lower()

    if plain(first_page(cited)) != plain(first_page(known)):
        return True
    ends = _last_page(cited), _last_page(known)
    return bool(ends[0] and ends[1] and ends[0] != ends[1])


def _date(record: Record, which: str) -> dt.date | None:
    value = record.pub_date if which == "print" else record.electronic_date
    if not value:
        return None
    try:
        return iso_day(value[:10])
    except ValueError:
        return None


def compare(citation: Citation, record: Record, window: tuple[dt.date, dt.date] | None) -> list[Finding]:
    """Every way the citation and the record disagree (CITATION_CHECKS, in order), and what the record itself
    warns about."""
    key = citation.key
    out: list[Finding] = []

    def add(severity: str, check: str, message: str, cited: object = "", found: object = "") -> None:
        out.append(Finding(key, severity, check, message, str(cited), str(found)))

    for check in CITATION_CHECKS:
        check(citation, record, add)
    _status(record, add)
    if window:
        _window(record, window, add)
    return out


Add = Callable[..., None]  # add(severity, check, message, cited, found)


def _check_title(citation: Citation, record: Record, add: Add) -> None:
    if not citation.title:
        return
    similarity = title_similarity(citation.title, record.title)
    if similarity < AGREES:
        message = f"the title differs from the record's (similarity {similarity:.2f})"
        add("warning", "title", message, citation.title, record.title)
    elif similarity < 0.97:
        add("note", "title", f"the title differs slightly (similarity {similarity:.2f})", citation.title, record.title)


def _check_journal(citation: Citation, record: Record, add: Add) -> None:
    if citation.journal and (record.journal or record.journal_iso) and not journal_matches(citation.journal, record):
        add("critical", "journal", "cited in another journal", citation.journal, record.journal_iso or record.journal)


def _check_year(citation: Citation, record: Record, add: Add) -> None:
    if not (citation.year and record.pub_year and citation.year != record.pub_year):
        return
    years = record_years(record)
    if citation.year in years:
        message = f"cites the e-publication year; the issue is dated {record.pub_year}"
        add("note", "year", message, citation.year, record.pub_year)
    else:
        found = "/".join(str(y) for y in sorted(years))
        add("critical", "year", "the year differs from the record's", citation.year, found)


def _check_volume_and_pages(citation: Citation, record: Record, add: Add) -> None:
    if citation.volume and record.volume and citation.volume.lstrip("0") != record.volume.lstrip("0"):
        add("warning", "volume", "the volume differs", citation.volume, record.volume)
    if _pages_differ(citation.pages, record.pages):
        add("warning", "pages", "the pages differ", citation.pages, record.pages)


def _check_authors(citation: Citation, record: Record, add: Add) -> None:
    if citation.first_author and record.authors:
        first = record.authors[0].last_name or record.authors[0].collective_name
        if surname_key(citation.first_author) != surname_key(first):
            add("critical", "first_author", "the first author differs", citation.first_author, first)
    people = len(record.authors)
    if not (citation.authors and people):
        return
    cited_n = len(citation.authors)
    if (not citation.et_al and cited_n != people) or (citation.et_al and cited_n > people):
        message = f"lists {cited_n} author(s){' et al.' if citation.et_al else ''}; the record has {people}"
        add("warning", "author_count", message, cited_n, people)


def _check_doi(citation: Citation, record: Record, add: Add) -> None:
    if citation.doi and record.doi_normalized and citation.doi != record.doi_normalized:
        add("critical", "doi", "the DOI is not the record's", citation.doi, record.doi_normalized)


CITATION_CHECKS = (_check_title, _check_journal, _check_year, _check_volume_and_pages, _check_authors, _check_doi)


def _status(record: Record, add: Callable[..., None]) -> None:
    links = {c.ref_type: c.pmid for c in record.comments_corrections}
    if record.is_retracted:
        notice = links.get("RetractionIn", "")
        add(
            "critical",
            "retraction",
            "the paper is retracted" + (f" (notice PMID {notice})" if notice else ""),
            "",
            notice,
        )
    if "ExpressionOfConcernIn" in links:
        add(
            "warning",
            "concern",
            f"an expression of concern was published (PMID {links['ExpressionOfConcernIn']})",
            "",
            links["ExpressionOfConcernIn"],
        )
    for kind in sorted(ERRATUM_TYPES & {"ErratumIn", "CorrectedandRepublishedIn"} & links.keys()):
        add(
            "warning",
            "erratum",
            f"an erratum was published (PMID {links[kind]}): check the cited version",
            "",
            links[kind],
        )
    for pub_type, what in _NOTICE_TYPES.items():
        if pub_type in record.pub_types:
            target = next(
                (
                    c.pmid
                    for c in record.comments_corrections
                    if c.ref_type.endswith("For") or c.ref_type.endswith("Of") or c.ref_type == "CommentOn"
                ),
                "",
            )
            add("warning", "notice", f"the record is {what}, not a study" + (f" (about PMID {target})"
                if target else ""), "", pub_type)  # fmt: skip


def _window(record: Record, window: tuple[dt.date, dt.date], add: Callable[..., None]) -> None:
    start, end = window
    dates = {name: _date(record, name) for name in ("print", "electronic")}
    inside = [name for name, day in dates.items() if day and start <= day <= end]
    known = {name: day for name, day in dates.items() if day}
    if not known:
        add("warning", "window", "the record has no publication date to check against the window")
    elif not inside:
        shown = ", ".join(f"{name} {day.isoformat()}" for name, day in known.items())
        side = (
            "after"
            if all(day > end for day in known.values())
            else "before"
            if all(day < start for day in known.values())
            else "outside"
        )
        add("critical", "window", f"published {side} the review's window {start}..{end}", f"{start}..{end}", shown)
    elif len(inside) < len(known):
        outside = next(name for name in known if name not in inside)
        add(
            "note",
            "window",
            f"only the {inside[0]} date is inside the window; the {outside} date is {known[outside].isoformat()}",
            f"{start}..{end}",
            known[outside].isoformat(),
        )


# -- resolution and claims findings --------------------------------------------------------------------------


def _resolution_findings(citation: Citation, resolution: Resolution) -> list[Finding]:
    key, out = citation.key, []
    candidates = ", ".join(f"PMID {p} ({s:.2f})" for p, s in resolution.candidates)
    notes = "; ".join(resolution.notes)
    if resolution.status == "unresolved":
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
            where = "the title or abstract" if check.has_abstract else "the title (the record has no abstract)"
            out.append(
                Finding(
                    key,
                    "warning",
                    f"claim_{entity.type}",
                    f"{entity.type} {entity.claimed!r} is not supported by {where}",
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
        entry = ReferenceAudit(citation, resolution, record, _resolution_findings(citation, resolution))
        if record is not None:
            compared = compare(citation, record, window)
            if any(f.check == "identifier" for f in entry.findings):  # the DOI is reported once, as what it leads to
                compared = [f for f in compared if f.check != "doi"]
            entry.findings += compared
        claim = by_key.get(citation.key)
        if claim and record is not None:
            doc = documents[record.pmid]
            entry.claim = check_claim(claim, doc.text, doc.mentions, tagger, has_abstract=bool(record.abstract))
            entry.findings += claim_findings(entry.claim)
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
