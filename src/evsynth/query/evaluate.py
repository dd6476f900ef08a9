"""A parsed PubMed query evaluated over :class:`~evsynth.models.Record`s.

Words are compared folded (lower case, accents and punctuation aside: "treatment-resistant" is the phrase
"treatment resistant"); a phrase is its words in a row; a truncated word matches every word it begins. Fields:

* ``ti``, ``ab``; ``tiab`` is title, abstract and author keywords (as PubMed's [tiab] has been since 2022);
  ``kw`` the keywords; ``tw`` adds MeSH headings and publication types; ``all`` (an untagged term) adds the
  authors and the journal. PubMed's automatic term mapping is not imitated: an untagged term is looked for
  in those fields as written.
* ``mh`` a MeSH descriptor and, with a :class:`~evsynth.query.mesh.MeshTree`, every descriptor below it;
  ``mh:noexp`` the descriptor alone; ``majr`` (``majr:noexp``) the same among major topics. Qualifiers
  (``Depression/genetics[mh]``) are not read.
* ``pt`` publication type, ``la`` language (a name or its code), ``ta`` journal (its title, ISO or MEDLINE
  abbreviation), ``au`` an author (``Smith J``: surname and initials, or a surname alone), ``1au`` the first.
* ``dp`` publication date, ``edat`` Entrez date: a year, a month or a day, or a range of them; a record
  dated by its year only is in a range that contains any part of that year. ``uid`` a PMID or a range.
* ``doi`` the DOI; ``aid`` the DOI or the PMC id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

from evsynth.models import Record, normalize_doi
from evsynth.query.mesh import MeshTree
from evsynth.query.parser import Bool, Node, Range, Term, parse_query
from evsynth.text import fold

Words = tuple[str, ...]


@cache
def _languages() -> dict[str, str]:
    text = resources.files("evsynth.query").joinpath("data", "languages.tsv").read_text(encoding="utf-8")
    pairs = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {name.strip(): code.strip() for name, code in pairs}


def _words(text: str) -> Words:
    return tuple(fold(text).split())


def _has_phrase(sequence: Words, phrase: Words, truncated: bool) -> bool:
    size = len(phrase)
    if not size or len(sequence) < size:
        return False
    head, last = phrase[:-1], phrase[-1]
    for start in range(len(sequence) - size + 1):
        if sequence[start : start + size - 1] != head:
            continue
        word = sequence[start + size - 1]
        if word == last or (truncated and word.startswith(last)):
            return True
    return False


def date_span(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day a date written as a year, a month or a day stands for (None: not a date)."""
    parts = [int(p) for p in text.replace("-", "/").split("/") if p.isdigit()]
    try:
        if len(parts) == 1:
            return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
        if len(parts) == 2:
            first = dt.date(parts[0], parts[1], 1)
            following = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
        if len(parts) == 3:
            day = dt.date(*parts)
            return day, day
    except ValueError:
        return None
    return None


@dataclass
class _View:
    """The searchable fields of one record, folded once."""

    record: Record

    @cached_property
    def title(self) -> list[Words]:
        return [_words(self.record.title)]

    @cached_property
    def abstract(self) -> list[Words]:
        return [_words(self.record.abstract)]

    @cached_property
    def keywords(self) -> list[Words]:
        return [_words(k) for k in self.record.keywords]

    @cached_property
    def mesh_names(self) -> set[str]:
        return {fold(h.name) for h in self.record.mesh}

    @cached_property
    def major_names(self) -> set[str]:
        return {fold(h.name) for h in self.record.mesh if h.major}

    @cached_property
    def pub_types(self) -> set[str]:
        return {fold(p) for p in self.record.pub_types}

    @cached_property
    def text_words(self) -> list[Words]:
        return [*self.title, *self.abstract, *self.keywords, *(tuple(n.split()) for n in self.mesh_names),
                *(tuple(p.split()) for p in self.pub_types)]  # fmt: skip

    @cached_property
    def all_fields(self) -> list[Words]:
        names = [_words(f"{a.last_name} {a.initials}" if a.last_name else a.collective_name)
                 for a in self.record.authors]  # fmt: skip
        journals = [_words(j) for j in (self.record.journal, self.record.journal_iso, self.record.journal_medline)]
        return [*self.text_words, *names, *journals]

    @cached_property
    def journals(self) -> set[str]:
        return {fold(j) for j in (self.record.journal, self.record.journal_iso, self.record.journal_medline) if j}

    @cached_property
    def title_abstract(self) -> list[Words]:
        return [*self.title, *self.abstract, *self.keywords]

    def sequences(self, name: str) -> list[Words]:
        """The word sequences of a text field, folded only when a term asks for that field."""
        return getattr(self, _SEQUENCES[name])  # type: ignore[no-any-return]


# a text field tag -> the _View property holding its word sequences
_SEQUENCES = {"ti": "title", "ab": "abstract", "tiab": "title_abstract", "kw": "keywords", "tw": "text_words",
              "all": "all_fields"}  # fmt: skip


@dataclass
class Evaluator:
    """Evaluates a query over records; ``unexploded`` collects the MeSH terms it could not explode (no tree
    given, or a descriptor the tree does not have), for the caller to report."""

    query: Node
    mesh: MeshTree | None = None
    unexploded: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, query: str, mesh: MeshTree | None = None) -> Evaluator:
        return cls(parse_query(query), mesh)

    def matches(self, record: Record) -> bool:
        return self._node(self.query, _View(record))

    def select(self, records: Iterable[Record]) -> list[Record]:
        """The records the query finds, in the order given."""
        return [record for record in records if self.matches(record)]

    def matches_node(self, node: Node, record: Record) -> bool:
        """Whether one part of the query (a block, a term) finds ``record``."""
        return self._node(node, _View(record))

    def _node(self, node: Node, view: _View) -> bool:
        if isinstance(node, Bool):
            left = self._node(node.left, view)
            if node.op == "AND":
                return left and self._node(node.right, view)
            if node.op == "OR":
                return left or self._node(node.right, view)
            return left and not self._node(node.right, view)
        if isinstance(node, Range):
            return self._range(node.low, node.high, node.field, view.record)
        return self._term(node, view)

    def _term(self, term: Term, view: _View) -> bool:
        name = term.field
        if name in _SEQUENCES:
            phrase = _words(" ".join(term.words))
            return any(_has_phrase(sequence, phrase, term.truncated) for sequence in view.sequences(name))
        if name in ("mh", "mh:noexp", "majr", "majr:noexp"):
            headings = view.major_names if name.startswith("majr") else view.mesh_names
            return self._mesh(term, headings, explode=not name.endswith(":noexp"))
        if name == "pt":
            return _named(term, view.pub_types)
        if name == "ta":
            return _named(term, view.journals)
        if name == "la":
            wanted = fold(term.text.rstrip("*"))
            code = _languages().get(wanted, wanted)
            return any(fold(language) == code for language in view.record.languages)
        if name in ("au", "1au"):
            authors = view.record.authors[:1] if name == "1au" else view.record.authors
            return any(_author(term, a.last_name, a.initials, a.collective_name) for a in authors)
        if name in ("dp", "edat", "uid"):
            text = term.text
            return self._range(text, text, name, view.record)
        if name in ("doi", "aid"):
            doi = normalize_doi(term.text)
            pmcid = term.text.strip().upper()
            return bool(doi and doi == view.record.doi_normalized) or (
                name == "aid" and bool(pmcid) and pmcid == view.record.pmcid.upper()
            )
        raise AssertionError(f"a field the parser does not give: {name}")

    def _mesh(self, term: Term, headings: set[str], *, explode: bool) -> bool:
        wanted = fold(term.text.rstrip("*"))
        if term.truncated:
            return any(h.startswith(wanted) for h in headings)
        names = {wanted}
        if explode:
            if self.mesh is not None and wanted in self.mesh:
                names = self.mesh.narrower(wanted)
            else:
                self.unexploded.add(term.text)
        return bool(names & headings)

    @staticmethod
    def _range(low: str, high: str, name: str, record: Record) -> bool:
        if name == "uid":
            return record.pmid.isdigit() and int(low) <= int(record.pmid) <= int(high)
        written = record.entrez_date if name == "edat" else record.pub_date or str(record.pub_year or "")
        span, first, last = date_span(written), date_span(low), date_span(high)
        if span is None or first is None or last is None:
            return False
        return span[0] <= last[1] and first[0] <= span[1]


def _named(term: Term, names: set[str]) -> bool:
    wanted = fold(" ".join(term.words))
    return any(n.startswith(wanted) for n in names) if term.truncated else wanted in names


def _author(term: Term, last_name: str, initials: str, collective: str) -> bool:
    words = _words(term.text.rstrip("*"))
    if not words:
        return False
    if collective and not last_name:
        return fold(collective) == " ".join(words)
    surname, given = fold(last_name), "".join(words[1:])
    if term.truncated and len(words) == 1:
        return surname.startswith(words[0])
    return surname == words[0] and fold(initials).replace(" ", "").startswith(given)
