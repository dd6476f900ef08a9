"""Streaming PubMed XML parser: efetch output and MEDLINE/baseline files -> Records.

Design:

* ``lxml.etree.iterparse`` over the ``end`` events of ``PubmedArticle``,
  ``PubmedBookArticle`` and ``DeleteCitation`` only; each finished element is
  turned into a :class:`~evsynth.models.Record` and then cleared, along with
  the siblings before it, so memory stays flat for a file of any size.
* Safe by construction: no DTD is loaded, no network is used, entities are not
  resolved (no XXE, no entity expansion), and libxml2's "huge tree" limits stay on.
* Text keeps inline markup as text (``<i>``, ``<sup>``, MathML) via
  ``itertext()``; whitespace is folded. Structured abstracts keep their section
  labels, one section per line: ``"BACKGROUND: ..."``.
* Gzip input is detected by its magic bytes.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from evsynth.errors import PubmedXMLError
from evsynth.models import Author, Chemical, CommentCorrection, MeshHeading, Record

Source = str | Path | bytes | IO[bytes]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
# Seasons are mapped to the month they start in (documented in the README).
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
_MONTH_WORD = re.compile(r"\b([A-Za-z]{3,})")


def _fold(text: str) -> str:
    return " ".join(text.split())


def _text(el: Any) -> str:
    """All text below ``el`` (inline markup kept as text), whitespace folded."""
    if el is None:
        return ""
    if len(el) == 0:  # a leaf, the common case: no need to walk the subtree
        return _fold(el.text) if el.text else ""
    return _fold("".join(el.itertext()))


def _month_number(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        n = int(token)
        return n if 1 <= n <= 12 else None
    return _MONTHS.get(token[:3]) or _SEASONS.get(token)


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str:
    if year is None:
        return ""
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_of(el: Any) -> tuple[int | None, str, str]:
    """Return (year, ISO date, original text) for a PubDate-like element."""
    if el is None:
        return None, "", ""
    parts = {child.tag: child.text or "" for child in el}
    year_text = parts.get("Year")
    if year_text and year_text.strip().isdigit():
        year = int(year_text)
        month_text = parts.get("Month") or parts.get("Season") or ""
        month = _month_number(month_text) if month_text else None
        day_text = parts.get("Day", "")
        day = int(day_text) if day_text.strip().isdigit() and month else None
        original = " ".join(t for t in (year_text, month_text, day_text) if t)
        return year, _iso(year, month, day), _fold(original)
    medline = parts.get("MedlineDate", "")
    match = _YEAR.search(medline)
    if not match:
        return None, "", _fold(medline)
    year = int(match.group(1))
    rest = medline[match.end() :]
    word = _MONTH_WORD.search(rest)
    month = _month_number(word.group(1)) if word else None
    return year, _iso(year, month), _fold(medline)


def _abstract(abstract_el: Any) -> str:
    if abstract_el is None:
        return ""
    sections = []
    for part in abstract_el.iterfind("AbstractText"):
        text = _text(part)
        label = part.get("Label")
        if label and text:
            sections.append(f"{label}: {text}")
        elif text:
            sections.append(text)
    return "\n".join(sections)


def _author(author: Any) -> Author:
    """One Author element, read in a single pass over its children (this is the parser's hot loop)."""
    fields = {"LastName": "", "ForeName": "", "Initials": "", "CollectiveName": ""}
    affiliations: list[str] = []
    orcid = ""
    for child in author:
        tag = child.tag
        if tag in fields:
            fields[tag] = _text(child)
        elif tag == "AffiliationInfo":
            affiliations += [text for a in child.iterfind("Affiliation") if (text := _text(a))]
        elif tag == "Affiliation":
            text = _text(child)
            if text:
                affiliations.append(text)
        elif tag == "Identifier" and child.get("Source") == "ORCID":
            orcid = _text(child)
    return Author(
        last_name=fields["LastName"],
        fore_name=fields["ForeName"],
        initials=fields["Initials"],
        collective_name=fields["CollectiveName"],
        affiliations=tuple(affiliations),
        orcid=orcid,
    )


def _authors(author_list: Any) -> tuple[Author, ...]:
    if author_list is None:
        return ()
    return tuple(_author(author) for author in author_list.iterfind("Author"))


def _mesh(citation: Any) -> tuple[MeshHeading, ...]:
    """MeSH headings, each read in one pass over its children (hot on old, heavily indexed records)."""
    mesh_list = citation.find("MeshHeadingList")
    if mesh_list is None:
        return ()
    headings = []
    for heading in mesh_list:
        descriptor = None
        qualifiers = []
        major = False
        for child in heading:
            if child.tag == "DescriptorName":
                descriptor = child
                major = major or child.get("MajorTopicYN") == "Y"
            elif child.tag == "QualifierName":
                qualifiers.append(_text(child))
                major = major or child.get("MajorTopicYN") == "Y"
        if descriptor is not None:
            headings.append(MeshHeading(descriptor.get("UI", ""), _text(descriptor), major, tuple(qualifiers)))
    return tuple(headings)


def _chemicals(citation: Any) -> tuple[Chemical, ...]:
    chemicals = []
    for chem in citation.iterfind("ChemicalList/Chemical"):
        name = chem.find("NameOfSubstance")
        chemicals.append(
            Chemical(
                ui=name.get("UI", "") if name is not None else "",
                name=_text(name),
                registry_number=_text(chem.find("RegistryNumber")),
            )
        )
    return tuple(chemicals)


def _comments(citation: Any) -> tuple[CommentCorrection, ...]:
    return tuple(
        CommentCorrection(
            ref_type=c.get("RefType", ""),
            ref_source=_text(c.find("RefSource")),
            pmid=_text(c.find("PMID")),
        )
        for c in citation.iterfind("CommentsCorrectionsList/CommentsCorrections")
    )


def _article_ids(id_list: Any) -> dict[str, str]:
    ids: dict[str, str] = {}
    if id_list is None:
        return ids
    for article_id in id_list.iterfind("ArticleId"):
        kind = article_id.get("IdType", "")
        if kind and kind not in ids:
            ids[kind] = _text(article_id)
    return ids


def _history_date(pubmed_data: Any, status: str) -> str:
    if pubmed_data is None:
        return ""
    for date in pubmed_data.iterfind("History/PubMedPubDate"):
        if date.get("PubStatus") == status:
            return _date_of(date)[1]
    return ""


def _article_record(elem: Any, source: str) -> Record:
    citation = elem.find("MedlineCitation")
    article = citation.find("Article")
    pubmed_data = elem.find("PubmedData")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    year, pub_date, pub_text = _date_of(issue.find("PubDate") if issue is not None else None)
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None)
    doi = ids.get("doi", "")
    if not doi:
        for loc in article.iterfind("ELocationID"):
            if loc.get("EIdType") == "doi":
                doi = _text(loc)
    electronic = ""
    for article_date in article.iterfind("ArticleDate"):
        if article_date.get("DateType", "Electronic") == "Electronic":
            electronic = _date_of(article_date)[1]
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    revised = citation.find("DateRevised")
    if revised is None:
        revised = citation.find("DateCreated")
    return Record(
        pmid=_text(citation.find("PMID")),
        source=source,
        doi=doi,
        pmcid=ids.get("pmc", ""),
        title=title,
        abstract=_abstract(article.find("Abstract")),
        journal=_text(journal.find("Title")) if journal is not None else "",
        journal_iso=_text(journal.find("ISOAbbreviation")) if journal is not None else "",
        journal_medline=_text(citation.find("MedlineJournalInfo/MedlineTA")),
        volume=_text(issue.find("Volume")) if issue is not None else "",
        issue=_text(issue.find("Issue")) if issue is not None else "",
        pages=_text(article.find("Pagination/MedlinePgn")),
        pub_year=year,
        pub_date=pub_date,
        pub_date_text=pub_text,
        electronic_date=electronic,
        entrez_date=_history_date(pubmed_data, "entrez") or _history_date(pubmed_data, "pubmed"),
        revised_date=_date_of(revised)[1],
        languages=tuple(_text(lang) for lang in article.iterfind("Language")),
        pub_types=tuple(_text(p) for p in article.iterfind("PublicationTypeList/PublicationType")),
        mesh=_mesh(citation),
        chemicals=_chemicals(citation),
        keywords=tuple(_text(k) for k in citation.iterfind("KeywordList/Keyword") if _text(k)),
        authors=_authors(article.find("AuthorList")),
        comments_corrections=_comments(citation),
        status=citation.get("Status", ""),
    )


def _book_record(elem: Any, source: str) -> Record:
    document = elem.find("BookDocument")
    book = document.find("Book")
    pubmed_data = elem.find("PubmedBookData")
    year, pub_date, pub_text = _date_of(book.find("PubDate") if book is not None else None)
    ids = _article_ids(document.find("ArticleIdList"))
    title = _text(document.find("ArticleTitle")) or _text(book.find("BookTitle") if book is not None else None)
    return Record(
        pmid=_text(document.find("PMID")),
        source=source,
        doi=ids.get("doi", ""),
        pmcid=ids.get("pmc", ""),
        title=title,
        abstract=_abstract(document.find("Abstract")),
        journal=_text(book.find("BookTitle")) if book is not None else "",
        pub_year=year,
        pub_date=pub_date,
        pub_date_text=pub_text,
        entrez_date=_history_date(pubmed_data, "entrez") or _history_date(pubmed_data, "pubmed"),
        revised_date=_date_of(document.find("DateRevised"))[1],
        languages=tuple(_text(lang) for lang in document.iterfind("Language")),
        pub_types=tuple(_text(p) for p in document.iterfind("PublicationType")),
        keywords=tuple(_text(k) for k in document.iterfind("KeywordList/Keyword") if _text(k)),
        authors=_authors(document.find("AuthorList")),
        status="Book",
    )


def _open(source: Source) -> tuple[IO[bytes], str, list[IO[bytes]]]:
    """Open ``source`` as a binary stream (gunzipping if needed), name it for errors, and list what to close."""
    opened: list[IO[bytes]] = []
    if isinstance(source, bytes):
        stream: IO[bytes] = io.BytesIO(source)
        name = "<response>"
    elif isinstance(source, str | Path):
        name = str(source)
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed by the caller
            opened.append(stream)
        except OSError as err:
            raise PubmedXMLError(f"{name}: cannot open ({err.strerror})") from None
    else:
        stream = source
        name = getattr(source, "name", "<stream>")
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if not head and isinstance(stream, io.BytesIO):
        head = stream.getvalue()[:2]
    if head == b"\x1f\x8b":
        unzipped: IO[bytes] = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
        opened.insert(0, unzipped)
        return unzipped, name, opened
    return stream, name, opened


def iter_pubmed_xml(
    source: Source,
    *,
    source_name: str = "pubmed",
    keep_raw: bool = False,
    deleted: list[str] | None = None,
) -> Iterator[Record]:
    """Yield a :class:`Record` for each PubmedArticle/PubmedBookArticle in ``source``.

    Args:
        source: a path (plain or gzip), bytes, or a binary stream.
        source_name: stored as ``Record.source``.
        keep_raw: keep each record's XML bytes in ``Record.raw``.
        deleted: if given, PMIDs of ``DeleteCitation`` elements are appended to it.

    Raises:
        PubmedXMLError: the input is not well-formed PubMed XML (the message names
            the source, line and libxml2's reason).

    Example:
        >>> recs = list(iter_pubmed_xml(b"<PubmedArticleSet/>"))
        >>> recs
        []
    """
    stream, name, opened = _open(source)
    parser = etree.iterparse(
        stream,
        events=("end",),
        tag=_RECORD_TAGS,
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=False,
        remove_comments=True,
        recover=False,
    )
    seen_root = False
    try:
        for _, elem in parser:
            if not seen_root:
                _refuse_entities(elem, name)
            seen_root = True
            tag = elem.tag
            if tag == "DeleteCitation":
                if deleted is not None:
                    deleted.extend(_text(p) for p in elem.iterfind("PMID"))
            else:
                record = (_article_record if tag == "PubmedArticle" else _book_record)(elem, source_name)
                if keep_raw:
                    record = _with_raw(record, elem)
                yield record
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
        root = getattr(parser, "root", None)
        if root is not None and not seen_root and root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
            raise PubmedXMLError(f"{name}: not PubMed XML (root element <{root.tag}>)")
    except etree.XMLSyntaxError as err:
        raise PubmedXMLError(f"{name}: malformed XML at line {err.lineno}: {' '.join(err.msg.split())}") from None
    except (OSError, EOFError) as err:
        raise PubmedXMLError(f"{name}: cannot read ({err})") from None
    finally:
        for handle in opened:
            handle.close()


_FIRST_RECORD = re.compile(rb"<(?:PubmedArticle|PubmedBookArticle|DeleteCitation)[\s>/]")
_RECORD_ENDS = (b"</PubmedArticle>", b"</PubmedBookArticle>")
_ROOT_OPEN = re.compile(rb"<([A-Za-z][\w.-]*)[^>]*>\s*$")


def split_documents(source: Source, block_bytes: int = 8 << 20) -> Iterator[bytes]:
    """The file as small PubMed XML documents of whole records, about ``block_bytes`` each, read a block at a time
    (gunzipped when needed): the first document is the file's start, each later one the file's head (XML
    declaration, DOCTYPE, root tag) before its records, every one but the last closed with the root's end tag.
    Parsing them one by one yields the file's records in order, so they can be parsed in parallel.

    A cut is made only just after a record's end tag. Should that tag stand inside a comment or CDATA section,
    the documents on either side are not well-formed and their parser says so: a caller then parses the file
    whole, which says whether the file itself is broken, and where.
    """
    stream, name, opened = _open(source)
    try:
        buffer = b""
        head = b""
        close = b""
        first = True
        while True:
            data = stream.read(block_bytes)
            buffer += data
            if not close:
                found = _FIRST_RECORD.search(buffer)
                if found is None and data:
                    continue
                head = buffer[: found.start()] if found else buffer
                root = _ROOT_OPEN.search(head)
                close = b"</" + (root.group(1) if root else b"PubmedArticleSet") + b">\n"
            if not data:  # the end of the file: the rest, with the file's own end tag
                if buffer or first:
                    yield buffer if first else head + buffer
                return
            cut = max(_after_last(buffer, end) for end in _RECORD_ENDS)
            if cut > len(head if first else b""):
                yield (buffer[:cut] if first else head + buffer[:cut]) + close
                buffer, first = buffer[cut:], False
    except (OSError, EOFError) as err:
        raise PubmedXMLError(f"{name}: cannot read ({err})") from None
    finally:
        for handle in opened:
            handle.close()


def _after_last(data: bytes, tag: bytes) -> int:
    """The offset just after the last ``tag`` in ``data``; -1 when there is none."""
    at = data.rfind(tag)
    return at + len(tag) if at >= 0 else -1


def _refuse_entities(elem: Any, name: str) -> None:
    """PubMed XML never declares entities; a document that does is refused (XXE, entity tricks)."""
    dtd = elem.getroottree().docinfo.internalDTD
    entities = [entity.name for entity in dtd.iterentities()] if dtd is not None else []
    if entities:
        shown = ", ".join(entities[:3]) + (", ..." if len(entities) > 3 else "")
        raise PubmedXMLError(f"{name}: declares XML entities ({shown}); PubMed XML never does, so it is refused")


def _with_raw(record: Record, elem: Any) -> Record:
    from dataclasses import replace

    return replace(record, raw=etree.tostring(elem, encoding="utf-8"))
