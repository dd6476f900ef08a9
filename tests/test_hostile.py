"""Hostile and broken input against a finished review: one clear line, a non-zero exit, nothing changed.

Each case copies a finished offline review (the demo: store plus outputs), runs one command with bad
input through the CLI, and checks that the command fails with a single ``evsynth: error:`` line naming
the culprit, raises no traceback, and leaves the store's content and every output file as they were.
The hostile files are written here; all records in them are synthetic (PMIDs from 90000001).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import BAD_PROTOCOLS, ROOT, fast_client, write_protocol

from evsynth.cli import cli
from evsynth.errors import HarvestGaveUp
from evsynth.protocol.loader import load_protocol
from evsynth.sources.harvest import harvest
from evsynth.store.database import Store
from evsynth.testing.corpus import SyntheticCorpus
from evsynth.testing.server import ENTITY_BOMB, FaultPlan

PROTOCOL = ROOT / "queries" / "trd-pharmacogenomics.yaml"
CASSETTE = ROOT / "cassettes" / "trd-pharmacogenomics.yaml"
DEMO_IMPORTS = [
    "--import",
    str(ROOT / "demo" / "scopus-export.csv"),
    "--import",
    str(ROOT / "demo" / "hand-search.ris"),
]
ARTICLE = (
    b"<PubmedArticle><MedlineCitation><PMID>90000001</PMID><Article><ArticleTitle>Synthetic %s</ArticleTitle>"
    b"</Article></MedlineCitation></PubmedArticle>"
)


@pytest.fixture(scope="module")
def finished_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline demo review, run once: ``<dir>/out`` holds its store and outputs."""
    folder = tmp_path_factory.mktemp("review")
    result = CliRunner().invoke(cli, ["run", str(PROTOCOL), "--replay", str(CASSETTE), *DEMO_IMPORTS,
                                      "--out", str(folder / "out"), "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder / "out"


def _digests(out: Path, *, skip: tuple[str, ...] = (".sqlite-wal", ".sqlite-shm", ".lock")) -> dict[str, str]:
    """Each file's digest under ``out`` (SQLite's side files and the lock file aside)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.endswith(skip)
    }


def _state(out: Path) -> dict[str, object]:
    """Every output file's digest, and the store's rows (all tables), so any change shows."""
    files = _digests(out, skip=(".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock"))
    conn = sqlite3.connect(f"file:{out / 'evsynth.sqlite'}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")]
        rows = {table: conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall() for table in tables}
    finally:
        conn.close()
    return {"files": files, "store": rows}


@pytest.fixture
def review(finished_review: Path, tmp_path: Path) -> Path:
    """A private copy of the finished review."""
    out = tmp_path / "out"
    shutil.copytree(finished_review, out)
    return out


def _fails_cleanly(argv: list[str], review: Path, fragment: str, code: int = 1) -> str:
    before = _state(review)
    result = CliRunner().invoke(cli, argv)
    output = result.output
    assert result.exit_code == code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    if code == 2:  # a usage error: click's message, after the usage line
        lines = [line for line in lines if line.startswith("Error: ")]
        assert len(lines) == 1, output
    else:
        assert len(lines) == 1 and lines[0].startswith("evsynth: error: "), output
    assert fragment in lines[0], output
    assert _state(review) == before
    return lines[0]


# --- hostile files, imported into the store and given to run --import -------------------------------------------


def _laughs(path: Path) -> None:
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [' + ENTITY_BOMB.encode()
                     + b"]><PubmedArticleSet>" + ARTICLE % b"&i;" + b"</PubmedArticleSet>")  # fmt: skip


def _external_entity(path: Path) -> None:
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                     b"<PubmedArticleSet>" + ARTICLE % b"&x;" + b"</PubmedArticleSet>")  # fmt: skip


def _huge_record(path: Path) -> None:
    """One record of 200 MB: a single abstract far past libxml2's 10 MB text-node limit."""
    filler = b"synthetic filler " * 65536
    with open(path, "wb") as handle:
        handle.write(b'<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000001</PMID>'
                     b"<Article><ArticleTitle>Synthetic</ArticleTitle><Abstract><AbstractText>")  # fmt: skip
        for _ in range(200 * 2**20 // len(filler)):
            handle.write(filler)
        handle.write(b"</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")


HOSTILE_FILES: list[tuple[str, str, Callable[[Path], None], str]] = [  # (case, file, writer, the error says)
    ("billion laughs", "laughs.xml", _laughs, "laughs.xml: "),
    ("external entity", "xxe.xml", _external_entity, "declares XML entities (x)"),
    ("200 MB record", "huge.xml", _huge_record, "huge.xml: malformed XML"),
    (
        "truncated XML",
        "cut.xml",
        lambda p: p.write_bytes(b"<PubmedArticleSet>" + (ARTICLE % b"cut")[:90]),
        "cut.xml: malformed XML",
    ),
    (
        "invalid UTF-8 XML",
        "bad.xml",
        lambda p: p.write_bytes(b"<PubmedArticleSet>" + ARTICLE % b"caf\xe9\xff" + b"</PubmedArticleSet>"),
        "bad.xml: malformed XML",
    ),
    (
        "invalid UTF-8 RIS",
        "bad.ris",
        lambda p: p.write_bytes(b"TY  - JOUR\nTI  - Synthetic caf\xe9\nER  - \n"),
        "bad.ris: not UTF-8 text",
    ),
    (
        "invalid UTF-8 MEDLINE",
        "bad.nbib",
        lambda p: p.write_bytes(b"PMID- 90000001\nTI  - Synthetic \xff\n"),
        "bad.nbib: not UTF-8 text",
    ),
    (
        "invalid UTF-8 CSV",
        "bad.csv",
        lambda p: p.write_bytes(
            b"Authors,Title,Year,Source title,DOI,EID\nA,Synthetic \xe9\xff,2022,J,10.5555/x,2-s\n"
        ),
        "bad.csv: not UTF-8 text",
    ),
    ("empty XML", "empty.xml", lambda p: p.write_bytes(b""), "empty.xml: empty file (0 bytes)"),
    ("empty RIS", "empty.ris", lambda p: p.write_bytes(b""), "empty.ris: empty file"),
    ("blank CSV", "blank.csv", lambda p: p.write_bytes(b"\n\n  \n"), "blank.csv: empty file (only blank lines)"),
    ("not PubMed XML", "other.xml", lambda p: p.write_bytes(b"<html><body>Synthetic</body></html>"), "other.xml: "),
    ("binary", "noise.ris", lambda p: p.write_bytes(bytes(range(256)) * 8), "noise.ris: "),
    ("a directory", "folder.xml", lambda p: p.mkdir(), "folder.xml' is a directory"),  # click: usage error
    ("missing file", "missing.ris", lambda p: None, "file not found"),
]


@pytest.mark.parametrize(("name", "filename", "make", "fragment"), HOSTILE_FILES, ids=[h[0] for h in HOSTILE_FILES])
@pytest.mark.parametrize("command", ["import", "run --import"])
def test_hostile_file_is_refused_and_nothing_changes(review: Path, tmp_path: Path, command: str, name: str,  # noqa: ARG001
                                                     filename: str, make: Callable[[Path], None],
                                                     fragment: str) -> None:  # fmt: skip
    path = tmp_path / filename
    make(path)
    if command == "import":
        argv = ["import", "--db", str(review / "evsynth.sqlite"), str(path)]
    else:
        argv = ["run", str(PROTOCOL), "--replay", str(CASSETTE), "--out", str(review), "--import", str(path)]
    line = _fails_cleanly(argv, review, fragment, code=2 if name == "a directory" else 1)
    assert filename in line


# --- malformed protocols ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "data", "expected"), BAD_PROTOCOLS, ids=[b[0] for b in BAD_PROTOCOLS])
def test_malformed_protocol_is_refused_and_nothing_changes(review: Path, tmp_path: Path, case: str, data: object,  # noqa: ARG001
                                                           expected: str) -> None:  # fmt: skip
    path = write_protocol(tmp_path, data)
    line = _fails_cleanly(["run", str(path), "--replay", str(CASSETTE), "--out", str(review)], review, expected)
    assert str(path) in line


def test_malformed_protocol_table_has_over_30_cases() -> None:
    assert len(BAD_PROTOCOLS) > 30


# --- output folder and store --------------------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, even for root (chattr +i); fail, never skip, where that is impossible."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
    else:
        folder.chmod(0o555)
    try:
        probe = folder / "probe"
        with contextlib.suppress(OSError):
            probe.touch()
            probe.unlink()
            pytest.fail(f"could not make {folder} read-only on this machine")
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True, capture_output=True)
        else:
            folder.chmod(0o755)


def test_read_only_output_folder(review: Path) -> None:
    with read_only(review):
        _fails_cleanly(["run", str(PROTOCOL), "--replay", str(CASSETTE), *DEMO_IMPORTS, "--out", str(review)],
                       review, str(review))  # fmt: skip


def test_read_only_output_folder_with_the_store_elsewhere(review: Path, tmp_path: Path) -> None:
    store = tmp_path / "elsewhere.sqlite"
    shutil.copy(review / "evsynth.sqlite", store)
    with read_only(review):
        _fails_cleanly(["run", str(PROTOCOL), "--replay", str(CASSETTE), *DEMO_IMPORTS, "--out", str(review),
                        "--db", str(store)], review, str(review))  # fmt: skip


def test_output_folder_under_a_file(review: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _fails_cleanly(["run", str(PROTOCOL), "--replay", str(CASSETTE), "--out", str(blocker / "out"),
                    "--db", str(review / "evsynth.sqlite")], review, "a-file")  # fmt: skip
    assert blocker.read_text() == "not a folder"


def test_missing_output_folder_is_created(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "out"
    result = CliRunner().invoke(cli, ["run", str(PROTOCOL), "--replay", str(CASSETTE), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "evsynth.sqlite").is_file() and (out / "prisma.svg").is_file()


@pytest.mark.parametrize(
    ("name", "content"),
    [("text", b"this is not a database\n" * 100), ("truncated", None), ("zeroed page", None)],
)
def test_corrupt_store_is_refused_and_left_alone(review: Path, name: str, content: bytes | None) -> None:
    store = review / "evsynth.sqlite"
    data = store.read_bytes()
    if name == "truncated":
        content = data[: len(data) // 3]
    elif name == "zeroed page":
        content = data[:100] + bytes(4096) + data[4196:]
    assert content is not None
    store.write_bytes(content)
    files = _digests(review)
    result = CliRunner().invoke(cli, ["run", str(PROTOCOL), "--replay", str(CASSETTE), "--out", str(review)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1
    assert result.output.startswith("evsynth: error: ") and "evsynth.sqlite" in result.output
    assert store.read_bytes() == content and _digests(review) == files


def test_broken_cassette_is_refused(review: Path, tmp_path: Path) -> None:
    cassette = tmp_path / "broken.yaml"
    cassette.write_text("interactions: [unclosed\n")
    _fails_cleanly(["run", str(PROTOCOL), "--replay", str(cassette), "--out", str(review)], review, "broken.yaml")
    _fails_cleanly(["run", str(PROTOCOL), "--replay", str(tmp_path / "none.yaml"), "--out", str(review)], review,
                   "none.yaml: cassette not found")  # fmt: skip


# --- hostile E-utilities answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["empty", "garbled", "entities", "truncate", "error200", "drop", "503", "429"])
def test_hostile_answers_every_time_give_up_and_keep_the_store(fault: str, server_factory, db: Store,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:  # fmt: skip
    protocol = tmp_path / "p.yaml"
    protocol.write_text(
        "name: hostile\nsearch:\n  query: x[tiab]\n  date_window: {start: 2021-01-01, end: 2025-06-01}\n"
    )
    review = load_protocol(protocol)
    harvest(review, db, fast_client(server_factory(SyntheticCorpus(50)).url))
    before = db.conn.execute("SELECT record_key, content_hash FROM records ORDER BY 1").fetchall()
    bigger = SyntheticCorpus(80)
    server = server_factory(bigger, FaultPlan(rate=1.0, kinds=(fault,)))
    with pytest.raises(HarvestGaveUp, match="gave up after 8 attempts"):
        harvest(review, db, fast_client(server.url))
    assert server.injected == {fault: 8}
    assert db.conn.execute("SELECT record_key, content_hash FROM records ORDER BY 1").fetchall() == before
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    result = harvest(review, db, fast_client(server_factory(bigger).url))  # the next run resumes and completes
    assert result.resumed and result.new == 30 and db.count_records() == 80
