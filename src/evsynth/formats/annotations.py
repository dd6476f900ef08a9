"""Tagged documents in and out: `evsynth tag` input (JSONL or PubMed XML), mentions.jsonl, PubTator and BioC-JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evsynth.errors import InputFileError, PubmedXMLError
from evsynth.fileio import atomic_writer, read_input_data
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Mention

PUBTATOR_TYPES = {
    "gene": "Gene", "family": "GeneFamily", "mirna": "miRNA", "treatment": "Treatment", "chemical": "Chemical",
}  # fmt: skip
VARIANT_TYPES = {"rsid": "SNP", "protein": "ProteinMutation", "hgvs_protein": "ProteinMutation"}


@dataclass
class Document:
    """One text to tag. ``title`` is the leading part of ``text`` (title + " " + abstract) when known."""

    id: str
    text: str
    title: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # the input line, echoed in the output
    mentions: list[Mention] = field(default_factory=list)


_WHITESPACE = re.compile(r"\s")
_NOT_IN_ID = re.compile(r"[|\s]")


def record_document(pmid: str, title: str, abstract: str, **fields: Any) -> Document:
    # a line break (one character, so PubTator's title + " " + abstract offsets still hold) ends the title's sentence
    text = f"{title}\n{abstract}".strip() if abstract else title
    return Document(pmid, text, title, {"pmid": pmid, "text": text, **fields})


def _jsonl_documents(path: Path, raw: bytes) -> Iterator[Document]:
    for number, line in enumerate(raw.decode("utf-8", errors="strict").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path}: line {number}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputFileError(f"{path}: line {number}: expected a JSON object, got {type(obj).__name__}")
        ident = obj.get("pmid", obj.get("id"))
        text = obj.get("text")
        if ident is None or not isinstance(text, str):
            missing = "'pmid' or 'id'" if ident is None else "'text' (a string)"
            raise InputFileError(f"{path}: line {number}: missing {missing}")
        yield Document(str(ident), text, str(obj.get("title", "")), obj)


def read_documents(path: Path) -> list[Document]:
    """Documents from JSONL lines ({"pmid" or "id", "text"}) or a PubMed XML file (title + abstract)."""
    raw = read_input_data(path)
    head = raw.lstrip()[:1]
    try:
        if head == b"<":
            return [record_document(r.pmid, r.title, r.abstract) for r in iter_pubmed_xml(raw)]
        return list(_jsonl_documents(path, raw))
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 at byte {exc.start}") from None
    except PubmedXMLError as exc:
        raise InputFileError(f"{path}: {exc}") from None


def tagged_line(doc: Document) -> dict[str, Any]:
    return {**doc.fields, "entities": [m.to_json() for m in doc.mentions]}


def write_jsonl(docs: Iterable[Document], path: Path) -> int:
    n = 0
    with atomic_writer(path, newline="\n") as out:
        for doc in docs:
            out.write(json.dumps(tagged_line(doc), ensure_ascii=False) + "\n")
            n += 1
    return n


def _type_name(mention: Mention) -> str:
    if mention.type == "variant":
        return VARIANT_TYPES.get(str(dict(mention.attrs).get("kind")), "DNAMutation")
    return PUBTATOR_TYPES[mention.type]


def _clean(text: str) -> str:
    """Every whitespace character as one space: the line stays one line and offsets into it still hold (the
    text was collapsed before, which shifted every later offset)."""
    return _WHITESPACE.sub(" ", text)


def _pubtator_id(doc_id: str) -> str:
    """A document id PubTator's `id|t|` lines can carry: no bar, tab or line break."""
    return _NOT_IN_ID.sub("_", doc_id)


def _title_abstract(doc: Document) -> tuple[str, str]:
    """The title and the rest of the text; no title when the text does not start with it."""
    title = doc.title if doc.title and doc.text.startswith(doc.title) else ""
    return title, doc.text[len(title) + 1 :] if title else doc.text


def _attrs_column(mention: Mention) -> str:
    """A mention's attributes as one JSON object in ASCII: no tab, no line break of any kind."""
    return json.dumps(dict(mention.attrs), ensure_ascii=True, separators=(",", ":"), sort_keys=False)


def write_pubtator(docs: Iterable[Document], path: Path) -> None:
    """PubTator: `id|t|title`, `id|a|abstract`, then one tab-separated line per mention; offsets into
    title + " " + abstract. A seventh column carries the mention's evsynth attributes (JSON), so the file reads
    back as the mentions it was written from (readers of PubTator take the first six)."""
    with atomic_writer(path, newline="\n") as out:
        for doc in docs:
            title, abstract = _title_abstract(doc)
            doc_id = _pubtator_id(doc.id)
            out.write(f"{doc_id}|t|{_clean(title)}\n{doc_id}|a|{_clean(abstract)}\n")
            for m in doc.mentions:
                ident = _clean(m.id or "")
                columns = (doc_id, str(m.start), str(m.end), _clean(m.text), _type_name(m), ident, _attrs_column(m))
                out.write("\t".join(columns) + "\n")
            out.write("\n")


def _bioc_annotation(number: int, mention: Mention) -> dict[str, Any]:
    infons: dict[str, Any] = {"type": _type_name(mention), "identifier": mention.id, "evsynth_type": mention.type}
    infons.update(
        (k, v if isinstance(v, str | int | float | bool) or v is None else json.dumps(v)) for k, v in mention.attrs
    )
    infons["evsynth_attrs"] = _attrs_column(mention)  # the attributes as they were, read back by evsynth
    return {
        "id": str(number),
        "infons": infons,
        "text": mention.text,
        "locations": [{"offset": mention.start, "length": mention.end - mention.start}],
    }


def write_bioc_json(docs: Iterable[Document], path: Path) -> None:
    """A BioC-JSON collection: one document per record, title and abstract passages, document-level offsets."""
    documents = []
    for doc in docs:
        title, abstract = _title_abstract(doc)
        parts = [("title", 0, title), ("abstract", len(title) + 1, abstract)] if title else [("text", 0, doc.text)]
        passages = []
        number = 0
        for kind, offset, text in parts:
            annotations = []
            for m in doc.mentions:
                if offset <= m.start < offset + len(text) + 1:
                    number += 1
                    annotations.append(_bioc_annotation(number, m))
            passages.append(
                {
                    "offset": offset,
                    "infons": {"type": kind},
                    "text": text,
                    "sentences": [],
                    "annotations": annotations,
                    "relations": [],
                }
            )
        documents.append({"id": doc.id, "infons": {}, "passages": passages, "relations": []})
    collection = {
        "source": "evsynth",
        "date": dt.date.today().strftime("%Y%m%d"),
        "key": "evsynth.key",
        "infons": {},
        "documents": documents,
    }
    with atomic_writer(path, newline="\n") as out:
        # compact: with an indent json falls back to its pure-Python encoder, 10x slower on a large review
        out.write(json.dumps(collection, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
