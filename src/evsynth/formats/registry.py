"""The import formats evsynth reads: one registry, read by the importer, the protocol checker, the CLI and the
docs test. A new format is a reader module in this package and one entry here.

Example:
    >>> sorted(IMPORT_FORMATS)
    ['medline', 'pubmed_xml', 'ris', 'scopus_csv']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_bytes
from evsynth.formats.medline import read_medline
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.formats.ris import read_ris
from evsynth.formats.scopus import read_scopus_csv
from evsynth.models import Record

T = TypeVar("T")


@dataclass(frozen=True)
class FileContents:
    """What an export file holds: its records, as a stream for the formats that can be read as one (PubMed XML),
    and the PMIDs it says PubMed deleted (an update file's DeleteCitation; no other format has any), complete
    once the records are read."""

    records: Iterator[Record]
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportFormat:
    """A file format records are imported from."""

    name: str
    description: str
    read: Callable[[Path, str, bool], FileContents]  # (path, source name, keep raw XML) -> contents


def read_pubmed_xml(path: Path, source: str, keep_raw: bool = False) -> FileContents:
    """PubMed XML (efetch output, a PubMed 'Save as XML' file, a baseline or update file), read as it is
    consumed; ``keep_raw`` keeps each record's XML.

    Raises (while the records are read):
        InputFileError: the file holds no PubMed record.
        PubmedXMLError: it is malformed or hostile.
    """
    deleted: list[str] = []
    records = iter_pubmed_xml(path, source_name=source, keep_raw=keep_raw, deleted=deleted)
    return FileContents(whole_pubmed_file(path, records, deleted), deleted)


def whole_pubmed_file(path: Path, items: Iterable[T], deleted: list[str]) -> Iterator[T]:
    """What a PubMed XML file's records were read into (records, or store rows), as they come; then the file is
    refused if it held neither a record nor a DeleteCitation, and ``deleted`` (filled as they were read) keeps
    each PMID once."""
    found = 0
    for item in items:
        found += 1
        yield item
    if not found and not deleted:
        raise InputFileError(f"{path}: no PubMed records in the file (nothing to import)")
    deleted[:] = dict.fromkeys(p for p in deleted if p)


def _records_only(read: Callable[[Path, str], list[Record]]) -> Callable[[Path, str, bool], FileContents]:
    """A reader of a format without raw XML, which reads the whole file (exports are small)."""
    return lambda path, source, keep_raw: FileContents(iter(read(path, source)))


IMPORT_FORMATS: dict[str, ImportFormat] = {
    fmt.name: fmt
    for fmt in (
        ImportFormat(
            "pubmed_xml", "PubMed XML: efetch output, 'Save as XML', baseline and update files", read_pubmed_xml
        ),
        ImportFormat(
            "medline", "MEDLINE text: PubMed's 'Save as PubMed format' (.nbib, .txt)", _records_only(read_medline)
        ),
        ImportFormat(
            "ris", "RIS: Zotero, EndNote, Mendeley, Scopus and Web of Science exports", _records_only(read_ris)
        ),
        ImportFormat("scopus_csv", "Scopus CSV export", _records_only(read_scopus_csv)),
    )
}


def detect_format(path: Path) -> str:
    """Name the format of ``path`` from its first bytes (and its extension as a hint).

    Raises:
        InputFileError: missing file, or a format evsynth does not read.
    """
    head = read_input_bytes(path, 4096)
    if not head.strip():
        raise InputFileError(f"{path}: empty file ({'0 bytes' if not head else 'only blank lines'})")
    if head[:2] == b"\x1f\x8b" or b"<PubmedArticleSet" in head or b"<!DOCTYPE PubmedArticleSet" in head:
        return "pubmed_xml"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not merely a character cut at the 4,096-byte boundary
            raise InputFileError(f"{path}: not UTF-8 text (invalid byte at offset {err.start})") from None
        text = head[: err.start].decode("utf-8-sig")
    if re.search(r"^PMID- ", text, re.MULTILINE):
        return "medline"
    if re.search(r"^TY  - ", text, re.MULTILINE):
        return "ris"
    first_line = text.splitlines()[0] if text else ""
    if "Title" in first_line and "," in first_line and ("EID" in first_line or "Source title" in first_line):
        return "scopus_csv"
    if text.lstrip().startswith("<"):
        return "pubmed_xml"
    raise InputFileError(f"{path}: unknown format (evsynth reads PubMed XML, MEDLINE/.nbib, RIS and Scopus CSV)")


def read_file(
    path: Path, *, format_name: str | None = None, source: str | None = None, keep_raw: bool = False
) -> FileContents:
    """Open an export file, detecting its format unless given; its records are read as they are consumed."""
    fmt = format_name or detect_format(path)
    if fmt not in IMPORT_FORMATS:
        raise InputFileError(f"{path}: unknown format {fmt!r} (one of {', '.join(IMPORT_FORMATS)})")
    return IMPORT_FORMATS[fmt].read(path, source or fmt, keep_raw)


def read_records(path: Path, *, format_name: str | None = None, source: str | None = None) -> list[Record]:
    """Read every record of an export file, detecting its format unless given."""
    return list(read_file(path, format_name=format_name, source=source).records)
