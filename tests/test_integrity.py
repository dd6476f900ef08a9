"""Integrity of what a review publishes when records or the machine are hostile (issue 25): formula cells in every
CSV, file modes. Records here are synthetic (PMIDs from 90000001, the 10.5555 example DOI prefix)."""

from __future__ import annotations

import csv
import json
import os
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
# a synthetic RIS record whose every field could run as a spreadsheet formula
HOSTILE_RIS = """TY  - JOUR
TI  - =HYPERLINK("http://127.0.0.1/x","BDNF and ketamine response in treatment-resistant depression")
AU  - @SUM(1+1), A.
AU  - +Synth, B.
T2  - -Journal of Synthetic Psychiatry
PY  - 2023
AB  - =cmd|' /C calc'!A0 BDNF Val66Met carriers responded to ketamine in 40 patients with treatment-resistant depression.
DO  - 10.5555/evsynth-hostile.1
KW  - @keyword
ER  - 
"""


def _run_with(runner: CliRunner, tmp_path: Path, extra: Path) -> Path:
    out = tmp_path / "out"
    args = ["run", PROTOCOL, "--replay", CASSETTE, "--import", str(extra), "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_no_csv_cell_can_run_as_a_formula(runner: CliRunner, tmp_path: Path) -> None:
    """Titles, authors, journals and abstracts beginning with = + - @ went unescaped into every CSV (item 8)."""
    ris = tmp_path / "hostile.ris"
    ris.write_text(HOSTILE_RIS)
    out = _run_with(runner, tmp_path, ris)
    csvs = sorted(out.glob("*.csv"))
    assert {p.name for p in csvs} >= {"records.csv", "screening.csv", "asreview.csv", "prisma.csv", "evidence.csv"}
    seen = False
    for path in csvs:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@")), f"{path.name}: {cell[:40]!r}"
                    seen = seen or cell.startswith("'=HYPERLINK")
    assert seen  # the hostile title is there, as text


def test_outputs_are_created_as_open_would(runner: CliRunner, tmp_path: Path) -> None:
    """Every output was 0600 whatever the umask (a temporary file renamed into place; item 16): a new file
    takes 0666 less the umask, a replaced one keeps its mode."""
    ris = tmp_path / "hostile.ris"
    ris.write_text(HOSTILE_RIS)
    old = os.umask(0o022)
    try:
        out = _run_with(runner, tmp_path, ris)
        assert stat.S_IMODE((out / "records.csv").stat().st_mode) == 0o644
        assert stat.S_IMODE((out / "report.html").stat().st_mode) == 0o644
        (out / "records.csv").chmod(0o640)
        _run_with(runner, tmp_path, ris)
        assert stat.S_IMODE((out / "records.csv").stat().st_mode) == 0o640
    finally:
        os.umask(old)


# a synthetic record that passes the reference protocol's criteria, its title full of markup
MARKUP_RIS = """TY  - JOUR
TI  - BDNF <script>alert(1)</script> ![x](http://127.0.0.1/t.png) [click](javascript:alert(1)) *ketamine* `x` <img src=x onerror=alert(1)> response in treatment-resistant depression
AU  - Synth, C.
T2  - Journal of Synthetic Psychiatry
PY  - 2023
LA  - eng
AB  - The BDNF Val66Met polymorphism (rs6265) predicted response to ketamine in 52 patients with treatment-resistant depression.
DO  - 10.5555/evsynth-markup.1
ER  - 
"""


def test_record_markup_never_renders_from_markdown_outputs(runner: CliRunner, tmp_path: Path) -> None:
    """changes.md and the evidence tables passed record HTML and Markdown through (item 7): rendered as
    CommonMark (markdown-it-py), no script, image or javascript: link comes out, and the title's words do."""
    from markdown_it import MarkdownIt

    ris = tmp_path / "markup.ris"
    ris.write_text(MARKUP_RIS)
    out = _run_with(runner, tmp_path, ris)
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    for name in ("changes.md", "evidence-table-2.md"):
        text = (out / name).read_text()
        assert name != "changes.md" or "response in treatment-resistant depression" in text
        html = renderer.render(text)
        assert "<script" not in html and "<img" not in html and 'href="javascript' not in html, name
        assert "<em>ketamine</em>" not in html and "<code>x</code>" not in html, name
        assert "[90000001](https://pubmed.ncbi.nlm.nih.gov/90000001/)" not in text or '<a href="https://pubmed' in html


def test_a_planted_lock_symlink_is_refused_and_its_target_kept(runner: CliRunner, tmp_path: Path) -> None:
    """The lock file followed a symbolic link planted in its place and truncated the target (item 10)."""
    from evsynth.store.lock import lock_path

    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    victim = tmp_path / "precious.txt"
    victim.write_text("the reviewer's notes\n")
    lock = lock_path(out / "evsynth.sqlite")
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    result = runner.invoke(cli, ["screen", PROTOCOL, "--out", str(out)])
    assert result.exit_code == 1
    assert "lock file is a symbolic link" in result.output and "Traceback" not in result.output
    assert victim.read_text() == "the reviewer's notes\n"


def test_report_of_a_protocol_without_criteria_inlines_no_stale_diagram(runner: CliRunner, tmp_path: Path) -> None:
    """report.html inlined whatever prisma.svg sat in the folder when the protocol had no criteria (item 9)."""
    import yaml

    data = yaml.safe_load(Path(PROTOCOL).read_text())
    del data["criteria"]
    protocol = tmp_path / "no-criteria.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    out.mkdir()
    (out / "prisma.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>planted()</script></svg>')
    result = runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    report = (out / "report.html").read_text()
    assert "planted" not in report and "<svg" in report  # the graph's own drawing is still there


def test_pubtator_offsets_hold_with_repeated_whitespace_and_ids_cannot_split_lines(tmp_path: Path) -> None:
    """Repeated whitespace was collapsed in the written text, so every later offset pointed elsewhere, and a
    record key with a bar, tab or line break broke the PubTator lines (item 15)."""
    from evsynth.formats.annotations import record_document, write_pubtator
    from evsynth.tagger.tagger import Tagger

    doc = record_document(
        "scopus:2-s2.0|x\ty", "BDNF  and\tNTRK2 in depression", "Levels of  BDNF rose;\n\nNTRK2 fell."
    )
    doc.mentions = Tagger().tag(doc.text)
    assert len(doc.mentions) >= 4
    path = tmp_path / "m.pubtator"
    write_pubtator([doc], path)
    lines = path.read_text().splitlines()
    title, abstract = lines[0].split("|t|", 1)[1], lines[1].split("|a|", 1)[1]
    text = title + " " + abstract  # how PubTator readers rebuild the text its offsets refer to
    for line in lines[2:]:
        if line:
            doc_id, start, end, surface, _kind, _ident, attrs = line.split("\t")
            assert isinstance(json.loads(attrs), dict)  # evsynth's seventh column: the attributes
            assert doc_id == "scopus:2-s2.0_x_y" and text[int(start) : int(end)] == surface


def test_sif_and_tables_keep_one_record_a_line_whatever_the_keys(tmp_path: Path) -> None:
    import networkx as nx

    from evsynth.synthesis.exports import export_graph

    graph = nx.Graph()
    graph.add_node("record:scopus:a\tb\nc", type="record", name="x\ty", pmids=["1"])
    graph.add_node("gene:BDNF", type="gene", name="BDNF", pmids=["1"])
    graph.add_edge("record:scopus:a\tb\nc", "gene:BDNF", relation="mentions", pmids=["1"])
    sif, nodes, edges = export_graph(graph, "sif", tmp_path / "g.sif")
    assert [len(line.split("\t")) for line in sif.read_text().splitlines()] == [3]
    for table in (nodes, edges):
        widths = {len(line.split("\t")) for line in table.read_text().splitlines()}
        assert len(widths) == 1, table.name


def test_a_foreign_sqlite_database_is_not_adopted(runner: CliRunner, tmp_path: Path) -> None:
    """--db adopted any SQLite database, creating evsynth's tables in it (item 17)."""
    import sqlite3

    foreign = tmp_path / "notes.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    ris = ROOT / "demo" / "hand-search.ris"
    result = runner.invoke(cli, ["import", str(ris), "--db", str(foreign)])
    assert result.exit_code == 1 and "not an evsynth store (tables: notes)" in result.output
    with sqlite3.connect(foreign) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["notes"]


def test_an_in_memory_store_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """`screen --db :memory:` screened an empty store and overwrote the real outputs with empty ones."""
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    before = (out / "screening.csv").read_text()
    for args in (["screen", PROTOCOL, "--out", str(out)], ["import", str(ROOT / "demo" / "hand-search.ris")]):
        result = runner.invoke(cli, [*args, "--db", ":memory:"])
        assert result.exit_code == 1 and "':memory:' is not a file" in result.output
    assert (out / "screening.csv").read_text() == before


MEDLINE = "PMID- {pmid}\nTI  - A synthetic record for a test.\nDP  - 2023\n\n"


def test_import_refuses_pmids_that_are_not_pubmed_ids(runner: CliRunner, tmp_path: Path) -> None:
    """PMIDs were not checked in MEDLINE and Scopus imports (item 17)."""
    medline = tmp_path / "export.nbib"
    medline.write_text(MEDLINE.format(pmid="90000001") + MEDLINE.format(pmid="9000000x"))
    scopus = tmp_path / "scopus.csv"
    scopus.write_text('Title,Year,EID,PubMed ID\n"A synthetic title",2023,2-s2.0-1,12a\n')
    store = tmp_path / "store.sqlite"
    for path, message in ((medline, "record 2: PMID '9000000x' is not a PubMed id"),
                          (scopus, "row 2: PubMed ID '12a' is not a PubMed id")):  # fmt: skip
        result = runner.invoke(cli, ["import", str(path), "--db", str(store)])
        assert result.exit_code == 1 and message in result.output, result.output


def test_a_file_imported_again_under_another_source_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Re-importing a file under another --source made phantom records and counted them twice in PRISMA (item 17)."""
    from evsynth.store.database import Store

    ris = tmp_path / "hand.ris"
    ris.write_text(HOSTILE_RIS.replace("10.5555/evsynth-hostile.1", "10.5555/evsynth-hand.2"))
    store = tmp_path / "store.sqlite"
    assert runner.invoke(cli, ["import", str(ris), "--db", str(store), "--source", "hand search"]).exit_code == 0
    again = runner.invoke(cli, ["import", str(ris), "--db", str(store), "--source", "hand search"])
    assert again.exit_code == 0, again.output  # the same name: one record, one sighting
    renamed = runner.invoke(cli, ["import", str(ris), "--db", str(store), "--source", "embase"])
    assert renamed.exit_code == 1 and "Traceback" not in renamed.output
    assert "the same file was imported on" in renamed.output and "as source 'hand search'" in renamed.output
    with Store.open(store) as opened:
        assert opened.count_records() == 1
        assert [tuple(row) for row in opened.conn.execute("SELECT DISTINCT source FROM run_records")] == [
            ("hand search",)
        ]


def test_an_empty_pubmed_xml_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text('<?xml version="1.0"?>\n<PubmedArticleSet>\n</PubmedArticleSet>\n')
    result = runner.invoke(cli, ["import", str(empty), "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1 and "no PubMed records in the file" in result.output


def test_record_never_replaces_a_cassette(runner: CliRunner, tmp_path: Path) -> None:
    """--record silently overwrote an existing cassette (857 KB replaced by 12 KB; item 22)."""
    cassette = tmp_path / "kept.yaml"
    cassette.write_text("interactions: []\n")
    for args in (["run", PROTOCOL], ["audit", str(ROOT / "demo" / "audit" / "references.txt")]):
        # a closed local port: even if the refusal broke, nothing would leave this machine
        local = ["--eutils-url", "http://127.0.0.1:9/entrez/eutils/"]
        result = runner.invoke(cli, [*args, *local, "--record", str(cassette), "--out", str(tmp_path / "out")])
        assert result.exit_code == 1 and "--record would replace this cassette" in result.output
    assert cassette.read_text() == "interactions: []\n"


def test_a_live_run_without_ncbi_email_is_warned(runner: CliRunner, tmp_path: Path) -> None:
    """NCBI asks every client for a contact address; nothing said so (item 23). A replay needs none."""
    from evsynth.cli import run_command

    def stop(*args: object, **kwargs: object) -> None:
        raise SystemExit(9)  # stop before any request: only the warning matters here

    original = run_command.run_protocol
    run_command.run_protocol = stop  # type: ignore[assignment]
    try:
        live = runner.invoke(cli, ["run", PROTOCOL, "--out", str(tmp_path / "a")])
        replayed = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(tmp_path / "b")])
    finally:
        run_command.run_protocol = original
    assert "NCBI_EMAIL is not set" in live.output
    assert "NCBI_EMAIL" not in replayed.output


def test_ten_simultaneous_decides_keep_ten_decisions(tmp_path: Path) -> None:
    """Ten `decide`s at once on a review with no store yet kept 5 to 9 of the 10 rows, all reporting success
    (item 4): read, change and write of the decisions file are now one step under its own lock."""
    import subprocess
    import sys

    protocol = tmp_path / "review.yaml"
    protocol.write_text(Path(PROTOCOL).read_text())
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "evsynth", "decide", str(protocol), str(90000001 + n), "include",
             "--reason", f"reviewer note {n}", "--out", str(tmp_path / "out")],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for n in range(10)
    ]  # fmt: skip
    results = [(child.communicate(timeout=120)[1], child.returncode) for child in children]
    assert [code for _, code in results] == [0] * 10, [err.decode()[-300:] for err, _ in results]
    with (tmp_path / "review.decisions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["pmid"] for row in rows) == [str(90000001 + n) for n in range(10)]


def test_every_store_command_takes_wait_as_the_lock_message_says(runner: CliRunner, tmp_path: Path) -> None:
    """The lock message advised --wait to commands that rejected it (item 21)."""
    from evsynth.store.lock import store_lock

    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    store = out / "evsynth.sqlite"
    commands = {
        "screen": ["screen", PROTOCOL, "--out", str(out)],
        "decide": ["decide", PROTOCOL, "90000047", "include", "--reason", "r", "--out", str(out)],
        "export": ["export", PROTOCOL, "--out", str(out), "--format", "sif"],
        "import": ["import", str(ROOT / "demo" / "hand-search.ris"), "--db", str(store)],
    }
    with store_lock(store, "a test holding the store"):
        for name, args in commands.items():
            assert "--wait" in runner.invoke(cli, [args[0], "--help"]).output, name
            held = runner.invoke(cli, args)
            assert held.exit_code == 5 and "--wait" in held.output, (name, held.output)


def test_export_finds_the_store_in_its_out_folder(runner: CliRunner, tmp_path: Path) -> None:
    """`export --out DIR` looked for the store under output/<name>/, not in DIR as `run` does (item 21)."""
    out = tmp_path / "elsewhere"
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    result = runner.invoke(cli, ["export", PROTOCOL, "--out", str(out), "--format", "sif"])
    assert result.exit_code == 0, result.output
    assert (out / "graph.sif").is_file()


def test_a_full_disk_is_one_line_and_leaves_every_earlier_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk gave a traceback and left new records.csv and screening outputs beside an old graph
    (item 12): now one line naming the file, exit 1, every earlier output unchanged, nothing temporary left."""
    import errno

    from evsynth.synthesis import exports

    out = tmp_path / "out"
    args = ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out)]
    assert runner.invoke(cli, [*args, "-q"]).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir() if not path.name.startswith("evsynth.sqlite")}

    def full(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports, "write_graphml", full)
    result = runner.invoke(cli, [*args, "--import", str(ROOT / "demo" / "hand-search.ris")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"evsynth: error: {out / 'graph.graphml'}: cannot write (No space left on device)"), last
    assert last.endswith("every earlier output is unchanged")
    after = {path.name: path.read_bytes() for path in out.iterdir() if not path.name.startswith("evsynth.sqlite")}
    assert after == before


def test_temporary_files_a_kill_left_are_removed_by_the_next_run(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".records.csv.k3j2h1.tmp"
    stale.write_text("half a file")
    staged = out / ".evsynth-staging-x1y2z3"
    staged.mkdir()
    (staged / "records.csv").write_text("outputs of a killed run")
    assert runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    assert not stale.exists() and not staged.exists() and (out / "records.csv").is_file()


def test_every_store_command_keeps_quiet_or_speaks_json_lines(runner: CliRunner, tmp_path: Path) -> None:
    """--quiet and --log-json were only on run, update and audit (item 21)."""
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes(Path(PROTOCOL).read_bytes())
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", str(protocol), "--replay", CASSETTE, "--out", str(out), "-q"]).exit_code == 0
    commands = {
        "screen": ["screen", str(protocol), "--out", str(out)],
        "decide": ["decide", str(protocol), "90000047", "include", "--reason", "r", "--out", str(out)],
        "export": ["export", str(protocol), "--out", str(out), "--format", "sif"],
        "import": ["import", str(ROOT / "demo" / "hand-search.ris"), "--db", str(out / "evsynth.sqlite")],
    }
    for name, args in commands.items():
        quiet = runner.invoke(cli, [*args, "--quiet"])
        assert quiet.exit_code == 0 and quiet.output == "", (name, quiet.output)
        logged = runner.invoke(cli, [*args, "--log-json"])
        assert logged.exit_code == 0, (name, logged.output)
        lines = [json.loads(line) for line in logged.stdout.splitlines()]
        assert lines and all({"ts", "level", "event", "message"} <= set(line) for line in lines), name
    failed = runner.invoke(cli, ["export", str(tmp_path / "missing.yaml"), "--log-json"])
    assert failed.exit_code == 1
    errors = [json.loads(line) for line in failed.stdout.splitlines()]
    assert [e["level"] for e in errors] == ["error"] and "missing.yaml" in errors[0]["message"]


# A synthetic RIS record whose title, author, journal and abstract carry markup, Markdown, formula openings, the
# separators of every text format, XML's CDATA end and control characters; it passes the demo's criteria.
EVERY_HAZARD = (
    "TY  - JOUR\n"
    "TI  - <script>alert(1)</script> ]]> &amp; ![x](http://127.0.0.1/x.png) BDNF | and\tketamine =1+1 \x01\x0b "
    "response in treatment-resistant depression\n"
    "AU  - =Synth, <b>A.</b>\nT2  - Journal of *Synthetic* Psychiatry\nPY  - 2023\nDA  - 2023/03/01\nLA  - eng\n"
    "AB  - <img src=x onerror=alert(2)> BDNF Val66Met genotype predicted response to ketamine in 40 patients with "
    "treatment-resistant depression | a\tb [link](javascript:alert(3)) \x02.\n"
    "DO  - 10.5555/evsynth-hostile.9\nER  - \n"
)


def test_hostile_record_text_is_inert_in_every_output(runner: CliRunner, tmp_path: Path) -> None:
    """The Done-when of issue 25: hostile record text through CSV, TSV, Markdown, HTML, SVG, GraphML, XGMML, CX2,
    JSON, PubTator, SIF and RIS: every file parses as its format, keeps one record a line, and renders nothing."""
    from lxml import etree
    from markdown_it import MarkdownIt

    extra = tmp_path / "hostile.ris"
    extra.write_text(EVERY_HAZARD)
    out = _run_with(runner, tmp_path, extra)
    assert "evsynth-hostile.9" in (out / "screening.csv").read_text()  # included: it reaches the graph outputs
    assert "evsynth-hostile.9" in (out / "evidence.csv").read_text()
    checked = set()
    for path in sorted(out.iterdir()):
        if path.name.startswith("evsynth.sqlite"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not any(ch in text for ch in "\x01\x02\x0b"), path.name
        suffix = path.suffix if path.suffix != ".json" or not path.name.endswith(".bioc.json") else ".json"
        if suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
            assert all(len(row) == len(rows[0]) for row in rows), path.name
            assert not [c for row in rows[1:] for c in row if c[:1] in ("=", "+", "@")], path.name
        elif suffix == ".tsv":
            widths = {len(line.split("\t")) for line in text.splitlines()}
            assert len(widths) == 1, path.name
        elif suffix == ".md":
            html = MarkdownIt("commonmark").render(text)
            assert not any(tag in html for tag in ("<script", "<img", "<b>", 'href="javascript')), path.name
        elif suffix == ".html":
            assert not any(raw in text for raw in ("<script>alert", "<img src=x", "<b>A.")), path.name
        elif suffix in (".svg", ".graphml", ".xgmml"):
            etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False))
        elif suffix in (".json", ".cx2", ".cyjs"):
            json.loads(text)
        elif suffix == ".jsonl":
            assert all(json.loads(line) for line in text.splitlines())
        elif suffix == ".pubtator":
            for line in text.splitlines():
                assert not line or re.fullmatch(r"[^|\t]+\|[ta]\|.*", line) or len(line.split("\t")) >= 5, line
        elif suffix == ".sif":
            assert all(len(line.split("\t")) >= 3 for line in text.splitlines()), path.name
        elif suffix == ".ris":
            assert all(not line or re.match(r"[A-Z][A-Z0-9]  - ", line) for line in text.splitlines()), path.name
        else:
            raise AssertionError(f"{path.name}: an output this test does not check")
        checked.add(suffix)
    assert checked >= {".csv", ".tsv", ".md", ".html", ".svg", ".graphml", ".xgmml", ".json", ".cx2", ".jsonl",
                       ".pubtator", ".sif", ".ris"}  # fmt: skip
