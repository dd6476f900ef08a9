"""`evsynth search check`: a protocol's search strategy counted and checked against known relevant studies."""

from __future__ import annotations

from pathlib import Path

import click

from evsynth.audit.references import read_references
from evsynth.cli.base import (
    EUTILS_URL_OPTION,
    EXIT_CODES,
    LOG_JSON_OPTION,
    OUT_OPTION,
    QUIET_OPTION,
    RECORD_OPTION,
    REPLAY_OPTION,
    Log,
    cli,
    client_settings,
    command_log,
    http_session,
)
from evsynth.errors import InputFileError
from evsynth.fileio import check_writable, read_input_text
from evsynth.models import parse_identifier
from evsynth.pipeline import default_out_dir
from evsynth.protocol.loader import load_protocol
from evsynth.query.mesh import MeshTree
from evsynth.sources.eutils import EUtils
from evsynth.sources.search_check import check_search, read_known, write_search_check


def _known_studies(path: Path, log: Log) -> list[str]:
    """A list of PMIDs and DOIs (the first entry is one), else a reference list as `evsynth audit` reads it,
    whose entries that state a PMID or DOI are taken (the others are said and left out)."""
    lines = [line.split("#", 1)[0].strip() for line in read_input_text(path).splitlines()]
    first = next((line for line in lines if line), "")
    if not first or parse_identifier(first):
        return read_known(path)
    citations = read_references(path)
    known = [c.pmid or c.doi for c in citations if c.pmid or c.doi]
    left = [c.key for c in citations if not (c.pmid or c.doi)]
    if left:
        log.warning("known_left_out", f"{path}: {len(left)} reference(s) state no PMID or DOI and are left out "
                    f"({', '.join(left[:10])}); `evsynth audit` resolves them", references=left)  # fmt: skip
    if not known:
        raise InputFileError(f"{path}: no reference in it states a PMID or DOI")
    return known


@cli.group(epilog=EXIT_CODES)
def search() -> None:
    """The protocol's search strategy: `evsynth search check PROTOCOL`."""


@search.command("check", epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--known",
    "known_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Known relevant studies: a PMID or DOI a line, or a reference list (those stating a PMID or DOI) "
    "[default: the protocol's search.known].",
)
@OUT_OPTION
@click.option(
    "--mesh-tree",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="NLM's MeSH tree (mtreesYYYY.bin), to explode MeSH terms when telling why a study is lost.",
)
@EUTILS_URL_OPTION
@REPLAY_OPTION
@RECORD_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def search_check(
    protocol: Path,
    known_path: Path | None,
    out_dir: Path | None,
    mesh_tree: Path | None,
    eutils_url: str | None,
    replay: Path | None,
    record: Path | None,
    log_json: bool,
    quiet: bool,
) -> None:  # fmt: skip
    """Count PROTOCOL's search per block and per term (esearch, within its date window), the whole query and the
    query with each block dropped; with known relevant studies, the relative recall and, for each study missed,
    the block (and its terms) that loses it. Writes search-check.md and search-check.json; a handful of
    requests (blocks + terms + 3), nothing fetched but the known studies.

    \b
    Examples:
      evsynth search check queries/trd-pharmacogenomics.yaml --known known-studies.txt
      evsynth search check queries/trd-pharmacogenomics.yaml --eutils-url http://127.0.0.1:8089
    """
    log = command_log(quiet=quiet, log_json=log_json)
    settings = client_settings(eutils_url, replay, record)
    loaded = load_protocol(protocol)
    known = _known_studies(known_path, log) if known_path else list(loaded.search.known)
    mesh = MeshTree.from_file(mesh_tree) if mesh_tree else None
    out = out_dir or default_out_dir(loaded)
    check_writable(out)
    with http_session(replay, record):
        result = check_search(loaded, EUtils(settings, on_retry=lambda m: log.warning("retry", m)), known, mesh=mesh)
    for path in write_search_check(result, out).values():
        log.info("output", f"wrote {path}", path=str(path))
    blocks = ", ".join(f"{b.name} {b.count}" for b in result.blocks)
    log.info("search", f"{loaded.name}: {result.count} records ({blocks}); {result.requests} requests",
             count=result.count, requests=result.requests)  # fmt: skip
    if result.known:
        missed = [k for k in result.known if k.pmid and not k.found]
        recall = result.relative_recall
        said = f"relative recall {recall:.2f}" if recall is not None else "no known study is in PubMed"
        log.info("known", f"known studies: {said}; missed: {', '.join(k.pmid for k in missed) or 'none'}",
                 relative_recall=recall, missed=[k.pmid for k in missed])  # fmt: skip
