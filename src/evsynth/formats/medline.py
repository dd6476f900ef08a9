"""MEDLINE text (PubMed's 'Save as PubMed format', .nbib) -> Records, through Bio.Medline."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.formats.fields import checked_pmid, iso_compact, person, year_in
from evsynth.models import CommentCorrection, MeshHeading, Record


def _medline_record(entry: dict[str, object], source: str) -> Record:
    def one(key: str) -> str:
        value = entry.get(key, "")
        return " ".join(value) if isinstance(value, list) else str(value)

    def many(key: str) -> list[str]:
        value = entry.get(key, [])
        return value if isinstance(value, list) else [str(value)]

    doi = ""
    for identifier in many("AID") + many("LID"):
        if identifier.endswith("[doi]"):
            doi = identifier[: -len("[doi]")].strip()
            break
    mesh = []
    for heading in many("MH"):
        descriptor, *qualifiers = heading.split("/")
        major = descriptor.startswith("*") or any(q.startswith("*") for q in qualifiers)
        mesh.append(
            MeshHeading(
                ui="",
                name=descriptor.lstrip("*"),
                major=major,
                qualifiers=tuple(q.lstrip("*") for q in qualifiers),
            )
        )
    names = many("FAU") or many("AU")
    links = [("CIN", "CommentIn"), ("CON", "CommentOn"), ("EIN", "ErratumIn"), ("EFR", "ErratumFor"),
             ("RIN", "RetractionIn"), ("ROF", "RetractionOf")]  # fmt: skip
    return Record(
        pmid=one("PMID").strip(),
        source=source,
        doi=doi,
        pmcid=one("PMC").strip(),
        title=one("TI").strip(),
        abstract=one("AB").strip(),
        journal=one("JT").strip(),
        journal_iso=one("TA").strip(),
        volume=one("VI").strip(),
        issue=one("IP").strip(),
        pages=one("PG").strip(),
        pub_year=year_in(one("DP")),
        pub_date=str(year_in(one("DP")) or ""),
        pub_date_text=one("DP").strip(),
        electronic_date=iso_compact(one("DEP")),
        entrez_date=iso_compact(one("EDAT")),
        revised_date=iso_compact(one("LR")),
        languages=tuple(many("LA")),
        pub_types=tuple(many("PT")),
        mesh=tuple(mesh),
        keywords=tuple(many("OT")),
        authors=tuple(person(n) for n in names),
        comments_corrections=tuple(
            CommentCorrection(ref_type=kind, ref_source=text) for key, kind in links for text in many(key)
        ),
        status=one("STAT").strip(),
    )


def read_medline(path: Path, source: str) -> list[Record]:
    """MEDLINE text (PubMed 'Save as PubMed format', .nbib), via Bio.Medline."""
    from Bio import Medline

    text = read_input_text(path)
    if not re.search(r"^PMID- ", text, re.MULTILINE):
        raise InputFileError(f"{path}: not a MEDLINE file (no 'PMID- ' line)")
    records = []
    for number, entry in enumerate(Medline.parse(io.StringIO(text)), start=1):  # type: ignore[no-untyped-call]
        record = _medline_record(entry, source)
        pmid = checked_pmid(record.pmid)
        if pmid is None:
            raise InputFileError(f"{path}: record {number}: PMID {record.pmid!r} is not a PubMed id")
        if pmid:
            records.append(replace(record, pmid=pmid))
    return records
