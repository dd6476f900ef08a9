"""`evsynth run` and `evsynth update`: every stage for one protocol."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evsynth.cli.base import (
    DB_OPTION,
    EUTILS_URL_OPTION,
    EXIT_CODES,
    LOG_JSON_OPTION,
    OUT_OPTION,
    QUIET_OPTION,
    RECORD_OPTION,
    REPLAY_OPTION,
    WAIT_OPTION,
    Log,
    ProgressBar,
    cli,
    client_settings,
    command_log,
    http_session,
    log_screening,
    open_store,
)
from evsynth.config import NCBI_EUTILS_URL
from evsynth.errors import EvsynthError
from evsynth.pipeline import RunResult, default_out_dir, run_protocol
from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.sources.eutils import EUtils
from evsynth.synthesis.changes import LISTS

NOTHING_NEW = 4


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options `run` and `update` share."""
    options = [
        click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path)),
        OUT_OPTION,
        DB_OPTION,
        EUTILS_URL_OPTION,
        REPLAY_OPTION,
        RECORD_OPTION,
        click.option(
            "--import",
            "imports",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Also import this export (PubMed XML, MEDLINE, RIS, Scopus CSV). Repeatable.",
        ),
        click.option(
            "--background",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="Test convergence against this mined background (evsynth mine) [default: convergence.background].",
        ),
        WAIT_OPTION,
        LOG_JSON_OPTION,
        QUIET_OPTION,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command(epilog=EXIT_CODES)
@run_options
@click.option(
    "--refresh-modified",
    is_flag=True,
    help="Also re-fetch stored records that PubMed modified since the last complete run.",
)
def run(protocol: Path, refresh_modified: bool, **options: Any) -> None:
    """Run PROTOCOL end to end: harvest, imports, duplicates, screening, extraction, graph, outputs.

    A later run of the same protocol fetches only records not already stored; an
    interrupted run is resumed. Every output is written again.
    """
    _execute(protocol, "run", refresh_modified=refresh_modified, **options)


@cli.command(epilog=EXIT_CODES)
@run_options
def update(protocol: Path, **options: Any) -> None:
    """Bring PROTOCOL's review up to date, for scheduled jobs.

    Fetches new PMIDs and the records PubMed modified since the last complete run,
    screens and tags only what is new or changed (every earlier decision and reviewer
    override carries forward), rebuilds the graph and exports, and writes changes.md
    and changes.json: new records with their decisions, newly included studies, new or
    strengthened edges, pathways that became convergent, retractions and errata among
    included records.

    When nothing changed the outputs are left untouched and the exit code is 4, so a
    scheduler can tell "nothing new" (4) from "new evidence" (0) from "failed" (1, 3, 5).
    """
    # a cassette is a fixed copy of PubMed: nothing in it was modified since the last run
    _execute(protocol, "update", refresh_modified=not options["replay"], **options)


def _execute(
    protocol_path: Path,
    command: str,
    *,
    out_dir: Path | None,
    db_path: Path | None,
    eutils_url: str | None,
    replay: Path | None,
    record: Path | None,
    imports: tuple[Path, ...],
    background: Path | None,
    refresh_modified: bool,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    log = command_log(quiet=quiet, log_json=log_json)
    settings = client_settings(eutils_url, replay, record)
    protocol = load_protocol(protocol_path)
    if not replay and not settings.email and settings.eutils_url.startswith(NCBI_EUTILS_URL):
        log.warning(
            "no_email",
            "NCBI_EMAIL is not set: NCBI asks every client for a contact address (export NCBI_EMAIL=you@example.org)",
        )
    out = out_dir or default_out_dir(protocol)
    for path in imports:
        if not path.is_file():
            raise EvsynthError(f"{path}: --import file not found")
    if background is not None and not (background / "background.json").is_file():
        raise EvsynthError(f"{background}: --background is not a mined folder (no background.json; run evsynth mine)")
    progress = ProgressBar(enabled=log.mode == "human")
    if command == "update" and replay:
        log.warning(
            "replay",
            "--replay: records modified since the last run are not looked up (a cassette is a fixed copy of PubMed)",
        )
    log.trace("start", f"{command} {protocol.name}", command=command, protocol=protocol.name, out=str(out))
    try:
        with (
            open_store(db_path or out / "evsynth.sqlite", command, wait=wait, log=log) as store,
            http_session(replay, record),
        ):
            result = run_protocol(
                protocol, store, EUtils(settings, on_retry=lambda m: log.warning("retry", m)), out,
                extra_imports=imports,
                refresh_modified=refresh_modified, progress=progress, on_stage=log.stage,
                update=command == "update", background=background,
            )  # fmt: skip
    finally:
        progress.close()
    _report(log, protocol, result, command)
    if command == "update" and not result.news:
        click.get_current_context().exit(NOTHING_NEW)


def _report_sources(log: Log, protocol: Protocol, result: RunResult) -> None:
    """What came in: an unfinished run taken over, the harvest, the imports and their warnings."""
    harvested = result.harvest
    manifest = harvested.manifest
    if (unfinished := result.after_unfinished) is not None:
        log.warning(
            "unfinished_run",
            f"the previous {unfinished.command} of {protocol.name} (started {unfinished.started_at}) did not finish "
            f"(killed or stopped at '{unfinished.stage}'): this run took its place, and PRISMA counts its records "
            "in this version",
            review_run=unfinished.id,
            stage=unfinished.stage,
        )
    log.info(
        "harvest",
        f"{protocol.name}: {harvested.total} PubMed hits in {len(manifest.get('slices', []))} slice(s); "
        f"{harvested.new} new, {harvested.updated} updated, {harvested.fetched} fetched"
        + (" (resumed)" if harvested.resumed else ""),
        total=harvested.total,
        new=harvested.new,
        updated=harvested.updated,
        fetched=harvested.fetched,
        resumed=harvested.resumed,
        requests=manifest.get("requests", {}),
        run_id=harvested.run_id,
    )
    for item in result.imports:
        log.info(
            "import",
            f"imported {item.path}: {item.records} records ({item.format}), {item.new} new"
            + (f", {item.deleted} marked deleted by PubMed" if item.deleted else ""),
            path=str(item.path),
            records=item.records,
            new=item.new,
            deleted=item.deleted,
            format=item.format,
        )
    for warning in manifest.get("warnings", []):
        log.warning("harvest_warning", warning)
    if manifest.get("not_returned"):
        log.warning(
            "not_returned",
            f"efetch did not return {len(manifest['not_returned'])} PMID(s)",
            pmids=manifest["not_returned"],
        )


def _report(log: Log, protocol: Protocol, result: RunResult, command: str) -> None:
    _report_sources(log, protocol, result)
    if result.skipped:
        code = NOTHING_NEW if command == "update" else 0
        log.info("done", "nothing new: every output left as it was", status="nothing_new", exit_code=code)
        return
    duplicates = sum(n for reason, n in result.duplicates.items() if reason != "primary")
    log.info(
        "store",
        f"records: {result.records} in this review; {duplicates} duplicate(s) clustered in the store",
        records=result.records,
        duplicates=duplicates,
    )
    if result.screening is not None:
        log_screening(log, result.screening, protocol)
    for warning in result.warnings:
        log.warning("review_warning", warning)
    if result.tagging is not None:
        tagged = result.tagging
        log.info(
            "extract",
            f"tagged: {tagged.mentions} mentions in the records it covers ({tagged.tagged} "
            f"tagged now, {tagged.reused} unchanged)",
            mentions=tagged.mentions,
            tagged=tagged.tagged,
            reused=tagged.reused,
        )
    if (annotated := result.annotations) is not None:
        log.info("annotate", annotated.summary(), annotated=annotated.annotated, reused=annotated.reused,
                 requests=annotated.requests, unknown=len(annotated.unknown), failed=len(annotated.failed))  # fmt: skip
        if annotated.unknown or annotated.failed:
            shown = ", ".join([*annotated.unknown, *annotated.failed][:5])
            more = len(annotated.unknown) + len(annotated.failed) - 5
            log.warning(
                "annotation_fallback",
                f"{protocol.extraction.describe()}: evsynth's own tags used for {shown}"
                + (f" and {more} more" if more > 0 else "")
                + " (see annotation-sources.csv)",
            )
    if result.synthesis is not None:
        graph = result.synthesis.graph
        convergent = result.synthesis.convergent_modules
        log.info(
            "graph",
            f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges; convergent: "
            + (", ".join(convergent) or "none"),
            nodes=graph.number_of_nodes(),
            edges=graph.number_of_edges(),
            convergent=convergent,
        )
    for path in result.outputs.values():
        log.info("output", f"wrote {path}", path=str(path))
    summary = (result.changes or {}).get("summary", {})
    if result.unchanged:
        text = "nothing new" + (
            "; outputs that were missing or changed written again" if result.rewrote_missing else ""
        )
    else:
        text = "changes: " + (
            ", ".join(f"{summary[name]} {name.replace('_', ' ')}" for name in LISTS if summary.get(name)) or "none"
        )
    status = "new_evidence" if result.news else "nothing_new"
    exit_code = NOTHING_NEW if command == "update" and not result.news else 0
    log.info("done", text, status=status, changes=summary, exit_code=exit_code)
