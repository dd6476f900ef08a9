"""Shared fixtures. Tests never reach the network: HTTP goes to a local server or a cassette."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import shared_data

from evsynth.store.database import Store
from evsynth.testing.corpus import Corpus
from evsynth.testing.server import FaultPlan, RunningServer, serving

# the compiled lexicon is kept for the test run (subprocesses too), never in the user's own cache folder, and
# removed when the run ends
if "EVSYNTH_CACHE_DIR" not in os.environ:
    os.environ["EVSYNTH_CACHE_DIR"] = tempfile.mkdtemp(prefix="evsynth-test-cache-")
    atexit.register(shutil.rmtree, os.environ["EVSYNTH_CACHE_DIR"], True)


@pytest.fixture
def pubmed_data() -> Path:
    """The real NCBI files (read-only)."""
    return shared_data() / "pubmed"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own folder, with no NCBI credentials or URL from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVSYNTH_HOME", str(tmp_path / "home"))
    for name in ("NCBI_API_KEY", "NCBI_EMAIL", "EVSYNTH_EUTILS_URL", "EVSYNTH_PUBTATOR3_URL", "EVSYNTH_TOOL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """A migrated store under tmp_path."""
    with Store.open(tmp_path / "store.sqlite") as store:
        yield store


@pytest.fixture
def runner() -> CliRunner:
    """A click CliRunner."""
    return CliRunner()


@pytest.fixture
def server_factory() -> Iterator[object]:
    """Start local E-utilities servers; all are stopped at the end of the test."""
    with ExitStack() as stack:

        def start(corpus: Corpus, faults: FaultPlan | None = None) -> RunningServer:
            return stack.enter_context(serving(corpus, faults=faults))

        yield start
