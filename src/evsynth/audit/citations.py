"""A citation compared with its PubMed record: every way they disagree, and what the record itself warns about
(a retraction, an erratum, a date outside the review's window). Each comparison is a named check in
CITATION_CHECKS; the severities are explained in :mod:`evsynth.audit.check`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from evsynth.audit.references import CONNECTORS, Citation, first_page, initials_of
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


# words a journal abbreviation leaves out ("Am J Med Genet B" for "... Genetics. Part B, ..."), besides CONNECTORS
_SKIPPED = frozenset({"part", "section", "series", "an", "le", "les", "der", "die", "das", "il", "el"})


def _journal_words(name: str) -> list[str]:
    name = re.sub(r"\([^)]*\)", " ", name).replace("&", " and ")
    name = re.split(r"\s+:\s+", name, maxsplit=1)[0]  # a subtitle: ": the official journal of ..."
    return [w for w in fold_title(name).split() if w not in CONNECTORS and w not in _SKIPPED]


def _abbreviates(short: str, word: str) -> bool:
    """``short`` is ``word`` cut short ("Genet" for "genetics") or contracted as ISO 4 allows ("Natl" for
    "national"): the same first letter, then its letters in order."""
    if word.startswith(short):
        return True
    if short[:1] != word[:1]:
        return False
    rest = iter(word[1:])
    return all(letter in rest for letter in short[1:])


def journal_names(record: Record) -> list[str]:
    """Every name NLM gives the record's journal: the title and each of its alternates ("Psychiatrike =
    Psychiatriki"), the ISO abbreviation and MedlineTA."""
    names = [part.strip() for part in re.split(r"\s+=\s+", record.journal) if part.strip()]
    whole = [record.journal] if len(names) > 1 else []
    return whole + names + [name for name in (record.journal_iso, record.journal_medline) if name]


def journal_matches(cited: str, record: Record) -> bool:
    """The cited journal is one of the record's journal names, or abbreviates one word by word."""
    words = _journal_words(cited)
    for name in journal_names(record):
        known = _journal_words(name)
        if words == known or (
            len(words) == len(known)
            and all(_abbreviates(w, k) or _abbreviates(k, w) for w, k in zip(words, known, strict=True))
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


def reread_with_journal(citation: Citation, record: Record) -> Citation:
    """The citation's title and journal split again where one of the record's journal names stands: a reference
    read without knowing the journal cuts it at its last full stop, so "Title. J. Med. Chem." gives the journal
    "Chem" and "Title. Am J Physiol. Heart and circulatory physiology" a title ending in the journal's name."""
    if not citation.journal or journal_matches(citation.journal, record):
        return citation
    both = f"{citation.title}. {citation.journal}"
    for name in sorted(journal_names(record), key=len, reverse=True):
        words = re.findall(r"[^\W_]+", name)
        if not words:
            continue
        pattern = r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])"
        found = re.search(pattern, both, flags=re.IGNORECASE)
        if found and found.start() > 0:
            title, journal = both[: found.start()].rstrip(" .;:,"), both[found.start() :].strip(" .")
            return replace(citation, title=title, journal=journal)
    return citation


def compare(citation: Citation, record: Record, window: tuple[dt.date, dt.date] | None) -> list[Finding]:
    """Every way the citation and the record disagree (CITATION_CHECKS, in order), and what the record itself
    warns about."""
    key = citation.key
    out: list[Finding] = []

    def add(severity: str, check: str, message: str, cited: object = "", found: object = "") -> None:
        out.append(Finding(key, severity, check, message, str(cited), str(found)))

    citation = reread_with_journal(citation, record)
    for check in CITATION_CHECKS:
        check(citation, record, add)
    _status(record, add)
    if window:
        _window(citation, record, window, add)
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
    if citation.journal and journal_names(record) and not journal_matches(citation.journal, record):
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
        author = record.authors[0]
        first = author.last_name or author.collective_name
        if surname_key(citation.first_author) != surname_key(first):
            add("critical", "first_author", "the first author differs", citation.first_author, first)
        elif _initials_differ(citation.first_initials, initials := author.initials or initials_of(author.fore_name)):
            message = "the first author's initials differ (another person of the same name?)"
            add("warning", "first_author", message, f"{citation.first_author} {citation.first_initials}",
                f"{first} {initials}")  # fmt: skip
    people = len(record.authors)
    if not (citation.authors and people):
        return
    cited_n = len(citation.authors)
    if (not citation.et_al and cited_n != people) or (citation.et_al and cited_n > people):
        message = f"lists {cited_n} author(s){' et al.' if citation.et_al else ''}; the record has {people}"
        add("warning", "author_count", message, cited_n, people)


def _initials_differ(cited: str, known: str) -> bool:
    """Initials as cited and as the record has them start with different letters (both given)."""
    return bool(cited and known and cited[0] != known[0])


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


Span = tuple[dt.date, dt.date]


def _span(first: str, last: str = "") -> Span | None:
    """A partial ISO date ("2025", "2025-03", "2025-03-05") as the days it may be; None when unreadable."""
    try:
        start, end = iso_day(first[:10]), iso_day((last or first)[:10], last=True)
    except ValueError:
        return None
    return (start, end) if start and end else None


def _shown(span: Span) -> str:
    start, end = span
    if start == end:
        return start.isoformat()
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1 and start.month == end.month:
        return start.isoformat()[:7]
    return f"{start.isoformat()}..{end.isoformat()}"


def _placed(span: Span, window: Span) -> str:
    """inside, before or after the window, or straddles one of its edges."""
    if window[0] <= span[0] and span[1] <= window[1]:
        return "inside"
    if span[1] < window[0]:
        return "before"
    return "after" if span[0] > window[1] else "straddles"


def _window(citation: Citation, record: Record, window: Span, add: Add) -> None:
    """The record's print and electronic dates decide; when they cannot (none, or a bare year across an edge of
    the window), the dates the citation states do, and failing those the date PubMed received the record is
    shown beside a "cannot tell"."""
    spans = {name: span for name, value in (("print", record.pub_date), ("electronic", record.electronic_date))
             if value and (span := _span(value))}  # fmt: skip
    if _record_decides(spans, window, add):
        return
    vague = ", ".join(f"{name} {_shown(span)}" for name, span in spans.items()) or "no publication date"
    if _citation_decides(citation, window, vague, add):
        return
    shown_window = f"{window[0]}..{window[1]}"
    received = f"; PubMed received it on {record.entrez_date[:10]}" if record.entrez_date else ""
    if spans:
        message = f"cannot tell whether it was published inside the window {shown_window}: the record has {vague}"
    else:
        message = "the record has no publication date to check against the window"
    add("warning", "window", message + received, shown_window, vague)


def _record_decides(spans: dict[str, Span], window: Span, add: Add) -> bool:
    """A record date inside the window (a note when another is outside), or every one outside (critical)."""
    shown_window = f"{window[0]}..{window[1]}"
    placed = {name: _placed(span, window) for name, span in spans.items()}
    inside = [name for name, where in placed.items() if where == "inside"]
    outside = [name for name, where in placed.items() if where in ("before", "after")]
    if inside:
        if outside:
            other = _shown(spans[outside[0]])
            add("note", "window", f"only the {inside[0]} date is inside the window; the {outside[0]} date is {other}",
                shown_window, other)  # fmt: skip
        return True
    if placed and len(outside) == len(placed):
        sides = {placed[name] for name in outside}
        side = sides.pop() if len(sides) == 1 else "outside"
        shown = ", ".join(f"{name} {_shown(span)}" for name, span in spans.items())
        add("critical", "window", f"published {side} the review's window {shown_window}", shown_window, shown)
        return True
    return False


def _citation_decides(citation: Citation, window: Span, vague: str, add: Add) -> bool:
    """The dates the citation states, when the record cannot tell: one inside the window settles it; else the
    first is reported (critical when it lies wholly outside)."""
    stated = [(kind, span, _placed(span, window)) for kind, first, last in citation.dates
              if (span := _span(first, last))]  # fmt: skip
    if not stated or any(where == "inside" for *_, where in stated):
        return bool(stated)
    kind, span, where = stated[0]
    relation = where if where != "straddles" else "across an edge of"
    what = "e-publication" if kind == "epub" else "issue"
    message = (
        f"the citation dates it {_shown(span)} ({what}), {relation} the review's window {window[0]}..{window[1]}; "
        f"the record cannot tell ({vague})"
    )
    add("critical" if where != "straddles" else "warning", "window", message, _shown(span), vague)
    return True


# -- resolution and claims findings --------------------------------------------------------------------------
