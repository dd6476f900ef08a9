"""A PubMed baseline or update file cut into parts of a few thousand records, so that two workers share one big
file as well as two files: each part is a small PubMed XML document of its own (the file's head, its records,
the closing tag), written once to the output's scratch folder and mined as one task.

The cut depends on the file alone (``PART_RECORDS`` records a part), never on the number of workers, so the
output is the same whoever mines it. ``DeleteCitation`` PMIDs (update files) go with the last part.
"""

from __future__ import annotations

import re
from pathlib import Path

from evsynth.fileio import read_input_data

PART_RECORDS = 2500
_OPEN = re.compile(rb"<(PubmedArticle|PubmedBookArticle)>")
_DELETED = re.compile(rb"<DeleteCitation>(.*?)</DeleteCitation>", re.DOTALL)
_PMID = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")


def part_name(stem: str, number: int) -> str:
    """The name a part's files and tables go by: ``pubmed21n1298.part003``."""
    return f"{stem}.part{number:03d}"


def file_stem(path: Path) -> str:
    """The name a file's outputs go by: its name without .xml/.gz (pubmed21n1298)."""
    name = path.name
    for suffix in (".gz", ".xml"):
        name = name.removesuffix(suffix)
    return name


def record_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each PubmedArticle or PubmedBookArticle element, in order."""
    spans = []
    for match in _OPEN.finditer(data):
        close = b"</" + match.group(1) + b">"
        end = data.find(close, match.end())
        if end < 0:  # a truncated file: the rest goes to the last part, whose parser reports it
            spans.append((match.start(), len(data)))
            break
        spans.append((match.start(), end + len(close)))
    return spans


def split_file(path: Path, scratch: Path, part_records: int = PART_RECORDS) -> tuple[list[Path], list[str]]:
    """The file's parts of ``part_records`` records written into ``scratch`` (``<stem>.partNNN.xml``), and the
    PMIDs it deletes."""
    data = read_input_data(path)
    spans = record_spans(data)
    stem = file_stem(path)
    head = data[: spans[0][0]] if spans else data[: data.find(b">", data.find(b"<PubmedArticleSet")) + 1]
    tail_start = spans[-1][1] if spans else len(head)
    deleted = [pmid.decode() for block in _DELETED.findall(data, tail_start) for pmid in _PMID.findall(block)]
    scratch.mkdir(parents=True, exist_ok=True)
    parts = []
    for number, first in enumerate(range(0, max(len(spans), 1), part_records)):
        chosen = spans[first : first + part_records]
        body = data[chosen[0][0] : chosen[-1][1]] if chosen else b""
        part = scratch / f"{part_name(stem, number)}.xml"
        partial = part.with_suffix(".xml.partial")
        partial.write_bytes(head + body + b"\n</PubmedArticleSet>\n")
        partial.replace(part)
        parts.append(part)
    return parts, deleted
