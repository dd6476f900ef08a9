"""`evsynth audit`: check a published review's references and claims against PubMed."""

from __future__ import annotations

from pathlib import Path

import click

from evsynth.audit.check import audit, parse_window
from evsynth.audit.claims import read_claims
from evsynth.audit.outputs import write_audit
from evsynth.audit.references import read_references
from evsynth.cli.base import (
    EUTILS_URL_OPTION,
    EXIT_CODES,
    LOG_JSON_OPTION,
    QUIET_OPTION,
    RECORD_OPTION,
    REPLAY_OPTION,
    WAIT_OPTION,
    cli,
    client_settings,
    command_log,
    http_session,
    open_store,
)
from evsynth.fileio import check_writable
from evsynth.sources.eutils import EUtils


@cli.command("audit", epilog=EXIT_CODES)
@click.argument("references", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--claims",
    "claims_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CLAIMS.csv",
    help="What the review says of each study: ref, genes, variants, mirnas, treatments, sample_size, finding.",
)
@click.option("--window", metavar="START:END", help="The review's search window, e.g. 2021-01-01:2025-06-01.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: output/audit-<references file name>].",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Store the resolved records join [default: <out>/evsynth.sqlite]; give a review's store to add them to it.",
)
@EUTILS_URL_OPTION
@REPLAY_OPTION
@RECORD_OPTION
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def audit_command(
    references: Path,
    claims_path: Path | None,
    window: str | None,
    out_dir: Path | None,
    db_path: Path | None,
    eutils_url: str | None,
    replay: Path | None,
    record: Path | None,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Check REFERENCES (a reference list pasted from a review, numbered; or RIS or BibTeX) against PubMed.

    Each reference is resolved (its PMID or DOI, then ECitMatch, then a title search with a confidence;
    ambiguous and unresolved ones are reported, never guessed) and compared with its record: title, journal,
    year, volume, pages, first author, author count, DOI, retractions and errata, and the --window. With
    --claims, each claimed gene, variant, microRNA, treatment and sample size is checked against the record's
    tagged title and abstract. Writes audit.csv and audit.md (grouped by severity); resolved records join the
    store. Findings do not change the exit code.
    """
    log = command_log(quiet=quiet, log_json=log_json)
    settings = client_settings(eutils_url, replay, record)
    span = parse_window(window) if window else None
    citations = read_references(references)
    claims = read_claims(claims_path) if claims_path else []
    out = out_dir or Path("output") / f"audit-{references.stem}"
    check_writable(out)
    log.trace("start", f"audit {references}", command="audit", references=str(references), out=str(out))
    with (
        open_store(db_path or out / "evsynth.sqlite", "audit", wait=wait, log=log) as store,
        http_session(replay, record),
    ):
        client = EUtils(settings, on_retry=lambda m: log.warning("retry", m))
        result = audit(citations, store, client, claims=claims, window=span, source=str(references))
    paths = write_audit(result, out, str(references))
    for path in paths.values():
        log.info("output", f"wrote {path}", path=str(path))
    log.info("done", result.summary(), **result.counts(), resolved_by=result.steps)
