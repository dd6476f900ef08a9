"""``evsynth run``: every stage that exists, in order, for one protocol.

Stages so far: harvest (E-utilities) -> file sources (protocol ``sources`` and
``--import`` files) -> duplicate clustering -> outputs (``records.csv`` and
``run-manifest.json``). Outputs are written to a temporary file and renamed into
place, so a crash never leaves a half-written file and earlier outputs survive
a failed run.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from evsynth.dedupe import deduplicate
from evsynth.errors import OutputError
from evsynth.eutils import EUtils
from evsynth.harvest import HarvestResult, Progress, harvest
from evsynth.imports import ImportResult, import_files
from evsynth.protocol import Protocol
from evsynth.store import Store

RECORD_COLUMNS = (
    "pmid", "doi", "title", "year", "journal", "language", "pub_types", "source", "first_seen_run",
    "record_id", "pub_date", "journal_iso", "first_author", "pmcid", "duplicate_of", "duplicate_reason",
    "is_retracted", "deleted",
)  # fmt: skip


def default_out_dir(protocol: Protocol) -> Path:
    """``output/<protocol-name>`` under the current directory."""
    return Path("output") / protocol.name


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and prove a file can be written in it.

    Raises:
        OutputError: the folder cannot be created or written (named in the message).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".evsynth-check-"):
            pass
    except FileExistsError:
        raise OutputError(f"{directory}: exists and is not a folder") from None
    except OSError as err:
        raise OutputError(f"{directory}: output folder is not writable ({err.strerror})") from None


@contextmanager
def atomic_writer(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only if the block succeeds."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed into place below
        "w",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
        encoding="utf-8",
        newline=newline,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _record_rows(store: Store) -> Iterator[dict[str, Any]]:
    sources = store.record_sources()
    pmid_of = {row[0]: row[1] for row in store.conn.execute("SELECT id, pmid FROM records")}
    for row in store.iter_records():
        pub_types = json.loads(row["pub_types"])
        comments = json.loads(row["comments_corrections"])
        authors = json.loads(row["authors"])
        cluster = row["cluster_id"]
        primary = cluster if cluster not in (None, row["id"]) else None
        yield {
            "pmid": row["pmid"] or "",
            "doi": row["doi"] or "",
            "title": row["title"] or "",
            "year": row["pub_year"] or "",
            "journal": row["journal"] or "",
            "language": ";".join(json.loads(row["languages"])),
            "pub_types": ";".join(pub_types),
            "source": ";".join(sources.get(row["id"], [row["source"]])),
            "first_seen_run": row["first_seen_run"],
            "record_id": row["id"],
            "pub_date": row["pub_date"] or "",
            "journal_iso": row["journal_iso"] or "",
            "first_author": _author_name(authors[0]) if authors else "",
            "pmcid": row["pmcid"] or "",
            "duplicate_of": (pmid_of.get(primary) or f"record:{primary}") if primary else "",
            "duplicate_reason": row["duplicate_reason"] or "",
            "is_retracted": int(
                "Retracted Publication" in pub_types or any(c["ref_type"] == "RetractionIn" for c in comments)
            ),
            "deleted": int(row["deleted_run"] is not None),
        }


def _author_name(author: dict[str, Any]) -> str:
    return str(author.get("collective_name") or f"{author.get('last_name', '')} {author.get('initials', '')}").strip()


def write_records_csv(store: Store, path: Path) -> int:
    """Write every stored record to ``path`` (atomically); return the number of rows."""
    count = 0
    with atomic_writer(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RECORD_COLUMNS)
        writer.writeheader()
        for row in _record_rows(store):
            writer.writerow(row)
            count += 1
    return count


@dataclass
class RunResult:
    """What ``evsynth run`` did."""

    harvest: HarvestResult
    imports: list[ImportResult] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    records: int = 0


def run_protocol(
    protocol: Protocol,
    store: Store,
    client: EUtils,
    out_dir: Path,
    *,
    extra_imports: tuple[Path, ...] = (),
    refresh_modified: bool = False,
    progress: Progress | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every stage for ``protocol`` and write the outputs into ``out_dir``."""
    stage = on_stage or (lambda name: None)
    check_writable(out_dir)
    stage("harvest")
    harvested = harvest(protocol, store, client, refresh_modified=refresh_modified, progress=progress)
    result = RunResult(harvest=harvested)
    files = [s.path for s in protocol.sources] + list(extra_imports)
    if files:
        stage("import")
        for source in protocol.sources:
            result.imports += import_files(store, [source.path], source=source.name, format_name=source.format)
        if extra_imports:
            result.imports += import_files(store, list(extra_imports))
    stage("deduplicate")
    result.duplicates = deduplicate(store)
    stage("outputs")
    records_csv = out_dir / "records.csv"
    result.records = write_records_csv(store, records_csv)
    manifest_path = out_dir / "run-manifest.json"
    with atomic_writer(manifest_path) as handle:
        json.dump(store.run(harvested.run_id), handle, indent=2, sort_keys=True, default=str)
    result.outputs = {"records": records_csv, "manifest": manifest_path}
    return result
