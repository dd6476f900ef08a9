"""`evsynth screen` and `evsynth decide`: screening again and reviewer decisions."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path

import click

from evsynth.cli.base import (
    DB_OPTION,
    EXIT_CODES,
    LOG_JSON_OPTION,
    OUT_OPTION,
    QUIET_OPTION,
    WAIT_OPTION,
    Log,
    cli,
    command_log,
    log_screening,
    open_store,
    screening_protocol,
)
from evsynth.config import default_reviewer
from evsynth.fileio import check_writable
from evsynth.pipeline import default_out_dir, refresh_outputs
from evsynth.protocol.loader import load_protocol
from evsynth.screening.decisions import OVERRIDE_DECISIONS, load_overrides, parse_target
from evsynth.screening.reviewer import (
    BulkRow,
    Change,
    bulk_changes,
    change_decisions,
    decide_and_rescreen,
    read_bulk,
    review_titles,
)
from evsynth.screening.screen import screen_store
from evsynth.store.database import utc_now


def _store_command(command: Callable[..., None]) -> click.Command:
    """A command over one protocol's store: PROTOCOL, --out, --db, --wait, --log-json, --quiet."""
    for option in (QUIET_OPTION, LOG_JSON_OPTION, WAIT_OPTION, DB_OPTION, OUT_OPTION,
                   click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))):  # fmt: skip
        command = option(command)
    return cli.command(epilog=EXIT_CODES)(command)


@_store_command
def screen(protocol: Path, out_dir: Path | None, db_path: Path | None, wait: bool, log_json: bool, quiet: bool) -> None:
    """Screen the stored records of PROTOCOL again, without harvesting (no network).

    Use it after editing the protocol's criteria or its decisions file: records are
    re-evaluated when the criteria changed or their content did, reviewer decisions
    are applied, and screening.csv, included.ris, asreview.csv, prisma.*, the
    mentions, the graph and its exports, the evidence tables and report.html are
    rewritten from the store.
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded, criteria = screening_protocol(protocol)
    out = out_dir or default_out_dir(loaded)
    overrides = load_overrides(loaded.overrides_path)
    with open_store(db_path or out / "evsynth.sqlite", "screen", create=False, wait=wait, log=log) as store:
        check_writable(out)
        result = screen_store(store, loaded.name, criteria, overrides)
        paths = refresh_outputs(loaded, store, out)
    log_screening(log, result, loaded)
    for path in paths.values():
        log.info("output", f"wrote {path}", path=str(path))


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("record", required=False)
@click.argument("decision", required=False, type=click.Choice(OVERRIDE_DECISIONS))
@click.option("--reason", help="Why (required unless --clear); kept in the decisions file and the outputs.")
@click.option("--reviewer", help="Who decided [env EVSYNTH_REVIEWER, else $USER].")
@click.option("--clear", is_flag=True, help="Remove the reviewer decision for RECORD; the rules decide again.")
@click.option("--from", "from_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Decisions in bulk: a CSV of evsynth's columns, an ASReview LAB or Rayyan export.")  # fmt: skip
@OUT_OPTION
@DB_OPTION
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def decide(
    protocol: Path,
    record: str | None,
    decision: str | None,
    reason: str | None,
    reviewer: str | None,
    clear: bool,
    from_path: Path | None,
    out_dir: Path | None,
    db_path: Path | None,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Record a reviewer's decision: RECORD (a PMID, a DOI, or "title: ..." for a record with neither) is
    included, excluded or maybe (stays uncertain).

    The decision is written to the decisions file next to the protocol
    (<protocol>.decisions.csv, under version control with it); it wins over the
    rules in every later run and re-screen, and a changed decision keeps the
    earlier one in its "previous" column. With --from, every decision in the file
    is recorded at once (rows named by PMID, DOI or title). If the store exists,
    the screening outputs are refreshed at once.

    \b
    Examples:
      evsynth decide queries/trd-pharmacogenomics.yaml 90000047 include --reason "biomarker sub-study in methods"
      evsynth decide queries/trd-pharmacogenomics.yaml 90000047 --clear
      evsynth decide queries/trd-pharmacogenomics.yaml --from asreview-export.csv
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded, criteria = screening_protocol(protocol)
    rows = _decide_rows(record, decision, reason, clear, from_path)
    out = out_dir or default_out_dir(loaded)
    store_path = db_path or out / "evsynth.sqlite"
    with contextlib.ExitStack() as stack:
        # the store's lock is taken before the decisions file is written: a refusal (exit 5) changes nothing
        store = (
            stack.enter_context(open_store(store_path, "decide", create=False, wait=wait, log=log))
            if store_path.exists()
            else None
        )
        if isinstance(rows, list):
            changes, unmatched = bulk_changes(rows, store, loaded.name)
            for row in unmatched:
                log.warning("unmatched", f"{from_path}: line {row.line}: no record of this review is "
                            f"{row.target or repr(row.title[:80])}; left out", line=row.line)  # fmt: skip
        else:
            changes = [dataclasses.replace(rows, title=review_titles(store, loaded.name).get(rows.target, ""))
                       if store is not None else rows]  # fmt: skip
        who, day = reviewer if reviewer is not None else default_reviewer(), utc_now()[:10]
        if store is None:
            change_decisions(loaded.overrides_path, changes, reviewer=who, day=day)
            _log_changes(log, loaded.overrides_path, changes)
            said = "the decision applies" if len(changes) == 1 else "the decisions apply"
            log.info("no_store", f"no store at {store_path} yet: {said} from the next run")
            return
        check_writable(out)
        result = decide_and_rescreen(store, loaded, criteria, changes, reviewer=who, day=day)
        _log_changes(log, loaded.overrides_path, changes)
        refresh_outputs(loaded, store, out)
    log_screening(log, result, loaded)
    log.info("output", f"refreshed the screening outputs, PRISMA, graph, tables and report in {out}", path=str(out))


def _decide_rows(
    record: str | None, decision: str | None, reason: str | None, clear: bool, from_path: Path | None
) -> Change | list[BulkRow]:
    """The one change the arguments ask for, or the rows of the --from file."""
    if from_path is not None:
        if record or decision or clear:
            raise click.UsageError("--from takes no RECORD, DECISION or --clear")
        return read_bulk(from_path)
    if not record:
        raise click.UsageError("missing RECORD (a PMID, a DOI or 'title: ...'), or --from FILE")
    if clear and decision:
        raise click.UsageError("give a DECISION or --clear, not both")
    if not clear and not decision:
        raise click.UsageError("missing DECISION (include, exclude or maybe), or --clear")
    if not clear and not (reason or "").strip():
        raise click.UsageError("--reason is required: every reviewer decision needs one")
    return Change(parse_target(record), None if clear else decision, reason or "")


def _log_changes(log: Log, path: Path, changes: list[Change]) -> None:
    for change in changes[:20]:
        said = "cleared" if change.decision is None else f"{change.decision} ({' '.join(change.reason.split())})"
        kind, record = change.target.split(":", 1)
        record = repr((change.title or record)[:80]) if kind == "title" else record
        log.info("decision", f"{path}: {record} {said}", record=record, decision=change.decision or "cleared")
    if len(changes) > 20:
        log.info("decisions", f"{path}: {len(changes)} decisions recorded", count=len(changes))


@_store_command
def report(protocol: Path, out_dir: Path | None, db_path: Path | None, wait: bool, log_json: bool, quiet: bool) -> None:
    """Write again, from the store and without the network, every output derived from PROTOCOL's decisions.

    The screening outputs and PRISMA, the mentions, the graph and its exports, the evidence tables and
    report.html, so that all of them say the same (decide, screen and the desk do this after each decision).
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded = load_protocol(protocol)
    out = out_dir or default_out_dir(loaded)
    with open_store(db_path or out / "evsynth.sqlite", "report", create=False, wait=wait, log=log) as store:
        paths = refresh_outputs(loaded, store, out)
    for path in paths.values():
        log.info("output", f"wrote {path}", path=str(path))
