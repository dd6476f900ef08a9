"""RIS, read and written: Zotero, EndNote, Mendeley, Scopus and Web of Science exports <-> Records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.formats.fields import PMID_FIELD, RIS_TYPES, language_code, person, year_in
from evsynth.models import Record, normalize_doi


def ris_entries(text: str, path: Path) -> Iterable[dict[str, list[str]]]:
    entry: dict[str, list[str]] = {}
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^([A-Z][A-Z0-9])  -(?: (.*))?$", line)
        if match:
            tag, value = match.group(1), (match.group(2) or "").strip()
            if tag == "ER":
                if entry:
                    yield entry
                entry, last = {}, ""
                continue
            entry.setdefault(tag, []).append(value)
            last = tag
        elif line.strip() and last:
            entry[last][-1] += " " + line.strip()
        elif line.strip():
            raise InputFileError(f"{path}: line {number}: not a RIS tag line: {line.strip()[:60]!r}")
    if entry:
        raise InputFileError(f"{path}: the last RIS entry has no 'ER  -' line")


def ris_record(entry: dict[str, list[str]], source: str) -> Record:
    def first(*tags: str) -> str:
        for tag in tags:
            if entry.get(tag):
                return entry[tag][0]
        return ""

    pmid = ""
    for tag in ("AN", "C2", "M2", "ID"):
        for value in entry.get(tag, []):
            match = PMID_FIELD.match(value.strip())
            if match and (tag != "ID" or value.upper().startswith("PMID")):
                pmid = match.group(1)
                break
        if pmid:
            break
    start, end = first("SP"), first("EP")
    date = first("PY", "Y1", "DA")
    kind = RIS_TYPES.get(first("TY"), "")
    return Record(
        pmid=pmid,
        source=source,
        source_id=first("AN") if not pmid else "",
        doi=normalize_doi(first("DO")) or first("DO"),
        title=first("TI", "T1"),
        abstract=first("AB", "N2"),
        journal=first("T2", "JO", "JF"),
        journal_iso=first("J2", "JA"),
        volume=first("VL"),
        issue=first("IS"),
        pages=f"{start}-{end}" if start and end else start,
        pub_year=year_in(date),
        pub_date=str(year_in(date) or ""),
        pub_date_text=date,
        languages=tuple(language_code(v) for v in entry.get("LA", []) if v),
        pub_types=(kind,) if kind else (),
        keywords=tuple(entry.get("KW", [])),
        authors=tuple(person(name) for name in entry.get("AU", []) + entry.get("A1", [])),
    )


def read_ris(path: Path, source: str) -> list[Record]:
    """RIS (Zotero, EndNote, Mendeley, Scopus, Web of Science exports)."""
    text = read_input_text(path)
    if not re.search(r"^TY  - ", text, re.MULTILINE):
        raise InputFileError(f"{path}: not a RIS file (no 'TY  - ' line)")
    return [ris_record(entry, source) for entry in ris_entries(text, path)]


def ris_lines(record: Record, note: str = "") -> Iterator[str]:
    """One record as RIS lines, ``ER  -`` last; ``note`` becomes an N1 line."""

    def tag(name: str, value: object) -> Iterator[str]:
        text = " ".join(str(value).split())
        if text:
            yield f"{name}  - {text}"

    yield "TY  - JOUR"
    yield from tag("TI", record.title)
    for author in record.authors:
        name = author.collective_name or ", ".join(p for p in (author.last_name, author.fore_name) if p)
        yield from tag("AU", name)
    yield from tag("PY", record.pub_year or "")
    if record.pub_date:
        yield from tag("DA", record.pub_date.replace("-", "/"))
    yield from tag("T2", record.journal)
    yield from tag("J2", record.journal_iso)
    yield from tag("VL", record.volume)
    yield from tag("IS", record.issue)
    first, _, last = record.pages.partition("-")
    yield from tag("SP", first)
    yield from tag("EP", last)
    yield from tag("DO", record.doi)
    yield from tag("AN", record.pmid)
    yield from tag("AB", record.abstract)
    for keyword in record.keywords:
        yield from tag("KW", keyword)
    for language in record.languages:
        yield from tag("LA", language)
    yield from tag("UR", record_url(record))
    yield from tag("N1", note)
    yield "ER  - "
    yield ""


def record_url(record: Record) -> str:
    if record.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/"
    return f"https://doi.org/{record.doi_normalized}" if record.doi_normalized else ""
