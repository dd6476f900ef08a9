"""Command line: a thin click layer over the library. The only module that prints or exits.

Exit codes (also in ``evsynth --help`` and the README):

===  ==========================================================================
0    success
1    a user error: bad protocol, missing or malformed file, unwritable output,
     unusable store, a request missing from a --replay cassette
2    a usage error: unknown option, missing argument
3    E-utilities kept failing and the harvest gave up (what was fetched is kept;
     run again to resume)
4    ``evsynth update`` only: nothing new; every output was left as it was
5    another evsynth command is writing to the same store (``--wait`` queues)
130  interrupted (Ctrl-C); run again to resume
===  ==========================================================================
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from evsynth.config import Settings, resolve_settings
from evsynth.errors import EvsynthError
from evsynth.protocol.criteria import Criteria
from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.screening.screen import ScreenResult
from evsynth.sources.eutils import recording, replaying
from evsynth.store.database import Store
from evsynth.store.lock import describe, store_lock
from evsynth.version import __version__

EXIT_CODES = """\b
Exit codes:
  0    success
  1    user error (bad protocol, missing/malformed file, unwritable output, bad store)
  2    usage error (unknown option, missing argument)
  3    E-utilities kept failing; fetched records are kept, run again to resume
  4    update: nothing new, outputs left as they were
  5    the store is in use by another evsynth command (--wait queues behind it)
  130  interrupted; run again to resume"""


class EvsynthGroup(click.Group):
    """Turns every :class:`EvsynthError` into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvsynthError as err:
            _fail(ctx, str(err), err.exit_code)
        except KeyboardInterrupt:
            _fail(ctx, "interrupted; what was fetched is stored, run again to resume", 130)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    message = " ".join(message.split())  # one line, whatever a library (libxml2, sqlite) put in it
    log = ctx.meta.get("evsynth.log")
    if isinstance(log, Log) and log.mode == "json":
        log.emit("error", "error", message, exit_code=code)
    click.echo(f"evsynth: error: {message}" if code != 130 else f"evsynth: {message}", err=True)
    ctx.exit(code)


class Log:
    """What a command tells its user: lines for people, JSON lines for schedulers (--log-json), or nothing.

    JSON lines go to stdout, one object each: ``ts``, ``level``, ``event``, ``message`` and the
    event's fields. Errors are also printed on stderr as one line, whatever the mode.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode  # human | json | quiet
        click.get_current_context().meta["evsynth.log"] = self

    def emit(self, level: str, event: str, message: str, **fields: Any) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        line = {"ts": stamp, "level": level, "event": event, "message": message, **fields}
        click.echo(json.dumps(line, ensure_ascii=False, default=str))

    def info(self, event: str, message: str, **fields: Any) -> None:
        if self.mode == "json":
            self.emit("info", event, message, **fields)
        elif self.mode == "human":
            click.echo(message)

    def warning(self, event: str, message: str, **fields: Any) -> None:
        if self.mode == "json":
            self.emit("warning", event, message, **fields)
        elif self.mode == "human":
            click.echo(f"warning: {message}", err=True)

    def trace(self, event: str, message: str, **fields: Any) -> None:
        """An event only schedulers want (JSON mode): start, stages."""
        if self.mode == "json":
            self.emit("info", event, message, **fields)

    def stage(self, name: str) -> None:
        self.trace("stage", name, stage=name)


WAIT_OPTION = click.option(
    "--wait", is_flag=True, help="Wait for another evsynth command using the store instead of exiting 5."
)
LOG_JSON_OPTION = click.option(
    "--log-json", is_flag=True, help="Log JSON lines on stdout (ts, level, event, message, fields) for schedulers."
)
QUIET_OPTION = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
OUT_OPTION = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          help="Output folder [default: output/<protocol name>].")  # fmt: skip
DB_OPTION = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         help="Store file [default: <out>/evsynth.sqlite].")  # fmt: skip


def command_log(*, quiet: bool, log_json: bool) -> Log:
    """The command's :class:`Log`, made first so that even an early error is a JSON line with --log-json."""
    return Log("json" if log_json else "quiet" if quiet else "human")


@contextlib.contextmanager
def open_store(
    path: Path, command: str, *, create: bool = True, wait: bool = False, log: Log | None = None
) -> Iterator[Store]:
    """The store at ``path``, opened under its lock (exit 5 if another command holds it)."""
    if str(path) == ":memory:":
        raise EvsynthError("--db: ':memory:' is not a file; a review's store must outlive the command")
    if not create and not path.exists():
        Store.open(path, create=False)  # raises the one-line "store not found"

    def waiting(holder: dict[str, Any] | None) -> None:
        if log:
            log.info("lock", f"{path}: waiting for {describe(holder)}")

    with store_lock(path, command, wait=wait, on_wait=waiting) as lock:
        if lock.stale:
            message = f"{lock.path}: cleared a stale lock left by {describe(lock.stale)}"
            if log:
                log.warning("stale_lock", message, holder=lock.stale)
            else:
                click.echo(f"warning: {message}", err=True)
        with Store.open(path, create=create) as store:
            yield store


class ProgressBar:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage != "fetch" or total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="fetching records", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(cls=EvsynthGroup, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="evsynth")
def cli() -> None:
    """evsynth: living evidence synthesis over PubMed.

    Run a review protocol (a YAML file in queries/) end to end: harvest PubMed,
    import file exports, find duplicates, and write the outputs.
    """


def screening_summary(result: ScreenResult) -> str:
    """``screened: 37 include, 20 exclude, 0 uncertain (5 by the rules, 52 unchanged)``."""
    counts = result.counts
    return (
        f"screened: {counts.get('include', 0)} include, {counts.get('exclude', 0)} exclude, "
        f"{counts.get('uncertain', 0)} uncertain ({result.screened} by the rules, {result.reused} unchanged"
        + (", criteria changed: all re-screened" if result.criteria_changed else "")
        + ")"
    )


def pending_override(protocol: Protocol, target: str) -> str:
    return f"{protocol.overrides_path}: {target} is not among the records of this review (kept for later)"


def log_screening(log: Log, result: ScreenResult, protocol: Protocol) -> None:
    log.info("screen", screening_summary(result), counts=result.counts, screened=result.screened,
             reused=result.reused)  # fmt: skip
    for target in result.unmatched_overrides:
        log.warning("override_pending", pending_override(protocol, target), target=target)


def screening_protocol(path: Path) -> tuple[Protocol, Criteria]:
    loaded = load_protocol(path)
    if loaded.criteria is None:
        raise EvsynthError(f"{path}: criteria: the protocol has no criteria section to screen with")
    return loaded, loaded.criteria


EUTILS_URL_OPTION = click.option(
    "--eutils-url", metavar="URL", help="E-utilities base URL [env EVSYNTH_EUTILS_URL; default NCBI]."
)
REPLAY_OPTION = click.option(
    "--replay",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CASSETTE",
    help="Answer every request from this vcrpy cassette; no network is used.",
)
RECORD_OPTION = click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CASSETTE",
    help="Save the HTTP exchange as a vcrpy cassette (api_key and email filtered out).",
)


def client_settings(eutils_url: str | None, replay: Path | None, record: Path | None) -> Settings:
    """The E-utilities settings of a command's --eutils-url, --replay and --record: not both of the last two, a
    --record that never replaces a cassette, no rate limit when replaying."""
    if replay and record:
        raise click.UsageError("--replay and --record cannot be used together")
    if record is not None and record.exists():
        raise EvsynthError(f"{record}: --record would replace this cassette; name a new file or remove it first")
    settings = resolve_settings(eutils_url=eutils_url)
    return settings.with_rate(None) if replay else settings


@contextlib.contextmanager
def http_session(replay: Path | None, record: Path | None) -> Iterator[None]:
    if replay:
        with replaying(replay):
            yield
    elif record:
        with recording(record):
            yield
    else:
        yield


def main() -> None:
    """Console entry point."""
    cli(prog_name="evsynth")
