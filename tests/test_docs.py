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


def _registries() -> list[tuple[str, str]]:
    from evsynth.formats.registry import IMPORT_FORMATS
    from evsynth.protocol.criteria import CRITERION_TYPES
    from evsynth.synthesis.exports import GRAPH_FORMATS

    return [
        (key, entry.description)
        for reg in (IMPORT_FORMATS, GRAPH_FORMATS, CRITERION_TYPES)
        for key, entry in reg.items()
    ]


@pytest.mark.parametrize(("key", "description"), _registries(), ids=[key for key, _ in _registries()])
def test_docs_every_registry_entry_is_in_the_readme(key: str, description: str) -> None:
    """Import formats, graph formats and criterion tests: each is a row of the README's Architecture tables."""
    assert f"| `{key}` | {description} |" in README


def test_docs_cli_choices_come_from_the_registries() -> None:
    from evsynth.formats.registry import IMPORT_FORMATS
    from evsynth.synthesis.exports import GRAPH_FORMATS

    export_help = CliRunner().invoke(cli, ["export", "--help"]).output
    import_help = CliRunner().invoke(cli, ["import", "--help"]).output
    assert all(name in export_help for name in GRAPH_FORMATS)
    assert all(name in import_help for name in IMPORT_FORMATS)
