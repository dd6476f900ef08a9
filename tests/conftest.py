"""Shared fixtures. Tests never reach the network: HTTP goes to a local server or a cassette."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evsynth.config import Settings
from evsynth.eutils import EUtils
from evsynth.eutils_server import Corpus, FaultPlan, RunningServer, serving
from evsynth.store import Store
from evsynth.synthetic import article_set, generated_corpus

ROOT = Path(__file__).resolve().parent.parent


def shared_data() -> Path:
    """``../shared/data`` beside the repo (or $EVSYNTH_SHARED_DATA). Missing data fails, never skips."""
    path = Path(os.environ.get("EVSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "pubmed" / "manifest.json").is_file():
        pytest.fail(f"real NCBI test data not found at {path} (CI clones the repo with ../shared beside it)")
    return path


@pytest.fixture
def pubmed_data() -> Path:
    """The real NCBI files (read-only)."""
    return shared_data() / "pubmed"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own folder, with no NCBI credentials or URL from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVSYNTH_HOME", str(tmp_path / "home"))
    for name in ("NCBI_API_KEY", "NCBI_EMAIL", "EVSYNTH_EUTILS_URL", "EVSYNTH_TOOL"):
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


def make_corpus(count: int, *, id_limit: int = 9999, **kwargs: object) -> Corpus:
    """A served corpus of ``count`` generated synthetic records."""
    return Corpus.from_xml(article_set(list(generated_corpus(count, **kwargs))), id_limit=id_limit)  # type: ignore[arg-type]


def fast_client(url: str, **overrides: object) -> EUtils:
    """A client for the local server: no rate limit, tiny back-off."""
    options: dict[str, object] = {"rate": None, "backoff_base": 0.001, "backoff_max": 0.01, "timeout": 5, **overrides}
    return EUtils(Settings(eutils_url=url, **options))  # type: ignore[arg-type]


@pytest.fixture
def server_factory() -> Iterator[object]:
    """Start local E-utilities servers; all are stopped at the end of the test."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def start(corpus: Corpus, faults: FaultPlan | None = None) -> RunningServer:
            return stack.enter_context(serving(corpus, faults=faults))

        yield start
