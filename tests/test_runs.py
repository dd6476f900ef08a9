"""A review run's lifecycle: opened, advanced, closed; a run killed at any stage is never a finished version.

The SIGKILL tests run the real `evsynth run`/`update` in a child process (the demo protocol replayed from its
cassette, with its two import files) and kill it with SIGKILL the moment a named stage begins, which is the
worst moment for that stage: everything before it is stored, nothing of it is. The re-run must then leave the
outputs an uninterrupted run leaves.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli
from evsynth.store.database import Store
from evsynth.store.runs import (
    advance,
    close_review_run,
    last_unfinished,
    open_review_run,
    review_runs,
    unfinished_harvests,
)

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
IMPORTS = ["--import", str(ROOT / "demo" / "scopus-export.csv"), "--import", str(ROOT / "demo" / "hand-search.ris")]

# Runs the CLI in this child process; SIGKILLs it as soon as the review run records that STAGE has begun.
_KILLED_AT = """
import os, signal, sys
import evsynth.pipeline as pipeline
target, real = sys.argv[1], pipeline.advance
def advance(store, run_id, stage, **fields):
    real(store, run_id, stage, **fields)
    if stage == target:
        os.kill(os.getpid(), signal.SIGKILL)
pipeline.advance = advance
from evsynth.cli import main
sys.argv = ["evsynth", *sys.argv[2:]]
main()
"""


def test_review_run_lifecycle(db: Store) -> None:
    first = open_review_run(db, "p", "run")
    advance(db, first, "harvest", harvest_run=None)
    assert last_unfinished(db, "p").id == first  # type: ignore[union-attr]
    second = open_review_run(db, "p", "update")  # the first was killed: it becomes interrupted
    advance(db, second, "screen")
    close_review_run(db, second, outcome="new evidence")
    runs = review_runs(db, "p")
    assert [(r.command, r.stage, r.status) for r in runs] == [
        ("run", "harvest", "interrupted"),
        ("update", "screen", "complete"),
    ]
    assert runs[1].finished and not runs[0].finished and runs[1].finished_at
    assert last_unfinished(db, "p") is None and last_unfinished(db, "p", before=second).id == first  # type: ignore[union-attr]
    assert review_runs(db, "other") == []


def test_review_run_refuses_unknown_stages_and_statuses(db: Store) -> None:
    run = open_review_run(db, "p", "run")
    with pytest.raises(ValueError, match="stage"):
        advance(db, run, "publish")
    with pytest.raises(ValueError, match="complete or failed"):
        close_review_run(db, run, outcome="x", status="running")
    with pytest.raises(ValueError, match="command"):
        open_review_run(db, "p", "screen")


def test_a_harvest_is_finished_when_any_review_run_that_used_it_closed(db: Store) -> None:
    harvest = db.start_run("harvest", protocol_name="p")
    killed = open_review_run(db, "p", "run")
    advance(db, killed, "screen", harvest_run=harvest)
    assert unfinished_harvests(db, "p") == {harvest}
    resumed = open_review_run(db, "p", "run")  # a resumed harvest keeps its id
    advance(db, resumed, "changes", harvest_run=harvest)
    assert unfinished_harvests(db, "p") == {harvest}
    close_review_run(db, resumed, outcome="new evidence")
    assert unfinished_harvests(db, "p") == set()


def _kill_at(stage: str, out: Path, *command: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = [sys.executable, "-c", _KILLED_AT, stage, *command, "--out", str(out), "-q"]
    child = subprocess.run(args, env=env, capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()


def _outputs(out: Path) -> dict[str, object]:
    """What a reader of the outputs sees, less what names a run or a moment (ids, timestamps)."""
    prisma = json.loads((out / "prisma.json").read_text())
    with (out / "records.csv").open(newline="") as handle:
        records = [{k: v for k, v in row.items() if k not in ("first_seen_run", "record_id", "duplicate_of")}
                   for row in csv.DictReader(handle)]  # fmt: skip
    changes = json.loads((out / "changes.json").read_text())
    return {
        "prisma": {k: prisma[k] for k in ("review", "previous", "identification", "screening", "included")},
        "records": records,
        "screening": [line.split(",")[:3] for line in (out / "screening.csv").read_text().splitlines()],
        **{name: (out / name).read_text() for name in ("included.ris", "graph.sif", "evidence.csv", "mentions.jsonl")},
        "changes": {k: len(v) for k, v in changes.items() if isinstance(v, list)},
    }


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("reference") / "out"
    result = CliRunner().invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return _outputs(out)


@pytest.mark.parametrize("stage", ["deduplicate", "extract", "changes"])
def test_run_killed_when_a_stage_begins_then_rerun_equals_an_uninterrupted_run(
    stage: str, tmp_path: Path, uninterrupted: dict[str, object], runner: CliRunner
) -> None:
    """deduplicate: harvest and imports stored; extract: screening recorded; changes: every output but the
    changes written, no snapshot. Before review runs, the re-run's PRISMA was an "update" with 0 identified
    (killed after screening) or counted each PubMed record twice (killed after the imports)."""
    out = tmp_path / "out"
    _kill_at(stage, out, "run", PROTOCOL, "--replay", CASSETTE, *IMPORTS)
    with Store.open(out / "evsynth.sqlite") as store:
        killed = review_runs(store, "trd-pharmacogenomics")
    assert [(r.stage, r.status) for r in killed] == [(stage, "running")]
    result = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"did not finish (killed or stopped at '{stage}')" in result.output
    assert _outputs(out) == uninterrupted
    with Store.open(out / "evsynth.sqlite") as store:
        assert [r.status for r in review_runs(store, "trd-pharmacogenomics")] == ["interrupted", "complete"]


def test_update_killed_after_screening_then_rerun_is_not_an_empty_update(
    tmp_path: Path, uninterrupted: dict[str, object], runner: CliRunner
) -> None:
    out = tmp_path / "out"
    _kill_at("extract", out, "update", PROTOCOL, "--replay", CASSETTE, *IMPORTS)
    result = runner.invoke(cli, ["update", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _outputs(out) == uninterrupted
    prisma = json.loads((out / "prisma.json").read_text())
    assert prisma["review"] == "new" and prisma["identification"]["total"] > 0


def test_prisma_after_an_update_counts_each_pubmed_record_once(runner: CliRunner, tmp_path: Path) -> None:
    """An update re-sights every stored PubMed hit; a later re-screen used to count them again (PubMed 104
    for 52 records in the demo)."""
    out = tmp_path / "out"
    first = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out), "-q"])
    assert first.exit_code == 0, first.output
    before = json.loads((out / "prisma.json").read_text())["identification"]
    assert runner.invoke(cli, ["update", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 4
    assert runner.invoke(cli, ["screen", PROTOCOL, "--out", str(out), "-q"]).exit_code == 0
    after = json.loads((out / "prisma.json").read_text())["identification"]
    assert after == before and after["sources"]["PubMed"] == 44


def test_a_run_that_failed_on_a_full_disk_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path, uninterrupted: dict[str, object], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the graph is written, after the harvest, the imports and the screening are stored."""
    import errno

    from evsynth.synthesis import exports

    out = tmp_path / "out"
    args = ["run", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out), "-q"]

    def full(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(exports, "write_graphml", full)
        assert runner.invoke(cli, args).exit_code == 1
    assert runner.invoke(cli, args).exit_code == 0
    assert _outputs(out) == uninterrupted


def test_update_that_rewrites_a_deleted_report_keeps_the_prisma_counts(
    tmp_path: Path, uninterrupted: dict[str, object], runner: CliRunner
) -> None:
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, *IMPORTS, "--out", str(out), "-q"]).exit_code == 0
    prisma = json.loads((out / "prisma.json").read_text())
    (out / "report.html").unlink()
    update = runner.invoke(cli, ["update", PROTOCOL, "--replay", CASSETTE, "--out", str(out)])
    assert update.exit_code in (0, 4), update.output
    assert (out / "report.html").is_file()
    again = json.loads((out / "prisma.json").read_text())
    assert {k: again[k] for k in ("review", "identification", "screening", "included")} == {
        k: prisma[k] for k in ("review", "identification", "screening", "included")
    }
    assert _outputs(out) == uninterrupted
