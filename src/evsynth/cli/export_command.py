"""`evsynth export`: the evidence graph for Cytoscape and friends, from the store (no network)."""

from __future__ import annotations

from pathlib import Path

import click

from evsynth.cli.base import EXIT_CODES, LOG_JSON_OPTION, QUIET_OPTION, WAIT_OPTION, cli, command_log, open_store
from evsynth.errors import EvsynthError
from evsynth.fileio import check_writable
from evsynth.pipeline import default_out_dir
from evsynth.protocol.loader import load_protocol
from evsynth.store.decisions import load_review_state
from evsynth.synthesis.build import synthesise
from evsynth.synthesis.exports import GRAPH_FORMATS, export_graph
from evsynth.tagger.stored import tag_store
from evsynth.tagger.tagger import Tagger


@cli.command("export", epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(list(GRAPH_FORMATS)),
    metavar="|".join(GRAPH_FORMATS),
    help="Graph format; repeat for several [default: all].",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="Output file (one format) or folder [default: output/<protocol name>/graph.<ext>].",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Store file [default: evsynth.sqlite in the --out folder, else output/<protocol name>/].",
)
@click.option(
    "--records",
    "include_records",
    is_flag=True,
    help="Add the records as nodes (bipartite view: record -mentions- entity).",
)
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def export(
    protocol: Path,
    formats: tuple[str, ...],
    out_path: Path | None,
    db_path: Path | None,
    include_records: bool,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Write PROTOCOL's evidence graph as CX2, GraphML, SIF (+ attribute tables), XGMML or Cytoscape JSON.

    Reads the store `evsynth run` filled (included records and their mentions); records whose mentions are
    missing or stale are tagged first. Every node and edge keeps its PMIDs, counts, treatments and score.
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded = load_protocol(protocol)
    chosen = formats or tuple(GRAPH_FORMATS)
    default_dir = default_out_dir(loaded)
    # as `run` does: a folder given with --out is where the store is too (a file given with --out is only output)
    out_folder = out_path if out_path is not None and not out_path.suffix else None
    store_path = db_path or (out_folder or default_dir) / "evsynth.sqlite"
    if not store_path.is_file():
        raise EvsynthError(f"{store_path}: no store yet; run `evsynth run {protocol}` first")
    if out_path is not None and out_path.suffix and len(chosen) > 1:
        raise click.UsageError("--out names one file but several --format were asked for; give a folder")
    with open_store(store_path, "export", create=False, wait=wait, log=log) as store:
        state = load_review_state(store, loaded.name, screened=loaded.criteria is not None)
        if not state.included:
            raise EvsynthError(f"{store_path}: no included records for {loaded.name}; run `evsynth run {protocol}`")
        tag_store(store, state.included, Tagger(tier=loaded.extraction.tier))  # as `run` tags them
        result = synthesise(loaded, store, state, include_records=include_records)
    written = []
    for fmt in chosen:
        if out_path is not None and out_path.suffix:
            target = out_path
        else:
            folder = out_path or default_dir
            name = (
                GRAPH_FORMATS[fmt].default_file if not include_records else f"graph-records{GRAPH_FORMATS[fmt].suffix}"
            )
            target = folder / name
        check_writable(target.parent)
        written += export_graph(result.graph, fmt, target)
    graph = result.graph
    log.info(
        "graph",
        f"{loaded.name}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges from "
        f"{len(result.records)} included records",
        nodes=graph.number_of_nodes(), edges=graph.number_of_edges(), records=len(result.records),
    )  # fmt: skip
    for path in written:
        log.info("output", f"wrote {path}", path=str(path))
