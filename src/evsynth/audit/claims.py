"""What a review claims about each cited study, checked against the study's tagged title and abstract.

A claims table (CSV or TSV) has one row per cited study: the reference number, then any of the claimed
genes, variants, microRNAs and treatments (``;`` or ``,`` between names), a sample size and a free-text
finding. A claimed entity is *found* when the abstract names the same normalised entity (or, for a name the
tagger cannot normalise, the same words); *not found* means "not supported by the abstract", never "false".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.models import Mention
from evsynth.sources.dedupe import fold_title
from evsynth.synthesis.design import stated_sizes
from evsynth.tagger.tagger import Tagger

ENTITY_COLUMNS = {"genes": "gene", "variants": "variant", "mirnas": "mirna", "treatments": "treatment"}
_ALIASES = {
    "ref": "ref", "reference": "ref", "ref no": "ref", "number": "ref", "no": "ref", "#": "ref", "citation": "ref",
    "genes": "genes", "gene": "genes", "variants": "variants", "variant": "variants", "snps": "variants",
    "mirnas": "mirnas", "mirna": "mirnas", "micrornas": "mirnas", "microrna": "mirnas", "mirs": "mirnas",
    "treatments": "treatments", "treatment": "treatments", "interventions": "treatments",
    "intervention": "treatments", "sample size": "sample_size", "sample_size": "sample_size", "n": "sample_size",
    "finding": "finding", "findings": "finding", "main finding": "finding", "result": "finding",
    "results": "finding",
    # the study as the review's table shows it, compared with the record
    "title": "title", "article title": "title", "study title": "title", "year": "year",
    "publication year": "year", "first author": "first_author", "author": "first_author",
    "design": "design", "study design": "design", "study type": "design",
}  # fmt: skip
TABLE_COLUMNS = ("title", "year", "first_author", "design")
_TYPES_FOR = {"gene": {"gene", "family"}, "variant": {"variant"}, "mirna": {"mirna"}, "treatment": {"treatment"}}


@dataclass(frozen=True, slots=True)
class Claim:
    """One row of the claims table."""

    key: str
    row: int
    entities: tuple[tuple[str, tuple[str, ...]], ...]  # (type, claimed names) for each entity column present
    sample_size: int | None = None
    finding: str = ""
    shown: tuple[tuple[str, str], ...] = ()  # (column, value) of TABLE_COLUMNS: the study as the table shows it

    def table(self, column: str) -> str:
        return next((value for name, value in self.shown if name == column), "")


@dataclass(frozen=True, slots=True)
class EntityCheck:
    type: str
    claimed: str
    found: bool
    evidence: str = ""  # the abstract's words for it, or what is missing
    unknown: bool = False  # a microRNA name that miRBase does not have


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """A claim checked against one record's title and abstract."""

    key: str
    entities: tuple[EntityCheck, ...]
    omitted: tuple[tuple[str, str], ...]  # (type, the abstract's words) of entities the claim leaves out
    sample_size: int | None
    abstract_sizes: tuple[int, ...]
    finding_unsupported: tuple[str, ...]  # entities the free-text finding names that the abstract does not
    has_abstract: bool
    truncated: bool = False  # PubMed cut the abstract short ("ABSTRACT TRUNCATED AT 250 WORDS")


def _header(name: str) -> str | None:
    key = " ".join(re.sub(r"[^a-z0-9#]+", " ", name.lower().replace("_", " ")).split())
    return _ALIASES.get(key) or _ALIASES.get(key.replace(" ", ""))


def read_claims(path: Path) -> list[Claim]:
    """The claims table, or a one-line error naming the file, row and column.

    Raises:
        InputFileError: missing file, no reference column, no claim column, a bad sample size, a repeated row.
    """
    reader, columns = _claims_header(path)
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for cells in reader:
        if any(c.strip() for c in cells):
            claims.append(_claim_row(path, reader.line_num, cells, columns, seen))
    return claims


def _claims_header(path: Path) -> tuple[Any, list[str | None]]:  # (a csv reader, the columns)
    """A csv reader past the header (its delimiter guessed from the first line), and the columns it names."""
    lines = ["" if line.lstrip().startswith("#") else line for line in read_input_text(path).splitlines()]
    if not any(line.strip() for line in lines):
        raise InputFileError(f"{path}: empty claims table")
    first = next(line for line in lines if line.strip())
    delimiter = "\t" if first.count("\t") > first.count(",") else ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = next(row for row in reader if any(cell.strip() for cell in row))
    columns = [_header(name) for name in header]
    if "ref" not in columns:
        raise InputFileError(
            f"{path}: no reference column (one of: ref, reference, number) in the header {', '.join(header)[:100]!r}"
        )
    if not any(c in ENTITY_COLUMNS or c in ("sample_size", "finding", *TABLE_COLUMNS) for c in columns):
        raise InputFileError(
            f"{path}: no claim column (genes, variants, mirnas, treatments, sample_size, finding, title, year, "
            "first author, design)"
        )
    return reader, columns


def _claim_row(path: Path, number: int, cells: list[str], columns: list[str | None], seen: dict[str, int]) -> Claim:
    row = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
    key = re.sub(r"^\[?(.*?)[\].]?$", r"\1", row.get("ref", ""))
    if not key:
        raise InputFileError(f"{path}: row {number}: the reference column is empty")
    if key in seen:
        raise InputFileError(f"{path}: row {number}: reference {key} already has a row (row {seen[key]})")
    seen[key] = number
    size = row.get("sample_size", "").replace(",", "")
    if size and not size.isdigit():
        raise InputFileError(f"{path}: row {number}: sample_size {row['sample_size']!r} is not a whole number")
    if row.get("year") and not re.fullmatch(r"(?:1[89]|20)\d\d", row["year"]):
        raise InputFileError(f"{path}: row {number}: year {row['year']!r} is not a year")
    shown = tuple((col, row[col]) for col in TABLE_COLUMNS if row.get(col))
    entities = tuple(
        (kind, tuple(n.strip() for n in re.split(r"\s*;\s*|,\s+", row.get(col, "")) if n.strip()))
        for col, kind in ENTITY_COLUMNS.items() if col in columns
    )  # fmt: skip
    return Claim(key, number, entities, int(size) if size else None, row.get("finding", ""), shown)


def _members(mention: Mention) -> set[str]:
    """The ids a mention stands for: a composite's members, and a well-known variant's id as well as the one its
    name gave it (rs6265 written 'BDNF Val66Met' is p.Val66Met too)."""
    members = {part for part in (mention.id or "").split(";") if part}
    named_as = dict(mention.attrs).get("named_as")
    if isinstance(named_as, str):
        members.add(named_as)
    return members


def _family_level(mention: Mention) -> str:
    """The family of a family-level microRNA mention ("the miR-29 family" -> "miR-29"), else ""."""
    family = str(dict(mention.attrs).get("family", ""))
    return family if mention.type == "mirna" and family and mention.id == f"hsa-{family}" else ""


def sample_sizes(text: str) -> tuple[int, ...]:
    """Numbers of people the text reports ("in 112 adults", "n = 48"), in order, without repeats; read as the
    evidence tables read them (:func:`evsynth.synthesis.design.stated_sizes`)."""
    return tuple(dict.fromkeys(number for number, _ in stated_sizes(text)))


def _words(text: str) -> str:
    return f" {fold_title(text)} "


_TRUNCATED = re.compile(r"\(?\s*ABSTRACT TRUNCATED(?: AT \d+ WORDS)?\s*\)?\.?\s*$")


def truncated_abstract(abstract: str) -> bool:
    """Whether PubMed cut the abstract short (older records end "(ABSTRACT TRUNCATED AT 250 WORDS)")."""
    return bool(_TRUNCATED.search(abstract))


def check_claim(
    claim: Claim,
    text: str,
    mentions: Iterable[Mention],
    tagger: Tagger,
    *,
    has_abstract: bool = True,
    truncated: bool = False,
) -> ClaimCheck:
    """Check ``claim`` against a record's ``text`` (title and abstract) and its ``mentions``."""
    mentions = list(mentions)
    checks = []
    matched: set[str] = set()
    for kind, names in claim.entities:
        in_text = [m for m in mentions if m.type in _TYPES_FOR[kind]]
        for name in names:
            check, found = _check_entity(kind, name, in_text, text, tagger)
            checks.append(check)
            matched |= found
    omitted = _omitted(claim, mentions, matched)
    unsupported = _unsupported(claim.finding, mentions, tagger) if claim.finding else []
    return ClaimCheck(
        claim.key,
        tuple(checks),
        omitted,
        claim.sample_size,
        sample_sizes(text),
        tuple(unsupported),
        has_abstract,
        truncated,
    )


def _check_entity(
    kind: str, name: str, in_text: list[Mention], text: str, tagger: Tagger
) -> tuple[EntityCheck, set[str]]:
    """Whether the abstract names the claimed entity (by id when the tagger normalises the claimed name, else by
    its words), and the ids it matched."""
    ids = {i for m in in_text for i in _members(m)}
    families = {str(dict(m.attrs).get("family", "")) for m in in_text if m.type == "mirna"}
    claimed = [m for m in tagger.tag(name) if m.type in _TYPES_FOR[kind]]
    wanted = {i for m in claimed for i in _members(m)}
    # a claimed family ("miR-29") is supported by any member the abstract names
    ids |= {f"hsa-{f}" for m in claimed if (f := _family_level(m)) and f in families}
    if not wanted:
        found = _words(name).strip() != "" and _words(name) in _words(text)
        return EntityCheck(kind, name, found, "same words" if found else "not normalised; words absent"), set()
    missing = wanted - ids
    words = sorted({m.text for m in in_text if _members(m) & wanted})
    evidence = ", ".join(words) if not missing else "missing: " + ", ".join(sorted(missing))
    unknown = any(dict(m.attrs).get("in_mirbase") is False and not _family_level(m) for m in claimed)
    return EntityCheck(kind, name, not missing, evidence, unknown), wanted & ids


def _omitted(claim: Claim, mentions: list[Mention], matched: set[str]) -> tuple[tuple[str, str], ...]:
    """(kind, text) of entities of the claimed kinds that the abstract names and the claim does not."""
    present = {kind for kind, _ in claim.entities}
    covered = {str(dict(m.attrs).get("family", "")) for m in mentions if m.type == "mirna" and _members(m) & matched}
    omitted: dict[str, tuple[str, str]] = {}
    for mention in mentions:
        kind = next((k for k, types in _TYPES_FOR.items() if mention.type in types), "")
        if _family_level(mention) in covered - {""}:
            continue  # "the miR-29 family" when the claim names its members
        if kind in present and mention.id and not _members(mention) & matched:
            omitted.setdefault(mention.id, (kind, mention.text))
    return tuple(omitted.values())


def _unsupported(finding: str, mentions: list[Mention], tagger: Tagger) -> list[str]:
    """Entities the claimed finding names that the abstract does not."""
    ids = {i for m in mentions for i in _members(m)}
    unsupported: list[str] = []
    for mention in tagger.tag(finding):
        if mention.id and not _members(mention) <= ids and mention.text not in unsupported:
            unsupported.append(mention.text)
    return unsupported
