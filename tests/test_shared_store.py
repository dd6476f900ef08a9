"""Protocols sharing one store (issue 25, item 2): each review covers the records its own runs saw, never another
protocol's or an audit's. Records are synthetic (PMIDs from 90000001), served by a local E-utilities server."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT, make_corpus

from evsynth.cli import cli
from evsynth.testing.server import RunningServer

CRITERIA = {"include": [{"name": "depression", "when": {"text": {"terms": ["depression"]}}}]}
WINDOWS = {"alpha": ("2021-01-01", "2022-06-30"), "beta": ("2023-01-01", "2025-06-01")}


def _protocol(tmp_path: Path, name: str, **extra: Any) -> Path:
    start, end = WINDOWS[name]
    data = {"name": name, "search": {"query": "depression[tiab]", "date_window": {"start": start, "end": end}},
            "criteria": CRITERIA, **extra}  # fmt: skip
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _pmids(path: Path, decision: str = "") -> set[str]:
    """The PMIDs of a CSV output (with ``decision``, of screening.csv's rows with that decision)."""
    with path.open(newline="") as handle:
        return {row["pmid"] for row in csv.DictReader(handle) if not decision or row["decision"] == decision}


def _run(runner: CliRunner, command: str, protocol: Path, server: RunningServer, *extra: str) -> Any:
    out = Path(protocol.stem)
    args = [command, str(protocol), "--out", str(out), "--db", "shared.sqlite", "--eutils-url", server.url, *extra]
    return runner.invoke(cli, args)


@pytest.fixture
def server(server_factory: Any) -> RunningServer:
    return server_factory(make_corpus(40))  # type: ignore[no-any-return]


def test_a_second_protocol_on_the_store_screens_only_its_own_records(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    alpha, beta = _protocol(tmp_path, "alpha"), _protocol(tmp_path, "beta")
    assert _run(runner, "run", alpha, server).exit_code == 0
    second = _run(runner, "run", beta, server)
    assert second.exit_code == 0, second.output
    seen_a, seen_b = _pmids(Path("alpha/records.csv")), _pmids(Path("beta/records.csv"))
    assert seen_a and seen_b and not seen_a & seen_b
    assert _pmids(Path("beta/screening.csv")) == seen_b
    prisma = json.loads(Path("beta/prisma.json").read_text())
    assert prisma["identification"]["total"] == len(seen_b)
    assert prisma["screening"]["screened"] == len(seen_b)
    assert {row["pmid"] for row in _jsonl(Path("beta/mentions.jsonl"))} <= seen_b
    # the first protocol's next update finds nothing new: the second's records are not its evidence
    again = _run(runner, "update", alpha, server)
    assert again.exit_code == 4, again.output


def test_the_first_protocol_is_screened_again_over_its_own_records_only(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    alpha, beta = _protocol(tmp_path, "alpha"), _protocol(tmp_path, "beta")
    assert _run(runner, "run", alpha, server).exit_code == 0
    before = Path("alpha/screening.csv").read_bytes()
    assert _run(runner, "run", beta, server).exit_code == 0
    screened = runner.invoke(cli, ["screen", str(alpha), "--out", "alpha", "--db", "shared.sqlite"])
    assert screened.exit_code == 0, screened.output
    assert Path("alpha/screening.csv").read_bytes() == before


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")


def test_an_audit_into_a_review_store_never_enters_the_review(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "review"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out)]).exit_code == 0
    screened, included = _pmids(out / "screening.csv"), _pmids(out / "screening.csv", "include")
    assert included
    audit = runner.invoke(cli, [
        "audit", str(ROOT / "demo" / "audit" / "references.txt"), "--replay", str(ROOT / "cassettes" / "audit-demo.yaml"),
        "--out", str(tmp_path / "audit"), "--db", str(out / "evsynth.sqlite"),
    ])  # fmt: skip
    assert audit.exit_code in (0, 1), audit.output  # 1: the demo review has planted errors
    assert "Traceback" not in audit.output
    update = runner.invoke(cli, ["update", PROTOCOL, "--replay", CASSETTE, "--out", str(out)])
    assert update.exit_code == 4, update.output
    rescreen = runner.invoke(cli, ["screen", PROTOCOL, "--out", str(out)])
    assert rescreen.exit_code == 0, rescreen.output
    assert _pmids(out / "screening.csv") == screened
    assert _pmids(out / "screening.csv", "include") == included


def _ris(path: Path, doi: str, title: str) -> Path:
    """A synthetic RIS record without a PMID."""
    path.write_text(f"TY  - JOUR\nTI  - {title}\nPY  - 2022\nAB  - SYNTHETIC. depression.\nDO  - {doi}\nER  - \n")
    return path


def test_an_import_into_a_store_of_several_reviews_must_name_its_review(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    alpha, beta = _protocol(tmp_path, "alpha"), _protocol(tmp_path, "beta")
    assert _run(runner, "run", alpha, server).exit_code == 0
    assert _run(runner, "run", beta, server).exit_code == 0
    before = Path("shared.sqlite").stat().st_size, Path("beta/records.csv").read_bytes()
    ris = _ris(tmp_path / "hand.ris", "10.5555/evsynth-hand.1", "A synthetic hand-searched depression trial")
    refused = runner.invoke(cli, ["import", str(ris), "--db", "shared.sqlite"])
    assert refused.exit_code == 1 and "holds the reviews alpha, beta; pass --protocol" in refused.output
    assert "Traceback" not in refused.output
    assert (Path("shared.sqlite").stat().st_size, Path("beta/records.csv").read_bytes()) == before
    done = runner.invoke(cli, ["import", str(ris), "--db", "shared.sqlite", "--protocol", str(beta)])
    assert done.exit_code == 0, done.output
    assert _run(runner, "update", alpha, server).exit_code == 4  # not alpha's record
    assert _run(runner, "update", beta, server).exit_code == 0
    assert "A synthetic hand-searched depression trial" in Path("beta/records.csv").read_text()


def test_a_record_whose_cluster_another_review_harvested_is_screened_once_through_it(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    """alpha's RIS record is the same work (by DOI) as a record only beta's harvest saw: alpha screens that
    record, and PRISMA counts one record identified, none removed as a duplicate, one screened."""
    beta = _protocol(tmp_path, "beta")
    assert _run(runner, "run", beta, server).exit_code == 0
    pmid = sorted(_pmids(Path("beta/records.csv")))[0]
    ris = _ris(tmp_path / "same.ris", f"10.5555/evsynth-demo.{pmid}", "The same work, as a citation export")
    alpha = _protocol(tmp_path, "alpha", search={"query": "nothing[tiab]",
                                                  "date_window": {"start": "1990-01-01", "end": "1990-12-31"}})  # fmt: skip
    result = _run(runner, "run", alpha, server, "--import", str(ris))
    assert result.exit_code == 0, result.output
    assert _pmids(Path("alpha/screening.csv")) == {pmid}
    prisma = json.loads(Path("alpha/prisma.json").read_text())
    assert prisma["identification"]["total"] == 1
    assert prisma["identification"]["duplicates_removed"] == 0
    assert prisma["screening"]["screened"] == 1
