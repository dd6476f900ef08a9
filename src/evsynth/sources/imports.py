"""File imports: each file stored as an ``import`` run, all files in one transaction.

The readers are pure and live in :mod:`evsynth.formats` (their registry is
:data:`evsynth.formats.registry.IMPORT_FORMATS`). Here, :func:`open_files` opens and checks every
file, and :func:`store_files` writes each as an ``import`` run, logged in ``imports`` with the file's
SHA-256. PubMed XML is parsed as it is stored, so memory stays flat whatever the file's size; the one
transaction means a file found broken half-way leaves the store unchanged. :func:`load_files` reads
whole files instead, for a run that checks its imports before it harvests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evsynth.errors import InputFileError
from evsynth.formats.registry import detect_format, read_file, whole_pubmed_file
from evsynth.sources.parallel_xml import PARALLEL_MIN_BYTES, rows_in_workers
from evsynth.store.database import Store, row_values, utc_now


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did."""

    path: Path
    format: str
    source: str
    records: int
    new: int
    run_id: int
    deleted: int = 0  # stored records the file says PubMed deleted, now marked so


@dataclass(frozen=True)
class LoadedFile:
    """An import file opened and checked, not yet stored: its records, as store rows, are a stream (PubMed XML is
    parsed as it is stored) or, from :func:`load_files`, read already."""

    path: Path
    format: str
    source: str
    rows: Iterable[dict[str, Any]]  # evsynth.store.database.row_values of each record
    digest: str
    deleted: Sequence[str] = ()  # PMIDs the file says PubMed deleted (complete once the records are read)


def open_files(
    paths: Iterable[Path],
    *,
    source: str | None = None,
    format_name: str | None = None,
    keep_raw: bool = False,
    workers: int = 1,
) -> list[LoadedFile]:
    """Open every file: its format named and its SHA-256 taken (read in blocks); the records are read as they are
    stored. ``keep_raw`` keeps each PubMed XML record's XML; with ``workers`` > 1 a big PubMed XML file is parsed
    by that many processes (the same rows, in the same order).

    Raises:
        InputFileError: a file is missing, unreadable, empty or not in a format evsynth reads (RIS, MEDLINE and
            Scopus files are read whole here; a PubMed XML file's errors come as its records are read).
    """
    opened = []
    for path in paths:
        fmt = format_name or detect_format(path)
        name = source or fmt
        rows: Iterable[dict[str, Any]]
        deleted: Sequence[str]
        if fmt == "pubmed_xml" and workers > 1 and path.stat().st_size >= PARALLEL_MIN_BYTES:
            gone: list[str] = []  # filled as the workers' documents come back
            parsed = rows_in_workers(path, source=name, format_name=fmt, keep_raw=keep_raw, workers=workers,
                                     deleted=gone)  # fmt: skip
            rows, deleted = whole_pubmed_file(path, parsed, gone), gone
        else:
            contents = read_file(path, format_name=fmt, source=name, keep_raw=keep_raw)
            rows, deleted = (row_values(record, fmt) for record in contents.records), contents.deleted
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        opened.append(LoadedFile(path, fmt, name, rows, digest, deleted))
    return opened


def load_files(
    paths: Iterable[Path], *, source: str | None = None, format_name: str | None = None, keep_raw: bool = False
) -> list[LoadedFile]:
    """Read and check every file whole; nothing is stored (for a run, which checks its imports before it harvests).

    Raises:
        InputFileError: a file is missing, unreadable, empty or not in a format evsynth reads.
        PubmedXMLError: a PubMed XML file is malformed or hostile.
    """
    return [
        replace(item, rows=list(item.rows))
        for item in open_files(paths, source=source, format_name=format_name, keep_raw=keep_raw)
    ]


def store_files(
    store: Store, loaded: Iterable[LoadedFile], *, parent_run: int | None = None, protocol_name: str | None = None
) -> list[ImportResult]:
    """Store the files, each as its own ``import`` run (for the protocol named, or for every protocol of the
    store when None and there is no ``parent_run``), all in one transaction: a file that turns out broken while
    its records are read leaves the store as it was.

    Raises:
        InputFileError: a file was imported before under another source name (nothing is stored): PRISMA would
            count its records once for each name, as if two databases had found them.
        PubmedXMLError: a PubMed XML file read as it is stored is malformed or hostile (nothing is stored).
    """
    loaded = list(loaded)
    for item in loaded:
        if (earlier := store.earlier_import(item.digest, item.source)) is not None:
            raise InputFileError(
                f"{item.path}: the same file was imported on {earlier[1]} as source {earlier[0]!r}; import it as "
                f"{earlier[0]!r} again (--source), or PRISMA would count its records under both names"
            )
    results = []
    with store.transaction():
        for item in loaded:
            run_id = store.start_run("import", query=str(item.path), parent_run=parent_run,
                                     protocol_name=protocol_name)  # fmt: skip
            rows = ((row, item.source) for row in item.rows)
            outcome = store.upsert_rows(rows, run_id, format_name=item.format)
            count = outcome.new + outcome.updated + outcome.unchanged
            store.add_import(run_id, str(item.path), item.source, item.format, item.digest, count)
            deleted = store.mark_deleted(run_id, item.deleted) if item.deleted else 0
            store.update_run(run_id, status="complete", finished_at=utc_now(), count_total=count,
                             count_new=outcome.new, count_updated=outcome.updated)  # fmt: skip
            results.append(ImportResult(item.path, item.format, item.source, count, outcome.new, run_id, deleted))
    return results


def import_files(
    store: Store,
    paths: Iterable[Path],
    *,
    source: str | None = None,
    format_name: str | None = None,
    parent_run: int | None = None,
    protocol_name: str | None = None,
    keep_raw: bool = False,
    workers: int = 1,
) -> list[ImportResult]:
    """Import each file as its own ``import`` run, streaming PubMed XML into the store. Every file is opened and
    checked first, and all are stored in one transaction, so one bad file leaves the store unchanged."""
    opened = open_files(paths, source=source, format_name=format_name, keep_raw=keep_raw, workers=workers)
    return store_files(store, opened, parent_run=parent_run, protocol_name=protocol_name)
