"""The local E-utilities server itself: JSON esearch, history paging, expired WebEnv, rate limit, big corpora.

Every record served here is synthetic (PMIDs from 90000001).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
from tests.helpers import fast_client, make_corpus

from evsynth.config import Settings
from evsynth.errors import EutilsError, HarvestGaveUp
from evsynth.sources.eutils import EUtils, parse_esearch
from evsynth.sources.harvest import parse_efetch
from evsynth.testing.corpus import SyntheticCorpus
from evsynth.testing.server import FaultPlan


def test_esearch_json_says_what_the_xml_says(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(30))
    params = {"db": "pubmed", "term": "x", "retmax": "7", "retstart": "5", "usehistory": "y"}
    as_xml = parse_esearch(requests.post(server.url + "esearch.fcgi", data=params, timeout=5).content)
    response = requests.post(server.url + "esearch.fcgi", data={**params, "retmode": "json"}, timeout=5)
    assert response.headers["Content-Type"].startswith("application/json")
    result = response.json()["esearchresult"]
    assert result["count"] == str(as_xml.count) == "30"
    assert result["idlist"] == list(as_xml.ids) and len(result["idlist"]) == 7
    assert result["retstart"] == "5" and result["querykey"] == "1" and result["webenv"].startswith("MCID_")
    too_far = requests.post(server.url + "esearch.fcgi", data={**params, "retstart": "10000", "retmode": "json"},
                            timeout=5)  # fmt: skip
    assert "cannot be larger than 9998" in too_far.json()["esearchresult"]["ERROR"]


def test_history_paging_and_an_expired_webenv(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(25), FaultPlan(rate=1.0, kinds=("expired",)))
    search = parse_esearch(
        requests.post(
            server.url + "esearch.fcgi", data={"term": "x", "usehistory": "y", "retmax": "0"}, timeout=5
        ).content
    )
    assert search.count == 25 and search.webenv and server.injected == {}  # an esearch never meets the fault
    page = {"WebEnv": search.webenv, "query_key": search.query_key, "retstart": "10", "retmax": "10"}
    expired = requests.post(server.url + "efetch.fcgi", data=page, timeout=5)
    assert expired.status_code == 200 and b"<ERROR>Unable to obtain query #1</ERROR>" in expired.content
    assert server.injected == {"expired": 1}
    server.server.faults.rate = 0.0
    search = parse_esearch(
        requests.post(
            server.url + "esearch.fcgi", data={"term": "x", "usehistory": "y", "retmax": "25"}, timeout=5
        ).content
    )
    page["WebEnv"] = search.webenv
    records = parse_efetch(requests.post(server.url + "efetch.fcgi", data=page, timeout=5).content)
    assert [r.pmid for r in records] == list(search.ids[10:20])


def test_rate_limit_answers_429_as_ncbi_and_a_polite_client_never_meets_it(server_factory) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(5)
    corpus.rate_limit = 20
    server = server_factory(corpus)
    codes = [requests.get(server.url + "esearch.fcgi", params={"term": "x"}, timeout=5) for _ in range(30)]
    refused = [r for r in codes if r.status_code == 429]
    assert refused and server.refused == len(refused)
    assert refused[0].json() == {"error": "API rate limit exceeded", "api-key": "127.0.0.1", "count": "21",
                                 "limit": "20"}  # fmt: skip
    assert refused[0].headers["X-RateLimit-Limit"] == "20" and refused[0].headers["X-RateLimit-Remaining"] == "0"
    for response in codes:
        response.close()
    time.sleep(1.1)  # the bucket refills
    before = server.refused
    client = EUtils(Settings(eutils_url=server.url, rate=20.0, timeout=5))
    for _ in range(40):
        client.esearch("x", retmax=0)
    assert server.refused == before and client.stats.http_429 == 0 and client.stats.requests == 40


def test_a_slow_answer_arrives_late_but_whole(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(4), FaultPlan(rate=1.0, kinds=("slow",), slow_seconds=0.4))
    started = time.monotonic()
    result = fast_client(server.url, timeout=5).esearch("x")
    assert time.monotonic() - started >= 0.4 and result.count == 4 and server.injected == {"slow": 1}


def test_synthetic_corpus_of_100k_records_is_built_lazily(server_factory) -> None:  # type: ignore[no-untyped-def]
    crowded = dt.date(2023, 3, 14)
    corpus = SyntheticCorpus(100_000, crowded_day=(crowded, 12_000))
    assert all(not r.xml for r in corpus.records.values())  # no XML until fetched
    server = server_factory(corpus)
    client = fast_client(server.url)
    assert client.esearch("x", retmax=0).count == 100_000
    day = client.esearch("x", mindate="2023/03/14", maxdate="2023/03/14", retmax=0)
    assert day.count >= 12_000
    last = [str(90_100_000 - i) for i in range(300)]
    records = client.efetch(last, parse_efetch)
    assert sorted(r.pmid for r in records) == sorted(last)
    assert all(r.title.startswith("Synthetic record") and "SYNTHETIC TEST RECORD" in r.abstract for r in records)
    crowded_record = client.efetch(["90000001"], parse_efetch)[0]
    assert crowded_record.pub_date == crowded.isoformat()
    day_hits = set(corpus.search({"mindate": "2023/03/14", "maxdate": "2023/03/14"}))
    assert {str(90_000_001 + i) for i in range(12_000)} <= day_hits


@pytest.mark.parametrize("fault", ["drip", "drip_head"])
def test_a_server_that_drips_its_answer_cannot_hold_a_request_past_its_deadline(server_factory, fault: str) -> None:  # type: ignore[no-untyped-def]
    """Each byte comes well inside the 1 s read timeout, so only a whole-request deadline stops it (issue 25,
    item 5): the answer would take over 20 s; the client gives up after two attempts of 1 s each."""
    server = server_factory(make_corpus(4), FaultPlan(rate=1.0, kinds=(fault,), slow_seconds=0.05))
    client = fast_client(server.url, timeout=1, request_deadline=1.0, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(HarvestGaveUp, match=r"no whole answer within 1 s"):
        client.esearch("x")
    assert time.monotonic() - started < 8
    assert client.stats.requests == 2 and server.injected == {fault: 2}


def test_an_answer_larger_than_the_cap_is_refused_in_one_line(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(make_corpus(40))
    client = fast_client(server.url, max_response_bytes=20_000)
    with pytest.raises(EutilsError, match=r"efetch.fcgi: the answer is larger than 20000 bytes"):
        client.efetch([str(90000001 + i) for i in range(40)], parse_efetch)
    assert client.stats.requests == 1  # a bigger answer will not come smaller: no retry
    assert len(client.efetch(["90000001"], parse_efetch)) == 1
