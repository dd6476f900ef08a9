"""``evsynth mine``: PubMed baseline and update files parsed and tagged on a Dask cluster, then counted.

The cluster is a local one started here (``workers`` processes of one thread each on this machine, nothing to
set up) or any running one (``scheduler``: ``tcp://host:8786``, from ``dask-scheduler`` and ``dask-worker``, or
dask-kubernetes and dask-jobqueue on Kubernetes and SLURM). Workers need evsynth installed and the input files
and the output folder at the same paths (a shared file system on a real cluster).

1. Each file not split yet is cut into parts (:mod:`evsynth.mining.parts`), one task a file.
2. Each part not mined yet is parsed and tagged (:mod:`evsynth.mining.task`), one task a part. A worker that
   dies has its tasks run again by another; a killed ``mine`` is run again and skips what is done.
3. The parts are counted together (:mod:`evsynth.mining.aggregate`).

The output is the same whatever the number of workers: the parts are cut by the file, and every table is sorted.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.errors import EvsynthError, InputFileError
from evsynth.fileio import atomic_writer
from evsynth.mining.aggregate import aggregate
from evsynth.mining.parts import PART_RECORDS, file_stem, part_name, split_file
from evsynth.mining.task import done_marker, mine_part, worker_tagger
from evsynth.store.lock import store_lock


@dataclass
class MineResult:
    """What a ``mine`` did, with its figures."""

    files: int = 0
    split: int = 0  # files split now
    parts: int = 0  # parts mined now
    skipped: int = 0  # parts mined before
    records: int = 0  # records in the parts mined now
    workers: int = 0
    startup_seconds: float = 0.0  # the cluster up and every worker's lexicon loaded
    mining_seconds: float = 0.0  # splitting and mining
    aggregate_seconds: float = 0.0
    per_part: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_rss_mb(self) -> float:
        return max((p["peak_rss_mb"] for p in self.per_part), default=0.0)


def input_files(patterns: list[str]) -> list[Path]:
    """Paths and globs to files, in name order (NLM's names put baseline files before update files)."""
    found: dict[str, Path] = {}
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not matches:
            raise InputFileError(f"{pattern}: no file matches")
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise InputFileError(f"{path}: file not found")
            stem = file_stem(path)
            if stem in found and found[stem] != path:
                raise InputFileError(f"{path}: another file of the same name ({found[stem]}) is mined too")
            found[stem] = path
    return [found[stem] for stem in sorted(found)]


def _identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _reported(task: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A task whose user error (a broken file) comes back as a value: Dask cannot carry evsynth's errors whole."""

    def run(*args: Any) -> dict[str, Any]:
        try:
            return task(*args)
        except EvsynthError as err:
            return {"error": str(err)}

    run.__name__ = task.__name__
    return run


def _checked(answer: dict[str, Any], part: Path | None = None, source: Path | None = None) -> dict[str, Any]:
    """The task's answer, or its error raised; a part's error names the file it was cut from (its line numbers
    count in the part)."""
    if "error" in answer:
        message = str(answer["error"])
        if part is not None and source is not None:
            message = message.replace(str(part), f"{source} ({part.stem.rsplit('.', 1)[-1]} as cut by evsynth mine)")
        raise InputFileError(message)
    return answer


def split_task(path: Path, out: Path, part_records: int = PART_RECORDS) -> dict[str, Any]:
    """Cut one file into parts and write its manifest (parts, deleted PMIDs, which file it was)."""
    parts, deleted = split_file(path, out / "scratch", part_records)
    manifest = {"file": file_stem(path), "parts": len(parts), "deleted": deleted, "source": _identity(path)}
    target = out / "files" / f"{file_stem(path)}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(target) as handle:
        json.dump(manifest, handle, indent=1)
    return manifest


def _load_lexicon() -> int:
    worker_tagger()
    return 0


def as_completed(futures: list[Any]) -> Any:
    from dask.distributed import as_completed as completed

    return completed(futures)


@contextlib.contextmanager
def cluster(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of the running cluster at ``scheduler``, or of a local one of ``workers`` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as err:
            raise EvsynthError(f"--scheduler: cannot reach {scheduler} ({err})") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as local,  # fmt: skip
        Client(local) as client,
    ):
        yield client


def _todo_files(files: list[Path], out: Path) -> list[Path]:
    """The files not split yet, or changed since they were."""
    todo = []
    for path in files:
        manifest = out / "files" / f"{file_stem(path)}.json"
        known = json.loads(manifest.read_text()) if manifest.is_file() else None
        if known is None or known["source"]["size"] != path.stat().st_size:
            todo.append(path)
            for old in (out / "done").glob(f"{file_stem(path)}.part*.json"):
                old.unlink()  # a changed file is mined again whole
    return todo


def mine(
    patterns: list[str],
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    part_records: int = PART_RECORDS,
) -> MineResult:
    """Mine the files (paths or globs) into ``out`` on a Dask cluster; see the module docstring."""
    tell = progress or (lambda message: None)
    files = input_files(patterns)
    out.mkdir(parents=True, exist_ok=True)
    result = MineResult(files=len(files))
    started = time.perf_counter()
    # one mine writes a folder at a time (exit 5 for another), whatever cluster each uses
    with store_lock(out / "mined", "mine"), cluster(scheduler, workers) as client:
        client.run(_load_lexicon)  # every worker loads the lexicon now: the timings below are the mining's
        result.workers = len(client.scheduler_info()["workers"])
        result.startup_seconds = time.perf_counter() - started
        begun = time.perf_counter()
        todo = _todo_files(files, out)
        by_stem = {file_stem(path): path for path in files}
        parts: list[tuple[Path, str, int]] = []
        futures = []

        def submit(manifest: dict[str, Any]) -> None:
            """The file's parts not mined yet, sent to the cluster as soon as the file is cut."""
            stem = manifest["file"]
            mine_now = []
            for number in range(manifest["parts"]):
                name = part_name(stem, number)
                if done_marker(out, name).is_file():
                    result.skipped += 1
                    continue
                if not (out / "scratch" / f"{name}.xml").is_file():
                    split_task(by_stem[stem], out, part_records)  # the scratch folder was cleared: cut it again
                mine_now.append((out / "scratch" / f"{name}.xml", stem, number))
            parts.extend(mine_now)
            futures.extend(client.map(_reported(mine_part), [p[0] for p in mine_now], [out] * len(mine_now),
                                      [p[1] for p in mine_now], [p[2] for p in mine_now], pure=False))  # fmt: skip

        for path in files:
            if path not in todo:
                submit(json.loads((out / "files" / f"{file_stem(path)}.json").read_text()))
        if todo:
            tell(f"cutting {len(todo)} files into parts and mining them on {result.workers} workers")
            # a file's parts are mined while the next file is cut
            for done in as_completed(client.map(_reported(split_task), todo, [out] * len(todo),
                                                [part_records] * len(todo), pure=False)):  # fmt: skip
                submit(_checked(done.result()))
            result.split = len(todo)
        answers = client.gather(futures)
        result.per_part = [_checked(a, p[0], by_stem[p[1]]) for a, p in zip(answers, parts, strict=True)]
        for part, _, _ in parts:
            part.unlink(missing_ok=True)  # mined: its scratch copy is not needed again
        result.parts = len(parts)
        result.records = sum(p["records"] for p in result.per_part)
        result.mining_seconds = time.perf_counter() - begun
        begun = time.perf_counter()
        tell("counting")
        result.summary = aggregate(out, client)
        result.aggregate_seconds = time.perf_counter() - begun
    return result
