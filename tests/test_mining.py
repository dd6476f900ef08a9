"""evsynth mine: parts, Parquet tables and counts the same on 1 and 2 workers, update files that revise and delete
records, resuming, a real dask scheduler with two worker processes one of which is killed mid-run, and the
background statistics (a planted association found enriched, an independent pair not). Every record here is
synthetic (PMIDs from 90000001)."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli
from evsynth.mining.background import Background, LinkQuery
from evsynth.mining.run import mine
from evsynth.testing.synthetic import FIRST_PMID, article_set, article_xml, generated_entry

DELETE = '<DeleteCitation>\n<PMID Version="1">{}</PMID>\n</DeleteCitation>\n</PubmedArticleSet>\n'


def _entry(index: int, title: str, abstract: str) -> dict[str, object]:
    return {**generated_entry(index), "title": title, "abstract": abstract}


def _files(folder: Path, count: int = 600) -> list[Path]:
    """A baseline file of ``count`` generated records and an update file that revises record 1 and deletes 2."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "pubmed26n0001.xml"
    base.write_bytes(article_set([article_xml(generated_entry(i)) for i in range(count)]))
    revised = _entry(
        1, "Synthetic revision: COMT and lithium", "SYNTHETIC TEST RECORD. COMT was measured after lithium."
    )
    update = folder / "pubmed26n0002.xml"
    body = article_set([article_xml(revised)]).decode().replace("</PubmedArticleSet>\n", "")
    update.write_text(body + DELETE.format(FIRST_PMID + 2))
    return [base, update]


def _digests(out: Path) -> dict[str, str]:
    """Every table the mining wrote, by content (the Parquet bytes)."""
    found = {}
    for path in sorted(out.rglob("*.parquet")):
        found[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("mine1")
    files = _files(root / "in")
    mine([str(f) for f in files], root / "out", workers=1, part_records=100)
    return files, root / "out"


def test_two_workers_write_the_same_tables_as_one(one_worker: tuple[list[Path], Path], tmp_path: Path) -> None:
    files, single = one_worker
    result = mine([str(f) for f in files], tmp_path / "out", workers=2, part_records=100)
    assert result.workers == 2 and result.parts == 7 and result.records == 601
    assert len({p["worker_pid"] for p in result.per_part}) == 2  # both worked
    assert _digests(tmp_path / "out") == _digests(single) and len(_digests(single)) == 7 * 3 + 3


def test_an_update_file_revises_and_deletes_records(one_worker: tuple[list[Path], Path]) -> None:
    _, out = one_worker
    keys = pq.read_table(out / "keys.parquet").to_pandas()
    by_pmid = keys.groupby("pmid")["key"].apply(set)
    revised, deleted = str(FIRST_PMID + 1), str(FIRST_PMID + 2)
    assert by_pmid[revised] == {"gene:COMT", "treatment:MESH:D008094"}  # the update's version, not the baseline's
    assert deleted not in by_pmid.index and str(FIRST_PMID + 3) in by_pmid.index
    summary = (out / "background.json").read_text()
    assert '"records": 599' in summary  # 600 baseline records, one revised (counted once), one deleted


def test_a_killed_mine_resumes_and_skips_what_is_done(one_worker: tuple[list[Path], Path], tmp_path: Path) -> None:
    files, single = one_worker
    out = tmp_path / "out"
    mine([str(f) for f in files], out, workers=1, part_records=100)
    # as a mine killed after four parts leaves it: the rest never finished
    for marker in sorted((out / "done").glob("*.json"))[4:]:
        marker.unlink()
    (out / "entities.parquet").unlink()
    again = mine([str(f) for f in files], out, workers=1, part_records=100)
    assert (again.skipped, again.parts) == (4, 3)
    assert _digests(out) == _digests(single)


def test_mine_refuses_missing_files_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["mine", str(tmp_path / "nothing*.xml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and result.output.strip().endswith("nothing*.xml: no file matches")
    result = CliRunner().invoke(cli, ["mine", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "give FILES to mine, --query PROTOCOL, or both" in result.output


def _start(args: list[str], pattern: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(pattern, line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining its log
            return process, found.group(1)
    process.kill()
    raise AssertionError(f"{args[0:3]} did not start")


def test_a_real_scheduler_and_two_workers_one_killed_mid_run(
    one_worker: tuple[list[Path], Path], tmp_path: Path
) -> None:
    files, single = one_worker
    scheduler, address = _start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", "0", "--no-dashboard"], r"Scheduler at:\s+(tcp://\S+)")  # fmt: skip
    workers = [
        _start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                "--no-dashboard", "--host", "127.0.0.1"], r"(Registered to)")[0]
        for _ in range(2)
    ]  # fmt: skip
    out = tmp_path / "out"
    try:
        killed: list[int] = []

        def kill_when_started() -> None:  # the first worker dies once a part is done and others are left
            while not list((out / "done").glob("*.json")) and time.monotonic() < deadline:
                time.sleep(0.05)
            workers[0].send_signal(signal.SIGKILL)
            killed.append(len(list((out / "done").glob("*.json"))))

        deadline = time.monotonic() + 120
        killer = threading.Thread(target=kill_when_started)
        killer.start()
        result = CliRunner().invoke(cli, ["mine", *map(str, files), "--out", str(out), "--scheduler", address,
                                          "--part-records", "100"])  # fmt: skip
        killer.join()
        assert result.exit_code == 0, result.output
        assert "on 2 workers" in result.output and "7 parts mined now (601 records" in result.output
        assert killed and killed[0] < 7  # killed mid-run, and the mine still finished
        assert _digests(out) == _digests(single)
    finally:
        for process in (*workers, scheduler):
            process.kill()
            process.wait(10)
            if process.stderr is not None:
                process.stderr.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _background(tmp_path_factory.mktemp("planted"))


def _background(tmp_path: Path) -> Path:
    """A synthetic background of 400 records: BDNF and ketamine named together far more than chance (planted);
    COMT and ketamine independently (each in a share of records, together only as chance gives)."""
    entries = []
    for i in range(400):
        words = []
        if i < 60 or (i % 10 == 0):
            words.append("BDNF")
        if i < 50 or (120 <= i < 180):
            words.append("ketamine")
        if i % 4 == 0:
            words.append("COMT")
        text = "SYNTHETIC TEST RECORD. " + (" and ".join(words) or "nothing") + " were studied in depression."
        entries.append(_entry(i, f"Synthetic background record {i}", text))
    source = tmp_path / "pubmed26n0009.xml"
    source.write_bytes(article_set([article_xml(e) for e in entries]))
    out = tmp_path / "background"
    mine([str(source)], out, workers=1)
    return out


def test_a_planted_association_is_enriched_and_an_independent_pair_is_not(planted: Path) -> None:
    background = Background(planted)
    ketamine = "treatment:MESH:D007649"
    links = background.test([
        LinkQuery("gene", "BDNF", "BDNF", frozenset({"gene:BDNF"}), ketamine, "Ketamine", 5),
        LinkQuery("gene", "COMT", "COMT", frozenset({"gene:COMT"}), ketamine, "Ketamine", 3),
    ])  # fmt: skip
    bdnf, comt = links
    assert background.records == 400
    assert (bdnf.background_x, bdnf.background_t, bdnf.background_both) == (94, 110, 56)
    assert bdnf.enriched and bdnf.lift > 1.9 and bdnf.q_value < 1e-6
    assert not comt.enriched and 0.7 < comt.lift < 1.3 and comt.q_value > 0.05


def test_the_demo_reviews_convergence_against_a_background(planted: Path, tmp_path: Path, runner: CliRunner) -> None:
    background = planted
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    out = tmp_path / "out"
    result = runner.invoke(cli, ["run", str(protocol), "--replay", str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml"),
                                 "--out", str(out), "--background", str(background), "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = (out / "convergence-background.csv").read_text().splitlines()
    assert rows[0].startswith("level,id,name,treatment,treatment_name,review_records,background_x")
    bdnf_ketamine = [r for r in rows if r.startswith("gene,BDNF,BDNF,treatment:MESH:D007649,")]
    assert len(bdnf_ketamine) == 1 and bdnf_ketamine[0].endswith(",yes")
    header = (out / "convergence.csv").read_text().splitlines()[0]
    assert header.endswith("background_enriched,background_links")
    report = (out / "report.html").read_text()
    assert "Background: 400 records mined from PubMed files" in report
    bad = runner.invoke(cli, ["run", str(protocol), "--replay", str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml"),
                              "--out", str(out), "--background", str(tmp_path)])  # fmt: skip
    assert bad.exit_code == 1 and "--background is not a mined folder" in bad.output


def test_mine_query_runs_a_protocols_search_over_the_mined_records(planted: Path, tmp_path: Path,
                                                                   runner: CliRunner) -> None:  # fmt: skip
    background = planted
    protocol = tmp_path / "p.yaml"
    protocol.write_text("name: q\nsearch:\n  query: ketamine[tiab] AND BDNF[tiab]\n")
    result = runner.invoke(cli, ["mine", "--out", str(background), "--query", str(protocol)])
    assert result.exit_code == 0, result.output
    assert "q: 56 of 400 mined records match" in result.output  # 50 planted, and i % 10 == 0 among 120-179
    hits = (background / "query-q.csv").read_text().splitlines()
    assert len(hits) == 57 and hits[1].startswith(f"{FIRST_PMID},")


def test_a_protocols_background_that_is_not_mined_is_one_line(tmp_path: Path) -> None:
    from evsynth.errors import ProtocolError
    from evsynth.protocol.loader import load_protocol

    protocol = tmp_path / "p.yaml"
    protocol.write_text("name: q\nsearch: {query: ketamine}\nconvergence: {background: nowhere}\n")
    with pytest.raises(ProtocolError, match=r"p.yaml: convergence.background: 'nowhere' is not a mined folder"):
        load_protocol(protocol)


def test_a_broken_file_is_one_line_and_a_second_mine_of_the_same_folder_waits_its_turn(tmp_path: Path) -> None:
    from evsynth.store.lock import store_lock

    broken = tmp_path / "pubmed26n0003.xml"
    broken.write_bytes(article_set([article_xml(generated_entry(0))])[:-40])
    result = CliRunner().invoke(cli, ["mine", str(broken), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"evsynth: error: {broken} (part000 as cut by evsynth mine): malformed XML at line")
    with store_lock(tmp_path / "out" / "mined", "mine"):  # as another mine holds it
        busy = CliRunner().invoke(cli, ["mine", str(broken), "--out", str(tmp_path / "out")])
    assert busy.exit_code == 5 and "in use by evsynth mine" in busy.output
