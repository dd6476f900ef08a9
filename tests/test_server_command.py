"""`evsynth test-server`: the local E-utilities server from the command line, serving synthetic records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from tests.conftest import ROOT

from evsynth.cli import cli


def test_test_server_serves_synthetic_records_to_an_update(runner: CliRunner) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "evsynth", "test-server", "--synthetic", "40", "--port", "0"],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("serving 40 records at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split()[0]
        result = runner.invoke(cli, ["update", str(ROOT / "queries" / "trd-pharmacogenomics.yaml"),
                                     "--eutils-url", url])
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
