"""The SQLite store: migrations, idempotent upserts, source precedence, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from evsynth.errors import StoreError
from evsynth.models import Record
from evsynth.store.database import Store
from evsynth.store.migrations import MIGRATIONS
from evsynth.store.records import record_sources


def test_store_records_migrations_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store.open(path).close()
    with Store.open(path) as store:
        names = [row[0] for row in store.conn.execute("SELECT name FROM _migrations")]
        assert names == [name for name, _ in MIGRATIONS]
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_upsert_is_idempotent(db: Store) -> None:
    run = db.start_run("harvest")
    record = Record(pmid="90000001", title="T", raw=b"<PubmedArticle/>")
    assert db.upsert_records([record], run, format_name="pubmed").new == 1
    again = db.upsert_records([record], run, format_name="pubmed")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert db.count_records() == 1
    assert db.raw_xml("90000001") == b"<PubmedArticle/>"


def test_store_richer_source_wins(db: Store) -> None:
    run = db.start_run("import")
    db.upsert_records([Record(pmid="90000001", title="Scopus title", source="scopus")], run, format_name="scopus_csv")
    assert db.stored_pmids(min_rank=3) == set()
    later = db.start_run("harvest")
    outcome = db.upsert_records([Record(pmid="90000001", title="PubMed title")], later, format_name="pubmed")
    assert outcome.updated == 1
    third = db.start_run("import")
    db.upsert_records([Record(pmid="90000001", title="Scopus again", source="scopus")], third, format_name="scopus_csv")
    assert db.get_record("90000001").title == "PubMed title"  # type: ignore[union-attr]
    assert record_sources(db)[1] == ["pubmed", "scopus"]


def test_store_roundtrips_records(db: Store, pubmed_data: Path) -> None:
    from evsynth.formats.pubmed_xml import iter_pubmed_xml

    records = list(iter_pubmed_xml(pubmed_data / "nlm_samples" / "pubmedsample_2019.xml.gz", keep_raw=True))
    run = db.start_run("import")
    db.upsert_records(records, run, format_name="pubmed_xml")
    for record in records[:50]:
        assert db.get_record(record.pmid) == record


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_store_refuses_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="cannot use as an evsynth store"):
        Store.open(path)
    assert path.read_bytes() == content


def test_store_missing_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="store not found"):
        Store.open(tmp_path / "none.sqlite", create=False)


def test_store_transaction_rolls_back(db: Store) -> None:
    run = db.start_run("harvest")

    def records():  # type: ignore[no-untyped-def]
        yield Record(pmid="90000001", title="a")
        raise RuntimeError("crash in the middle of a batch")

    with pytest.raises(RuntimeError):
        db.upsert_records(records(), run, format_name="pubmed")
    assert db.count_records() == 0
