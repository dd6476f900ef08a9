"""A citation compared with its PubMed record: every way they disagree, and what the record itself warns about
(a retraction, an erratum, a date outside the review's window). Each comparison is a named check in
CITATION_CHECKS; the severities are explained in :mod:`evsynth.audit.check`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from evsynth.audit.references import CONNECTORS, Citation, first_page
from evsynth.audit.resolve import AGREES, record_years, surname_key, title_similarity
from evsynth.models import ERRATUM_TYPES, Record, iso_day
from evsynth.sources.dedupe import fold_title

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
