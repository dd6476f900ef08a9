"""`evsynth run`: every stage for one protocol."""

from __future__ import annotations

from pathlib import Path

import click

from evsynth.cli.base import EXIT_CODES, ProgressBar, cli, echo_screening, http_session
from evsynth.config import resolve_settings
from evsynth.errors import EvsynthError
from evsynth.eutils import EUtils
from evsynth.pipeline import default_out_dir, run_protocol
from evsynth.protocol import load_protocol
from evsynth.store import Store


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
    progress = ProgressBar(enabled=not quiet)
    try:
        with http_session(replay, record):
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
        echo_screening(result.screening, loaded)
    if result.tagging is not None:
        tagged = result.tagging
        click.echo(f"tagged: {tagged.mentions} mentions in the records it covers ({tagged.tagged} tagged now, "
                   f"{tagged.reused} unchanged)")
    if result.synthesis is not None:
        graph = result.synthesis.graph
        click.echo(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges; convergent: "
                   + (", ".join(result.synthesis.convergent_modules) or "none"))
    for warning in manifest.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    if manifest.get("not_returned"):
        click.echo(f"warning: efetch did not return {len(manifest['not_returned'])} PMID(s)", err=True)
    for path in result.outputs.values():
        click.echo(f"wrote {path}")
