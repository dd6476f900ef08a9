"""`evsynth annotations import`: annotation files a user already has (PubTator, BioC-JSON, BioC-XML) into a
review's store, merged into its outputs as the protocol's extraction policy says."""

from __future__ import annotations

import re
from pathlib import Path

import click

from evsynth.annotations.convert import Converter
from evsynth.annotations.documents import read_annotation_file
from evsynth.annotations.sources import import_annotations
from evsynth.cli.base import (
    DB_OPTION,
    EXIT_CODES,
    LOG_JSON_OPTION,
    OUT_OPTION,
    QUIET_OPTION,
    WAIT_OPTION,
    cli,
    command_log,
    open_store,
)
from evsynth.errors import EvsynthError
from evsynth.fileio import check_writable
from evsynth.pipeline import default_out_dir, refresh_outputs
from evsynth.protocol.loader import load_protocol
from evsynth.tagger.tagger import Tagger

_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@cli.group("annotations", epilog=EXIT_CODES)
def annotations_group() -> None:
    """Annotations by other tools (PubTator3), kept beside evsynth's own tags."""


@annotations_group.command("import", epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", default="pubtator3", show_default=True,
              help="Whose annotations they are; the extraction policy takes those of 'pubtator3'.")  # fmt: skip
@OUT_OPTION
@DB_OPTION
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def import_files(
    protocol: Path,
    files: tuple[Path, ...],
    source: str,
    out_dir: Path | None,
    db_path: Path | None,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Import PubTator, BioC-JSON or BioC-XML FILES (gzipped or not) for the records of PROTOCOL's store.

    Each document is matched to a stored record by its PMID and placed on the record's text; what cannot be
    placed is reported, never guessed. Every file is read before the store is touched, and each lands whole.
    The review's outputs are then written again from the store (no network).
    """
    log = command_log(quiet=quiet, log_json=log_json)
    if not _SOURCE.match(source):
        raise EvsynthError(f"--source: {source!r} must be lower case letters, digits, '_' or '-'")
    loaded = load_protocol(protocol)
    read = [(path, read_annotation_file(path)) for path in files]
    out = out_dir or default_out_dir(loaded)
    with open_store(db_path or out / "evsynth.sqlite", "annotations import", create=False, wait=wait, log=log) as store:
        check_writable(out)
        tagger = Tagger(tier=loaded.extraction.tier)
        converter = Converter(tagger.lexicon)
        for path, docs in read:
            result = import_annotations(store, docs, converter, source=source, origin=str(path))
            log.info("annotations", f"{path}: {result.summary()}", file=str(path), annotated=result.annotated,
                     unmatched=len(result.unmatched))  # fmt: skip
        paths = refresh_outputs(loaded, store, out, tagger=tagger)
    for path in paths.values():
        log.info("output", f"wrote {path}", path=str(path))
