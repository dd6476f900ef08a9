"""`evsynth mine`: PubMed files parsed and tagged on a Dask cluster into Parquet, counted; a protocol's search
run over them."""

from __future__ import annotations

import os
from pathlib import Path

import click

from evsynth.cli.base import EXIT_CODES, LOG_JSON_OPTION, QUIET_OPTION, cli, command_log
from evsynth.errors import EvsynthError
from evsynth.protocol.loader import load_protocol


@cli.command(epilog=EXIT_CODES)
@click.argument("files", nargs=-1)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The mined folder (Parquet tables, counts, background.json).")  # fmt: skip
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask cluster (tcp://host:8786) [default: a local cluster of --workers processes].",
)
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="Worker processes of the local cluster, one thread each [default: one per CPU].")  # fmt: skip
@click.option("--part-records", type=click.IntRange(1, 1_000_000), default=2500, show_default=True,
              help="Records a part (one task); the output depends on it, not on the number of workers.")  # fmt: skip
@click.option("--query", "query_protocol", type=click.Path(dir_okay=False, path_type=Path), metavar="PROTOCOL",
              help="Then run PROTOCOL's search over the mined records (query-<name>.csv).")  # fmt: skip
@click.option("--mesh-tree", type=click.Path(dir_okay=False, path_type=Path),
              help="NLM's MeSH tree file (mtreesYYYY.bin): [mh] terms of --query explode.")  # fmt: skip
@LOG_JSON_OPTION
@QUIET_OPTION
def mine(
    files: tuple[str, ...],
    out_dir: Path,
    scheduler: str | None,
    workers: int | None,
    part_records: int,
    query_protocol: Path | None,
    mesh_tree: Path | None,
    log_json: bool,
    quiet: bool,
) -> None:
    """Parse and tag PubMed baseline and update FILES (paths or globs) on a Dask cluster, and count them.

    Each file is cut into parts of --part-records records, one task each; a worker loads the lexicon once. The records,
    mentions and co-mention counts of each part land as Parquet in --out; then entity frequencies and pair
    counts by year (entities.parquet, pairs.parquet, summary.csv), a record an update file revises counted once
    and one it deletes not at all. Run it again to resume: finished parts are skipped. The folder is the
    background `evsynth run --background DIR` tests a review's convergence against. With --query and no FILES,
    the protocol's search runs over what is mined already.
    """
    from evsynth.mining.query import query_mined
    from evsynth.mining.run import mine as run_mine
    from evsynth.query.mesh import MeshTree

    log = command_log(quiet=quiet, log_json=log_json)
    protocol = load_protocol(query_protocol) if query_protocol else None
    if not files and protocol is None:
        raise click.UsageError("give FILES to mine, --query PROTOCOL, or both")
    if files:
        workers = workers or os.cpu_count() or 1
        result = run_mine(list(files), out_dir, scheduler=scheduler, workers=workers, part_records=part_records,
                          progress=lambda message: log.info("mine", message))  # fmt: skip
        rate = result.records / result.mining_seconds if result.mining_seconds else 0.0
        log.info("mine", f"{result.files} files: {result.parts} parts mined now ({result.records} records, "
                 f"{result.mining_seconds:.1f} s, {rate:.0f} records/s on {result.workers} workers), "
                 f"{result.skipped} done before; peak memory per worker {result.peak_rss_mb:.0f} MB",
                 parts=result.parts, records=result.records, workers=result.workers)  # fmt: skip
        summary = result.summary
        log.info("count", f"{summary['records']} records count (each at its latest version, deleted ones left out): "
                 f"{summary['entities']} entities, {summary['pairs']} pair counts; wrote {out_dir}",
                 **summary)  # fmt: skip
    if protocol is not None:
        if not (out_dir / "background.json").is_file():
            raise EvsynthError(f"{out_dir}: nothing mined there yet (no background.json)")
        mesh = MeshTree.from_file(mesh_tree) if mesh_tree else None
        found = query_mined(protocol, out_dir, mesh)
        log.info("query", f"{protocol.name}: {len(found.hits)} of {found.searched} mined records match; wrote "
                 f"{found.path}", hits=len(found.hits), searched=found.searched)  # fmt: skip
