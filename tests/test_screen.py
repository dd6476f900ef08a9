"""Screening the store: incremental re-screens, reviewer overrides on top, per-run history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evsynth.models import Record
from evsynth.protocol.criteria import Criteria, load_criteria
from evsynth.screening.decisions import Override
from evsynth.screening.screen import screen_store
from evsynth.sources.dedupe import deduplicate
from evsynth.store.database import Store
from evsynth.store.decisions import latest_decisions

SECTION = {
    "include": [{"name": "english", "label": "Not in English", "when": {"language": ["eng"]}}],
    "exclude": [{"name": "comment", "label": "Comment", "when": {"pub_type": ["Comment"]}}],
}


def _criteria(section: dict[str, object] = SECTION) -> Criteria:
    return load_criteria(section, Path("p.yaml"))


def _record(pmid: int, **fields: object) -> Record:
    base = {"title": f"Synthetic study {pmid}", "abstract": "Text.", "languages": ("eng",), "pub_year": 2022}
    return Record(pmid=str(pmid), **{**base, **fields})  # type: ignore[arg-type]


def _load(db: Store, *records: Record) -> int:
    run = db.start_run("harvest", protocol_name="p")
    db.upsert_records(records, run, format_name="pubmed")
    return run


def _decisions(db: Store) -> dict[str, str]:
    pmids = {row[0]: row[1] for row in db.conn.execute("SELECT id, pmid FROM records")}
    return {pmids[rid]: row["decision"] for rid, row in latest_decisions(db, "p").items()}


def test_screen_store_decides_every_primary_record(db: Store) -> None:
    _load(db, _record(90000001), _record(90000002, pub_types=("Comment",)), _record(90000003, languages=()))
    result = screen_store(db, "p", _criteria(), {})
    assert (result.screened, result.reused, result.changed) == (3, 0, 3)
    assert _decisions(db) == {"90000001": "include", "90000002": "exclude", "90000003": "uncertain"}
    assert result.counts == {"include": 1, "exclude": 1, "uncertain": 1}


def test_screen_store_second_pass_reuses_everything_and_writes_nothing(db: Store) -> None:
    _load(db, _record(90000001), _record(90000002))
    screen_store(db, "p", _criteria(), {})
    again = screen_store(db, "p", _criteria(), {})
    assert (again.screened, again.reused, again.changed) == (0, 2, 0)
    assert db.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 2


def test_screen_store_rescreens_only_changed_records(db: Store) -> None:
    _load(db, _record(90000001), _record(90000002))
    screen_store(db, "p", _criteria(), {})
    _load(db, _record(90000002, pub_types=("Comment",)), _record(90000003))
    result = screen_store(db, "p", _criteria(), {})
    assert (result.screened, result.reused, result.changed) == (2, 1, 2)
    assert _decisions(db) == {"90000001": "include", "90000002": "exclude", "90000003": "include"}


def test_screen_store_rescreens_everything_when_the_criteria_change(db: Store) -> None:
    _load(db, _record(90000001), _record(90000002, title="Comment on a trial"))
    screen_store(db, "p", _criteria(), {})
    stricter = {**SECTION, "exclude": [{"name": "comment", "label": "Comment",
                                        "when": {"text": {"terms": ["comment"], "fields": ["title"]}}}]}  # fmt: skip
    result = screen_store(db, "p", _criteria(stricter), {})
    assert result.criteria_changed and result.screened == 2 and result.reused == 0
    assert _decisions(db) == {"90000001": "include", "90000002": "exclude"}
    assert screen_store(db, "p", _criteria(stricter), {}).screened == 0


def test_screen_store_overrides_win_and_survive_rescreens(db: Store) -> None:
    _load(db, _record(90000001), _record(90000002, pub_types=("Comment",)))
    overrides = {"pmid:90000002": Override("pmid:90000002", "include", "a research letter, not a comment")}
    screen_store(db, "p", _criteria(), overrides)
    assert _decisions(db)["90000002"] == "include"
    stricter = {**SECTION, "include": [*SECTION["include"], {"name": "old", "label": "Too old",  # type: ignore[list-item]
                                                             "when": {"date": {"to": "2021-12-31"}}}]}  # fmt: skip
    screen_store(db, "p", _criteria(stricter), overrides)
    rows = {r["decision"] for r in latest_decisions(db, "p").values()}
    assert _decisions(db) == {"90000001": "exclude", "90000002": "include"} and rows == {"include", "exclude"}
    latest = next(r for r in latest_decisions(db, "p").values() if r["override_reason"])
    assert latest["rule_decision"] == "exclude" and latest["override_reason"] == "a research letter, not a comment"
    screen_store(db, "p", _criteria(stricter), {})  # the override is withdrawn: the rules decide again
    assert _decisions(db)["90000002"] == "exclude"


def test_screen_store_override_by_doi_reaches_the_cluster_primary(db: Store) -> None:
    _load(db, _record(90000001, doi="10.5555/a", pub_types=("Comment",)))
    run = db.start_run("import")
    db.upsert_records([Record(source="scopus_csv", source_id="2-s2.0-1", doi="10.5555/A", title="Synthetic study",
                              pub_year=2022)], run, format_name="scopus_csv")  # fmt: skip
    deduplicate(db)
    result = screen_store(db, "p", _criteria(), {"doi:10.5555/a": Override("doi:10.5555/a", "include", "why")})
    assert result.counts == {"include": 1} and not result.unmatched_overrides


def test_screen_store_reports_overrides_for_records_not_in_the_store(db: Store) -> None:
    _load(db, _record(90000001))
    result = screen_store(db, "p", _criteria(), {"pmid:90000099": Override("pmid:90000099", "exclude", "why")})
    assert result.unmatched_overrides == ("pmid:90000099",)


def test_screen_store_removes_records_that_become_duplicates(db: Store) -> None:
    run = db.start_run("import")
    db.upsert_records([Record(source="ris", source_id="x1", title="A synthetic trial of ketamine", pub_year=2022,
                              languages=("eng",), abstract="t")], run, format_name="ris")  # fmt: skip
    screen_store(db, "p", _criteria(), {})
    _load(db, _record(90000001, title="A synthetic trial of ketamine"))
    deduplicate(db)
    result = screen_store(db, "p", _criteria(), {})
    state = latest_decisions(db, "p")
    assert sorted(row["decision"] for row in state.values()) == ["include", "removed"]
    assert result.counts == {"include": 1}


def test_screen_store_keeps_history_per_screening(db: Store) -> None:
    _load(db, _record(90000001))
    first = screen_store(db, "p", _criteria(), {})
    _load(db, _record(90000001, pub_types=("Comment",)))
    second = screen_store(db, "p", _criteria(), {})
    assert latest_decisions(db, "p", until=first.screening_id)[1]["decision"] == "include"
    assert latest_decisions(db, "p", until=second.screening_id)[1]["decision"] == "exclude"
    reasons = json.loads(latest_decisions(db, "p")[1]["reasons"])
    assert reasons == ["comment"]


def test_screen_store_is_atomic(db: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import evsynth.screening.screen as module
    from evsynth.protocol.criteria import screen_record

    _load(db, _record(90000001), _record(90000002))

    def flaky(record: Record, criteria: Criteria) -> object:
        if record.pmid == "90000002":
            raise RuntimeError("disk gone")
        return screen_record(record, criteria)

    monkeypatch.setattr(module, "screen_record", flaky)
    with pytest.raises(RuntimeError):
        screen_store(db, "p", _criteria(), {})
    assert db.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM screenings").fetchone()[0] == 0
