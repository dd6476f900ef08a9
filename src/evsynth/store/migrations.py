"""Numbered schema steps for the evidence store, applied in order and recorded in ``_migrations``.

Never edit a migration once released: add ``m00N_...`` instead.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable


def m001_initial() -> str:
    """Runs, records (parsed fields + compressed raw), run sightings, imports."""
    return """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                 -- harvest | import
            protocol_name TEXT,
            protocol_hash TEXT,
            query TEXT,
            query_translation TEXT,
            date_start TEXT,
            date_end TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,               -- running | complete | failed | interrupted
            count_total INTEGER,                -- hits of the search (or records in the file)
            count_new INTEGER,                  -- records first seen in this run
            count_updated INTEGER,              -- stored records whose content changed
            manifest TEXT                       -- JSON: slices, requests, retries, timings, versions
        );
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            record_key TEXT NOT NULL UNIQUE,    -- pmid:<PMID> or <source>:<id or hash>
            pmid TEXT UNIQUE,
            doi TEXT, doi_norm TEXT, pmcid TEXT,
            title TEXT, abstract TEXT, journal TEXT, journal_iso TEXT,
            volume TEXT, issue TEXT, pages TEXT,
            pub_year INTEGER, pub_date TEXT, pub_date_text TEXT,
            electronic_date TEXT, entrez_date TEXT, revised_date TEXT,
            languages TEXT, pub_types TEXT, mesh TEXT, chemicals TEXT,
            keywords TEXT, authors TEXT, comments_corrections TEXT,   -- JSON
            status TEXT, source TEXT NOT NULL, source_id TEXT, source_rank INTEGER NOT NULL,
            raw BLOB, raw_format TEXT,
            content_hash TEXT NOT NULL,
            first_seen_run INTEGER NOT NULL REFERENCES runs(id),
            updated_run INTEGER REFERENCES runs(id),
            deleted_run INTEGER REFERENCES runs(id),
            cluster_id INTEGER,                 -- primary record of its duplicate cluster
            duplicate_reason TEXT               -- pmid | doi | title (null for a primary)
        );
        CREATE INDEX records_doi ON records(doi_norm);
        CREATE INDEX records_year ON records(pub_year);
        CREATE TABLE run_records (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            record_id INTEGER NOT NULL REFERENCES records(id),
            source TEXT NOT NULL,
            is_new INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, record_id, source)
        );
        CREATE INDEX run_records_record ON run_records(record_id);
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path TEXT NOT NULL,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            records INTEGER NOT NULL,
            imported_at TEXT NOT NULL
        );
    """


def m002_screening() -> str:
    """Screening passes and their decisions; runs get a parent (imports made by one ``evsynth run``).

    ``decisions`` holds a row only when a record's decision (or what it was decided
    from) changed, so the state as of screening S is, per record, its latest row with
    ``screening_id <= S``; a record that stopped being screened (it became a duplicate
    or PubMed deleted it) gets a row with decision ``removed``.
    """
    return """
        ALTER TABLE runs ADD COLUMN parent_run INTEGER REFERENCES runs(id);
        CREATE TABLE screenings (
            id INTEGER PRIMARY KEY,
            protocol_name TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),     -- the harvest run it followed (null: screen/decide alone)
            kind TEXT NOT NULL,                     -- rules | override
            criteria_hash TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            screened INTEGER NOT NULL DEFAULT 0,    -- records the rules evaluated
            reused INTEGER NOT NULL DEFAULT 0,      -- records whose inputs and criteria were unchanged
            changed INTEGER NOT NULL DEFAULT 0,     -- decision rows written
            summary TEXT                            -- JSON: final decisions by kind
        );
        CREATE TABLE decisions (
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            record_id INTEGER NOT NULL REFERENCES records(id),
            protocol_name TEXT NOT NULL,
            content_hash TEXT NOT NULL,             -- the record content the rules read
            criteria_hash TEXT NOT NULL,
            rule_decision TEXT NOT NULL,            -- include | exclude | uncertain | removed
            decision TEXT NOT NULL,                 -- final: a reviewer's override wins
            reasons TEXT NOT NULL,                  -- JSON list of criterion names
            evidence TEXT NOT NULL,                 -- JSON list of [criterion, field, value, start, end]
            override_reason TEXT,                   -- the reviewer's reason when an override decided
            PRIMARY KEY (screening_id, record_id)
        );
        CREATE INDEX decisions_latest ON decisions(protocol_name, record_id, screening_id);
    """


def m003_mentions() -> str:
    """Entity mentions per record, kept until the record's content or the tagger changes.

    ``tagged`` says which content (hash) and tagger version a record's mentions were made from, so a
    later run re-tags only new or changed records.
    """
    return """
        CREATE TABLE tagged (
            record_id INTEGER PRIMARY KEY REFERENCES records(id),
            content_hash TEXT NOT NULL,
            tagger TEXT NOT NULL,                   -- tagger version + lexicon digest
            tagged_at TEXT NOT NULL,
            n_mentions INTEGER NOT NULL
        );
        CREATE TABLE mentions (
            record_id INTEGER NOT NULL REFERENCES records(id),
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            text TEXT NOT NULL,
            type TEXT NOT NULL,                     -- gene | family | variant | mirna | treatment
            norm_id TEXT,
            sentence INTEGER NOT NULL,
            attrs TEXT NOT NULL,                    -- JSON object
            PRIMARY KEY (record_id, start, end, type)
        );
        CREATE INDEX mentions_by_id ON mentions(type, norm_id);
    """


def m004_snapshots() -> str:
    """What each run or update left the review as, so the next update can say what changed.

    ``fingerprint`` digests everything the outputs are made from (records, protocol, pathways,
    overrides, tagger); ``state`` and ``changes`` are zlib-compressed JSON.
    """
    return """
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            protocol_name TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            state BLOB NOT NULL,                    -- decisions, edges, convergent pathways, notices
            changes BLOB NOT NULL                   -- the changes.json written with it
        );
        CREATE INDEX snapshots_protocol ON snapshots(protocol_name, id);
    """


def m005_review_runs() -> str:
    """A review run's lifecycle: one row per ``evsynth run``/``update``, opened first, advanced stage by stage,
    closed last.

    A row left ``running`` is a run that was killed: its harvest, screening and mentions stay (they are correct
    as far as they go), but it is never taken as a finished version of the review. ``harvest_run`` ties it to
    the harvest it made, which is how PRISMA tells finished versions from unfinished ones; screenings name their
    review run too.
    """
    return """
        CREATE TABLE review_runs (
            id INTEGER PRIMARY KEY,
            protocol_name TEXT NOT NULL,
            command TEXT NOT NULL,                  -- run | update
            harvest_run INTEGER REFERENCES runs(id),
            stage TEXT NOT NULL,                    -- the last stage begun (see evsynth.store.runs.STAGES)
            status TEXT NOT NULL,                   -- running | complete | failed | interrupted
            outcome TEXT,                           -- complete: "new evidence", "nothing new", ...
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX review_runs_protocol ON review_runs(protocol_name, id);
        ALTER TABLE screenings ADD COLUMN review_run INTEGER REFERENCES review_runs(id);
    """


def m006_journal_medline() -> str:
    """NLM's journal abbreviation (MedlineTA) beside the title and the ISO abbreviation; the audit accepts a
    citation's journal in any of the three. Not part of the content hash: records stored before keep it empty
    until their content changes."""
    return "ALTER TABLE records ADD COLUMN journal_medline TEXT;"


def m007_annotations() -> str:
    """Annotations from other sources (PubTator3, imported PubTator/BioC files), kept beside evsynth's own tags.

    ``annotation_docs`` is what a source said of a record: its document (zlib-compressed JSON, as received),
    its version or date, what could not be placed, and the record content it was placed on (a record that
    changes is asked again). ``status`` is ``annotated``, or ``unknown`` when the source has no such document.
    ``annotation_mentions`` are its annotations placed on the text evsynth tagged, as evsynth mentions.
    """
    return """
        CREATE TABLE annotation_docs (
            record_id INTEGER NOT NULL REFERENCES records(id),
            source TEXT NOT NULL,                   -- pubtator3, or the name an imported file was given
            status TEXT NOT NULL,                   -- annotated | unknown
            version TEXT NOT NULL,                  -- the document's date as the source gave it
            origin TEXT NOT NULL,                   -- the service asked, or the file imported
            fetched_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,             -- the record content the annotations were placed on
            raw BLOB,                               -- zlib-compressed JSON of the document
            problems TEXT NOT NULL,                 -- JSON list: annotations that could not be placed
            PRIMARY KEY (record_id, source)
        );
        CREATE TABLE annotation_mentions (
            record_id INTEGER NOT NULL REFERENCES records(id),
            source TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            text TEXT NOT NULL,
            type TEXT NOT NULL,
            norm_id TEXT,
            sentence INTEGER NOT NULL,
            attrs TEXT NOT NULL,                    -- JSON object
            PRIMARY KEY (record_id, source, start, end, type)
        );
    """


def m008_output_stats() -> str:
    """The outputs a snapshot's run left, as JSON ``{name: [size, mtime_ns]}``: a run with nothing new leaves
    them as they are only while every one is still the file that run wrote."""
    return "ALTER TABLE snapshots ADD COLUMN outputs TEXT;"


MIGRATIONS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("m001_initial", m001_initial),
    ("m002_screening", m002_screening),
    ("m003_mentions", m003_mentions),
    ("m004_snapshots", m004_snapshots),
    ("m005_review_runs", m005_review_runs),
    ("m006_journal_medline", m006_journal_medline),
    ("m007_annotations", m007_annotations),
    ("m008_output_stats", m008_output_stats),
)


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        # One transaction per step, the schema change and its record together: a crash
        # half-way leaves the store as it was before the step.
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        conn.executescript(
            f"BEGIN;\n{step()}\nINSERT INTO _migrations (name, applied_at) VALUES ('{name}', '{stamp}');\nCOMMIT;"
        )
        applied.append(name)
    return applied
