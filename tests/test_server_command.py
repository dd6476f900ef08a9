"""`evsynth test-server`: the local E-utilities server from the command line, serving synthetic records."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli


def test_test_server_serves_synthetic_records_to_an_update(runner: CliRunner) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "evsynth", "test-server", "--synthetic", "40", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("serving 40 records at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split()[0]
        result = runner.invoke(
            cli, ["update", str(ROOT / "queries" / "trd-pharmacogenomics.yaml"), "--eutils-url", url]
        )
        assert result.exit_code == 0, result.output
        assert "40 PubMed hits" in result.output and "40 new" in result.output
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]


def test_test_server_input_errors_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["test-server"]).exit_code == 2
    broken = tmp_path / "broken.xml"
    broken.write_text("<PubmedArticleSet><PubmedArticle>")
    result = runner.invoke(cli, ["test-server", str(broken)])
    assert result.exit_code == 1 and "broken.xml" in result.output and result.output.count("\n") == 1
    missing = runner.invoke(cli, ["test-server", str(tmp_path / "missing.xml")])
    assert missing.exit_code == 1 and "missing.xml" in missing.output


def test_test_server_serves_100k_records_under_a_rate_limit() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "evsynth", "test-server", "--synthetic", "100000", "--port", "0",
               "--rate-limit", "5"]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("serving 100000 records at "), line
        url = line.split(" at ", 1)[1].split()[0]
        with requests.Session() as session:
            answers = [session.get(url + "esearch.fcgi", params={"term": "x", "retmode": "json", "retmax": "2"},
                                   timeout=10) for _ in range(8)]  # fmt: skip
            assert answers[0].status_code == 200 and answers[0].json()["esearchresult"]["count"] == "100000"
            refused = [a for a in answers if a.status_code == 429]
            assert refused and refused[0].json()["error"] == "API rate limit exceeded"
            time.sleep(1.2)  # the bucket refills
            newest = session.post(url + "efetch.fcgi", data={"id": "90100000"}, timeout=10)
            assert newest.status_code == 200 and b'<PMID Version="1">90100000</PMID>' in newest.content
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]


def test_test_server_evaluates_queries_when_asked(tmp_path: Path) -> None:
    """`--evaluate-queries` (issue 29): esearch counts follow the term over the served files (synthetic records)."""
    from evsynth.testing.synthetic import article_set, article_xml, generated_entry

    served = tmp_path / "served.xml"
    entries = [generated_entry(n) for n in range(5)]
    served.write_bytes(article_set([article_xml(e) for e in entries]))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    counts = {}
    for flags in ([], ["--evaluate-queries"]):
        server = subprocess.Popen([sys.executable, "-m", "evsynth", "test-server", str(served), "--port", "0", *flags],
                                  env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            url = server.stdout.readline().split(" at ", 1)[1].split()[0]  # type: ignore[union-attr]
            answer = requests.get(f"{url}/esearch.fcgi", params={"db": "pubmed", "term": "nosuchword[tiab]",
                                                                 "retmode": "json"}, timeout=10)  # fmt: skip
            counts[bool(flags)] = int(answer.json()["esearchresult"]["count"])
        finally:
            server.terminate()
            server.wait(10)
            server.stdout.close()  # type: ignore[union-attr]
    assert counts == {False: 5, True: 0}


def test_test_server_mesh_tree_errors_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    served = tmp_path / "served.xml"
    served.write_text("<PubmedArticleSet></PubmedArticleSet>")
    missing = runner.invoke(cli, ["test-server", str(served), "--mesh-tree", str(tmp_path / "mtrees.bin")])
    assert missing.exit_code == 1 and "mtrees.bin" in missing.output and missing.output.count("\n") == 1
    bad = tmp_path / "bad.bin"
    bad.write_text("no separator\n")
    broken = runner.invoke(cli, ["test-server", str(served), "--mesh-tree", str(bad)])
    assert broken.exit_code == 1 and "bad.bin: line 1" in broken.output and broken.output.count("\n") == 1


def test_test_server_answers_pubtator3_from_annotation_files(tmp_path: Path) -> None:
    """`--annotations` (issue 27): PubTator3's export endpoint answered from a PubTator file (synthetic record); a
    PMID the files do not have is left out, as PubTator3 leaves it out."""
    from evsynth.testing.synthetic import article_set, article_xml, generated_entry

    served = tmp_path / "served.xml"
    served.write_bytes(article_set([article_xml(generated_entry(0))]))
    annotations = tmp_path / "a.pubtator"
    annotations.write_text("90000001|t|BDNF and ketamine\n90000001|a|An abstract.\n90000001\t0\t4\tBDNF\tGene\t627\n\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "evsynth", "test-server", str(served), "--port", "0",
                               "--annotations", str(annotations)], env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert "1 records and 1 PubTator3 documents" in line
        url = line.split(" at ", 1)[1].split()[0]
        answer = requests.get(f"{url}/research/pubtator3-api/publications/export/biocjson",
                              params={"pmids": "90000001,90000002"}, timeout=10).json()  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]
    [doc] = answer["PubTator3"]
    [title, _] = doc["passages"]
    assert doc["id"] == "90000001" and title["annotations"][0]["infons"]["identifier"] == "627"
    assert title["annotations"][0]["locations"] == [{"offset": 0, "length": 4}]
