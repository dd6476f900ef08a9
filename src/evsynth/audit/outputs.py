"""Write an audit: ``audit.csv`` (one row per finding, or one ``ok`` row per clean reference) and ``audit.md``
(readable, findings grouped by severity, then the claims checked)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evsynth.audit.check import AuditResult, ReferenceAudit
from evsynth.audit.citations import SEVERITIES, Finding
from evsynth.fileio import CsvWriter, atomic_writer, check_writable
from evsynth.text import markdown_cell, markdown_code

CSV_COLUMNS = ("ref", "severity", "check", "message", "cited", "found", "status", "pmid", "doi", "method",
               "confidence", "record_title")  # fmt: skip
_HEADINGS = {"critical": "Critical", "warning": "Warnings", "note": "Notes"}
# what each check looks at, for the overview table (in the order a reader goes through a reference)
CHECKS = {
    "resolution": "which PubMed record the citation is", "mistitled": "a citation of another title for a real paper",
    "identifier": "a PMID or DOI that leads to another paper", "title": "the cited title",
    "journal": "the cited journal", "year": "the cited year", "volume": "the cited volume", "pages": "the cited pages",
    "first_author": "the first author and initials", "author_count": "how many authors are cited",
    "doi": "the cited DOI", "window": "the review's search window", "retraction": "retractions",
    "concern": "expressions of concern", "erratum": "errata", "notice": "a notice cited as a study",
    "table_title": "the title in the review's table", "table_year": "the year in the review's table",
    "table_author": "the first author in the review's table", "table_design": "the design in the review's table",
    "claim": "claims rows", "claim_gene": "claimed genes", "claim_variant": "claimed variants",
    "claim_mirna": "claimed microRNAs", "claim_treatment": "claimed treatments",
    "claim_finding": "the entities a claimed finding names", "claim_omits": "entities the claim leaves out",
    "sample_size": "claimed sample sizes",
}  # fmt: skip


def _row(ref: ReferenceAudit | None, finding: Finding | None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(CSV_COLUMNS, "")
    if ref is not None:
        record = ref.record
        row.update(
            ref=ref.citation.key,
            status=ref.resolution.status,
            pmid=ref.resolution.pmid,
            doi=record.doi_normalized if record else ref.citation.doi,
            method=ref.resolution.method,
            confidence=f"{ref.resolution.confidence:.2f}" if ref.resolution.pmid else "",
            record_title=record.title if record else "",
        )
    if finding is None:
        row.update(severity="ok", check="all", message="the citation matches its record")
    else:
        row.update(
            ref=finding.key,
            severity=finding.severity,
            check=finding.check,
            message=finding.message,
            cited=finding.cited,
            found=finding.found,
        )
    return row


def write_csv(result: AuditResult, path: Path) -> None:
    with atomic_writer(path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for ref in result.references:
            findings: list[Finding | None] = list(ref.findings) or [None]
            for finding in findings:
                writer.writerow(_row(ref, finding))
        for finding in result.orphans:
            writer.writerow(_row(None, finding))


def _label(ref: ReferenceAudit) -> str:
    cited = ref.citation
    who = cited.first_author + (" et al." if len(cited.authors) > 1 or cited.et_al else "")
    what = cited.title or cited.text
    short = what if len(what) <= 90 else what[:87] + "..."
    year = f" ({cited.year})" if cited.year else ""
    pmid = ref.resolution.pmid
    link = f" - [PMID {pmid}](https://pubmed.ncbi.nlm.nih.gov/{pmid}/)" if pmid else ""
    who = markdown_cell(who.rstrip(".") + ". ") if who else ""
    return f"[{markdown_cell(cited.key)}] {who}{markdown_cell(short)}{year}{link}"


def _finding_line(finding: Finding) -> str:
    detail = []
    if finding.cited:
        detail.append(f"cited {markdown_code(finding.cited)}")
    if finding.found:
        detail.append(f"record {markdown_code(finding.found)}")
    return f"- **{finding.check}**: {finding.message}" + (f" ({'; '.join(detail)})" if detail else "")


def render_markdown(result: AuditResult, source: str, now: dt.datetime | None = None) -> str:
    """audit.md: the summary, the findings by severity, the clean references and the claims table."""
    lines = _header(result, source, now or dt.datetime.now(dt.timezone.utc))
    lines += _overview(result)
    for severity in SEVERITIES:
        lines += _severity_section(result, severity)
    clean = [ref for ref in result.references if not ref.findings]
    lines += [f"## Clean ({len(clean)})", ""]
    lines += [f"- {_label(ref)}" for ref in clean] or ["None."]
    lines.append("")
    lines += _claims_table(result)
    return "\n".join(lines)


def _header(result: AuditResult, source: str, now: dt.datetime) -> list[str]:
    window = f"{result.window[0]} to {result.window[1]}" if result.window else "not given (not checked)"
    steps = ", ".join(f"{method} {n}" for method, n in sorted(result.steps.items())) or "none"
    return ["# Reference audit", "",
            f"References: `{source}`. Window: {window}. Generated {now:%Y-%m-%d %H:%M} UTC by evsynth.", "",
            f"**{result.summary()}**", "",
            f"Resolved by: {steps}. E-utilities requests: {result.requests}.", "",
            "A claimed entity marked *not supported* is absent from the record's title and abstract as tagged by "
            "evsynth; the full text may still support it.", ""]  # fmt: skip


def _overview(result: AuditResult) -> list[str]:
    """One row per kind of check that found something: counts by severity and the references concerned."""
    by_check: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_check.setdefault(finding.check, []).append(finding)
    if not by_check:
        return []
    order = list(CHECKS) + sorted(set(by_check) - set(CHECKS))
    lines = ["## At a glance", "", "| check | about | critical | warning | note | references |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for check in (c for c in order if c in by_check):
        found = by_check[check]
        counts = [str(sum(1 for f in found if f.severity == s) or "-") for s in SEVERITIES]
        refs = ", ".join(dict.fromkeys(markdown_cell(f.key) for f in found))
        lines.append(f"| {check} | {CHECKS.get(check, '')} | {' | '.join(counts)} | {refs} |")
    return [*lines, ""]


def _severity_section(result: AuditResult, severity: str) -> list[str]:
    refs = [ref for ref in result.references if any(f.severity == severity for f in ref.findings)]
    orphans = [f for f in result.orphans if f.severity == severity]
    total = sum(1 for f in result.findings if f.severity == severity)
    lines = [f"## {_HEADINGS[severity]} ({total})", ""]
    if not refs and not orphans:
        lines += ["None.", ""]
    for ref in refs:
        lines.append(f"### {_label(ref)}")
        lines += [_finding_line(f) for f in ref.findings if f.severity == severity]
        lines.append("")
    return lines + [_finding_line(f) for f in orphans] + ([""] if orphans else [])


def _claims_table(result: AuditResult) -> list[str]:
    checked = [ref for ref in result.references if ref.claim is not None]
    if not checked:
        return []
    lines = ["## Claims checked against the abstract", "",
             "| ref | supported | not supported | abstract also names | n claimed | n in abstract |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for ref in checked:
        claim = ref.claim
        assert claim is not None
        yes = ", ".join(e.claimed for e in claim.entities if e.found) or "-"
        no = ", ".join(e.claimed for e in claim.entities if not e.found) or "-"
        extra = ", ".join(text for _, text in claim.omitted) or "-"
        sizes = ", ".join(map(str, claim.abstract_sizes)) or "-"
        claimed_n = "-" if claim.sample_size is None else claim.sample_size
        cells = [ref.citation.key, markdown_cell(yes), markdown_cell(no), markdown_cell(extra), claimed_n, sizes]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines + [""]


def write_audit(result: AuditResult, out_dir: Path, source: str) -> dict[str, Path]:
    """Write ``audit.csv`` and ``audit.md`` into ``out_dir`` (each replaced only when complete)."""
    check_writable(out_dir)
    paths = {"csv": out_dir / "audit.csv", "markdown": out_dir / "audit.md"}
    text = render_markdown(result, source)
    write_csv(result, paths["csv"])
    with atomic_writer(paths["markdown"]) as handle:
        handle.write(text)
    return paths
