"""A local E-utilities server on 127.0.0.1 for tests, benchmarks and the demo cassette.

It serves PubMed XML records from memory the way E-utilities does, closely
enough for evsynth's client:

* ``esearch.fcgi`` (GET or POST, XML or ``retmode=json``): history server (WebEnv/QueryKey),
  ``retstart``/``retmax``, the 9,999-id limit (configurable), a date window
  (``datetype`` pdat/edat/mdat with ``mindate``/``maxdate``), and a PMID range
  clause ``lo:hi[uid]``. A term made only of ``"DOI"[aid]``/``[doi]``, ``word[ti]``,
  ``name[au]``, ``year[dp]`` and ``PMID[pmid]`` clauses, all joined by OR or all by AND, is
  matched against the records (what citation lookups send); OR answers are not ranked. Any other term matches the
  whole corpus: the corpus *is* the search result. ``QueryTranslation`` echoes the term.
* ``ecitmatch.cgi``: ``bdata`` lines ``journal|year|volume|first_page|author|key|``
  answered with the line and a PMID, ``AMBIGUOUS`` or ``NOT_FOUND``, as NCBI's matcher does.
* ``efetch.fcgi`` (GET or POST): ``id`` lists, or ``WebEnv`` + ``query_key`` with
  ``retstart``/``retmax``.
* A rate limit (``Corpus.rate_limit`` requests/s, NCBI's 3 or 10): a token
  bucket; a request over it gets HTTP 429 with NCBI's JSON body and
  ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` headers.
* Faults, injected at a chosen rate with a seeded RNG: HTTP 429, 500/502/503, a
  dropped connection, a slow answer, truncated XML, an HTTP 200 with an
  ``<ERROR>`` body or an empty body, invalid UTF-8 in the XML, an entity bomb
  (billion laughs) in the document type, an expired WebEnv (history requests only).

:class:`SyntheticCorpus` serves any number of generated records (100,000 and
more), building each record's XML only when it is fetched. Start a server with
:func:`serving` (a context manager yielding the base URL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from evsynth.audit.references import first_page
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.models import Record, iso_day, normalize_doi
from evsynth.sources.dedupe import fold_title
from evsynth.testing.synthetic import FIRST_PMID, article_xml, generated_entry

FAULTS = (
    "429", "500", "502", "503", "drop", "slow", "truncate", "error200", "empty", "garbled", "entities", "expired",
)  # fmt: skip
# "Billion laughs": nine entities, each ten of the one before; &i; would expand to 10**9 "lol"s.
ENTITY_BOMB = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
)
_UID_RANGE = re.compile(r"\s+AND\s+(\d+):(\d+)\[uid\]\s*$")
_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)


@dataclass(frozen=True)
class ServedRecord:
    """One record the server knows: its XML and the dates esearch filters on."""

    pmid: str
    xml: bytes
    pdat: tuple[dt.date, ...]
    edat: dt.date | None
    mdat: dt.date | None
    record: Record | None = field(default=None, compare=False, repr=False)  # for term and citation matching

    @classmethod
    def from_record(cls, record: Record) -> ServedRecord:
        """Build from a parsed record that kept its raw XML."""
        pdat = tuple(d for d in (iso_day(record.pub_date), iso_day(record.electronic_date)) if d)
        return cls(record.pmid, record.raw, pdat, iso_day(record.entrez_date), iso_day(record.revised_date), record)


def _words(text: str) -> list[str]:
    return fold_title(text).split()


_CLAUSE = re.compile(r'^"?([^"\[\]]+?)"?\[(aid|doi|ti|au|dp|pmid|uid)\]$', re.IGNORECASE)


def term_matcher(term: str) -> Callable[[Record], bool] | None:
    """A predicate for a citation-lookup term (see the module docstring), or None for any other term."""
    for joiner in (" OR ", " AND "):
        clauses = [c.strip() for c in term.split(joiner)]
        parsed = [_CLAUSE.match(c) for c in clauses]
        if not all(parsed) or any(" OR " in c or " AND " in c for c in clauses):
            continue
        tests = [(m.group(2).lower(), m.group(1).strip()) for m in parsed if m]

        def one(record: Record, kind: str, value: str) -> bool:
            if kind in ("aid", "doi"):
                return normalize_doi(value) == record.doi_normalized != ""
            if kind == "ti":
                wanted = _words(value)
                return bool(wanted) and set(wanted) <= set(_words(record.title))
            if kind == "au":
                names = [_words(a.last_name or a.collective_name) for a in record.authors]
                return _words(value)[:1] in [n[:1] for n in names]
            if kind == "dp":
                return str(record.pub_year or "") == value
            return record.pmid == value

        def matches(record: Record, tests: list[tuple[str, str]] = tests, any_of: bool = joiner == " OR ") -> bool:
            results = (one(record, kind, value) for kind, value in tests)
            return any(results) if any_of else all(results)

        return matches
    return None


def _journal_key(text: str) -> str:
    return " ".join(_words(text))


def citation_match(records: Iterable[Record], line: str) -> str:
    """NCBI's answer for one ``ecitmatch.cgi`` bdata line: the line with a PMID, ``AMBIGUOUS`` or ``NOT_FOUND``."""
    parts = (line.split("|") + [""] * 6)[:6]
    journal, year, volume, page, author = (p.strip() for p in parts[:5])
    found = []
    for record in records:
        if journal and _journal_key(journal) not in (_journal_key(record.journal), _journal_key(record.journal_iso)):
            continue
        if year and str(record.pub_year or "") != year:
            continue
        if volume and record.volume != volume:
            continue
        if page and first_page(record.pages) != page:
            continue
        if author and record.authors and _words(author)[:1] != _words(record.authors[0].last_name)[:1]:
            continue
        found.append(record.pmid)
    answer = found[0] if len(found) == 1 else f"AMBIGUOUS {','.join(found)}" if found else "NOT_FOUND"
    return "|".join(parts) + "|" + answer


@dataclass
class FaultPlan:
    """Which faults to inject, how often, from a seeded RNG."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULTS
    seed: int = 0
    slow_seconds: float = 1.0
    rng: random.Random = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """A fault for this request, or None."""
        with self._lock:
            if self.rate and self.rng.random() < self.rate:
                return self.rng.choice(self.kinds)
        return None


class TokenBucket:
    """At most ``rate`` requests per second, bursts up to ``rate`` (as NCBI counts them)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.tokens = rate
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        """Take one token if there is one; return (allowed, tokens left)."""
        with self._lock:
            now = self._clock()
            self.tokens = min(self.rate, self.tokens + (now - self._last) * self.rate)
            self._last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True, int(self.tokens)
            return False, 0


class Corpus:
    """The records a server serves, in PMID order, and its history server."""

    def __init__(
        self, records: Iterable[ServedRecord], *, id_limit: int = 9999, rate_limit: float | None = None
    ) -> None:
        self.records = {r.pmid: r for r in records}
        self.order = sorted(self.records, key=int, reverse=True)
        self.id_limit = id_limit
        self.rate_limit = rate_limit
        self.history: dict[str, list[str]] = {}
        self._counter = itertools.count(1)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []

    @classmethod
    def from_xml(cls, *sources: bytes | str, id_limit: int = 9999) -> Corpus:
        """Build from PubMed XML files or bytes."""
        served = [
            ServedRecord.from_record(record) for source in sources for record in iter_pubmed_xml(source, keep_raw=True)
        ]
        return cls(served, id_limit=id_limit)

    def xml(self, pmid: str) -> bytes:
        """The ``PubmedArticle`` XML of a served record."""
        return self.records[pmid].xml

    def add(self, records: Iterable[ServedRecord]) -> None:
        """Add (or replace) records, as PubMed does when new papers are indexed."""
        with self.lock:
            for record in records:
                self.records[record.pmid] = record
            self.order = sorted(self.records, key=int, reverse=True)

    def search(self, params: dict[str, str]) -> list[str]:
        """PMIDs matching the date window and PMID range of ``params``."""
        term = params.get("term", "")
        low, high = 0, 10**10
        match = _UID_RANGE.search(term)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
        field_name = params.get("datetype", "pdat")
        start = _parse_date(params.get("mindate", ""))
        end = _parse_date(params.get("maxdate", ""), last=True)
        matcher = term_matcher(term)
        hits = []
        for pmid in self.order:
            if not low <= int(pmid) <= high:
                continue
            record = self.records[pmid]
            if matcher is not None and (record.record is None or not matcher(record.record)):
                continue
            if start or end:
                if field_name == "pdat":
                    dates: tuple[dt.date | None, ...] = record.pdat
                else:
                    dates = (record.edat if field_name == "edat" else record.mdat,)
                lo, hi = start or dt.date.min, end or dt.date.max
                if not any(d and lo <= d <= hi for d in dates):
                    continue
            hits.append(pmid)
        return hits

    def remember(self, ids: list[str]) -> tuple[str, str]:
        """Store a result on the history server; return (WebEnv, query_key)."""
        number = next(self._counter)
        webenv = f"MCID_{number:024x}"
        self.history[webenv] = ids
        return webenv, "1"


class SyntheticCorpus(Corpus):
    """``count`` generated synthetic records (PMIDs from 90000001), each record's XML built when fetched.

    Only the dates esearch filters on are kept in memory. ``crowded_day`` (a date, a
    number) puts that many of the records on one day, for searches that must be
    split below a single day.
    """

    def __init__(
        self,
        count: int,
        *,
        start: dt.date = dt.date(2021, 1, 1),
        days: int = 1612,
        crowded_day: tuple[dt.date, int] | None = None,
        id_limit: int = 9999,
        rate_limit: float | None = None,
    ) -> None:
        self.start, self.days, self.crowded_day = start, days, crowded_day
        served = []
        for index in range(count):
            day = self._date(index)
            served.append(ServedRecord(str(FIRST_PMID + index), b"", (day,), day, day + dt.timedelta(days=30)))
        super().__init__(served, id_limit=id_limit, rate_limit=rate_limit)

    def _entry(self, index: int) -> dict[str, object]:
        entry = generated_entry(index, start=self.start, days=self.days)
        if self.crowded_day and index < self.crowded_day[1]:
            entry["date"] = self.crowded_day[0].isoformat()
        return entry

    def _date(self, index: int) -> dt.date:
        return dt.date.fromisoformat(str(self._entry(index)["date"]))

    def xml(self, pmid: str) -> bytes:
        """Build the record's XML (records added later with :meth:`add` keep theirs)."""
        stored = self.records[pmid]
        return stored.xml or article_xml(self._entry(int(pmid) - FIRST_PMID))


def _parse_date(text: str, *, last: bool = False) -> dt.date | None:
    parts = [p for p in re.split(r"[/-]", text.strip()) if p]
    if not parts:
        return None
    return iso_day("-".join(parts), last=last)


def esearch_xml(count: int, ids: list[str], retstart: int, webenv: str, query_key: str, term: str) -> bytes:
    """An eSearchResult body in NCBI's layout."""
    id_lines = "".join(f"<Id>{i}</Id>\n" for i in ids)
    history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax><RetStart>{retstart}</RetStart>"
        f"{history}<IdList>\n{id_lines}</IdList><TranslationSet/>"
        f"<QueryTranslation>{escape(term)}</QueryTranslation></eSearchResult>\n"
    ).encode()


def esearch_json(count: int, ids: list[str], retstart: int, webenv: str, query_key: str, term: str) -> bytes:
    """An esearch ``retmode=json`` body in NCBI's layout (numbers as strings)."""
    result: dict[str, object] = {
        "count": str(count), "retmax": str(len(ids)), "retstart": str(retstart), "idlist": ids,
        "translationset": [], "querytranslation": term,
    }  # fmt: skip
    if webenv:
        result.update(querykey=query_key, webenv=webenv)
    header = {"type": "esearch", "version": "0.3"}
    return json.dumps({"header": header, "esearchresult": result}).encode()


def _spoiled(body: bytes, how: str) -> bytes:
    """The answer cut in half, with invalid UTF-8 inside, or with an entity bomb the document uses."""
    if how == "truncate":
        return body[: max(40, len(body) // 2)]
    if how == "garbled":
        middle = len(body) // 2
        cut = body.rfind(b">", 0, middle) + 1  # between elements, so only the encoding is wrong
        return body[:cut] + b"<Note>caf\xe9 \xff\xfe</Note>" + body[cut:]
    root = next(m.start() for m in re.finditer(rb"<[^?!]", body))  # the root element, after prolog and DOCTYPE
    close = body.index(b">", root) + 1
    name = re.split(rb"[\s>/]", body[root + 1 : close])[0]
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE ' + name + b" [" + ENTITY_BOMB.encode() + b"]>\n"
    return bomb + body[root:close] + b"<Note>&i;</Note>" + body[close:]


def _error_xml(root: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}>\n\t<ERROR>{escape(message)}</ERROR>\n</{root}>\n'.encode()
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    spoil = ""  # a fault applied to the real answer (truncate, garbled, entities); set per request
    rate_headers: dict[str, str]
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr logging."""

    def _params(self) -> dict[str, str]:
        query = parse_qs(urlparse(self.path).query)
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            query.update(parse_qs(self.rfile.read(length).decode("utf-8")))
        return {key: values[-1] for key, values in query.items()}

    def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=UTF-8", **headers: str) -> None:
        if self.spoil and status == 200:
            body = _spoiled(body, self.spoil)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**self.rate_headers, **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """Answer GET like POST."""
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        """Answer an E-utilities call."""
        self._answer()

    def _answer(self) -> None:
        self.spoil = ""
        self.rate_headers = {}
        endpoint = urlparse(self.path).path.rsplit("/", 1)[-1]
        params = self._params()
        corpus = self.server.corpus
        with corpus.lock:
            corpus.requests.append((endpoint, params))
        if self.server.bucket and not self._within_rate():
            return
        fault = self.server.faults.draw()
        if fault and self._inject(fault, endpoint, params):
            return
        if endpoint == "esearch.fcgi":
            self._esearch(params)
        elif endpoint == "efetch.fcgi":
            self._efetch(params)
        elif endpoint == "ecitmatch.cgi":
            self._ecitmatch(params)
        else:
            self._send(404, _error_xml("eResult", f"unknown endpoint {endpoint}"))

    def _within_rate(self) -> bool:
        bucket = self.server.bucket
        assert bucket is not None
        allowed, left = bucket.take()
        self.rate_headers = {"X_RateLimit_Limit": str(int(bucket.rate)), "X_RateLimit_Remaining": str(left)}
        if not allowed:
            with self.server.corpus.lock:
                self.server.refused += 1
            self._too_many(int(bucket.rate))
        return allowed

    def _too_many(self, limit: int) -> None:
        body = json.dumps(
            {
                "error": "API rate limit exceeded",
                "api-key": self.client_address[0],
                "count": str(limit + 1),
                "limit": str(limit),
            }  # fmt: skip
        ).encode()
        self._send(429, body + b"\n", "application/json")

    def _inject(self, fault: str, endpoint: str, params: dict[str, str]) -> bool:
        if fault == "expired" and not params.get("WebEnv"):
            return False  # only a history request can meet an expired WebEnv
        with self.server.corpus.lock:
            self.server.injected[fault] = self.server.injected.get(fault, 0) + 1
        if fault == "429":
            self._too_many(3)
        elif fault == "slow":
            time.sleep(self.server.faults.slow_seconds)
            return False  # then the real answer, late
        elif fault == "expired":
            with self.server.corpus.lock:
                self.server.corpus.history.pop(params["WebEnv"], None)
            return False  # the history lookup now fails as NCBI's does
        elif fault in ("500", "502", "503"):
            self._send(int(fault), b"<html><body>Service unavailable</body></html>", "text/html")
        elif fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
        elif fault == "error200":
            root = "eSearchResult" if endpoint == "esearch.fcgi" else "eFetchResult"
            self._send(200, _error_xml(root, "Search Backend failed: temporary fault"))
        elif fault == "empty":
            self._send(200, b"")
        else:
            self.spoil = fault  # truncate, garbled or entities: applied to the real answer by _send
            return False
        return True

    def _esearch(self, params: dict[str, str]) -> None:
        corpus = self.server.corpus
        retstart = int(params.get("retstart", "0"))
        retmax = int(params.get("retmax", "20"))
        as_json = params.get("retmode") == "json"
        if retstart > corpus.id_limit - 1:
            message = (
                f"Search Backend failed: Exception:\n'retstart' cannot be larger than {corpus.id_limit - 1}. "
                f"For PubMed, ESearch can only retrieve the first {corpus.id_limit} records matching the query."
            )
            if as_json:
                body = json.dumps({"header": {"type": "esearch"}, "esearchresult": {"ERROR": message}}).encode()
                self._send(200, body, "application/json; charset=UTF-8")
            else:
                self._send(200, _error_xml("eSearchResult", message))
            return
        with corpus.lock:
            hits = corpus.search(params)
            webenv, key = corpus.remember(hits) if params.get("usehistory") == "y" else ("", "")
        visible = hits[: corpus.id_limit]
        ids = visible[retstart : retstart + min(retmax, corpus.id_limit)]
        if as_json:
            body = esearch_json(len(hits), ids, retstart, webenv, key, params.get("term", ""))
            self._send(200, body, "application/json; charset=UTF-8")
        else:
            self._send(200, esearch_xml(len(hits), ids, retstart, webenv, key, params.get("term", "")))

    def _efetch(self, params: dict[str, str]) -> None:
        corpus = self.server.corpus
        if params.get("id"):
            ids = [i.strip() for i in params["id"].split(",") if i.strip()]
        elif params.get("WebEnv"):
            with corpus.lock:
                stored = corpus.history.get(params["WebEnv"])
            if stored is None:
                self._send(200, _error_xml("eFetchResult", "Unable to obtain query #1"))
                return
            start = int(params.get("retstart", "0"))
            ids = stored[start : start + int(params.get("retmax", "20"))]
        else:
            self._send(400, _error_xml("eFetchResult", "Empty id list - nothing todo"))
            return
        parts = [corpus.xml(i) for i in ids if i in corpus.records]
        self._send(200, _HEAD + b"\n".join(parts) + b"\n</PubmedArticleSet>\n")

    def _ecitmatch(self, params: dict[str, str]) -> None:
        corpus = self.server.corpus
        lines = [line for line in re.split(r"[\r\n]+", params.get("bdata", "")) if line.strip()]
        if not lines:
            self._send(400, b"Missing bdata\n", "text/plain")
            return
        records = [r.record for r in corpus.records.values() if r.record is not None]
        answer = "\n".join(citation_match(records, line) for line in lines) + "\n"
        self._send(200, answer.encode(), "text/plain; charset=UTF-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (a timed-out slow answer, a killed harvest) is not an error here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def __init__(self, corpus: Corpus, faults: FaultPlan, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.corpus = corpus
        self.faults = faults
        self.injected: dict[str, int] = {}
        self.bucket = TokenBucket(corpus.rate_limit) if corpus.rate_limit else None
        self.refused = 0


@dataclass
class RunningServer:
    """A started server: its base URL, corpus and fault counters."""

    url: str
    corpus: Corpus
    server: _Server

    @property
    def injected(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        return self.server.injected

    @property
    def refused(self) -> int:
        """Requests answered 429 by the rate limit (injected 429 faults not counted)."""
        return self.server.refused


@contextlib.contextmanager
def serving(corpus: Corpus, *, faults: FaultPlan | None = None, port: int = 0) -> Iterator[RunningServer]:
    """Serve ``corpus`` on 127.0.0.1 (``port``, or a free one) for the duration of the block."""
    plan = faults or FaultPlan()
    server = _Server(corpus, plan, port)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="eutils-server", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield RunningServer(url=f"http://{host!s}:{port}/entrez/eutils/", corpus=corpus, server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
