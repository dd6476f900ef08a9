"""Command line: a thin click layer over the library. The only module that prints or exits.

Exit codes (also in ``evsynth --help`` and the README):

===  ==========================================================================
0    success
1    a user error: bad protocol, missing or malformed file, unwritable output,
     unusable store, a request missing from a --replay cassette
2    a usage error: unknown option, missing argument
3    E-utilities kept failing and the harvest gave up (what was fetched is kept;
     run again to resume)
130  interrupted (Ctrl-C); run again to resume
===  ==========================================================================
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from evsynth import __version__
from evsynth.criteria import Criteria
from evsynth.errors import EvsynthError
from evsynth.eutils import recording, replaying
from evsynth.protocol import Protocol, load_protocol
from evsynth.screen import ScreenResult

EXIT_CODES = """\b
Exit codes:
  0    success
  1    user error (bad protocol, missing/malformed file, unwritable output, bad store)
  2    usage error (unknown option, missing argument)
  3    E-utilities kept failing; fetched records are kept, run again to resume
  130  interrupted; run again to resume"""


class EvsynthGroup(click.Group):
    """Turns every :class:`EvsynthError` into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvsynthError as err:
            click.echo(f"evsynth: error: {err}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("evsynth: interrupted; what was fetched is stored, run again to resume", err=True)
            ctx.exit(130)


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


def echo_screening(result: ScreenResult, protocol: Protocol) -> None:
    counts = result.counts
    click.echo(
        f"screened: {counts.get('include', 0)} include, {counts.get('exclude', 0)} exclude, "
        f"{counts.get('uncertain', 0)} uncertain ({result.screened} by the rules, {result.reused} unchanged"
        + (", criteria changed: all re-screened" if result.criteria_changed else "")
        + ")"
    )
    for target in result.unmatched_overrides:
        click.echo(f"warning: {protocol.overrides_path}: {target} is not in the store (kept for later)", err=True)


def screening_protocol(path: Path) -> tuple[Protocol, Criteria]:
    loaded = load_protocol(path)
    if loaded.criteria is None:
        raise EvsynthError(f"{path}: criteria: the protocol has no criteria section to screen with")
    return loaded, loaded.criteria


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
