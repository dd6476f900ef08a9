"""`evsynth screen` and `evsynth decide`: screening again and reviewer decisions."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from evsynth.cli.base import (
    EXIT_CODES,
    LOG_JSON_OPTION,
    QUIET_OPTION,
    WAIT_OPTION,
    cli,
    command_log,
    log_screening,
    open_store,
    screening_protocol,
)
from evsynth.config import default_reviewer
from evsynth.errors import EvsynthError
from evsynth.fileio import check_writable
from evsynth.pipeline import default_out_dir
from evsynth.screening.decisions import OVERRIDE_DECISIONS, Override, load_overrides, parse_target, save_overrides
from evsynth.screening.outputs import write_screening_outputs
from evsynth.screening.screen import screen_store
from evsynth.store.database import utc_now
from evsynth.store.decisions import load_review_state
from evsynth.store.lock import store_lock


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder [default: output/<protocol name>].")  # fmt: skip
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Store file [default: <out>/evsynth.sqlite].")  # fmt: skip
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def screen(protocol: Path, out_dir: Path | None, db_path: Path | None, wait: bool, log_json: bool, quiet: bool) -> None:
    """Screen the stored records of PROTOCOL again, without harvesting (no network).

    Use it after editing the protocol's criteria or its decisions file: records are
    re-evaluated when the criteria changed or their content did, reviewer decisions
    are applied, and screening.csv, included.ris, asreview.csv and prisma.* are
    rewritten.
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded, criteria = screening_protocol(protocol)
    out = out_dir or default_out_dir(loaded)
    overrides = load_overrides(loaded.overrides_path)
    with open_store(db_path or out / "evsynth.sqlite", "screen", create=False, wait=wait, log=log) as store:
        check_writable(out)
        result = screen_store(store, loaded.name, criteria, overrides)
        review = load_review_state(store, loaded.name, screened=True)
        paths = write_screening_outputs(store, review, criteria, out, title=loaded.title)
    log_screening(log, result, loaded)
    for path in paths.values():
        log.info("output", f"wrote {path}", path=str(path))


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("record")
@click.argument("decision", required=False, type=click.Choice(OVERRIDE_DECISIONS))
@click.option("--reason", help="Why (required unless --clear); kept in the decisions file and the outputs.")
@click.option("--reviewer", help="Who decided [env EVSYNTH_REVIEWER, else $USER].")
@click.option("--clear", is_flag=True, help="Remove the reviewer decision for RECORD; the rules decide again.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder to refresh [default: output/<protocol name>].")  # fmt: skip
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Store file [default: <out>/evsynth.sqlite].")  # fmt: skip
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def decide(
    protocol: Path,
    record: str,
    decision: str | None,
    reason: str | None,
    reviewer: str | None,
    clear: bool,
    out_dir: Path | None,
    db_path: Path | None,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Record a reviewer's decision: RECORD (a PMID or DOI) is included or excluded.

    The decision is written to the decisions file next to the protocol
    (<protocol>.decisions.csv, under version control with it); it wins over the
    rules in every later run and re-screen. If the store exists, the screening
    outputs are refreshed at once.

    \b
    Examples:
      evsynth decide queries/trd-pharmacogenomics.yaml 90000047 include --reason "biomarker sub-study in methods"
      evsynth decide queries/trd-pharmacogenomics.yaml 90000047 --clear
    """
    log = command_log(quiet=quiet, log_json=log_json)
    loaded, criteria = screening_protocol(protocol)
    if clear and decision:
        raise click.UsageError("give a DECISION or --clear, not both")
    if not clear and not decision:
        raise click.UsageError("missing DECISION (include or exclude), or --clear")
    if not clear and not (reason or "").strip():
        raise click.UsageError("--reason is required: every reviewer decision needs one")
    target = parse_target(record)
    path = loaded.overrides_path
    out = out_dir or default_out_dir(loaded)
    store_path = db_path or out / "evsynth.sqlite"
    with contextlib.ExitStack() as stack:
        # the store's lock is taken before the decisions file is written: a refusal (exit 5) changes nothing
        store = (
            stack.enter_context(open_store(store_path, "decide", create=False, wait=wait, log=log))
            if store_path.exists()
            else None
        )
        # and the decisions file's own lock (a hidden file beside it), so that decides without a store, or on
        # another store, never lose each other's rows: read, change and write are one step
        stack.enter_context(store_lock(path.with_name(f".{path.name}"), "decide", wait=True))
        decisions = load_overrides(path)
        if clear:
            if decisions.pop(target, None) is None:
                raise EvsynthError(f"{path}: no reviewer decision for {record} to clear")
        else:
            who = reviewer if reviewer is not None else default_reviewer()
            decisions[target] = Override(target, str(decision), " ".join(str(reason).split()), who, utc_now()[:10])
        save_overrides(path, decisions)
        said = "cleared" if clear else f"{decision} ({' '.join(str(reason).split())})"
        log.info("decision", f"{path}: {record} {said}", record=record, decision=decision or "cleared")
        if store is None:
            log.info("no_store", f"no store at {store_path} yet: the decision applies from the next run")
            return
        check_writable(out)
        result = screen_store(store, loaded.name, criteria, decisions, kind="override")
        review = load_review_state(store, loaded.name, screened=True)
        write_screening_outputs(store, review, criteria, out, title=loaded.title)
    log_screening(log, result, loaded)
    log.info("output", f"refreshed the screening outputs in {out}", path=str(out))
