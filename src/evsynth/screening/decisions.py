"""Reviewer decisions: a CSV file next to the protocol that wins over the screening rules.

The file (default ``<protocol>.decisions.csv``, or ``criteria.overrides_file``) is the
single source of truth, meant to be kept under version control with the protocol:
``evsynth decide`` edits it, a reviewer may edit it by hand, and every run and
re-screen applies it, so a decision survives refreshes and criteria changes.

Columns: ``pmid`` or ``doi`` (the PMID wins when both are given; a record with neither, a hand-searched report
say, is named by its ``title``, matched case, accents and punctuation aside), ``decision`` (include / exclude /
maybe), ``reason`` (required), ``reviewer``, ``decided_at``, ``previous``: the decisions this one replaced,
newest first (see :mod:`evsynth.screening.reviewer`), and ``title`` (written for every record, for people
reading the file). ``maybe`` keeps a record uncertain with the reviewer's note.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from evsynth.errors import EvsynthError, InputFileError
from evsynth.fileio import atomic_writer, read_input_bytes
from evsynth.models import parse_identifier
from evsynth.sources.dedupe import fold_title

COLUMNS = ("pmid", "doi", "decision", "reason", "reviewer", "decided_at", "previous", "title")
OVERRIDE_DECISIONS = ("include", "exclude", "maybe")


@dataclass(frozen=True)
class Override:
    """One reviewer decision about one record."""

    target: str  # "pmid:<PMID>", "doi:<normalised DOI>" or, for a record with neither, "title:<folded title>"
    decision: str
    reason: str
    reviewer: str = ""
    decided_at: str = ""
    previous: str = ""  # the decisions this one replaced, newest first
    title: str = ""  # the record's title as shown to people (the target of a record with no PMID and no DOI)

    @property
    def screening_decision(self) -> str:
        """What the record's decision becomes: ``maybe`` keeps it uncertain."""
        return "uncertain" if self.decision == "maybe" else self.decision

    @property
    def pmid(self) -> str:
        """The PMID, if the target is one."""
        return self.target[5:] if self.target.startswith("pmid:") else ""

    @property
    def doi(self) -> str:
        """The DOI, if the target is one."""
        return self.target[4:] if self.target.startswith("doi:") else ""

    @property
    def folded_title(self) -> str:
        """The folded title, if the target is one."""
        return self.target[6:] if self.target.startswith("title:") else ""


def parse_target(text: str) -> str:
    """Turn a PMID, a DOI or ``title: ...`` as typed into a target key.

    >>> parse_target("PMID: 90000001"), parse_target("https://doi.org/10.5555/X"), parse_target("title: A B-c")
    ('pmid:90000001', 'doi:10.5555/x', 'title:a b c')

    Raises:
        EvsynthError: neither a PMID nor a DOI nor a title.
    """
    value = text.strip()
    if value.lower().startswith("title:"):
        folded = fold_title(value[6:])
        if not folded:
            raise EvsynthError(f"{text!r} names no title")
        return f"title:{folded}"
    if found := parse_identifier(value):
        return f"{found[0]}:{found[1]}"
    raise EvsynthError(f"{text!r} is neither a PMID (digits) nor a DOI (10.xxxx/...) nor 'title: ...'")


def target_of(pmid: str | None, doi_norm: str | None, title: str | None = None) -> str:
    """The target a decision about a stored record is kept under: its PMID, else its normalised DOI, else its
    folded title ("" for a record with none of them, which the decisions file cannot name)."""
    if pmid:
        return f"pmid:{pmid}"
    if doi_norm:
        return f"doi:{doi_norm}"
    folded = fold_title(title or "")
    return f"title:{folded}" if folded else ""


def read_decisions(path: Path) -> tuple[dict[str, Override], str]:
    """The decisions file's decisions and the SHA-256 of the very bytes they were read from (what the review's
    fingerprint takes: a file edited while a run goes on is then seen as changed by the next run).

    Raises:
        InputFileError: a malformed row, named by file, line and column.
    """
    if not path.exists():
        return {}, hashlib.sha256(b"").hexdigest()
    raw = read_input_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (invalid byte at offset {err.start})") from None
    return _parse_decisions(path, text), hashlib.sha256(raw).hexdigest()


def load_overrides(path: Path) -> dict[str, Override]:
    """Read the decisions file; a missing file means no decisions.

    Raises:
        InputFileError: a malformed row, named by file, line and column.
    """
    return read_decisions(path)[0]


def _parse_decisions(path: Path, text: str) -> dict[str, Override]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("decision", "reason") if c not in header]
    if missing or not {"pmid", "doi", "title"} & set(header):
        need = missing or ["pmid, doi or title"]
        raise InputFileError(f"{path}: not a decisions file (missing column(s) {', '.join(need)})")
    reader.fieldnames = header
    decisions: dict[str, Override] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise InputFileError(f"{path}: line {line}: more fields than the header")
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        key = cells.get("pmid") or cells.get("doi") or ""
        if key:
            try:
                target = parse_target(key)
            except EvsynthError:
                raise InputFileError(f"{path}: line {line}: pmid/doi {key!r} is neither a PMID nor a DOI") from None
        elif not (target := target_of(None, None, cells.get("title"))):
            raise InputFileError(f"{path}: line {line}: no pmid, doi or title names the record")
        key = key or repr(cells.get("title", ""))
        if cells["decision"].lower() not in OVERRIDE_DECISIONS:
            raise InputFileError(
                f"{path}: line {line}: decision {cells['decision']!r} must be one of {', '.join(OVERRIDE_DECISIONS)}"
            )
        if not cells["reason"]:
            raise InputFileError(f"{path}: line {line}: reason is empty (every reviewer decision needs one)")
        if target in decisions:
            raise InputFileError(f"{path}: line {line}: a second decision for {key} (keep one row per record)")
        decisions[target] = Override(
            target, cells["decision"].lower(), cells["reason"], cells.get("reviewer", ""), cells.get("decided_at", ""),
            cells.get("previous", ""), cells.get("title", ""),
        )  # fmt: skip
    return decisions


def save_overrides(path: Path, decisions: dict[str, Override]) -> None:
    """Write the decisions file atomically, one row per record, sorted by target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for item in sorted(decisions.values(), key=lambda o: (not o.pmid, o.pmid.zfill(12), not o.doi, o.target)):
            writer.writerow((item.pmid, item.doi, item.decision, item.reason, item.reviewer, item.decided_at,
                             item.previous, item.title))  # fmt: skip
