"""Annotated documents from other tools, as they come: PubTator (tab-separated), BioC-JSON (a collection, a
PubTator3 answer, one document or a list of them) and BioC-XML. Offsets are document offsets, as those formats
write them; :mod:`evsynth.annotations.align` maps them onto the text evsynth tagged.

BioC is read with the ``bioc`` package (the format's reference implementation); PubTator with the few lines
below, because ``bioc``'s PubTator reader prints to standard output on a line it cannot read and strips
whitespace that offsets count.

Example:
    >>> docs = parse_annotations(b"1|t|BDNF\\n1|a|rs6265 here\\n1\\t0\\t4\\tBDNF\\tGene\\t627\\n", "x")
    >>> docs[0].annotations[0].identifier
    '627'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_data

_TITLE_OR_ABSTRACT = re.compile(r"^([^|\t]*)\|([ta])\|(.*)$")
# a DOCTYPE that declares entities: refused before any parser sees it (billion laughs, external files)
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.DOTALL)


@dataclass(frozen=True)
class Passage:
    kind: str  # title | abstract | text | what the file called it (lower case)
    offset: int
    text: str


@dataclass(frozen=True)
class Annotation:
    start: int  # document offsets
    end: int
    text: str
    type: str  # the tool's type name: Gene, Chemical, Variant, GeneFamily ...
    identifier: str  # the tool's concept id(s); "" when it gives none
    infons: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class AnnotatedDocument:
    """One document's passages and annotations; ``problems`` are annotations that could not be read."""

    id: str
    passages: list[Passage] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    version: str = ""  # the document's date (PubTator3) or the collection's
    problems: list[str] = field(default_factory=list)
    received: dict[str, Any] | None = field(default=None, repr=False)  # a BioC-JSON document as it came

    def bioc_json(self) -> dict[str, Any]:
        """The document in BioC-JSON as PubTator3 answers it: as received when it came so (what the store keeps,
        and what the local server answers with)."""
        if self.received is not None:
            return self.received
        passages: list[dict[str, Any]] = []
        placed: set[int] = set()
        for passage in self.passages:
            start, end = passage.offset, passage.offset + len(passage.text) + 1
            inside = [n for n, a in enumerate(self.annotations) if start <= a.start < end and n not in placed]
            placed.update(inside)
            passages.append({"infons": {"type": passage.kind}, "offset": passage.offset, "text": passage.text,
                             "sentences": [], "relations": [],
                             "annotations": [_bioc_annotation(n, self.annotations[n]) for n in inside]})  # fmt: skip
        # an annotation no passage holds stays with the document (BioC allows it), so nothing read is lost
        rest = [_bioc_annotation(n, a) for n, a in enumerate(self.annotations) if n not in placed]
        return {"id": self.id, "infons": {}, "passages": passages, "relations": [], "annotations": rest}


def _bioc_annotation(number: int, annotation: Annotation) -> dict[str, Any]:
    infons: dict[str, Any] = {**annotation.infons, "type": annotation.type, "identifier": annotation.identifier}
    location = {"offset": annotation.start, "length": annotation.end - annotation.start}
    return {"id": str(number), "infons": infons, "text": annotation.text, "locations": [location]}


def read_annotation_file(path: Path) -> list[AnnotatedDocument]:
    """Every document of a PubTator, BioC-JSON or BioC-XML file (gzipped or not), found by its first bytes.

    Raises:
        InputFileError: the file is missing, unreadable or not in any of the three formats (one line naming it).
    """
    return parse_annotations(read_input_data(path), str(path))


def parse_annotations(raw: bytes, where: str) -> list[AnnotatedDocument]:
    """The documents in ``raw`` (see :func:`read_annotation_file`); ``where`` names it in errors."""
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        return list(_bioc_json(raw, where))
    if head == b"<":
        return list(_bioc_xml(raw, where))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{where}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    docs = list(_pubtator(text, where))
    if not docs and text.strip():
        raise InputFileError(f"{where}: neither PubTator, BioC-JSON nor BioC-XML (no 'ID|t|' title line)")
    return docs


def _pubtator(text: str, where: str) -> Iterator[AnnotatedDocument]:
    doc: AnnotatedDocument | None = None
    title = ""
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        head = _TITLE_OR_ABSTRACT.match(line)
        if head:
            ident, part, body = head.groups()
            if doc is None or doc.id != ident:
                if doc is not None:
                    yield doc
                doc, title = AnnotatedDocument(ident), ""
            if part == "t":
                title = body
                doc.passages.append(Passage("title", 0, body))
            else:
                doc.passages.append(Passage("abstract", len(title) + 1 if title else 0, body))
            continue
        columns = line.split("\t")
        if doc is None:
            raise InputFileError(f"{where}: neither PubTator, BioC-JSON nor BioC-XML (line {number} comes before any "
                                 "'ID|t|' title line)")  # fmt: skip
        if columns[0] != doc.id:
            raise InputFileError(f"{where}: line {number}: an annotation of {columns[0]!r:.40} outside its document")
        if len(columns) == 4:  # a relation: PMID, type, id, id
            continue
        if len(columns) < 5 or not (columns[1].isdigit() and columns[2].isdigit()):
            doc.problems.append(f"line {number}: not an annotation (PMID, start, end, text, type, id)")
            continue
        infons: dict[str, Any] = {"type": columns[4], "identifier": columns[5] if len(columns) > 5 else ""}
        if len(columns) > 6:
            infons["evsynth"] = columns[6]
        doc.annotations.append(
            Annotation(int(columns[1]), int(columns[2]), columns[3], columns[4], infons["identifier"], infons)
        )
    if doc is not None:
        yield doc


def _bioc_json(raw: bytes, where: str) -> Iterator[AnnotatedDocument]:
    import bioc.biocjson

    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{where}: not JSON ({exc})") from None
    version = ""
    if isinstance(data, dict) and isinstance(data.get("PubTator3"), list):  # PubTator3's export answer
        items = data["PubTator3"]
    elif isinstance(data, dict) and isinstance(data.get("documents"), list):  # a BioC collection
        items, version = data["documents"], str(data.get("date") or "")
    elif isinstance(data, dict) and "passages" in data:  # one document
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise InputFileError(f"{where}: JSON, but no BioC collection, document list or PubTator3 answer")
    for number, item in enumerate(items, 1):
        try:
            document = bioc.biocjson.decoder.parse_doc(_filled(item))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            raise InputFileError(f"{where}: document {number}: not a BioC document ({why})") from None
        read = _from_bioc(document, str(item.get("date") or version))
        read.received = item
        yield read


def _filled(item: Any) -> Any:
    """A BioC-JSON document with the lists BioC requires and PubTator3 may leave out (sentences, relations)."""
    if not isinstance(item, dict) or not isinstance(item.get("passages"), list):
        raise TypeError("no 'passages' list")
    item = {"infons": {}, "relations": [], **item, "id": str(item.get("id") or item.get("pmid") or "")}
    item["passages"] = [
        {"infons": {}, "sentences": [], "annotations": [], "relations": [], **p} if isinstance(p, dict) else p
        for p in item["passages"]
    ]
    return item


def _bioc_xml(raw: bytes, where: str) -> Iterator[AnnotatedDocument]:
    import io

    import bioc.biocxml
    from lxml import etree

    if _ENTITY_DECLARATION.search(raw[:65536]):
        raise InputFileError(f"{where}: the XML declares entities; evsynth does not expand them")
    try:
        reader = bioc.biocxml.BioCXMLDocumentReader(io.BytesIO(raw))
        collection_date = str(reader.get_collection_info().date or "")
        for document in reader:
            yield _from_bioc(document, collection_date)
    except etree.XMLSyntaxError as exc:
        raise InputFileError(f"{where}: not well-formed XML ({' '.join(str(exc).split())[:120]})") from None
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputFileError(f"{where}: not BioC XML ({type(exc).__name__}: {exc})") from None


def _number(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _from_bioc(document: Any, version: str) -> AnnotatedDocument:
    """One ``bioc`` document as an :class:`AnnotatedDocument`; an annotation without a usable place is a problem."""
    doc = AnnotatedDocument(str(document.id or ""), version=version)
    for passage in document.passages:
        kind = str((passage.infons or {}).get("type") or "text").lower()
        offset = _number(passage.offset)
        if offset is None:
            doc.problems.append(f"passage {kind!r}: offset {passage.offset!r} is not a number")
            continue
        doc.passages.append(Passage(kind, offset, passage.text or ""))
        for annotation in passage.annotations:
            infons = dict(annotation.infons or {})
            places = [(_number(loc.offset), _number(loc.length)) for loc in annotation.locations]
            if len(places) != 1 or places[0][0] is None or places[0][1] is None:
                doc.problems.append(f"annotation {annotation.id!r}: no single location ({len(places)} given)")
                continue
            start, length = places[0]
            assert start is not None and length is not None
            identifier = infons.get("identifier")
            doc.annotations.append(
                Annotation(start, start + length, str(annotation.text or ""), str(infons.get("type") or ""),
                           "" if identifier in (None, "-") else str(identifier), infons)
            )  # fmt: skip
    return doc
