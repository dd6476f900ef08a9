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
from evsynth.config import default_reviewer, resolve_settings
from evsynth.criteria import Criteria
from evsynth.errors import EvsynthError
from evsynth.eutils import EUtils, recording, replaying
from evsynth.fileio import check_writable
from evsynth.imports import FORMATS, import_files
from evsynth.overrides import OVERRIDE_DECISIONS, Override, load_overrides, parse_target, save_overrides
from evsynth.pipeline import default_out_dir, run_protocol
from evsynth.protocol import Protocol, load_protocol
from evsynth.screen import ScreenResult, screen_store
from evsynth.screen_outputs import write_screening_outputs
from evsynth.store import Store, utc_now

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


class _Progress:
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


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: output/<protocol name>].",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Store file [default: <out>/evsynth.sqlite].",
)
@click.option("--eutils-url", metavar="URL", help="E-utilities base URL [env EVSYNTH_EUTILS_URL; default NCBI].")
@click.option(
    "--replay",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CASSETTE",
    help="Answer every request from this vcrpy cassette; no network is used.",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CASSETTE",
    help="Save the HTTP exchange as a vcrpy cassette (api_key and email filtered out).",
)
@click.option(
    "--import",
    "imports",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also import this export (PubMed XML, MEDLINE, RIS, Scopus CSV). Repeatable.",
)
@click.option(
    "--refresh-modified",
    is_flag=True,
    help="Also re-fetch stored records that PubMed modified since the last complete run.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def run(
    protocol: Path,
    out_dir: Path | None,
    db_path: Path | None,
    eutils_url: str | None,
    replay: Path | None,
    record: Path | None,
    imports: tuple[Path, ...],
    refresh_modified: bool,
    quiet: bool,
) -> None:
    """Run PROTOCOL end to end: harvest, imports, duplicates, outputs.

    A later run of the same protocol fetches only records not already stored; an
    interrupted run is resumed.
    """
    if replay and record:
        raise click.UsageError("--replay and --record cannot be used together")
    loaded = load_protocol(protocol)
    settings = resolve_settings(eutils_url=eutils_url)
    if replay:
        settings = settings.with_rate(None)
    out = out_dir or default_out_dir(loaded)
    for path in imports:
        if not path.is_file():
            raise EvsynthError(f"{path}: --import file not found")
    store = Store.open(db_path or out / "evsynth.sqlite")
    progress = _Progress(enabled=not quiet)
    try:
        with _http(replay, record):
            client = EUtils(settings)
            result = run_protocol(
                loaded, store, client, out, extra_imports=imports, refresh_modified=refresh_modified,
                progress=progress,
            )  # fmt: skip
    finally:
        progress.close()
        store.close()
    if quiet:
        return
    harvested = result.harvest
    manifest = harvested.manifest
    click.echo(
        f"{loaded.name}: {harvested.total} PubMed hits in {len(manifest.get('slices', []))} slice(s); "
        f"{harvested.new} new, {harvested.updated} updated, {harvested.fetched} fetched"
        + (" (resumed)" if harvested.resumed else "")
    )
    for item in result.imports:
        click.echo(f"imported {item.path}: {item.records} records ({item.format}), {item.new} new")
    duplicates = sum(n for reason, n in result.duplicates.items() if reason != "primary")
    click.echo(f"store: {result.records} records, {duplicates} duplicate(s) clustered")
    if result.screening is not None:
        _echo_screening(result.screening, loaded)
    if result.tagging is not None:
        tagged = result.tagging
        click.echo(f"tagged: {tagged.mentions} mentions in the records it covers ({tagged.tagged} tagged now, "
                   f"{tagged.reused} unchanged)")
    for warning in manifest.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    if manifest.get("not_returned"):
        click.echo(f"warning: efetch did not return {len(manifest['not_returned'])} PMID(s)", err=True)
    for path in result.outputs.values():
        click.echo(f"wrote {path}")


def _echo_screening(result: ScreenResult, protocol: Protocol) -> None:
    counts = result.counts
    click.echo(
        f"screened: {counts.get('include', 0)} include, {counts.get('exclude', 0)} exclude, "
        f"{counts.get('uncertain', 0)} uncertain ({result.screened} by the rules, {result.reused} unchanged"
        + (", criteria changed: all re-screened" if result.criteria_changed else "")
        + ")"
    )
    for target in result.unmatched_overrides:
        click.echo(f"warning: {protocol.overrides_path}: {target} is not in the store (kept for later)", err=True)


def _screening_protocol(path: Path) -> tuple[Protocol, Criteria]:
    loaded = load_protocol(path)
    if loaded.criteria is None:
        raise EvsynthError(f"{path}: criteria: the protocol has no criteria section to screen with")
    return loaded, loaded.criteria


@contextlib.contextmanager
def _http(replay: Path | None, record: Path | None) -> Iterator[None]:
    if replay:
        with replaying(replay):
            yield
    elif record:
        with recording(record):
            yield
    else:
        yield


@cli.command("import", epilog=EXIT_CODES)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Store file to import into (created if missing).",
)
@click.option("--source", help="Source name for PRISMA counts [default: the format, e.g. scopus_csv].")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    help="File format [default: detected from the content].",
)
def import_command(files: tuple[Path, ...], db_path: Path, source: str | None, format_name: str | None) -> None:
    """Import FILES (PubMed XML, MEDLINE/.nbib, RIS, Scopus CSV) into a store.

    Every file is read and checked before anything is written. Duplicates are
    clustered by PMID, DOI and fuzzy title + year.
    """
    from evsynth.dedupe import deduplicate

    with Store.open(db_path) as store:
        results = import_files(store, files, source=source, format_name=format_name)
        duplicates = deduplicate(store)
        total = store.count_records()
    for item in results:
        click.echo(
            f"imported {item.path}: {item.records} records ({item.format}, source {item.source}), {item.new} new"
        )
    clustered = sum(n for reason, n in duplicates.items() if reason != "primary")
    click.echo(f"store {db_path}: {total} records, {clustered} duplicate(s) clustered")


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder [default: output/<protocol name>].")  # fmt: skip
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Store file [default: <out>/evsynth.sqlite].")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def screen(protocol: Path, out_dir: Path | None, db_path: Path | None, quiet: bool) -> None:
    """Screen the stored records of PROTOCOL again, without harvesting (no network).

    Use it after editing the protocol's criteria or its decisions file: records are
    re-evaluated when the criteria changed or their content did, reviewer decisions
    are applied, and screening.csv, included.ris, asreview.csv and prisma.* are
    rewritten.
    """
    loaded, criteria = _screening_protocol(protocol)
    out = out_dir or default_out_dir(loaded)
    overrides = load_overrides(loaded.overrides_path)
    with Store.open(db_path or out / "evsynth.sqlite", create=False) as store:
        check_writable(out)
        result = screen_store(store, loaded.name, criteria, overrides)
        paths = write_screening_outputs(store, loaded.name, criteria, out, title=loaded.title)
    if not quiet:
        _echo_screening(result, loaded)
        for path in paths.values():
            click.echo(f"wrote {path}")


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
def decide(
    protocol: Path,
    record: str,
    decision: str | None,
    reason: str | None,
    reviewer: str | None,
    clear: bool,
    out_dir: Path | None,
    db_path: Path | None,
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
    loaded, criteria = _screening_protocol(protocol)
    if clear and decision:
        raise click.UsageError("give a DECISION or --clear, not both")
    if not clear and not decision:
        raise click.UsageError("missing DECISION (include or exclude), or --clear")
    if not clear and not (reason or "").strip():
        raise click.UsageError("--reason is required: every reviewer decision needs one")
    target = parse_target(record)
    path = loaded.overrides_path
    decisions = load_overrides(path)
    if clear:
        if decisions.pop(target, None) is None:
            raise EvsynthError(f"{path}: no reviewer decision for {record} to clear")
    else:
        who = reviewer if reviewer is not None else default_reviewer()
        decisions[target] = Override(target, str(decision), " ".join(str(reason).split()), who, utc_now()[:10])
    save_overrides(path, decisions)
    click.echo(f"{path}: {record} " + ("cleared" if clear else f"{decision} ({' '.join(str(reason).split())})"))
    out = out_dir or default_out_dir(loaded)
    store_path = db_path or out / "evsynth.sqlite"
    if not store_path.exists():
        click.echo(f"no store at {store_path} yet: the decision applies from the next run")
        return
    with Store.open(store_path, create=False) as store:
        check_writable(out)
        result = screen_store(store, loaded.name, criteria, decisions, kind="override")
        write_screening_outputs(store, loaded.name, criteria, out, title=loaded.title)
    _echo_screening(result, loaded)
    click.echo(f"refreshed the screening outputs in {out}")


@cli.command(epilog=EXIT_CODES)
@click.option("--in", "in_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help='JSONL lines {"pmid" or "id", "text"}, or a PubMed XML file (.gz too).')
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL output: the input lines with an added 'entities' list.")
@click.option("--pubtator", type=click.Path(dir_okay=False, path_type=Path), help="Also write PubTator here.")
@click.option("--bioc", type=click.Path(dir_okay=False, path_type=Path), help="Also write BioC-JSON here.")
def tag(in_path: Path, out_path: Path, pubtator: Path | None, bioc: Path | None) -> None:
    """Tag genes, families, variants, microRNAs and treatments in texts.

    Each entity has start, end, text, type (gene, family, variant, mirna, treatment), id and sentence: for a
    gene the NCBI Gene id (with `hgnc` and `symbol`), for a microRNA its miRBase-style name(s).
    """
    from evsynth.annotations import read_documents, write_bioc_json, write_jsonl, write_pubtator
    from evsynth.extract import Tagger

    docs = read_documents(in_path)
    for target in (out_path, pubtator, bioc):
        if target is not None:
            check_writable(target.parent)
    tagger = Tagger()
    for doc in docs:
        doc.mentions = tagger.tag(doc.text)
    write_jsonl(docs, out_path)
    if pubtator:
        write_pubtator(docs, pubtator)
    if bioc:
        write_bioc_json(docs, bioc)
    counts: dict[str, int] = {}
    for doc in docs:
        for mention in doc.mentions:
            counts[mention.type] = counts.get(mention.type, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no entities"
    click.echo(f"tagged {len(docs)} document(s): {summary}; wrote {out_path}", err=True)


def main() -> None:
    """Console entry point."""
    cli(prog_name="evsynth")
