"""The E-utilities client: retries, error bodies, rate limit, secrets. HTTP goes to a local server only."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import requests
from tests.helpers import ScriptedSession, fast_client, make_corpus

from evsynth.config import Settings, resolve_settings
from evsynth.errors import EutilsError, EvsynthError, HarvestGaveUp
from evsynth.sources.eutils import EUtils, RateLimiter, RetryableBody, body_error, parse_esearch, recording
from evsynth.sources.harvest import parse_efetch
from evsynth.testing.server import FAULTS, FaultPlan


def test_eutils_parse_esearch_history_server(pubmed_data: Path) -> None:
    result = parse_esearch((pubmed_data / "biopython" / "esearch2.xml").read_bytes())
    assert result.count == 42249
    assert result.webenv.startswith("MCID_")
    assert result.query_key == "1"
    assert len(result.ids) == 100


def test_eutils_parse_esearch_error_list(pubmed_data: Path) -> None:
    result = parse_esearch((pubmed_data / "biopython" / "esearch8.xml").read_bytes())
    assert result.count == 0
    assert result.errors == ("PhraseNotFound: abcXYZ",)
    assert result.warnings == ("OutputMessage: No items found.",)
    assert result.query_translation == "(abcXYZ[All Fields])"


def test_eutils_parse_esearch_rejects_truncated(pubmed_data: Path) -> None:
    body = (pubmed_data / "biopython" / "esearch2.xml").read_bytes()
    with pytest.raises(RetryableBody):
        parse_esearch(body[: len(body) // 2])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("biopython/epost2.xml", "Invalid db name specified: nothing"),
        ("biopython/epost3.xml", "Empty ID list; Nothing to store"),
        ("biopython/esummary8.xml", "Neither query_key nor id specified"),
        ("biopython/espell.xml", None),
        ("biopython/esearch2.xml", None),
        ("astrocite/esummary_pubmed_v0.3_with_errors.json", "Invalid uid whoopsthisisanerror at position=49"),
        ("pubmed_client/einfo/pubmed_info.json", None),
    ],
)
def test_eutils_body_error_on_real_responses(path: str, expected: str | None, pubmed_data: Path) -> None:
    problem = body_error((pubmed_data / path).read_bytes())
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "expired"])  # expired: history requests only
def test_eutils_retries_each_fault_kind(fault: str, server_factory) -> None:  # type: ignore[no-untyped-def]
    # A slow answer comes later than the client's timeout, so it is retried like the other faults.
    server = server_factory(make_corpus(5), FaultPlan(rate=0.5, kinds=(fault,), seed=3, slow_seconds=0.6))
    client = fast_client(server.url, timeout=0.3)
    for _ in range(4):
        result = client.esearch("anything", retmax=100)
        assert result.count == 5
        records = client.efetch(list(result.ids), parse_efetch)
        assert sorted(r.pmid for r in records) == sorted(result.ids)
    assert server.injected.get(fault, 0) > 0
    assert client.stats.retries == sum(server.injected.values())


@pytest.mark.parametrize(("fault", "attempts"), [("503", 4), ("429", 3)])
def test_eutils_gives_up_after_bounded_attempts(fault: str, attempts: int, server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(3), FaultPlan(rate=1.0, kinds=(fault,)))
    client = fast_client(server.url, max_attempts=attempts)
    with pytest.raises(HarvestGaveUp, match=f"gave up after {attempts} attempts.*HTTP {fault}"):
        client.esearch("anything")
    assert client.stats.requests == attempts
    assert client.stats.http_429 == (attempts if fault == "429" else 0)
    assert json.loads(json.dumps(client.stats.as_dict()))["retries"] == attempts - 1


def test_eutils_gives_up_after_bounded_time() -> None:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    def tick() -> None:
        clock[0] += 1.0

    dead = ScriptedSession([requests.ConnectionError("reset")], on_request=tick)
    settings = Settings(rate=None, max_attempts=1000, backoff_base=1.0, backoff_max=8.0, give_up_after=30.0)
    client = EUtils(settings, session=dead, sleep=sleep, clock=lambda: clock[0])  # type: ignore[arg-type]
    with pytest.raises(HarvestGaveUp, match="connection error"):
        client.esearch("x")
    assert clock[0] <= 31.0
    assert client.stats.requests < 20


def test_eutils_honours_retry_after() -> None:
    waits: list[float] = []

    session = ScriptedSession([
        (429, b'{"error":"API rate limit exceeded"}', {"Retry-After": "7", "Content-Type": "application/json"}),
        (200, b"<eSearchResult><Count>0</Count><IdList/></eSearchResult>", {}),
    ])  # fmt: skip
    client = EUtils(Settings(rate=None), session=session, sleep=waits.append)  # type: ignore[arg-type]
    assert client.esearch("x").count == 0
    assert waits == [7.0]
    assert client.stats.http_429 == 1


def test_eutils_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(21):
        limiter.wait()
    assert now[0] == pytest.approx(2.0)  # 21 starts at 10/s span 2 seconds


def test_eutils_sends_polite_parameters(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(2))
    client = fast_client(server.url, email="me@example.org", api_key="KEY123", tool="evsynth-test")
    client.esearch("x")
    _, params = server.corpus.requests[-1]
    assert params["tool"] == "evsynth-test"
    assert params["email"] == "me@example.org"
    assert params["api_key"] == "KEY123"


def test_eutils_settings_rate_follows_api_key() -> None:
    assert resolve_settings(environ={}).rate == 3.0
    keyed = resolve_settings(environ={"NCBI_API_KEY": "abc", "NCBI_EMAIL": "a@b.c"})
    assert keyed.rate == 10.0 and keyed.email == "a@b.c"
    assert resolve_settings(eutils_url="http://127.0.0.1:9/x", environ={}).eutils_url == "http://127.0.0.1:9/x/"
    with pytest.raises(EvsynthError, match="--eutils-url: 'ftp://x' is not an http"):
        resolve_settings(eutils_url="ftp://x", environ={})


def test_eutils_recording_filters_secrets(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(3))
    cassette = tmp_path / "c.yaml"
    with recording(cassette):
        client = fast_client(server.url, email="secret@example.org", api_key="SECRETKEY42")
        ids = client.esearch("x").ids
        client.efetch(list(ids), parse_efetch)
    text = cassette.read_text()
    assert "efetch.fcgi" in text and "esearch.fcgi" in text
    assert "SECRETKEY42" not in text and "secret@example.org" not in text and "secret%40example.org" not in text


@pytest.mark.parametrize("header", ["soon", "-1", "Tue, 99 Foo 20xx", "1.5", ""])
def test_eutils_malformed_retry_after_is_retried_with_the_usual_back_off(header: str) -> None:
    """A Retry-After that is neither seconds nor an HTTP date crashed the harvest (issue 25 item 13)."""
    waits: list[float] = []

    session = ScriptedSession([
        (429, b'{"error":"API rate limit exceeded"}', {"Retry-After": header}),
        (200, b"<eSearchResult><Count>0</Count><IdList/></eSearchResult>", {}),
    ])  # fmt: skip
    settings = Settings(rate=None, backoff_base=0.5, backoff_max=4.0)
    client = EUtils(settings, session=session, sleep=waits.append)  # type: ignore[arg-type]
    assert client.esearch("x").count == 0
    assert len(waits) == 1 and 0 < waits[0] <= 4.0


class _Recorder:
    """A one-purpose HTTP server on 127.0.0.1 started by the test: answers every request with ``answer`` and
    keeps the bodies it received."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        import http.server
        import threading

        received = self.received = []  # type: ignore[var-annotated]

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/entrez/eutils/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_eutils_never_follows_a_redirect_with_the_credentials() -> None:
    """A cross-origin 307 re-sent api_key and email to the other server (issue 25 item 14)."""
    other = _Recorder(200, {}, b"<eSearchResult><Count>0</Count><IdList/></eSearchResult>")
    redirecting = _Recorder(307, {"Location": other.url + "esearch.fcgi"}, b"")
    try:
        settings = Settings(eutils_url=redirecting.url, rate=None, api_key="not-a-real-key", email="r@example.org")
        with pytest.raises(EutilsError, match=r"HTTP 307 redirects to http://127\.0\.0\.1:\d+/.*does not follow"):
            EUtils(settings).esearch("x")
        assert other.received == [] and len(redirecting.received) == 1
    finally:
        other.close()
        redirecting.close()


def test_eutils_errors_show_no_password_and_no_raw_page() -> None:
    """A password in --eutils-url reached the messages (and so logs and the store); a non-JSON 4xx body went
    into them verbatim (item 14)."""
    page = b"<!DOCTYPE html><html><head><title>Bad Request</title></head><body>\x07<script>x()</script></body></html>"
    server = _Recorder(400, {"Content-Type": "text/html"}, page)
    try:
        url = server.url.replace("http://", "http://user:s3cret@")
        with pytest.raises(EutilsError) as caught:
            EUtils(Settings(eutils_url=url, rate=None)).esearch("x")
        message = str(caught.value)
        assert "s3cret" not in message and "user@" not in message
        assert "HTTP 400: an HTML page: Bad Request" in message and "<script" not in message and "\x07" not in message
    finally:
        server.close()


def test_eutils_fails_fast_when_nothing_listens() -> None:
    """65-74 s of silent retries when the server was unreachable (issue 25 item 23): a refused connection is one
    line at once."""
    import time as clock

    client = EUtils(Settings(eutils_url="http://127.0.0.1:9/entrez/eutils/", rate=None))
    started = clock.monotonic()
    with pytest.raises(EutilsError, match=r"127\.0\.0\.1:9/.*connection refused \(nothing listens there\)"):
        client.esearch("x")
    assert client.stats.requests == 1 and clock.monotonic() - started < 5


def test_eutils_says_why_and_how_long_before_each_retry() -> None:
    session = ScriptedSession(
        [(503, b"busy", {}), (200, b"<eSearchResult><Count>0</Count><IdList/></eSearchResult>", {})]
    )
    told: list[str] = []
    settings = Settings(rate=None, backoff_base=2.0, backoff_max=2.0)
    client = EUtils(settings, session=session, sleep=lambda s: None, on_retry=told.append)  # type: ignore[arg-type]
    assert client.esearch("x").count == 0
    assert len(told) == 1 and told[0].startswith("retrying in ") and "(HTTP 503), attempt 2/" in told[0]


def test_a_compressed_answer_is_read_decoded() -> None:
    body = b"<eSearchResult><Count>1</Count><IdList><Id>90000001</Id></IdList></eSearchResult>"
    session = ScriptedSession([(200, gzip.compress(body), {"Content-Encoding": "gzip"})])
    client = EUtils(Settings(rate=None), session=session)  # type: ignore[arg-type]
    result = client.esearch("x")
    assert result.count == 1 and result.ids == ("90000001",)
