"""The scheduling recipes in deploy/ (cron, systemd, GitHub Actions) are valid and do what the README says."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from croniter import croniter
from tests.helpers import ROOT

DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text()


def _cron_lines() -> list[str]:
    return [line for line in (DEPLOY / "crontab").read_text().splitlines() if line.strip() and line[0] != "#"]


def test_crontab_line_is_valid_and_is_the_one_in_the_readme() -> None:
    lines = _cron_lines()
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert croniter.is_valid(" ".join(fields[:5]))
    assert "%" not in fields[5]  # cron turns % into a newline
    assert subprocess.run(["sh", "-n", "-c", fields[5]], capture_output=True).returncode == 0
    assert lines[0] in README


@pytest.mark.parametrize(("code", "mails"), [(0, False), (4, False), (1, True), (5, True)])
def test_crontab_command_treats_nothing_new_as_success(tmp_path: Path, code: int, mails: bool) -> None:
    review = tmp_path / "review"
    fake = review / ".venv" / "bin" / "evsynth"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "{{\\"event\\": \\"done\\"}}"\nexit {code}\n')
    fake.chmod(0o755)
    command = _cron_lines()[0].split(None, 5)[5].replace("/srv/reviews/trd", str(review))
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True)
    assert (result.stdout != "") is mails  # cron mails whatever a job prints
    assert (review / "update.log").read_text().startswith('{"event": "done"}')


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_systemd_units_say_what_the_readme_says() -> None:
    service = _unit(DEPLOY / "systemd" / "evsynth-update.service")
    timer = _unit(DEPLOY / "systemd" / "evsynth-update.timer")
    assert service["Service"]["Type"] == "oneshot" and service["Service"]["SuccessExitStatus"] == "4"
    assert " update queries/trd-pharmacogenomics.yaml" in service["Service"]["ExecStart"]
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
    assert "deploy/systemd/evsynth-update.service" in README and "deploy/systemd/evsynth-update.timer" in README


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    evsynth = Path(sys.executable).parent / "evsynth"
    for name in ("evsynth-update.service", "evsynth-update.timer"):
        text = (DEPLOY / "systemd" / name).read_text()
        text = text.replace("/srv/reviews/trd/.venv/bin/evsynth", str(evsynth)).replace(
            "/srv/reviews/trd", str(tmp_path)
        )
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(tmp_path / "evsynth-update.service"),
            str(tmp_path / "evsynth-update.timer"),
        ],
        capture_output=True,
        text=True,
    )
    # verify only warns (exit 0) about settings it ignores, so any output is a failure too
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr
    calendar = _unit(DEPLOY / "systemd" / "evsynth-update.timer")["Timer"]["OnCalendar"]
    assert subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True).returncode == 0


def test_github_workflow_is_valid_against_the_workflow_schema() -> None:
    path = DEPLOY / "github" / "living-review.yml"
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(path.read_text())
    assert all(croniter.is_valid(entry["cron"]) for entry in workflow[True]["schedule"])  # YAML 1.1: on -> True
    steps = workflow["jobs"]["update"]["steps"]
    script = next(step["run"] for step in steps if step.get("id") == "update")
    assert "evsynth update" in script and "4)" in script
    assert subprocess.run(["bash", "-n", "-c", script], capture_output=True).returncode == 0
    assert "deploy/github/living-review.yml" in README
