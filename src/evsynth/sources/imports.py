"""File imports: PubMed XML, MEDLINE (.nbib/.txt), RIS and Scopus CSV exports -> Records.

Each reader is pure (path -> list of Records); :func:`import_files` writes them
to the store as an ``import`` run per file, logged in ``imports`` with the file's
SHA-256. The format is taken from the file's content (and extension as a hint),
so a wrong extension still imports, and an unknown format is refused with a
one-line error naming the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_bytes, read_input_text
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Author, CommentCorrection, MeshHeading, Record, normalize_doi
from evsynth.store.database import Store, utc_now

FORMATS = ("pubmed_xml", "medline", "ris", "scopus_csv")

# ISO 639 language names -> PubMed's three-letter codes (the common ones in exports).
LANGUAGE_CODES = {
    "english": "eng", "german": "ger", "french": "fre", "spanish": "spa", "chinese": "chi",
    "japanese": "jpn", "portuguese": "por", "italian": "ita", "russian": "rus", "korean": "kor",
    "dutch": "dut", "polish": "pol", "turkish": "tur", "persian": "per", "czech": "cze",
    "en": "eng", "de": "ger", "fr": "fre", "es": "spa", "zh": "chi", "ja": "jpn", "pt": "por",
    "it": "ita", "ru": "rus", "ko": "kor",
}  # fmt: skip
# Scopus "Document Type" -> PubMed publication type names used by screening.
SCOPUS_TYPES = {
    "article": "Journal Article", "review": "Review", "conference paper": "Congress",
    "conference review": "Congress", "letter": "Letter", "editorial": "Editorial", "note": "Comment",
    "erratum": "Published Erratum", "retracted": "Retracted Publication", "short survey": "Review",
    "book chapter": "Book Chapter", "data paper": "Dataset",
}  # fmt: skip
RIS_TYPES = {
    "JOUR": "Journal Article", "CONF": "Congress", "CPAPER": "Congress", "ABST": "Congress",
    "BOOK": "Book", "CHAP": "Book Chapter", "THES": "Thesis", "RPRT": "Technical Report",
    "EJOUR": "Journal Article", "GEN": "Journal Article",
}  # fmt: skip
_PMID = re.compile(r"^(?:PMID:?\s*)?(\d{1,9})$", re.IGNORECASE)
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


def _language(value: str) -> str:
    value = value.strip()
    return LANGUAGE_CODES.get(value.lower(), value.lower()[:3]) if value else ""


def _year(value: str) -> int | None:
    match = _YEAR.search(value or "")
    return int(match.group(1)) if match else None


def _iso_compact(value: str) -> str:
    """'20210105' or '2021/01/05 06:00' -> '2021-01-05'."""
    digits = re.sub(r"\D", "", value or "")[:8]
    if len(digits) == 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return digits[:4]


def _person(name: str) -> Author:
    """'Doe, Jane A.' or 'Doe J.A.' -> Author."""
    name = name.strip()
    if "," in name:
        last, _, fore = name.partition(",")
        fore = fore.strip()
        initials = "".join(part[0] for part in re.split(r"[\s.\-]+", fore) if part)
        return Author(last_name=last.strip(), fore_name=fore, initials=initials.upper())
    parts = name.split()
    if len(parts) > 1:
        return Author(last_name=" ".join(parts[:-1]), initials=parts[-1].replace(".", ""))
    return Author(last_name=name)


# -- readers -----------------------------------------------------------------------------------


def read_pubmed_xml(path: Path, source: str) -> list[Record]:
    """PubMed XML (efetch output, a PubMed 'Save as XML' file, or a baseline file)."""
    return list(iter_pubmed_xml(path, source_name=source, keep_raw=True))


def _medline_record(entry: dict[str, object], source: str) -> Record:
    def one(key: str) -> str:
        value = entry.get(key, "")
        return " ".join(value) if isinstance(value, list) else str(value)

    def many(key: str) -> list[str]:
        value = entry.get(key, [])
        return value if isinstance(value, list) else [str(value)]

    doi = ""
    for identifier in many("AID") + many("LID"):
        if identifier.endswith("[doi]"):
            doi = identifier[: -len("[doi]")].strip()
            break
    mesh = []
    for heading in many("MH"):
        descriptor, *qualifiers = heading.split("/")
        major = descriptor.startswith("*") or any(q.startswith("*") for q in qualifiers)
        mesh.append(
            MeshHeading(
                ui="",
                name=descriptor.lstrip("*"),
                major=major,
                qualifiers=tuple(q.lstrip("*") for q in qualifiers),
            )
        )
    names = many("FAU") or many("AU")
    links = [("CIN", "CommentIn"), ("CON", "CommentOn"), ("EIN", "ErratumIn"), ("EFR", "ErratumFor"),
             ("RIN", "RetractionIn"), ("ROF", "RetractionOf")]  # fmt: skip
    return Record(
        pmid=one("PMID").strip(),
        source=source,
        doi=doi,
        pmcid=one("PMC").strip(),
        title=one("TI").strip(),
        abstract=one("AB").strip(),
        journal=one("JT").strip(),
        journal_iso=one("TA").strip(),
        volume=one("VI").strip(),
        issue=one("IP").strip(),
        pages=one("PG").strip(),
        pub_year=_year(one("DP")),
        pub_date=str(_year(one("DP")) or ""),
        pub_date_text=one("DP").strip(),
        electronic_date=_iso_compact(one("DEP")),
        entrez_date=_iso_compact(one("EDAT")),
        revised_date=_iso_compact(one("LR")),
        languages=tuple(many("LA")),
        pub_types=tuple(many("PT")),
        mesh=tuple(mesh),
        keywords=tuple(many("OT")),
        authors=tuple(_person(n) for n in names),
        comments_corrections=tuple(
            CommentCorrection(ref_type=kind, ref_source=text) for key, kind in links for text in many(key)
        ),
        status=one("STAT").strip(),
    )


def read_medline(path: Path, source: str) -> list[Record]:
    """MEDLINE text (PubMed 'Save as PubMed format', .nbib), via Bio.Medline."""
    from Bio import Medline

    text = read_input_text(path)
    if not re.search(r"^PMID- ", text, re.MULTILINE):
        raise InputFileError(f"{path}: not a MEDLINE file (no 'PMID- ' line)")
    records = [_medline_record(entry, source) for entry in Medline.parse(io.StringIO(text))]  # type: ignore[no-untyped-call]
    return [r for r in records if r.pmid]


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
            match = _PMID.match(value.strip())
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
        pub_year=_year(date),
        pub_date=str(_year(date) or ""),
        pub_date_text=date,
        languages=tuple(_language(v) for v in entry.get("LA", []) if v),
        pub_types=(kind,) if kind else (),
        keywords=tuple(entry.get("KW", [])),
        authors=tuple(_person(name) for name in entry.get("AU", []) + entry.get("A1", [])),
    )


def read_ris(path: Path, source: str) -> list[Record]:
    """RIS (Zotero, EndNote, Mendeley, Scopus, Web of Science exports)."""
    text = read_input_text(path)
    if not re.search(r"^TY  - ", text, re.MULTILINE):
        raise InputFileError(f"{path}: not a RIS file (no 'TY  - ' line)")
    return [ris_record(entry, source) for entry in ris_entries(text, path)]


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
        authors.append(_person(re.sub(r"\s*\(\d+\)$", "", name)))
    pmid = col("PubMed ID")
    return Record(
        pmid=pmid if pmid.isdigit() else "",
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
        pub_year=_year(col("Year")),
        pub_date=str(_year(col("Year")) or ""),
        pub_date_text=col("Year"),
        languages=tuple(_language(v) for v in col("Language of Original Document").split(";") if v.strip()),
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
        record = _scopus_record(row, source)
        if record.title:
            records.append(record)
    return records


READERS: dict[str, Callable[[Path, str], list[Record]]] = {
    "pubmed_xml": read_pubmed_xml,
    "medline": read_medline,
    "ris": read_ris,
    "scopus_csv": read_scopus_csv,
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


def read_records(path: Path, *, format_name: str | None = None, source: str | None = None) -> list[Record]:
    """Read every record of an export file, detecting its format unless given."""
    fmt = format_name or detect_format(path)
    if fmt not in READERS:
        raise InputFileError(f"{path}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return READERS[fmt](path, source or fmt)


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did."""

    path: Path
    format: str
    source: str
    records: int
    new: int
    run_id: int


@dataclass(frozen=True)
class LoadedFile:
    """An import file read and checked, not yet stored."""

    path: Path
    format: str
    source: str
    records: list[Record]
    digest: str


def load_files(paths: Iterable[Path], *, source: str | None = None, format_name: str | None = None) -> list[LoadedFile]:
    """Read and check every file; nothing is stored.

    Raises:
        InputFileError: a file is missing, unreadable, empty or not in a format evsynth reads.
        PubmedXMLError: a PubMed XML file is malformed or hostile.
    """
    loaded = []
    for path in paths:
        fmt = format_name or detect_format(path)
        records = read_records(path, format_name=fmt, source=source or fmt)
        loaded.append(LoadedFile(path, fmt, source or fmt, records, hashlib.sha256(path.read_bytes()).hexdigest()))
    return loaded


def store_files(store: Store, loaded: Iterable[LoadedFile], *, parent_run: int | None = None) -> list[ImportResult]:
    """Store loaded files, each as its own ``import`` run."""
    results = []
    for item in loaded:
        run_id = store.start_run("import", query=str(item.path), count_total=len(item.records), parent_run=parent_run)
        outcome = store.upsert_records(item.records, run_id, format_name=item.format, sighting=item.source)
        store.add_import(run_id, str(item.path), item.source, item.format, item.digest, len(item.records))
        store.update_run(run_id, status="complete", finished_at=utc_now(), count_new=outcome.new,
                         count_updated=outcome.updated)  # fmt: skip
        results.append(ImportResult(item.path, item.format, item.source, len(item.records), outcome.new, run_id))
    return results


def import_files(
    store: Store,
    paths: Iterable[Path],
    *,
    source: str | None = None,
    format_name: str | None = None,
    parent_run: int | None = None,
) -> list[ImportResult]:
    """Import each file as its own ``import`` run. Every file is read before anything is written,
    so one bad file leaves the store unchanged."""
    return store_files(store, load_files(paths, source=source, format_name=format_name), parent_run=parent_run)
