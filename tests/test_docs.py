"""Docs are checked: every subcommand has help and appears in the README; exit codes are documented."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_docs_every_command_has_help_and_is_in_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Exit codes" in result.output
    assert f"evsynth {name}" in README


def test_docs_readme_starts_with_install_and_demo() -> None:
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", README, re.DOTALL)
    assert "evsynth run queries/trd-pharmacogenomics.yaml --replay cassettes/trd-pharmacogenomics.yaml" in blocks[0]
    assert "pytest" in blocks[1]
    assert "bash .ci/run" in README or "python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_docs_exit_codes_match_readme() -> None:
    for code in ("0", "1", "2", "3", "4", "5", "130"):
        assert re.search(rf"^\|\s*{code}\s*\|", README, re.MULTILINE), code
