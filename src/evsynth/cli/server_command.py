"""`evsynth test-server`: the local E-utilities server, from the command line (test tooling)."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from evsynth.annotations.documents import read_annotation_file
from evsynth.cli.base import EXIT_CODES, cli
from evsynth.errors import InputFileError
from evsynth.fileio import read_input_bytes
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.query.mesh import MeshTree
from evsynth.testing.corpus import Corpus, ServedRecord, SyntheticCorpus
from evsynth.testing.server import FAULTS, HOSTILE, FaultPlan, serving


@cli.command("test-server", epilog=EXIT_CODES)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--synthetic",
    type=click.IntRange(0),
    default=0,
    metavar="N",
    help="Also serve N generated synthetic records (PMIDs from 90000001).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8089,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--id-limit",
    type=click.IntRange(10),
    default=9999,
    show_default=True,
    help="Most ids one esearch returns, as PubMed's 9,999.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests answered with an injected fault.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    type=click.Choice(FAULTS + HOSTILE),
    help=f"Fault kinds to inject [default: all but {', '.join(HOSTILE)}]. Repeatable.",
)
@click.option(
    "--slow-seconds",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="How late a 'slow' fault answers; a 'drip' sends a byte this often.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="N",
    help="Answer HTTP 429 (NCBI's JSON body) above N requests/s, as NCBI does with 3 or 10.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault RNG.")
@click.option(
    "--evaluate-queries",
    is_flag=True,
    help="esearch evaluates the term with evsynth's query engine (FILES only; else any term matches all).",
)
@click.option("--mesh-tree", type=click.Path(dir_okay=False, path_type=Path),
              help="NLM's MeSH tree file (mtreesYYYY.bin): [mh] terms explode with --evaluate-queries.")  # fmt: skip
@click.option("--annotations", "annotation_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="PubTator, BioC-JSON or BioC-XML file whose documents answer PubTator3's export API (biocjson), "
                   "by PMID. Repeatable.")  # fmt: skip
def test_server(
    files: tuple[Path, ...],
    synthetic: int,
    port: int,
    id_limit: int,
    fault_rate: float,
    faults: tuple[str, ...],
    slow_seconds: float,
    rate_limit: float | None,
    seed: int,
    evaluate_queries: bool,
    mesh_tree: Path | None,
    annotation_files: tuple[Path, ...],
) -> None:
    """Serve PubMed XML FILES (and/or --synthetic N records) as E-utilities on 127.0.0.1 until Ctrl-C.

    Point evsynth at it with --eutils-url or EVSYNTH_EUTILS_URL (and EVSYNTH_PUBTATOR3_URL for --annotations).
    Any search term matches the whole corpus, unless --evaluate-queries; date windows, PMID ranges, the history
    server and the id limit behave as PubMed's.
    """
    if not files and not synthetic:
        raise click.UsageError("give PubMed XML FILES, --synthetic N, or both")
    for path in files:
        read_input_bytes(path, 1)  # a missing or unreadable file: one line naming it
    # A broken file: PubmedXMLError names it.
    served = [ServedRecord.from_record(r) for path in files for r in iter_pubmed_xml(str(path), keep_raw=True)]
    corpus = (
        SyntheticCorpus(synthetic, id_limit=id_limit, rate_limit=rate_limit)
        if synthetic
        else Corpus([], id_limit=id_limit, rate_limit=rate_limit)
    )
    corpus.add(served)
    corpus.evaluate_queries = evaluate_queries
    corpus.mesh = MeshTree.from_file(mesh_tree) if mesh_tree else None
    corpus.annotations = {doc.id: doc.bioc_json() for path in annotation_files for doc in read_annotation_file(path)}
    plan = FaultPlan(rate=fault_rate, kinds=faults or FAULTS, seed=seed, slow_seconds=slow_seconds)
    try:
        with serving(corpus, faults=plan, port=port) as server:
            documents = f" and {len(corpus.annotations)} PubTator3 documents" if corpus.annotations else ""
            click.echo(f"serving {len(corpus.records)} records{documents} at {server.url} (Ctrl-C stops)")
            threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopped")
    except OSError as err:
        raise InputFileError(f"127.0.0.1:{port}: cannot listen ({err.strerror})") from None
