"""Reference lists as pasted from a paper, or exported as RIS or BibTeX, read into :class:`Citation` values.

Plain text is one reference per entry: numbered (``1.``, ``[1]``, ``1)``), or separated by blank lines, or
one per line. Each entry is read in the first style that fits it:

* Vancouver/NLM: ``Arden A, Belmont B, et al. Title. J Synth Psychiatry. 2022;5(3):123-9. doi:10.5555/x``
* MDPI/ACS: ``Arden, A.; Belmont, B. Title. J. Synth. Psychiatry 2022, 5, 123-129.``
* APA: ``Arden, A., & Belmont, B. (2022). Title. Journal of Synthetic Psychiatry, 5(3), 123-129.``

DOIs, PMIDs and PMCIDs are found anywhere in an entry. What cannot be read is left empty, and an entry that
fits no style keeps its text, and its longest sentence of four words or more as the title to search for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.formats.ris import ris_entries, ris_record
from evsynth.models import normalize_doi

STYLES = ("vancouver", "mdpi", "apa", "ris", "bibtex", "unparsed")


@dataclass(frozen=True, slots=True)
class Citation:
    """One reference as the review cites it. ``authors`` are surnames, first author first."""

    key: str  # the reference number (or the RIS/BibTeX position or key)
    text: str  # the reference as given, on one line
    style: str = "unparsed"
    authors: tuple[str, ...] = ()
    et_al: bool = False
    first_initials: str = ""  # the first author's initials as cited ("CE" for "Saez CE" or "Saez, C.-E.")
    title: str = ""
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    line: int = 0  # where the entry starts in the file
    dates: tuple[tuple[str, str, str], ...] = ()  # (issue | epub, first day, last day) the text states

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""

    @property
    def first_page(self) -> str:
        return first_page(self.pages)


def first_page(pages: str) -> str:
    """``"123-9"`` -> ``"123"``; ``"e0123"`` -> ``"e0123"``."""
    return re.split(r"\s*[-,]\s*", pages.strip(), maxsplit=1)[0] if pages else ""


# -- finding the parts every style shares -----------------------------------------------------------------------

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-"})
_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|\bdoi:?\s*)?(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b", re.IGNORECASE)
_PMCID = re.compile(r"\bPMCID:?\s*PMC\d+\b|\bPMC\d{4,}\b", re.IGNORECASE)
_URL = re.compile(r"(?:Available (?:from|online):?\s*)?https?://\S+", re.IGNORECASE)
_LINKS = re.compile(
    r"\[(?:CrossRef|PubMed|Google Scholar|Green Version|PMC free article|DOI|Internet|cited[^\]]*)\]", re.IGNORECASE
)
_EPUB = re.compile(r"\bEpub(?: ahead of print)?\s*(?:\d{4}(?:\s+[A-Z][a-z]{2})?(?:\s+\d{1,2})?)?\.?", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)]|(\d{1,4})(?=\s))\s*")


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_CITED_DATE = re.compile(
    r"(?P<before>\bEpub\s+)?\b(?P<year>(?:19|20)\d\d)\s+(?P<month>"
    + _MONTH
    + r")(?:\s*-\s*(?P<until>"
    + _MONTH
    + r"))?(?:\s+(?P<day>\d{1,2})\b)?(?P<after>[.;,]?\s*Epub ahead of print)?",
    re.IGNORECASE,
)


def cited_dates(text: str) -> tuple[tuple[str, str, str], ...]:
    """The dates a reference states, as (issue | epub, first day, last day): ``2025 Oct;198(7)`` (an issue),
    ``Epub 2025 Jun 17`` and ``2025 Aug 5. Epub ahead of print`` (e-publication), ``2022 Jan-Feb`` (a range).
    A date inside ``[cited ...]`` is when a web page was read, not a publication date."""
    found = []
    for match in _CITED_DATE.finditer(re.sub(r"\[cited[^\]]*\]", " ", text, flags=re.IGNORECASE)):
        year = int(match.group("year"))
        first = _MONTH_NAMES.index(match.group("month")[:3].lower()) + 1
        last = _MONTH_NAMES.index(match.group("until")[:3].lower()) + 1 if match.group("until") else first
        day = match.group("day")
        start = f"{year}-{first:02d}" + (f"-{int(day):02d}" if day and not match.group("until") else "")
        end = f"{year}-{last:02d}" + (f"-{int(day):02d}" if day and not match.group("until") else "")
        kind = "epub" if match.group("before") or match.group("after") else "issue"
        found.append((kind, start, end))
    return tuple(found)


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).translate(_DASHES).split())


def _identifiers(text: str) -> tuple[str, str, str]:
    """(text without identifiers and links, DOI, PMID)."""
    doi = ""
    match = _DOI.search(text)
    if match:
        doi = normalize_doi(match.group(1).rstrip(".,;)]"))
        text = text[: match.start()] + text[match.end() :]
    pmid_match = _PMID.search(text)
    pmid = pmid_match.group(1) if pmid_match else ""
    for pattern in (_PMID, _PMCID, _URL, _LINKS, _EPUB):
        text = pattern.sub(" ", text)
    text = re.sub(r"\s+([.,;])", r"\1", " ".join(text.split()))
    text = re.sub(r"([.,;])(?:\s*[.,;])+", r"\1", text)
    return text.strip(" ;,"), doi, pmid


def _trim(text: str) -> str:
    return text.strip().strip(".").strip()


# -- authors ----------------------------------------------------------------------------------------------------

_ET_AL = re.compile(r",?\s*\bet\s+al\b\.?", re.IGNORECASE)


def _surname_vancouver(name: str) -> str:
    parts = name.split()
    if len(parts) > 1 and re.fullmatch(r"[A-Z][A-Z\-]{0,4}", parts[-1]):
        parts = parts[:-1]
    return " ".join(parts)


def _vancouver_authors(text: str) -> dict[str, object]:
    et_al = bool(_ET_AL.search(text))
    names = [n.strip() for n in _ET_AL.sub("", text).split(",") if n.strip()]
    last = names[0].split()[-1] if names and len(names[0].split()) > 1 else ""
    initials = last.replace("-", "") if re.fullmatch(r"[A-Z][A-Z\-]{0,4}", last) else ""
    return {"authors": tuple(_surname_vancouver(n) for n in names), "et_al": et_al, "first_initials": initials}


_MDPI_AUTHOR = re.compile(r"\s*([^,;&]+?),\s*((?:[A-Z][a-z]?\.\s?-?\s?)+)")


def _inverted_authors(text: str) -> dict[str, object]:
    """``Arden, A.; Belmont, B.-C. and Corvin, C.`` or APA's ``Arden, A., Belmont, B., & Corvin, C.``."""
    et_al = bool(_ET_AL.search(text))
    text = _ET_AL.sub("", text)
    text = re.sub(r"\s*(?:;|,)?\s*(?:&|\band\b)\s*", "; ", text)
    found = [(m.group(1).strip(" ;,"), re.sub(r"[^A-Z]", "", m.group(2))) for m in _MDPI_AUTHOR.finditer(text)]
    found = [(name, initials) for name, initials in found if name]
    return {"authors": tuple(name for name, _ in found), "et_al": et_al,
            "first_initials": found[0][1] if found else ""}  # fmt: skip


# -- styles -----------------------------------------------------------------------------------------------------

_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_VANCOUVER_TAIL = re.compile(
    r"[.?!]\s+(?P<journal>[^.?!;]+?)\.?\s+" + _YEAR + r"(?:\s+[A-Z][a-z]{2}(?:-[A-Z][a-z]{2})?(?:\s+\d{1,2})?)?"
    r"\s*(?:;\s*(?P<volume>[^(:;\s]+)?\s*(?:\((?P<issue>[^)]*)\))?\s*(?::\s*(?P<pages>[A-Za-z]?\d[\w]*"
    r"(?:-[A-Za-z]?\d[\w]*)?))?|(?=\s*\.?\s*$))\s*[.;]?\s*(?P<rest>.*)$"
)
_MDPI_TAIL = re.compile(
    r"\s" + _YEAR + r",\s*(?P<volume>[^,\s(]+)(?:\s*\((?P<issue>[^)]*)\))?"
    r"(?:,\s*(?P<pages>[A-Za-z]?\d[\w]*(?:-[A-Za-z]?\d[\w]*)?))?\s*\.?\s*(?P<rest>.*)$"
)
_APA_YEAR = re.compile(r"^(?P<authors>.+?)\s*\(" + _YEAR + r"[a-z]?(?:,[^)]*)?\)\.\s*(?P<rest>.+)$")
_APA_SOURCE = re.compile(
    r"^(?P<title>.+?[.?!])\s+(?P<journal>[^,]+?),\s*(?P<volume>\d+)(?:\s*\((?P<issue>[^)]*)\))?"
    r"(?:,\s*(?P<pages>[A-Za-z]?\d[\w]*(?:-[A-Za-z]?\d[\w]*)?))?\.?\s*$"
)


# words that may be lower case in a journal name
CONNECTORS = frozenset({"of", "and", "the", "in", "for", "on", "&", "de", "la", "und", "y", "-", "et"})


def _split_head(head: str, *, inverted: bool) -> tuple[str, str]:
    """Split ``Authors. Title...`` into the authors and the rest."""
    match = _ET_AL.search(head)
    if match:
        return head[: match.end()], head[match.end() :]
    if inverted:  # "Arden, A.; Belmont, B.-C. and Corvin, C. Title": names with dotted initials
        found = re.match(r"^((?:[^,;.]+?,\s*(?:[A-Z][a-z]?\.\s?-?\s?)+(?:;\s*|,?\s*(?:and|&)\s+)?)+)(.*)$", head)
        if found:
            return found.group(1), found.group(2)
    authors, _, rest = head.partition(". ")
    return (authors, rest) if rest else ("", head)


def _title_and_journal(text: str) -> tuple[str, str]:
    """``Title. J. Synth. Psychiatry`` -> (title, journal): the journal is the first tail of capitalised words."""
    for match in re.finditer(r"[.?!]\s+", text):
        tail = text[match.end() :]
        words = tail.replace(".", " ").split()
        if words and all(w[0].isupper() or w.lower() in CONNECTORS for w in words):
            return text[: match.start() + 1], tail
    return text, ""


def _vancouver(text: str) -> dict[str, object] | None:
    match = _VANCOUVER_TAIL.search(text)
    if not match or re.search(r"\d", match.group("journal")):
        return None
    authors_text, title = _split_head(text[: match.start() + 1], inverted=False)
    if "," in authors_text and re.search(r",\s*[A-Z]\.", authors_text):
        return None  # inverted names with dotted initials: MDPI or APA
    return {**_vancouver_authors(authors_text), "title": _trim(title), **_source(match)}


def _mdpi(text: str) -> dict[str, object] | None:
    match = _MDPI_TAIL.search(text)
    if not match:
        return None
    year_at = match.start("year")
    authors_text, rest = _split_head(text[:year_at].strip(), inverted=True)
    title, journal = _title_and_journal(rest.strip())
    if not journal:
        return None
    return {**_inverted_authors(authors_text), "title": _trim(title), **_source(match), "journal": _trim(journal)}


def _apa(text: str) -> dict[str, object] | None:
    match = _APA_YEAR.match(text)
    if not match or re.match(r"(?:1[89]|20)\d\d\s*[;:(]", match.group("rest")):
        return None  # "J Appl Physiol (1985). 2002;93(4)": a journal named with a year, in a Vancouver reference
    fields: dict[str, object] = {**_inverted_authors(match.group("authors")), "year": int(match.group("year"))}
    source = _APA_SOURCE.match(match.group("rest"))
    if source:
        fields.update(
            title=_trim(source.group("title")),
            journal=_trim(source.group("journal")),
            volume=source.group("volume") or "",
            issue=source.group("issue") or "",
            pages=source.group("pages") or "",
        )
    else:
        fields["title"] = _trim(match.group("rest").split(". ")[0])
    return fields


def _source(match: re.Match[str]) -> dict[str, object]:
    return {
        "journal": _trim(match.groupdict().get("journal") or ""), "year": int(match.group("year")),
        "volume": (match.group("volume") or "").strip(), "issue": (match.group("issue") or "").strip(),
        "pages": match.group("pages") or "",
    }  # fmt: skip


def parse_reference(text: str, key: str = "", line: int = 0) -> Citation:
    """Read one plain-text reference in the first style that fits it."""
    shown = _clean(text)
    body, doi, pmid = _identifiers(shown)
    citation = Citation(key=key, text=shown, doi=doi, pmid=pmid, line=line, dates=cited_dates(shown))
    for style, reader in (("apa", _apa), ("vancouver", _vancouver), ("mdpi", _mdpi)):
        fields = reader(body)
        if fields and fields.get("title"):
            return replace(citation, style=style, **fields)  # type: ignore[arg-type]
    segments = [_trim(part) for part in re.split(r"[.?!]\s+", body)]
    longest = max(segments, key=lambda part: len(part.split()), default="")
    return replace(citation, title=longest) if len(longest.split()) >= 4 else citation


# -- splitting a pasted list into entries ----------------------------------------------------------------------


def _entries(text: str) -> Iterator[tuple[str, str, int]]:
    """(number, text, line) for each entry of a pasted reference list (lines starting with # are comments): by
    its numbers (1., [1], 1)) when most entries carry one, else by blank lines or one a line."""
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    starts = _numbered_starts(lines)
    if len(starts) >= max(1, sum(1 for line in lines if line.strip()) // 6):
        bounds = [s[0] for s in starts[1:]] + [len(lines)]
        for (index, label, offset), end in zip(starts, bounds, strict=True):
            body = " ".join([lines[index][offset:], *lines[index + 1 : end]])
            if body.strip():
                yield label, body, index + 1
        return
    count = 0
    for index, block in _blocks(lines):
        if block:
            count += 1
            yield str(count), " ".join(block), index + 1


def _numbered_starts(lines: list[str]) -> list[tuple[int, str, int]]:
    """(line index, number, where the text starts) of lines opening with the next number of the list."""
    starts = []
    expected = None
    for index, line in enumerate(lines):
        match = _NUMBER.match(line)
        if not match:
            continue
        number = int(next(g for g in match.groups() if g))
        if expected is None or number == expected:
            starts.append((index, str(number), match.end()))
            expected = number + 1
    return starts


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Entries as blocks of lines between blank lines, or one a line when the list has no blank lines."""
    blocks: list[tuple[int, list[str]]] = []
    separated = any(not line.strip() for line in lines[:-1]) and any(
        a.strip() and b.strip() for a, b in zip(lines, lines[1:], strict=False)
    )
    for index, line in enumerate(lines):
        if not line.strip():
            if separated and blocks and blocks[-1][1]:
                blocks.append((index + 1, []))
            continue
        if not blocks or (not separated and blocks[-1][1]):
            blocks.append((index, []))
        blocks[-1][1].append(line)
    return blocks


# -- RIS and BibTeX ---------------------------------------------------------------------------------------------


def _ris_citation(entry: dict[str, list[str]], key: str) -> Citation:
    record = ris_record(entry, "references")
    text = "; ".join(f"{tag} {values[0]}" for tag, values in entry.items() if tag in ("AU", "TI", "T2", "PY"))
    return Citation(
        key=key, text=_clean(text), style="ris", title=_clean(record.title),
        authors=tuple(a.last_name or a.collective_name for a in record.authors),
        first_initials=initials_of(record.authors[0].fore_name) if record.authors else "",
        journal=_clean(record.journal or record.journal_iso), year=record.pub_year, volume=record.volume,
        issue=record.issue, pages=record.pages, doi=record.doi_normalized, pmid=record.pmid,
    )  # fmt: skip


_BIB_ENTRY = re.compile(r"@(\w+)\s*[{(]\s*([^,\s]*)\s*,", re.MULTILINE)


def _bib_value(text: str, pos: int, path: Path) -> tuple[str, int]:
    """The value starting at ``pos`` ({...}, "..." or a bare word) and the position after it."""
    if text[pos] in '{"':
        closer = "}" if text[pos] == "{" else '"'
        depth, index = 0, pos
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}" and (closer == "}" or depth > 0):
                depth -= 1
                if closer == "}" and depth == 0:
                    return text[pos + 1 : index], index + 1
            elif char == '"' and closer == '"' and depth == 0 and index > pos:
                return text[pos + 1 : index], index + 1
            index += 1
        line = text.count("\n", 0, pos) + 1
        raise InputFileError(f"{path}: line {line}: a BibTeX value is never closed")
    match = re.match(r"[^,}\s]+", text[pos:])
    return (match.group(), pos + match.end()) if match else ("", pos)


def _bib_fields(text: str, start: int, path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    pos = start
    while True:
        match = re.compile(r"\s*,?\s*(?:([A-Za-z][\w\-]*)\s*=\s*|[})])").match(text, pos)
        if not match or not match.group(1):
            return fields
        value, pos = _bib_value(text, match.end(), path)
        fields[match.group(1).lower()] = _clean(re.sub(r"[{}]", "", value).replace("\\&", "&"))


def initials_of(fore_names: str) -> str:
    """``"Carlos Eduardo"`` or ``"C.-E."`` -> ``"CE"``."""
    return "".join(part[0] for part in re.split(r"[\s.\-]+", fore_names) if part and part[0].isalpha()).upper()


def _bib_citation(kind: str, key: str, fields: dict[str, str]) -> Citation:
    names = [n.strip() for n in re.split(r"\s+and\s+", fields.get("author", "")) if n.strip()]
    surnames = tuple(n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names if n != "others")
    first = names[0] if names and names[0] != "others" else ""
    fore = first.split(",", 1)[1] if "," in first else " ".join(first.split()[:-1])
    year = re.search(r"(?:1[89]|20)\d\d", fields.get("year", "") or fields.get("date", ""))
    pmid = re.sub(r"\D", "", fields.get("pmid", ""))
    text = (
        f"{kind} {key}: {fields.get('author', '')}. {fields.get('title', '')}. {fields.get('journal', '')} "
        f"{fields.get('year', '')}"
    )
    return Citation(
        key=key, text=_clean(text), style="bibtex", authors=surnames, et_al="others" in names,
        first_initials=initials_of(fore),
        title=fields.get("title", ""), journal=fields.get("journal", "") or fields.get("journaltitle", ""),
        year=int(year.group()) if year else None, volume=fields.get("volume", ""),
        issue=fields.get("number", "") or fields.get("issue", ""), pages=fields.get("pages", "").replace("--", "-"),
        doi=normalize_doi(fields.get("doi", "")), pmid=pmid,
    )  # fmt: skip


def parse_bibtex(text: str, path: Path) -> list[Citation]:
    citations: list[Citation] = []
    for match in _BIB_ENTRY.finditer(text):
        kind = match.group(1).lower()
        if kind in ("comment", "preamble", "string"):
            continue
        fields = _bib_fields(text, match.end(), path)
        citation = _bib_citation(kind, match.group(2) or str(len(citations) + 1), fields)
        citations.append(replace(citation, line=text.count("\n", 0, match.start()) + 1))
    return citations


# -- the reader -------------------------------------------------------------------------------------------------


def detect_reference_format(text: str) -> str:
    if re.search(r"^TY  - ", text, re.MULTILINE):
        return "ris"
    if _BIB_ENTRY.search(text):
        return "bibtex"
    return "text"


def read_references(path: Path) -> list[Citation]:
    """Every reference in ``path`` (a pasted list, RIS or BibTeX), or a one-line error naming the file.

    Raises:
        InputFileError: the file is missing, not UTF-8 text, or holds no reference.
    """
    text = read_input_text(path)
    if not text:
        raise InputFileError(f"{path}: empty file (0 bytes)")
    if not text.strip():
        raise InputFileError(f"{path}: only blank lines, no references")
    kind = detect_reference_format(text)
    citations: list[Citation]
    if kind == "ris":
        citations = [_ris_citation(entry, str(n)) for n, entry in enumerate(ris_entries(text, path), 1)]
    elif kind == "bibtex":
        citations = parse_bibtex(text, path)
    else:
        citations = [parse_reference(body, number, line) for number, body, line in _entries(text)]
    if not citations:
        raise InputFileError(f"{path}: no references found (expected a numbered list, RIS or BibTeX)")
    keys = [c.key for c in citations]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InputFileError(f"{path}: reference {repeated[0]!r} appears more than once")
    return citations
