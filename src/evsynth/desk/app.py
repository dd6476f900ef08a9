"""``evsynth desk``: a local web app (Flask, on 127.0.0.1) for screening a review's records by keyboard.

The queue puts the records the rules left uncertain first; one record shows its title, abstract and metadata,
with each criterion's evidence highlighted where it matched. A decision (include, exclude, maybe) goes through
:func:`evsynth.screening.reviewer.decide_and_rescreen`, as ``evsynth decide`` does: under the store's lock and the
decisions file's, kept with the reviewer's name, the day and what it replaced. Every output derived from the
decisions (screening, PRISMA, graph, tables, report) is then rewritten by :func:`evsynth.pipeline.refresh_outputs`
in the background, once the reviewer pauses (:mod:`evsynth.desk.refresher`); the page shows whether they are
current, and stopping the desk writes what is pending. Undo puts back what the record had before the desk's last
decision on it. The ranking keeps its TF-IDF matrix between requests and refits only when the decisions changed.

Every request opens the store for itself (SQLite connections stay in their thread); the page is one HTML file
with its script and style beside it, no CDN.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, request

from evsynth.desk.refresher import OutputRefresher
from evsynth.errors import EvsynthError
from evsynth.models import Record
from evsynth.pipeline import refresh_outputs, tag_review
from evsynth.protocol.concepts import Outcome
from evsynth.protocol.criteria import Criteria
from evsynth.protocol.loader import Protocol, load_protocol
from evsynth.screening.decisions import OVERRIDE_DECISIONS, Override, load_overrides, target_of
from evsynth.screening.ranking import Ranker
from evsynth.screening.reviewer import Change, decide_and_rescreen
from evsynth.store.database import Store, row_to_record, utc_now
from evsynth.store.decisions import load_review_state, state_token
from evsynth.store.lock import store_lock
from evsynth.store.records import record_rows
from evsynth.tagger.tagger import Tagger

QUEUE_ORDER = {"uncertain": 0, "include": 1, "exclude": 2}
_STATIC = {"desk.js": "text/javascript", "desk.css": "text/css"}


@dataclass
class Desk:
    """What the app serves: one review, its store and output folder, and who decides."""

    protocol: Protocol
    criteria: Criteria
    store_path: Path
    out_dir: Path
    reviewer: str
    undo: dict[str, list[Override | None]] = field(default_factory=dict)  # target -> what it had before
    refresh_delay: float = 4.0  # seconds of pause after a decision before the outputs are rewritten
    _worker: ProcessPoolExecutor | None = None  # the process that rewrites the outputs (see rewrite_outputs)
    _ranker: tuple[frozenset[int], Ranker] | None = None  # the records it was built for, and the ranker
    _scores: tuple[tuple[tuple[int, bool], ...], dict[int, float]] | None = None  # the labels, their scores
    _ranking: threading.Lock = field(default_factory=threading.Lock)
    outputs: OutputRefresher = field(init=False)

    def __post_init__(self) -> None:
        self.outputs = OutputRefresher(self._rewrite_outputs, self.refresh_delay)

    def _rewrite_outputs(self) -> None:
        """Rewrite the outputs in the desk's worker process (a second core, and none of this process's time:
        a rewrite in a thread here made every request crawl); again later when the review changed meanwhile."""
        if self._worker is None:
            self._worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        job = self._worker.submit(rewrite_outputs, str(self.protocol.path), str(self.store_path), str(self.out_dir))
        if not job.result():
            self.outputs.request()

    def close(self) -> None:
        """Write what is pending and stop the worker process."""
        self.outputs.flush()
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None

    def scores(self, store: Store, rows: dict[int, Any]) -> dict[int, float]:
        """The ranking model's include probability for each record (see :mod:`evsynth.screening.ranking`), learnt
        from the decided ones: a reviewer's include or exclude, else the rules' when they decided. The TF-IDF
        matrix is built once for the review's records; the model is refitted only when the decisions changed."""
        labels = {rid: row["decision"] == "include" for rid, row in rows.items()
                  if row["decision"] in ("include", "exclude")}  # fmt: skip
        key = tuple(sorted(labels.items()))
        with self._ranking:
            if self._scores is not None and self._scores[0] == key:
                return self._scores[1]
            ids = frozenset(rows)
            if self._ranker is None or self._ranker[0] != ids:
                texts = {row["id"]: f"{row['title'] or ''} {row['abstract'] or ''}" for row in
                         record_rows(store, ("id", "title", "abstract"), ids)}  # fmt: skip
                self._ranker = (ids, Ranker(texts))
            self._scores = (key, self._ranker[1].scores(labels))
            return self._scores[1]

    def store(self, *, write: bool = False) -> AbstractContextManager[Store]:
        return open_store(self.store_path, write=write)


@contextmanager
def open_store(path: Path, *, write: bool = False) -> Iterator[Store]:
    """The review's store, under its lock when ``write`` (waiting for another command to finish)."""
    with store_lock(path, "desk", wait=True) if write else nullcontext(), Store.open(path, create=False) as store:
        yield store


_WORKER_STATE: dict[str, Any] = {}  # in the desk's worker process: the tagger and protocols, loaded once


def rewrite_outputs(protocol_path: str, store_path: str, out_dir: str) -> bool:
    """(Run in the desk's worker process.) Tag what the reviewers newly included, under the store's lock (a
    write), then write the outputs from the store without the lock, so that decisions go on meanwhile; they replace
    the earlier ones only if nothing changed the review since (checked under the lock). Returns whether they did
    (False: the review changed, the next rewrite will do it)."""
    if protocol_path not in _WORKER_STATE:
        _WORKER_STATE[protocol_path] = load_protocol(Path(protocol_path))
    protocol: Protocol = _WORKER_STATE[protocol_path]
    tier = protocol.extraction.tier  # the tagger `run` tags the review with
    if f"tagger:{tier}" not in _WORKER_STATE:
        _WORKER_STATE[f"tagger:{tier}"] = Tagger(tier=tier)
    tagger: Tagger = _WORKER_STATE[f"tagger:{tier}"]
    store_file, out = Path(store_path), Path(out_dir)
    with open_store(store_file, write=True) as store:
        tag_review(protocol, store, tagger)
        began = state_token(store)
    committed = False

    @contextmanager
    def if_unchanged() -> Iterator[bool]:
        nonlocal committed
        with open_store(store_file, write=True) as store:
            committed = state_token(store) == began
            yield committed

    with open_store(store_file) as store:
        refresh_outputs(protocol, store, out, tagger=tagger, commit=if_unchanged)
    return committed


def queue(desk: Desk, decision: str = "uncertain") -> dict[str, Any]:
    """The records to screen (``uncertain``, ``include``, ``exclude`` or ``all``), uncertain first, and progress."""
    with desk.store() as store:
        review = load_review_state(store, desk.protocol.name, screened=True)
        rows = {r: d for r, d in review.decisions.items() if d["decision"] != "removed"}
        scores = desk.scores(store, rows)
        chosen = sorted(
            (rid for rid, row in rows.items() if decision == "all" or row["decision"] == decision),
            # by the rules' verdict, then those no reviewer decided yet, likeliest includes first
            key=lambda rid: (
                QUEUE_ORDER.get(rows[rid]["rule_decision"], 3),
                rows[rid]["override_reason"] is not None,
                -scores.get(rid, 0.0),
                rid,
            ),
        )
        columns = ("id", "pmid", "doi", "title", "pub_year", "journal_iso", "journal")
        about = {row["id"]: row for row in record_rows(store, columns, chosen)}
    items = [
        {
            "record_id": rid,
            "pmid": about[rid]["pmid"] or "",
            "doi": about[rid]["doi"] or "",
            "title": about[rid]["title"] or "",
            "year": about[rid]["pub_year"],
            "journal": about[rid]["journal_iso"] or about[rid]["journal"] or "",
            "decision": rows[rid]["decision"],
            "rule_decision": rows[rid]["rule_decision"],
            "reviewed": rows[rid]["override_reason"] is not None,
            "score": scores.get(rid),
        }  # fmt: skip
        for rid in chosen
        if rid in about
    ]
    uncertain = [row for row in rows.values() if row["rule_decision"] == "uncertain"]
    return {
        "review": desk.protocol.title or desk.protocol.name,
        "items": items,
        "progress": {"uncertain": len(uncertain), "reviewed": sum(1 for r in uncertain if r["override_reason"])},
    }


def record(desk: Desk, record_id: int) -> dict[str, Any]:
    """One record with its decision, the evidence to highlight and the reasons a reviewer may pick."""
    with desk.store() as store:
        rows = list(record_rows(store, ("*",), [record_id]))
        if not rows:
            abort(404)
        review = load_review_state(store, desk.protocol.name, screened=True)
    found = row_to_record(rows[0])
    decision = review.decisions.get(record_id)
    if decision is None:
        abort(404)
    labels = {c.name: c.label for c in desk.criteria.include + desk.criteria.exclude}
    checks = criteria_checks(found, desk.criteria)
    evidence = [span for check in checks for span in check["evidence"] if span["start"] >= 0]
    return {
        "record_id": record_id, "pmid": found.pmid, "doi": found.doi, "title": found.title,
        "abstract": found.abstract, "journal": found.journal, "year": found.pub_year,
        "authors": [a.display_name for a in found.authors], "pub_types": list(found.pub_types),
        "mesh": [m.name for m in found.mesh], "decision": decision["decision"],
        "rule_decision": decision["rule_decision"],
        "reasons": [labels.get(n, n) for n in json.loads(decision["reasons"])],
        "override_reason": decision["override_reason"] or "", "evidence": evidence, "criteria": checks,
        "exclusion_reasons": [c.label for c in desk.criteria.exclude] + [c.label for c in desk.criteria.include],
    }  # fmt: skip


def criteria_checks(found: Record, criteria: Criteria) -> list[dict[str, Any]]:
    """Every criterion's outcome on the record with its evidence, not only the deciding ones': what fired, what
    did not and why (a rat study's human cohort is the evidence that kept "animal-only" from firing)."""
    cache: dict[str, Outcome] = {}
    checks = []
    for kind, group in (("include", criteria.include), ("exclude", criteria.exclude)):
        for criterion in group:
            outcome = criterion.when(found, cache, criterion.name)
            value = {True: "met", False: "not met", None: "unknown"}[outcome.value]
            against = (kind == "exclude" and outcome.value is True) or (kind == "include" and outcome.value is False)
            checks.append({
                "name": criterion.name, "label": criterion.label, "kind": kind, "value": value, "against": against,
                "evidence": [{"criterion": criterion.name, "label": criterion.label, "field": e.field, "value": e.value,
                              "start": e.start, "end": e.end, "against": against} for e in outcome.evidence],
            })  # fmt: skip
    return checks


def _target(store: Store, record_id: int) -> tuple[str, str]:
    """The decisions file's target for a stored record, and its title."""
    rows = list(record_rows(store, ("pmid", "doi_norm", "title"), [record_id]))
    target = target_of(rows[0]["pmid"], rows[0]["doi_norm"], rows[0]["title"]) if rows else ""
    if not target:
        raise EvsynthError(f"record {record_id} has no PMID, DOI or title to record a decision for")
    return target, rows[0]["title"] or ""


def decide(desk: Desk, record_id: int, decision: str | None, reason: str) -> dict[str, Any]:
    """Record a decision (None: put back what the record had before the desk's last decision on it)."""
    with desk.store(write=True) as store:
        target, title = _target(store, record_id)
        current = load_overrides(desk.protocol.overrides_path).get(target)
        if decision is None:
            history = desk.undo.get(target) or []
            if not history:
                raise EvsynthError("nothing to undo for this record")
            before = history.pop()
            change = Change(target, before.decision if before else None, before.reason if before else "", title)
        else:
            if decision not in OVERRIDE_DECISIONS:
                raise EvsynthError(f"decision {decision!r} must be one of {', '.join(OVERRIDE_DECISIONS)}")
            if not reason.strip():
                raise EvsynthError("a reason is needed for every reviewer decision")
            desk.undo.setdefault(target, []).append(current)
            change = Change(target, decision, reason, title)
        decide_and_rescreen(store, desk.protocol, desk.criteria, [change], reviewer=desk.reviewer, day=utc_now()[:10])
    desk.outputs.request()
    return record(desk, record_id)


def create_app(desk: Desk) -> Flask:
    """The Flask app serving ``desk``."""
    app = Flask("evsynth.desk")
    static = resources.files("evsynth.desk") / "static"

    @app.get("/")
    def page() -> Response:
        return Response((static / "desk.html").read_text(encoding="utf-8"), mimetype="text/html")

    @app.get("/static/<name>")
    def asset(name: str) -> Response:
        if name not in _STATIC:
            abort(404)
        return Response((static / name).read_text(encoding="utf-8"), mimetype=_STATIC[name])

    @app.get("/api/queue")
    def api_queue() -> Response:
        wanted = request.args.get("decision", "uncertain")
        if wanted not in (*QUEUE_ORDER, "all"):
            abort(400)
        return jsonify(queue(desk, wanted))

    @app.get("/api/status")
    def api_status() -> Response:
        return jsonify(desk.outputs.status())

    @app.get("/api/record/<int:record_id>")
    def api_record(record_id: int) -> Response:
        return jsonify(record(desk, record_id))

    @app.post("/api/decide")
    def api_decide() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        try:
            record_id = int(str(body.get("record_id")))
            choice = body.get("decision")
            return jsonify(decide(desk, record_id, None if choice == "undo" else str(choice),
                                  str(body.get("reason") or "")))  # fmt: skip
        except (TypeError, ValueError):
            return jsonify({"error": "record_id must be a number"}), 400
        except EvsynthError as err:
            return jsonify({"error": str(err)}), 400

    return app
