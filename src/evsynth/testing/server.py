"""A local E-utilities server on 127.0.0.1 for tests, benchmarks and the demo cassette.

It serves PubMed XML records from memory the way E-utilities does, closely
enough for evsynth's client:

* ``esearch.fcgi`` (GET or POST, XML or ``retmode=json``): history server (WebEnv/QueryKey),
  ``retstart``/``retmax``, the 9,999-id limit (configurable), a date window
  (``datetype`` pdat/edat/mdat with ``mindate``/``maxdate``), and a PMID range
  clause ``lo:hi[uid]``. A term made only of ``"DOI"[aid]``/``[doi]``, ``word[ti]``,
  ``name[au]``, ``year[dp]`` and ``PMID[pmid]`` clauses, all joined by OR or all by AND, is
  matched against the records (what citation lookups send); OR answers are not ranked. Any other term matches the
  whole corpus (the corpus *is* the search result), unless the corpus is told to evaluate queries
  (``Corpus.evaluate_queries``, ``evsynth test-server --evaluate-queries``): then evsynth's query engine
  (:mod:`evsynth.query`) decides, so a protocol's real strategy is exercised; a term PubMed would refuse finds
  nothing. ``QueryTranslation`` echoes the term.
* ``ecitmatch.cgi``: ``bdata`` lines ``journal|year|volume|first_page|author|key|``
  answered with the line and a PMID, ``AMBIGUOUS`` or ``NOT_FOUND``, as NCBI's matcher does.
* ``efetch.fcgi`` (GET or POST): ``id`` lists, or ``WebEnv`` + ``query_key`` with
  ``retstart``/``retmax``.
* PubTator3's ``publications/export/biocjson?pmids=...`` (GET): the BioC-JSON documents of
  ``Corpus.annotations`` for the PMIDs asked, in PubTator3's ``{"PubTator3": [...]}`` answer; a PMID it has no
  document for is left out, as PubTator3 leaves it out. ``Corpus.pubtator3_fault`` spoils every answer:
  ``html`` (an error page with HTTP 200) or ``truncate`` (half the JSON).
* A rate limit (``Corpus.rate_limit`` requests/s, NCBI's 3 or 10): a token
  bucket; a request over it gets HTTP 429 with NCBI's JSON body and
  ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` headers.
* Faults, injected at a chosen rate with a seeded RNG: HTTP 429, 500/502/503, a
  dropped connection, a slow answer, truncated XML, an HTTP 200 with an
  ``<ERROR>`` body or an empty body, invalid UTF-8 in the XML, an entity bomb
  (billion laughs) in the document type, an expired WebEnv (history requests only).
  Two more are only injected when asked for by name (``HOSTILE``): ``drip`` sends the answer's body one byte
  per ``slow_seconds`` and ``drip_head`` its headers so, as a server that never quite stops answering would.

:class:`SyntheticCorpus` serves any number of generated records (100,000 and
more), building each record's XML only when it is fetched. Start a server with
:func:`serving` (a context manager yielding the base URL).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from evsynth.testing.corpus import Corpus, citation_match

FAULTS = (
    "429", "500", "502", "503", "drop", "slow", "truncate", "error200", "empty", "garbled", "entities", "expired",
)  # fmt: skip
HOSTILE = ("drip", "drip_head")  # a whole answer takes (much) longer than any one read: only when asked for
# "Billion laughs": nine entities, each ten of the one before; &i; would expand to 10**9 "lol"s.
ENTITY_BOMB = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
)
_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)


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
        if self.spoil in ("drip", "drip_head"):
            self._drip(status, body, content_type)
            return
        if self.spoil and status == 200:
            body = _spoiled(body, self.spoil)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**self.rate_headers, **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, status: int, body: bytes, content_type: str) -> None:
        """The answer (its body, or its headers for drip_head) one byte per ``slow_seconds``."""
        head = (
            f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "X-Padding: " + "." * 200 + "\r\n\r\n"
        ).encode()
        slow, fast = (head, body) if self.spoil == "drip_head" else (body, b"")
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client gave up and hung up
            if self.spoil == "drip":
                self.wfile.write(head)
            for index in range(len(slow)):
                self.wfile.write(slow[index : index + 1])
                self.wfile.flush()
                time.sleep(self.server.faults.slow_seconds)
            self.wfile.write(fast)

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
        elif endpoint == "biocjson":
            self._pubtator3(params)
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
            self.spoil = fault  # truncate, garbled, entities, drip, drip_head: applied to the real answer by _send
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

    def _pubtator3(self, params: dict[str, str]) -> None:
        corpus = self.server.corpus
        pmids = [p.strip() for p in params.get("pmids", "").split(",") if p.strip()]
        body = json.dumps({"PubTator3": [corpus.annotations[p] for p in pmids if p in corpus.annotations]}).encode()
        if corpus.pubtator3_fault == "html":  # a proxy's error page, sent as a success
            self._send(200, b"<html><head><title>Service Temporarily Unavailable</title></head></html>", "text/html")
        elif corpus.pubtator3_fault == "truncate":
            self._send(200, body[: len(body) // 2], "application/json")
        else:
            self._send(200, body, "application/json")

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
