"""`evsynth import` and `evsynth tag`: file imports and tagging texts."""

from __future__ import annotations

import os
from pathlib import Path

import click

from evsynth.cli.base import EXIT_CODES, LOG_JSON_OPTION, QUIET_OPTION, WAIT_OPTION, cli, command_log, open_store
from evsynth.errors import EvsynthError
from evsynth.fileio import check_writable
from evsynth.formats.registry import IMPORT_FORMATS
from evsynth.protocol.extraction import TIERS
from evsynth.protocol.loader import load_protocol
from evsynth.sources.imports import import_files
from evsynth.store.database import Store
from evsynth.store.runs import protocols


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
    type=click.Choice(list(IMPORT_FORMATS)),
    help="File format [default: detected from the content].",
)
@click.option(
    "--protocol",
    "protocol_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The review protocol the records are for [default: the store's only protocol].",
)
@click.option(
    "--raw-xml/--no-raw-xml",
    default=None,
    help="Keep each PubMed XML record's XML in the store [default: the protocol's harvest.raw_xml, else no].",
)
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes that parse a big PubMed XML file while this one stores it [default: one per CPU; "
                   "1: parse here].")  # fmt: skip
@WAIT_OPTION
@LOG_JSON_OPTION
@QUIET_OPTION
def import_command(
    files: tuple[Path, ...],
    db_path: Path,
    source: str | None,
    format_name: str | None,
    protocol_path: Path | None,
    raw_xml: bool | None,
    workers: int | None,
    wait: bool,
    log_json: bool,
    quiet: bool,
) -> None:
    """Import FILES (PubMed XML, MEDLINE/.nbib, RIS, Scopus CSV) into a store.

    All files are stored in one transaction, PubMed XML as it is parsed: a
    file found broken half-way leaves the store as it was. Duplicates are
    clustered by PMID, DOI and fuzzy title + year. The records belong to one
    review: --protocol's, or the store's only one; a store that holds several
    reviews needs --protocol.
    """
    from evsynth.sources.dedupe import deduplicate

    log = command_log(quiet=quiet, log_json=log_json)
    protocol = load_protocol(protocol_path) if protocol_path else None
    keep_raw = raw_xml if raw_xml is not None else bool(protocol and protocol.raw_xml)
    with open_store(db_path, "import", wait=wait, log=log) as store:
        name = protocol.name if protocol else _only_protocol(store, db_path)
        results = import_files(
            store,
            files,
            source=source,
            format_name=format_name,
            protocol_name=name,
            keep_raw=keep_raw,
            workers=workers or os.cpu_count() or 1,
        )
        duplicates = deduplicate(store)
        total = store.count_records()
    for item in results:
        deleted = f", {item.deleted} marked deleted by PubMed" if item.deleted else ""
        log.info(
            "import",
            f"imported {item.path}: {item.records} records ({item.format}, source {item.source}), {item.new} new"
            + deleted + (f", for {name}" if name else ""),
            path=str(item.path), records=item.records, new=item.new, source=item.source, protocol=name,
        )  # fmt: skip
    clustered = sum(n for reason, n in duplicates.items() if reason != "primary")
    log.info("store", f"store {db_path}: {total} records, {clustered} duplicate(s) clustered", records=total,
             duplicates=clustered)  # fmt: skip


def _only_protocol(store: Store, db_path: Path) -> str | None:
    """The store's one protocol; None for a store with none yet (the records then belong to every review)."""
    names = protocols(store)
    if len(names) > 1:
        raise EvsynthError(
            f"{db_path}: holds the reviews {', '.join(names)}; pass --protocol to say whose records these are"
        )
    return names[0] if names else None


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--in",
    "in_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSONL lines {"pmid" or "id", "text"}, or a PubMed XML file (.gz too).',
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL output: the input lines with an added 'entities' list.",
)
@click.option("--pubtator", type=click.Path(dir_okay=False, path_type=Path), help="Also write PubTator here.")
@click.option("--bioc", type=click.Path(dir_okay=False, path_type=Path), help="Also write BioC-JSON here.")
@click.option(
    "--tier",
    type=click.Choice(TIERS),
    default="dictionary",
    show_default=True,
    help="dictionary: the lexicon and its rules; all: a learned recogniser adds the genes and variants the "
    "lexicon misses and scores every gene and variant mention.",
)
def tag(in_path: Path, out_path: Path, pubtator: Path | None, bioc: Path | None, tier: str) -> None:
    """Tag genes, families, variants, microRNAs and treatments in texts.

    Each entity has start, end, text, type (gene, family, variant, mirna, treatment), id and sentence: for a
    gene the NCBI Gene id (with `hgnc` and `symbol`), for a microRNA its miRBase-style name(s). Each says which
    tier found it (`tier`) and how sure it is (`confidence`, 0 to 1: the learned tier's probability for genes
    and variants under --tier all, 1.0 otherwise).
    """
    from evsynth.formats.annotations import read_documents, write_bioc_json, write_jsonl, write_pubtator
    from evsynth.tagger.tagger import Tagger

    docs = read_documents(in_path)
    for target in (out_path, pubtator, bioc):
        if target is not None:
            check_writable(target.parent)
    tagger = Tagger(tier=tier)
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
