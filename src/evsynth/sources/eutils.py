"""HTTP to NCBI E-utilities and PubTator3: the only module that imports ``requests`` (and vcrpy).

One :class:`EUtils` client owns a ``requests.Session``, the base URL, the
``tool``/``email``/``api_key`` parameters NCBI asks for, a shared rate limiter
(3 requests/s, 10 with an API key), timeouts, and retries with exponential
back-off and full jitter on:

* HTTP 429 and 5xx (``Retry-After`` honoured),
* timeouts, connection errors and resets, truncated bodies,
* HTTP 200 bodies that carry an ``<ERROR>`` element or a JSON ``"error"``,
* bodies the caller's ``parse`` function rejects (truncated or unparsable XML).

Each request is made on a worker thread and must be answered whole, headers and body, within
``request_deadline`` seconds: ``timeout`` bounds only each wait for the next bytes, which a server that drips its
answer never exceeds. An answer larger than ``max_response_bytes`` is refused at once (no retry). Retries stop
after ``max_attempts`` or ``give_up_after`` seconds, whichever comes first, with
:class:`~evsynth.errors.HarvestGaveUp`; everything fetched before stays in the store. Every request and retry is
counted in :class:`RequestStats` for the run manifest.

esearch and efetch use POST, so long queries and id lists never hit URL length
limits and cassettes match on the request body; ecitmatch uses GET.

:class:`PubTator3` is the same client for PubTator3's export API (GET, at most 100 PMIDs a request, 3 requests/s
whatever the API key, which it neither needs nor is sent).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import re
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
import urllib3
from lxml import etree

from evsynth.config import Settings
from evsynth.errors import CassetteError, EutilsError, HarvestGaveUp
from evsynth.version import __version__

T = TypeVar("T")
SECRET_PARAMETERS = ("api_key", "email")
_ERROR_ELEMENT = re.compile(rb"<ERROR>\s*([^<]+?)\s*</ERROR>")


class RetryableBody(Exception):
    """A body that should be fetched again (truncated, unparsable, or an error message)."""


@dataclass
class RequestStats:
    """Counters for the run manifest."""

    requests: int = 0
    retries: int = 0
    retry_reasons: Counter[str] = field(default_factory=Counter)
    http_429: int = 0
    bytes_received: int = 0
    seconds_waiting: float = 0.0
    by_endpoint: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "retry_reasons": dict(self.retry_reasons),
            "http_429": self.http_429,
            "bytes_received": self.bytes_received,
            "seconds_waiting_for_rate_limit": round(self.seconds_waiting, 3),
            "by_endpoint": dict(self.by_endpoint),
        }


class RateLimiter:
    """At most ``rate`` request starts per second, shared by every thread of a client."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start; return the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


@dataclass(frozen=True)
class ESearchResult:
    """What esearch said about one query and date window."""

    count: int
    ids: tuple[str, ...]
    query_translation: str = ""
    webenv: str = ""
    query_key: str = ""
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def parse_esearch(body: bytes) -> ESearchResult:
    """Parse an esearch XML response.

    Raises:
        RetryableBody: the body is not a complete eSearchResult, or carries ``<ERROR>``.
    """
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as err:
        raise RetryableBody(f"unparsable esearch XML: {' '.join(err.msg.split())}") from None
    if root.tag != "eSearchResult":
        raise RetryableBody(f"unexpected esearch root <{root.tag}>")
    error = root.findtext("ERROR")
    if error and error.strip():
        raise RetryableBody(f"esearch ERROR: {error.strip()}")
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise RetryableBody("esearch response has no Count")
    return ESearchResult(
        count=int(count_text),
        ids=tuple(i.text.strip() for i in root.iterfind("IdList/Id") if i.text),
        query_translation=(root.findtext("QueryTranslation") or "").strip(),
        webenv=(root.findtext("WebEnv") or "").strip(),
        query_key=(root.findtext("QueryKey") or "").strip(),
        warnings=tuple(
            f"{w.tag}: {(w.text or '').strip()}" for w in root.iterfind("WarningList/*") if (w.text or "").strip()
        ),
        errors=tuple(
            f"{e.tag}: {(e.text or '').strip()}" for e in root.iterfind("ErrorList/*") if (e.text or "").strip()
        ),
    )


def body_error(body: bytes, content_type: str = "") -> str | None:
    """Return the error message an HTTP 200 body carries (``<ERROR>`` or JSON ``error``), or None.

    An empty ``<ERROR/>`` (as espell returns) is not an error.
    """
    head = body[:4096].lstrip()
    if head.startswith(b"{") or "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("error"):
            return str(data["error"])
        return None
    match = _ERROR_ELEMENT.search(body[:65536]) if b"<ERROR>" in body[:65536] else None
    if match and b"<PubmedArticle" not in body[: match.start()]:
        return match.group(1).decode("utf-8", "replace")
    return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:  # an HTTP date; anything else ('soon', '-1', garbage) is no advice, and the usual back-off applies
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _unreachable(err: BaseException) -> str | None:
    """Why no server will ever answer (its name does not resolve, or nothing listens), or None for a failure
    worth retrying (a reset, a dropped connection)."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens there)"
        if isinstance(cause, socket.gaierror) or "NameResolutionError" in type(cause).__name__:
            return "the host name does not resolve"
        nested = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "reason", None) or nested
    return None


def _shown_url(url: str) -> str:
    """The URL as messages, logs and the store may show it: without a user name or password."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _excerpt(body: bytes) -> str:
    """What an error page says, as one short line of text: markup and control characters dropped."""
    text = body[:2000].decode("utf-8", "replace")
    if re.search(r"<\s*(html|body|!doctype)", text, re.IGNORECASE):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = f"an HTML page{': ' + title.group(1) if title else ''}"
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text[:120] + ("..." if len(text) > 120 else "") or "(empty body)"


class EUtils:
    """A polite, retrying E-utilities client.

    Example:
        >>> client = EUtils(Settings(rate=None))  # doctest: +SKIP
        >>> client.esearch("ketamine[tiab]", retmax=0).count  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        """``on_retry`` is told, before each wait, why and for how long (the CLI shows it: no silent minute)."""
        self.settings = settings
        self.base_url = settings.eutils_url
        self._on_retry = on_retry
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"evsynth/{__version__} (+{settings.tool})"
        self.stats = RequestStats()
        self.limiter = RateLimiter(settings.rate, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    def _params(self, params: dict[str, str]) -> dict[str, str]:
        full = {**params, "tool": self.settings.tool}
        if self.settings.email:
            full["email"] = self.settings.email
        if self.settings.api_key:
            full["api_key"] = self.settings.api_key
        return full

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.settings.give_up_after)
        cap = min(self.settings.backoff_max, self.settings.backoff_base * 2**attempt)
        return self._rng.uniform(cap / 2, cap)

    def call(self, endpoint: str, params: dict[str, str], parse: Callable[[bytes], T], *, get: bool = False) -> T:
        """POST (or GET) ``params`` to ``endpoint`` (e.g. ``"efetch.fcgi"``) and return ``parse(body)``.

        Retries as described in the module docstring. ``parse`` may raise
        :class:`RetryableBody` to have the request made again.

        Raises:
            HarvestGaveUp: retries were exhausted (the message names the last problem).
            CassetteError: replaying, and the request is not in the cassette.
        """
        url = self.base_url + endpoint
        started = self._clock()
        last_problem = ""
        for attempt in range(self.settings.max_attempts):
            if attempt:
                self.stats.retries += 1
            self.stats.seconds_waiting += self.limiter.wait()
            self.stats.requests += 1
            self.stats.by_endpoint[endpoint] += 1
            retry_after = None
            try:
                response, body = self._exchange(url, self._params(params), get=get)
                self.stats.bytes_received += len(body)
                if response.status_code == 429 or response.status_code >= 500:
                    self.stats.http_429 += response.status_code == 429
                    retry_after = _retry_after(response)
                    raise RetryableBody(f"HTTP {response.status_code}")
                if 300 <= response.status_code < 400:
                    where = _shown_url(response.headers.get("Location", "") or "(no Location)")
                    raise EutilsError(
                        f"{_shown_url(url)}: HTTP {response.status_code} redirects to {where}; evsynth does not "
                        "follow redirects (your api_key and email stay with the server you named): set --eutils-url"
                    )
                if response.status_code != 200:
                    detail = body_error(body, response.headers.get("Content-Type", "")) or _excerpt(body)
                    raise EutilsError(f"{_shown_url(url)}: HTTP {response.status_code}: {detail}")
                problem = body_error(body, response.headers.get("Content-Type", ""))
                if problem:
                    raise RetryableBody(f"error in body: {problem}")
                if not body.strip():
                    raise RetryableBody("empty body")
                return parse(body)
            except (RetryableBody, _TooSlow) as err:
                last_problem = str(err)
            except requests.Timeout:
                last_problem = "timeout"
            except requests.ConnectionError as err:
                if (unreachable := _unreachable(err)) is not None:  # no answer will come: say so at once
                    raise EutilsError(f"{_shown_url(url)}: {unreachable}; check the address and the network") from None
                last_problem = f"connection error ({type(err).__name__})"
            except requests.RequestException as err:
                last_problem = f"request failed ({type(err).__name__})"
            except Exception as err:
                if _is_cassette_miss(err):
                    raise _cassette_miss(
                        err, url, f"{'GET' if get else 'POST'} {endpoint} ({_describe(params)})"
                    ) from None
                raise
            self.stats.retry_reasons[last_problem.split(":")[0]] += 1
            delay = self._backoff(attempt, retry_after)
            if self._clock() + delay - started > self.settings.give_up_after:
                break
            if self._on_retry:
                attempts = self.settings.max_attempts
                self._on_retry(f"retrying in {delay:.0f} s ({last_problem}), attempt {attempt + 2}/{attempts}")
            self._sleep(delay)
        tried = f"gave up after {attempt + 1} attempts ({_describe(params)})"
        raise HarvestGaveUp(f"{_shown_url(url)}: {tried}; last problem: {last_problem}")

    def _exchange(self, url: str, params: dict[str, str], *, get: bool) -> tuple[requests.Response, bytes]:
        """Send one request on a worker thread and return its response and whole body, read by the deadline.

        The worker reads the body as it arrives (one socket read at a time) and stops when told; a worker stuck
        in the headers is left behind (a daemon thread: it ends when the server hangs up or the read times out).
        """
        limit = self.settings.max_response_bytes
        stop = threading.Event()
        outcome: list[Any] = []

        def work() -> None:
            try:
                # never follow a redirect: a 307/308 would send api_key and email on to another server
                response = self.session.request(
                    "GET" if get else "POST", url, params=params if get else None, data=None if get else params,
                    timeout=self.settings.timeout, allow_redirects=False, stream=True,
                )  # fmt: skip
                with contextlib.closing(response):
                    outcome.append((response, _read_body(response, limit, stop)))
            except BaseException as err:  # handed to the caller's thread, which handles it
                outcome.append(err)

        worker = threading.Thread(target=work, name="evsynth-eutils-request", daemon=True)
        worker.start()
        worker.join(self.settings.request_deadline)
        if worker.is_alive():
            stop.set()
            raise _TooSlow(f"no whole answer within {self.settings.request_deadline:.0f} s")
        if isinstance(outcome[0], _TooLarge):
            raise EutilsError(
                f"{_shown_url(url)}: the answer is larger than {limit} bytes (max_response_bytes); ask for fewer "
                "records per request (harvest.batch_size)"
            ) from None
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]  # type: ignore[no-any-return]

    def esearch(
        self,
        term: str,
        *,
        mindate: str = "",
        maxdate: str = "",
        datetype: str = "pdat",
        retmax: int = 9999,
        retstart: int = 0,
        usehistory: bool = True,
        sort: str = "",
    ) -> ESearchResult:
        """Run an esearch on PubMed (with the history server by default; ``sort`` e.g. ``relevance``)."""
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "retstart": str(retstart)}
        if sort:
            params["sort"] = sort
        if usehistory:
            params["usehistory"] = "y"
        if mindate or maxdate:
            params.update(datetype=datetype, mindate=mindate or "1000/01/01", maxdate=maxdate or "3000/12/31")

        def parse_complete(body: bytes) -> ESearchResult:
            result = parse_esearch(body)
            if len(result.ids) < min(result.count - retstart, retmax):
                raise RetryableBody(f"esearch returned {len(result.ids)} ids for a count of {result.count}")
            return result

        return self.call("esearch.fcgi", params, parse_complete)

    def efetch(self, pmids: Sequence[str], parse: Callable[[bytes], T]) -> T:
        """Fetch PubMed XML for ``pmids`` in one POST; ``parse`` validates and converts the body."""
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}
        return self.call("efetch.fcgi", params, parse)

    def ecitmatch(self, lines: Sequence[str]) -> list[str]:
        """Match citations (``journal|year|volume|first_page|author|key|`` lines); the answer's lines.

        ECitMatch is the one E-utility that is called with GET (NCBI documents no POST form).
        """
        params = {"db": "pubmed", "retmode": "xml", "bdata": "\r".join(lines)}

        def parse(body: bytes) -> list[str]:
            answer = [line for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
            if len(answer) < len(lines):
                raise RetryableBody(f"ecitmatch answered {len(answer)} lines for {len(lines)} citations")
            return answer

        return self.call("ecitmatch.cgi", params, parse, get=True)


PUBTATOR3_BATCH = 100  # PMIDs per export request: PubTator3's documented limit


class PubTator3(EUtils):
    """PubTator3's export API, with the E-utilities client's retries, deadlines and cassettes.

    Example:
        >>> PubTator3(Settings()).export_biocjson(["90000001"], bytes)  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        # PubTator3 asks for at most three requests a second, key or not
        super().__init__(settings.with_rate(None if settings.rate is None else min(settings.rate, 3.0)), **kwargs)
        self.base_url = settings.pubtator3_url

    def _params(self, params: dict[str, str]) -> dict[str, str]:
        return dict(params)  # no tool, email or api_key: they are NCBI E-utilities' parameters

    def export_biocjson(self, pmids: Sequence[str], parse: Callable[[bytes], T]) -> T:
        """The BioC-JSON annotations of up to 100 ``pmids`` (one GET); ``parse`` validates and converts the body."""
        if len(pmids) > PUBTATOR3_BATCH:
            raise ValueError(f"at most {PUBTATOR3_BATCH} PMIDs a request, got {len(pmids)}")
        return self.call("publications/export/biocjson", {"pmids": ",".join(pmids)}, parse, get=True)


class _TooSlow(Exception):
    """The whole answer did not come by the request's deadline."""


class _TooLarge(Exception):
    """The answer is larger than the cap."""


_READ = 64 * 1024
_REQUESTS_ERROR: dict[type[Exception], type[requests.RequestException]] = {
    urllib3.exceptions.ProtocolError: requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.DecodeError: requests.exceptions.ContentDecodingError,
    urllib3.exceptions.SSLError: requests.exceptions.SSLError,
}


def _read_body(response: requests.Response, limit: int, stop: threading.Event) -> bytes:
    """The body (decoded), read until ``stop`` is set; larger than ``limit`` bytes: :class:`_TooLarge`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in _chunks(response.raw):
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            parts.append(chunk)
            if stop.is_set():
                raise _TooSlow("stopped")
    except urllib3.exceptions.HTTPError as err:  # as requests reports them when it reads the body itself
        raise _REQUESTS_ERROR.get(type(err), requests.ConnectionError)(str(err)) from None
    return b"".join(parts)


def _chunks(raw: Any) -> Iterator[bytes]:
    """The body's pieces as they arrive: on the wire one socket read at a time, so that a worker told to stop
    sees it at the next byte; a cassette's answer (in memory) as it is replayed."""
    if isinstance(raw, urllib3.HTTPResponse):
        while chunk := raw.read1(_READ, decode_content=True):
            yield chunk
    else:
        yield from (chunk for chunk in raw.stream(_READ, decode_content=True) if chunk)


def _describe(params: dict[str, str]) -> str:
    shown = []
    for key in ("term", "mindate", "maxdate", "id", "pmids", "retstart"):
        if key in params:
            value = params[key]
            if key in ("id", "pmids"):
                ids = value.split(",")
                value = f"{len(ids)} ids {ids[0]}..{ids[-1]}"
            shown.append(f"{key}={value[:60]}")
    return ", ".join(shown)


def _is_cassette_miss(err: Exception) -> bool:
    return type(err).__name__ == "CannotOverwriteExistingCassetteException"


def _origin(scheme: str, host: str, port: int | None) -> str:
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _cassette_miss(err: Any, url: str, request: str) -> CassetteError:
    """Why a replayed request found no answer: the cassette was recorded against another server, or for other
    input."""
    cassette = getattr(err, "cassette", None)
    name = getattr(cassette, "_path", "the cassette")
    recorded = sorted({_origin(r.scheme, r.host, r.port) for r in getattr(cassette, "requests", ())})
    parts = urllib.parse.urlsplit(url)
    asked = _origin(parts.scheme, parts.hostname or "", parts.port)
    if recorded and asked not in recorded:
        return CassetteError(
            f"{name}: recorded against {', '.join(recorded)}, and this replay asks {asked}: pass --eutils-url "
            "with the address it was recorded against (or unset EVSYNTH_EUTILS_URL)"
        )
    return CassetteError(
        f"{name}: no recorded answer for {request}; it was recorded for other input (another protocol, window, "
        "batch size or reference list)"
    )


def _vcr(record: bool) -> Any:
    import vcr

    return vcr.VCR(
        record_mode="all" if record else "none",
        match_on=("method", "scheme", "host", "port", "path", "query", "body"),
        filter_query_parameters=list(SECRET_PARAMETERS),
        filter_post_data_parameters=list(SECRET_PARAMETERS),
        filter_headers=["authorization", "cookie", "set-cookie"],
        decode_compressed_response=True,
    )


@contextlib.contextmanager
def replaying(cassette: Path) -> Iterator[None]:
    """Serve every E-utilities request from ``cassette``; nothing reaches the network.

    Raises:
        CassetteError: the cassette is missing or unreadable.
    """
    if not cassette.is_file():
        raise CassetteError(f"{cassette}: cassette not found")
    try:
        manager = _vcr(record=False).use_cassette(str(cassette))
        manager.__enter__()
    except Exception as err:  # vcrpy raises yaml/OS errors of several kinds
        raise CassetteError(f"{cassette}: not a readable vcrpy cassette ({type(err).__name__})") from None
    try:
        yield
    finally:
        manager.__exit__(None, None, None)


@contextlib.contextmanager
def recording(cassette: Path) -> Iterator[None]:
    """Record every E-utilities exchange into ``cassette`` (secrets filtered out).

    The cassette is written to a temporary file and renamed into place when the
    block ends, so an interrupted run never leaves half a cassette.
    """
    cassette.parent.mkdir(parents=True, exist_ok=True)
    partial = cassette.with_name(cassette.name + ".partial")
    partial.unlink(missing_ok=True)
    with _vcr(record=True).use_cassette(str(partial)):
        yield
    if partial.exists():
        partial.replace(cassette)
