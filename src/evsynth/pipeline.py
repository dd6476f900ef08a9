"""``evsynth run``: every stage that exists, in order, for one protocol.

Stages so far: harvest (E-utilities) -> file sources (protocol ``sources`` and
``--import`` files) -> duplicate clustering -> screening (when the protocol has
``criteria``) -> outputs (``records.csv``, the screening outputs and PRISMA,
``run-manifest.json``) -> graph -> changes (``changes.json``/``.md`` against the
last snapshot, which is then replaced). ``update=True`` is ``evsynth update``: it also
re-fetches records PubMed modified, and stops after the harvest, leaving every
output untouched, when the review's fingerprint is the last snapshot's. Outputs are
written to a temporary file and renamed into place, so a crash never leaves a
half-written file and earlier outputs survive a failed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.annotations.convert import Converter
from evsynth.annotations.merge import review_documents, write_annotation_status
from evsynth.annotations.sources import AnnotationResult, fetch_pubtator3
from evsynth.fileio import CsvWriter, atomic_writer, check_writable, remove_stale_temporaries, staged_outputs
from evsynth.formats.annotations import Document, write_bioc_json, write_jsonl, write_pubtator
from evsynth.models import is_retracted, normalize_doi
from evsynth.protocol.loader import Protocol
from evsynth.screening.decisions import Override, read_decisions
from evsynth.screening.outputs import write_screening_outputs
from evsynth.screening.screen import ScreenResult, screen_store, sweeping_criterion
from evsynth.sources.dedupe import deduplicate
from evsynth.sources.eutils import EUtils, PubTator3
from evsynth.sources.harvest import HarvestResult, Progress, harvest
from evsynth.sources.imports import ImportResult, LoadedFile, load_files, store_files
from evsynth.store.database import Store
from evsynth.store.decisions import ReviewState, load_review_state
from evsynth.store.records import pmids_by_id, record_rows, record_sources, run_identifiers
from evsynth.store.runs import ReviewRun, advance, close_review_run, last_unfinished, open_review_run
from evsynth.synthesis.build import Synthesis, synthesise, write_synthesis, write_synthesis_report
from evsynth.synthesis.changes import compare, fingerprint, has_news, review_state
from evsynth.synthesis.changes_report import write_changes
from evsynth.synthesis.evidence import author_name
from evsynth.tagger.stored import TagResult, tag_store
from evsynth.tagger.tagger import Tagger

RECORD_COLUMNS = (
    "pmid", "doi", "title", "year", "journal", "language", "pub_types", "source", "first_seen_run",
    "record_id", "pub_date", "journal_iso", "first_author", "pmcid", "duplicate_of", "duplicate_reason",
    "is_retracted", "deleted",
)  # fmt: skip


def default_out_dir(protocol: Protocol) -> Path:
    """``output/<protocol-name>`` under the current directory."""
    return Path("output") / protocol.name


def _record_rows(store: Store, protocol_name: str) -> Iterator[dict[str, Any]]:
    sources = record_sources(store, protocol_name)
    pmid_of = pmids_by_id(store)
    for row in record_rows(store, ("*",), protocol=protocol_name):
        pub_types = json.loads(row["pub_types"])
        comments = json.loads(row["comments_corrections"])
        authors = json.loads(row["authors"])
        cluster = row["cluster_id"]
        primary = cluster if cluster not in (None, row["id"]) else None
        yield {
            "pmid": row["pmid"] or "",
            "doi": row["doi"] or "",
            "title": row["title"] or "",
            "year": row["pub_year"] or "",
            "journal": row["journal"] or "",
            "language": ";".join(json.loads(row["languages"])),
            "pub_types": ";".join(pub_types),
            "source": ";".join(sources.get(row["id"], [row["source"]])),
            "first_seen_run": row["first_seen_run"],
            "record_id": row["id"],
            "pub_date": row["pub_date"] or "",
            "journal_iso": row["journal_iso"] or "",
            "first_author": author_name(authors[0]) if authors else "",
            "pmcid": row["pmcid"] or "",
            "duplicate_of": (pmid_of.get(primary) or f"record:{primary}") if primary else "",
            "duplicate_reason": row["duplicate_reason"] or "",
            "is_retracted": int(is_retracted(pub_types, (c["ref_type"] for c in comments))),
            "deleted": int(row["deleted_run"] is not None),
        }


def write_records_csv(store: Store, protocol_name: str, path: Path) -> int:
    """Write the protocol's records to ``path`` (atomically); return the number of rows."""
    count = 0
    with atomic_writer(path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=RECORD_COLUMNS)
        writer.writeheader()
        for row in _record_rows(store, protocol_name):
            writer.writerow(row)
            count += 1
    return count


@dataclass
class RunResult:
    """What ``evsynth run`` did."""

    harvest: HarvestResult
    imports: list[ImportResult] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    records: int = 0
    screening: ScreenResult | None = None
    tagging: TagResult | None = None
    annotations: AnnotationResult | None = None  # PubTator3's, when the protocol's extraction policy takes them
    synthesis: Synthesis | None = None
    changes: dict[str, Any] | None = None
    unchanged: bool = False  # same fingerprint as the last snapshot: nothing new
    after_unfinished: ReviewRun | None = None  # the protocol's previous review run, when it did not finish
    warnings: list[str] = field(default_factory=list)  # what the user should look at (a sweeping criterion)
    skipped: bool = False  # an unchanged update that left every output as it was
    rewrote_missing: bool = False  # an unchanged update that wrote outputs someone had deleted

    @property
    def news(self) -> bool:
        """Whether this run changed the review (new, changed or re-decided records, edges, pathways, notices)."""
        return not self.unchanged and self.changes is not None and has_news(self.changes)


def write_mention_outputs(docs: list[Document], out_dir: Path) -> dict[str, Path]:
    """mentions.jsonl (the `evsynth tag` shape), mentions.pubtator and mentions.bioc.json."""
    paths = {
        "mentions": out_dir / "mentions.jsonl",
        "pubtator": out_dir / "mentions.pubtator",
        "bioc": out_dir / "mentions.bioc.json",
    }
    write_jsonl(docs, paths["mentions"])
    write_pubtator(docs, paths["pubtator"])
    write_bioc_json(docs, paths["bioc"])
    return paths


KEY_OUTPUTS = ("records.csv", "run-manifest.json", "changes.json", "report.html")


def output_stats(out_dir: Path, paths: Iterable[Path]) -> dict[str, list[int]]:
    """``{name: [size, mtime_ns]}`` of outputs just written into ``out_dir``."""
    stats = {}
    for path in paths:
        status = path.stat()
        stats[path.relative_to(out_dir).as_posix()] = [status.st_size, status.st_mtime_ns]
    return stats


def outputs_current(out_dir: Path, written: dict[str, list[int]] | None) -> bool:
    """Whether every output the last run wrote is still in ``out_dir``, unchanged (same size and modification
    time); without its record (a snapshot from an older evsynth), whether the key outputs exist."""
    if written is None:
        return all((out_dir / name).is_file() for name in KEY_OUTPUTS)
    try:
        return all([(status := (out_dir / name).stat()).st_size, status.st_mtime_ns] == stat
                   for name, stat in written.items())  # fmt: skip
    except OSError:  # one is missing or cannot be read
        return False


def refresh_outputs(
    protocol: Protocol,
    store: Store,
    out_dir: Path,
    *,
    tagger: Tagger | None = None,
    commit: Callable[[], AbstractContextManager[bool]] | None = None,
) -> dict[str, Path]:
    """Write again, from the store and no network, everything derived from the review's decisions: the screening
    outputs and PRISMA, the mentions, and the graph with its exports, tables and report, so that none of them
    lags behind a reviewer's decision (``decide``, ``screen``, the desk and ``evsynth report`` call it). The files
    are staged and replace the earlier ones together; ``records.csv``, ``changes.*`` and the run manifest belong
    to runs and are left alone.

    Without ``commit`` the caller holds the store's lock. With it, the caller has tagged the review first
    (:func:`tag_review`, under the lock) and this only reads the store, lock or not; ``commit()`` is entered
    before the new outputs replace the earlier ones and says whether they still should (see
    :func:`evsynth.fileio.staged_outputs`): the desk rewrites its outputs so, while reviewers go on deciding."""
    check_writable(out_dir)
    snapshot = store.latest_snapshot(protocol.name)
    with staged_outputs(out_dir, commit) as stage:
        review = load_review_state(store, protocol.name, screened=protocol.criteria is not None)
        outputs, _, synthesis = _derived_outputs(protocol, store, review, stage, tagger, tag=commit is None)
        outputs["report"] = write_synthesis_report(synthesis, stage, title=protocol.title or protocol.name,
                                                   prisma_svg=outputs.get("prisma_svg"),
                                                   changes=snapshot["changes"] if snapshot else None)  # fmt: skip
    return {name: out_dir / path.relative_to(stage) for name, path in outputs.items()}


def tag_review(protocol: Protocol, store: Store, tagger: Tagger) -> TagResult:
    """Tag the review's included records that are not tagged yet: the one part of :func:`refresh_outputs` that
    writes to the store (the caller holds its lock)."""
    review = load_review_state(store, protocol.name, screened=protocol.criteria is not None)
    return tag_store(store, review.included, tagger)


def _derived_outputs(
    protocol: Protocol,
    store: Store,
    review: ReviewState,
    stage: Path,
    tagger: Tagger | None,
    on_stage: Callable[[str], None] | None = None,
    *,
    tag: bool = True,
    background: Path | None = None,
) -> tuple[dict[str, Path], TagResult, Synthesis]:
    """Everything derived from the review's decisions, written into ``stage``, but the report (which tells what
    the last update changed, and a run finds that out after these): mentions (the extract stage), the screening
    outputs and PRISMA (outputs), the graph with its exports and tables (graph). What a run and
    :func:`refresh_outputs` both write; ``on_stage`` is told as each stage begins. Without ``tag`` the records
    are not tagged here (they were: see :func:`tag_review`) and the store is only read."""
    tell = on_stage or (lambda name: None)
    tell("extract")
    tagger = tagger or Tagger(tier=protocol.extraction.tier)  # loads the lexicon (~2 s): once there is work
    tagging = tag_store(store, review.included, tagger) if tag else TagResult()
    tell("outputs")
    outputs: dict[str, Path] = {}
    if protocol.criteria is not None:
        outputs.update(
            write_screening_outputs(
                store, review, protocol.criteria, stage, title=protocol.title, other_methods=protocol.other_methods
            )
        )
    outputs.update(write_mention_outputs(review_documents(store, review.included, protocol.extraction), stage))
    if protocol.extraction.external:
        outputs["annotations"] = write_annotation_status(store, review.included, protocol.extraction,
                                                         stage / "annotation-sources.csv")  # fmt: skip
    tell("graph")
    synthesis = synthesise(protocol, store, review, lexicon=tagger.lexicon)
    outputs.update(write_synthesis(synthesis, stage))
    folder = background or protocol.convergence.background
    if folder is not None:  # imported here: scipy and pyarrow take half a second to load, for every command
        from evsynth.mining.background import Background
        from evsynth.mining.review import apply_background

        outputs.update(apply_background(synthesis, Background(folder), stage))
    return outputs, tagging, synthesis


def run_protocol(
    protocol: Protocol,
    store: Store,
    client: EUtils,
    out_dir: Path,
    *,
    extra_imports: tuple[Path, ...] = (),
    refresh_modified: bool | None = None,
    progress: Progress | None = None,
    on_stage: Callable[[str], None] | None = None,
    tagger: Tagger | None = None,
    update: bool = False,
    annotator: PubTator3 | None = None,
    background: Path | None = None,
) -> RunResult:
    """Run every stage for ``protocol`` and write the outputs into ``out_dir``.

    The run is a review run in the store (:mod:`evsynth.store.runs`): opened before the first stage, advanced as
    each begins, closed after the last output. One killed on the way stays unfinished, is reported by the next
    run (``RunResult.after_unfinished``) and is never a finished version of the review.

    When the protocol's extraction policy takes PubTator3's annotations, the review's included records that
    PubTator3 has not answered for are asked (``annotator``, or a client with ``client``'s settings).

    With ``update``, records PubMed modified since the last complete run are fetched
    again (unless ``refresh_modified`` is False), and when nothing the outputs are made
    from changed (same fingerprint as the last snapshot) the run stops after the harvest
    with ``unchanged`` set and the outputs untouched (those missing are written again).
    """
    check_writable(out_dir)
    remove_stale_temporaries(out_dir)  # left by a killed run; the store's lock is held, so none is in use
    # the decisions file is read once: the screening applies what the fingerprint records
    overrides, decisions_digest = _decisions(protocol)
    # Every import file is read and checked before the harvest, so a bad one changes nothing.
    loaded = [
        item
        for source in protocol.sources
        for item in load_files([source.path], source=source.name, format_name=source.format, keep_raw=protocol.raw_xml)
    ] + load_files(extra_imports, keep_raw=protocol.raw_xml)
    unfinished = last_unfinished(store, protocol.name)
    run = _Run(store, open_review_run(store, protocol.name, "update" if update else "run"), on_stage)
    try:
        # every output is written into a staging folder and replaces the earlier ones only once all are written
        with staged_outputs(out_dir) as stage:
            result, snapshot = _run_stages(protocol, store, client, out_dir, stage, run, overrides=overrides,
                                           decisions_digest=decisions_digest, loaded=loaded,
                                           refresh=update if refresh_modified is None else refresh_modified,
                                           progress=progress, tagger=tagger, update=update,
                                           annotator=annotator, background=background)  # fmt: skip
        result.outputs = {name: out_dir / path.relative_to(stage) for name, path in result.outputs.items()}
        stats = output_stats(out_dir, result.outputs.values())
        if snapshot is not None:
            # last, after every output: a run killed before this point is reported again in full by the next one
            store.save_snapshot(*snapshot, outputs=stats)
        elif result.unchanged and not result.skipped:  # the same review written again: these are its outputs now
            store.set_snapshot_outputs(protocol.name, stats)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # a store that cannot take the close must not hide the cause
            close_review_run(store, run.id, outcome="stopped", status="failed")
        raise
    result.after_unfinished = unfinished
    close_review_run(store, run.id, outcome=_outcome(result))
    return result


@dataclass
class _Run:
    """The open review run: each stage begun is recorded in the store and told to ``on_stage``."""

    store: Store
    id: int
    on_stage: Callable[[str], None] | None

    def stage(self, name: str, *, harvest_run: int | None = None) -> None:
        advance(self.store, self.id, name, harvest_run=harvest_run)
        if self.on_stage:
            self.on_stage(name)


def _missed_known(protocol: Protocol, store: Store, run_id: int) -> list[str]:
    """A warning for each of the protocol's known studies (``search.known``) the search did not find."""
    if not protocol.search.known:
        return []
    pmids, dois = run_identifiers(store, run_id)
    missed = [k for k in protocol.search.known if k not in pmids and normalize_doi(k) not in dois]
    return [
        f"search.known: {k} is not among the records the search found; `evsynth search check {protocol.path}` "
        "says which block loses it"
        for k in missed
    ]


def _decisions(protocol: Protocol) -> tuple[dict[str, Override], str]:
    """The reviewer decisions the run applies, and the digest of the bytes they were read from."""
    if protocol.criteria:
        return read_decisions(protocol.overrides_path)
    path = protocol.overrides_path  # not applied without criteria, but part of the fingerprint as it always was
    return {}, hashlib.sha256(path.read_bytes() if path.is_file() else b"").hexdigest()


def _outcome(result: RunResult) -> str:
    if result.skipped:
        return "nothing new"
    return "new evidence" if result.news else "no news"


def _run_stages(
    protocol: Protocol,
    store: Store,
    client: EUtils,
    out_dir: Path,
    stage: Path,
    run: _Run,
    *,
    overrides: dict[str, Override],
    decisions_digest: str,
    loaded: list[LoadedFile],
    refresh: bool,
    progress: Progress | None,
    tagger: Tagger | None,
    update: bool,
    annotator: PubTator3 | None = None,
    background: Path | None = None,
) -> tuple[RunResult, tuple[str, int, str, dict[str, Any], Any] | None]:
    """The stages, writing every output into ``stage``; returns the result and the snapshot to save once the
    outputs are in ``out_dir`` (None when nothing changed)."""
    run.stage("harvest")
    harvested = harvest(protocol, store, client, refresh_modified=refresh, progress=progress)
    result = RunResult(harvest=harvested)
    result.warnings += _missed_known(protocol, store, harvested.run_id)
    if loaded:
        run.stage("import", harvest_run=harvested.run_id)
        result.imports = store_files(store, loaded, parent_run=harvested.run_id, protocol_name=protocol.name)
    run.stage("deduplicate", harvest_run=harvested.run_id)
    result.duplicates = deduplicate(store)
    digest = fingerprint(protocol, store, decisions_digest)
    previous = store.latest_snapshot(protocol.name)
    same = result.unchanged = previous is not None and previous["fingerprint"] == digest
    # nothing new, and the outputs are the files the last run wrote: they stay as they are (a snapshot from before
    # output stats were kept: an update checks only that the key outputs exist, a run writes them again)
    if same and previous is not None and (update or previous["outputs"] is not None):
        result.changes = previous["changes"]
        if outputs_current(out_dir, previous["outputs"]):
            result.skipped = True
            store.update_run(harvested.run_id, manifest={**harvested.manifest, "outcome": "nothing new"})
            return result, None
        result.rewrote_missing = True
    if protocol.criteria is not None:
        run.stage("screen")
        result.screening = screen_store(
            store,
            protocol.name,
            protocol.criteria,
            overrides,
            # nothing changed since the last version (outputs written again): the screening is not a new version
            run_id=None if same else harvested.run_id,
            review_run=run.id,
            progress=progress,
        )
    review = load_review_state(store, protocol.name, screened=protocol.criteria is not None)
    if protocol.criteria is not None and (warning := sweeping_criterion(review, protocol.criteria)):
        result.warnings.append(warning)
    tagger = tagger or Tagger(tier=protocol.extraction.tier)  # loads the lexicon (~2 s): once there is work
    if protocol.extraction.external:
        run.stage("annotate")
        result.annotations = fetch_pubtator3(store, review.included, annotator or PubTator3(client.settings),
                                             Converter(tagger.lexicon))  # fmt: skip
    derived, result.tagging, result.synthesis = _derived_outputs(protocol, store, review, stage, tagger, run.stage,
                                                                 background=background)  # fmt: skip
    records_csv = stage / "records.csv"
    result.records = write_records_csv(store, protocol.name, records_csv)
    result.outputs = {"records": records_csv, **derived}
    run.stage("changes")
    state = review_state(store, review, result.synthesis.graph, result.synthesis.rows)
    # outputs written again with nothing new keep the last update's changes (what a scheduler last read)
    result.changes = previous["changes"] if same and previous else compare(
        previous, state, protocol=protocol, store=store, review=review, graph=result.synthesis.graph,
        run_id=harvested.run_id)  # fmt: skip
    result.outputs.update(write_changes(result.changes, stage, title=protocol.title or protocol.name))
    result.outputs["report"] = write_synthesis_report(result.synthesis, stage, title=protocol.title or protocol.name,
                                                      prisma_svg=derived.get("prisma_svg"),
                                                      changes=result.changes)  # fmt: skip
    manifest_path = stage / "run-manifest.json"
    with atomic_writer(manifest_path) as handle:
        json.dump(store.run(harvested.run_id), handle, indent=2, sort_keys=True, default=str)
    result.outputs["manifest"] = manifest_path
    return result, None if same else (protocol.name, harvested.run_id, digest, state, result.changes)
