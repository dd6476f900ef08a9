"""File imports: every file read and checked first, then each stored as an ``import`` run.

The readers are pure and live in :mod:`evsynth.formats` (their registry is
:data:`evsynth.formats.registry.IMPORT_FORMATS`). Here, :func:`load_files` reads and checks
every file before anything is written, so one bad file leaves the store unchanged, and
:func:`store_files` writes each as an ``import`` run, logged in ``imports`` with the file's SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.formats.registry import detect_format, read_file
from evsynth.models import Record
from evsynth.store.database import Store, utc_now


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
    """An import file read and checked, not yet stored."""

    path: Path
    format: str
    source: str
    records: list[Record]
    digest: str
    deleted: tuple[str, ...] = ()  # PMIDs the file says PubMed deleted


def load_files(paths: Iterable[Path], *, source: str | None = None, format_name: str | None = None) -> list[LoadedFile]:
    """Read and check every file; nothing is stored.

    Raises:
        InputFileError: a file is missing, unreadable, empty or not in a format evsynth reads.
        PubmedXMLError: a PubMed XML file is malformed or hostile.
    """
    loaded = []
    for path in paths:
        fmt = format_name or detect_format(path)
        contents = read_file(path, format_name=fmt, source=source or fmt)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        loaded.append(LoadedFile(path, fmt, source or fmt, contents.records, digest, contents.deleted))
    return loaded


def store_files(
    store: Store, loaded: Iterable[LoadedFile], *, parent_run: int | None = None, protocol_name: str | None = None
) -> list[ImportResult]:
    """Store loaded files, each as its own ``import`` run (for the protocol named, or for every protocol of the
    store when None and there is no ``parent_run``).

    Raises:
        InputFileError: a file was imported before under another source name (nothing is stored): PRISMA would
            count its records once for each name, as if two databases had found them.
    """
    loaded = list(loaded)
    for item in loaded:
        if (earlier := store.earlier_import(item.digest, item.source)) is not None:
            raise InputFileError(
                f"{item.path}: the same file was imported on {earlier[1]} as source {earlier[0]!r}; import it as "
                f"{earlier[0]!r} again (--source), or PRISMA would count its records under both names"
            )
    results = []
    for item in loaded:
        run_id = store.start_run("import", query=str(item.path), count_total=len(item.records), parent_run=parent_run,
                                 protocol_name=protocol_name)  # fmt: skip
        outcome = store.upsert_records(item.records, run_id, format_name=item.format, sighting=item.source)
        store.add_import(run_id, str(item.path), item.source, item.format, item.digest, len(item.records))
        deleted = store.mark_deleted(run_id, item.deleted) if item.deleted else 0
        store.update_run(run_id, status="complete", finished_at=utc_now(), count_new=outcome.new,
                         count_updated=outcome.updated)  # fmt: skip
        results.append(
            ImportResult(item.path, item.format, item.source, len(item.records), outcome.new, run_id, deleted)
        )
    return results


def import_files(
    store: Store,
    paths: Iterable[Path],
    *,
    source: str | None = None,
    format_name: str | None = None,
    parent_run: int | None = None,
    protocol_name: str | None = None,
) -> list[ImportResult]:
    """Import each file as its own ``import`` run. Every file is read before anything is written,
    so one bad file leaves the store unchanged."""
    loaded = load_files(paths, source=source, format_name=format_name)
    return store_files(store, loaded, parent_run=parent_run, protocol_name=protocol_name)
