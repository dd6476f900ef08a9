"""Secrets never leave the process: after runs with NCBI_API_KEY and NCBI_EMAIL set, neither appears in any file.

The records are synthetic (evsynth.testing.synthetic, PMIDs from 90000001), served by the local E-utilities server.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT, make_corpus

from evsynth.cli import cli

KEY = "0123456789abcdefSECRETKEY0123456789"
EMAIL = "secret.reviewer@example.org"


def _texts(root: Path) -> dict[Path, bytes]:
    """Every file under ``root``, with the zlib-compressed blobs a store keeps unpacked too."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".sqlite":
                with sqlite3.connect(path) as conn:
                    for (blob,) in conn.execute("SELECT state FROM snapshots UNION ALL SELECT changes FROM snapshots"):
                        data += zlib.decompress(blob)
            found[path] = data
    return found


def test_api_key_and_email_appear_in_no_cassette_log_store_or_output(  # type: ignore[no-untyped-def]
    runner: CliRunner, server_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)
    server = server_factory(make_corpus(12))
    protocol = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
    cassette = tmp_path / "cassettes" / "run.yaml"
    logs = []
    for args in (
        ["run", protocol, "--record", str(cassette)],
        ["update", protocol, "--log-json"],
        ["update", protocol],
    ):
        result = runner.invoke(cli, [*args, "--eutils-url", server.url])
        assert result.exit_code in (0, 4), result.output
        logs.append(result.output)
    sent = [params for _, params in server.corpus.requests]
    assert sent and all(params.get("api_key") == KEY for params in sent)  # the key was really used
    files = _texts(tmp_path)
    assert cassette in files and any(p.suffix == ".sqlite" for p in files)
    for secret in (KEY, EMAIL):
        assert not [str(p) for p, data in files.items() if secret.encode() in data]
        assert not [log for log in logs if secret in log]
