"""Scopus CSV exports (all columns, or the citation and abstract subset) -> Records."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.formats.fields import SCOPUS_TYPES, checked_pmid, language_code, person, year_in
from evsynth.models import Record

_SCOPUS_REQUIRED = ("Title", "Year")


def _scopus_record(row: dict[str, str], source: str) -> Record:
    def col(name: str) -> str:
        return (row.get(name) or "").strip()

    abstract = col("Abstract")
    if abstract.lower().startswith("[no abstract available]"):
        abstract = ""
    start, end = col("Page start"), col("Page end")
    kinds = [SCOPUS_TYPES.get(col("Document Type").lower(), col("Document Type"))] if col("Document Type") else []
    if col("Publication Stage").lower().startswith("article in press"):
        kinds.append("Article in Press")
    names = col("Author full names") or col("Authors")
    authors = []
    for name in filter(None, (n.strip() for n in names.split(";"))):
        authors.append(person(re.sub(r"\s*\(\d+\)$", "", name)))
    pmid = col("PubMed ID")
    return Record(
        pmid=checked_pmid(pmid) or "",
        source=source,
        source_id=col("EID"),
        doi=col("DOI"),
        title=col("Title"),
        abstract=abstract,
        journal=col("Source title"),
        journal_iso=col("Abbreviated Source Title"),
        volume=col("Volume"),
        issue=col("Issue"),
        pages=f"{start}-{end}" if start and end else start or col("Art. No."),
        pub_year=year_in(col("Year")),
        pub_date=str(year_in(col("Year")) or ""),
        pub_date_text=col("Year"),
        languages=tuple(language_code(v) for v in col("Language of Original Document").split(";") if v.strip()),
        pub_types=tuple(kinds),
        keywords=tuple(k.strip() for k in col("Author Keywords").split(";") if k.strip()),
        authors=tuple(authors),
    )


def read_scopus_csv(path: Path, source: str) -> list[Record]:
    """A Scopus CSV export (all columns or the citation+abstract subset)."""
    text = read_input_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in _SCOPUS_REQUIRED if c not in header]
    if missing:
        raise InputFileError(f"{path}: not a Scopus CSV export (missing column(s) {', '.join(missing)})")
    reader.fieldnames = header
    records = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise InputFileError(f"{path}: row {line} has more fields than the header")
        if checked_pmid(row.get("PubMed ID") or "") is None:
            raise InputFileError(f"{path}: row {line}: PubMed ID {row.get('PubMed ID')!r} is not a PubMed id")
        record = _scopus_record(row, source)
        if record.title:
            records.append(record)
    return records
