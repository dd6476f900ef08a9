"""Helpers the tests share: paths, the real-data locator, synthetic corpora, clients and protocols.

Fixtures live in conftest.py; everything a test imports by name lives here.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import requests
import urllib3
import yaml
from requests.structures import CaseInsensitiveDict

from evsynth.config import Settings
from evsynth.desk.app import Desk
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import EUtils
from evsynth.tagger.tagger import Tagger
from evsynth.testing.corpus import Corpus
from evsynth.testing.synthetic import article_set, generated_corpus

ROOT = Path(__file__).resolve().parent.parent


def shared_data() -> Path:
    """``../shared/data`` beside the repo (or $EVSYNTH_SHARED_DATA). Missing data fails, never skips."""
    path = Path(os.environ.get("EVSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "pubmed" / "manifest.json").is_file():
        pytest.fail(f"real NCBI test data not found at {path} (CI clones the repo with ../shared beside it)")
    return path


def make_corpus(count: int, *, id_limit: int = 9999, **kwargs: object) -> Corpus:
    """A served corpus of ``count`` generated synthetic records."""
    return Corpus.from_xml(article_set(list(generated_corpus(count, **kwargs))), id_limit=id_limit)  # type: ignore[arg-type]


def fast_client(url: str, **overrides: object) -> EUtils:
    """A client for the local server: no rate limit, tiny back-off."""
    options: dict[str, object] = {"rate": None, "backoff_base": 0.001, "backoff_max": 0.01, "timeout": 5, **overrides}
    return EUtils(Settings(eutils_url=url, **options))  # type: ignore[arg-type]


class ScriptedSession:
    """A stand-in for ``requests.Session`` that answers each request with the next scripted answer: a
    (status, body, headers) triple, made a real streamed ``requests.Response``, or an exception, raised."""

    def __init__(self, answers: list[tuple[int, bytes, dict[str, str]] | BaseException], on_request: object = None):
        self.headers: dict[str, str] = {}
        self.answers = answers
        self.on_request = on_request

    def request(self, *args: object, **kwargs: object) -> requests.Response:
        if callable(self.on_request):
            self.on_request()
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = answer
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), headers=headers, status=status, preload_content=False
        )
        return response


_TAGGERS: list[Tagger] = []


def shared_tagger() -> Tagger:
    if not _TAGGERS:
        _TAGGERS.append(Tagger())
    return _TAGGERS[0]


# Protocols: a valid one, edits of it, and bad ones with the message each must give
VALID = {
    "name": "demo",
    "search": {"query": '("major depression"[tiab]) AND ketamine[tiab]',
               "date_window": {"start": "2021-01-01", "end": "2025-06-01"}},
}  # fmt: skip


def write_protocol(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "protocol.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def protocol_with(**changes: object) -> dict[str, object]:
    data = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return data


BAD_PROTOCOLS = [
    ("unknown top key", protocol_with(serach={}), "serach: unknown key"),
    ("unknown search key", protocol_with(search__terms="x"), "search.terms: unknown key"),
    (
        "unknown window key",
        protocol_with(search__date_window__from="2021-01-01"),
        "search.date_window.from: unknown key",
    ),
    ("bad month", protocol_with(search__date_window__start="2021-13-01"), "search.date_window.start: '2021-13-01'"),
    ("bad day", protocol_with(search__date_window__end="2025-02-30"), "search.date_window.end: '2025-02-30'"),
    ("date words", protocol_with(search__date_window__start="last year"), "search.date_window.start: 'last year'"),
    ("date number", protocol_with(search__date_window__start=2021), "search.date_window.start: 2021"),
    ("end before start", protocol_with(search__date_window__end="2020-01-01"), "search.date_window: end 2020-01-01"),
    ("bad date field", protocol_with(search__date_window__field="dp"), "search.date_window.field: 'dp'"),
    ("window not mapping", protocol_with(search__date_window="2021"), "search.date_window: must be a mapping"),
    (
        "unbalanced quote",
        protocol_with(search__query='"major depression[tiab]'),
        "search.query: column 1: a quote is never closed",
    ),
    ("open parenthesis", protocol_with(search__query="(a OR b"), "search.query: column 1: '(' is never closed"),
    ("close parenthesis", protocol_with(search__query="a OR b)"), "search.query: column 7: ')' without a '('"),
    ("open bracket", protocol_with(search__query="ketamine[tiab"), "search.query: column 9: '[' is never closed"),
    ("stray bracket", protocol_with(search__query="ketamine]"), "search.query: column 9: ']' without a '['"),
    (
        "unknown field tag",
        protocol_with(search__query="ketamine[tiabs]"),
        "search.query: column 9: unknown field tag [tiabs] (did you mean [tiab]?)",
    ),
    (
        "short truncation",
        protocol_with(search__query="ketamine[tiab] AND mir*[tiab]"),
        "search.query: column 20: truncation needs at least 4",
    ),
    (
        "dangling operator",
        protocol_with(search__query="ketamine[tiab] AND"),
        "search.query: column 16: AND has nothing after it",
    ),
    ("empty block", protocol_with(search__query="ketamine[tiab] AND ()"), "search.query: column 20: empty parentheses"),
    (
        "bad block term",
        protocol_with(search__query=..., search__blocks=[{"name": "a", "terms": ["wom*n[tiab]"]}]),
        "search.blocks[0].terms[0]: column 1: '*' truncates only the end",
    ),
    ("no query", protocol_with(search__query=...), "search: needs a 'query' or 'blocks'"),
    ("empty query", protocol_with(search__query="   "), "search: needs a 'query' or 'blocks'"),
    ("query not text", protocol_with(search__query=["a"]), "search.query: must be a non-empty string"),
    ("no search", protocol_with(search=...), "search: must be a mapping"),
    ("search list", protocol_with(search=["x"]), "search: must be a mapping"),
    ("no name", protocol_with(name=...), "name: must be a non-empty string"),
    ("bad name", protocol_with(name="My Review!"), "name: 'My Review!'"),
    ("bad database", protocol_with(search__database="embase"), "search.database: 'embase' is not supported"),
    ("blocks not list", protocol_with(search__blocks="a"), "search.blocks: must be a non-empty list"),
    (
        "block no terms",
        protocol_with(search__blocks=[{"name": "x"}]),
        "search.blocks[0].terms: must be a non-empty list",
    ),
    ("block bad term", protocol_with(search__blocks=[{"name": "x", "terms": ['"a']}]), "search.blocks[0].terms[0]"),
    (
        "block unknown key",
        protocol_with(search__blocks=[{"name": "x", "terms": ["a"], "op": "OR"}]),
        "search.blocks[0].op: unknown key",
    ),
    ("batch size zero", protocol_with(harvest={"batch_size": 0}), "harvest.batch_size: 0"),
    ("batch size text", protocol_with(harvest={"batch_size": "200"}), "harvest.batch_size: '200'"),
    ("batch size bool", protocol_with(harvest={"batch_size": True}), "harvest.batch_size: True"),
    ("unknown harvest key", protocol_with(harvest={"rate": 10}), "harvest.rate: unknown key"),
    ("sources not list", protocol_with(sources={"file": "x"}), "sources: must be a list"),
    (
        "source missing file",
        protocol_with(sources=[{"name": "scopus", "file": "nope.csv", "format": "scopus_csv"}]),
        "sources[0].file: 'nope.csv' not found",
    ),
    ("criteria scalar", protocol_with(criteria="all"), "criteria: must be a mapping or a list"),
    (
        "other method",
        protocol_with(prisma={"other_methods": {"ris": "citation"}}),
        "prisma.other_methods.ris: 'citation' must be one of websites, organisations, citations; did you mean",
    ),
    ("prisma key", protocol_with(prisma={"other_method": {}}), "prisma.other_method: unknown key; did you mean"),
    ("top-level list", ["name"], "must be a mapping"),
    ("empty file", "", "is empty"),
    ("invalid yaml", "name: [unclosed\nsearch: {", "invalid YAML at line"),
    ("tab indentation", "name: x\nsearch:\n\tquery: a\n", "invalid YAML"),
]


def uncertain_ris(count: int, label: str) -> str:
    """``count`` synthetic RIS records the demo protocol leaves uncertain (no language: "in English" is open)."""
    return "".join(
        f"TY  - JOUR\nTI  - Synthetic {label} record {n}: BDNF Val66Met and ketamine response in treatment-resistant "
        f"depression\nAU  - Synth, D.\nPY  - 2023\nAB  - In {40 + n} patients with treatment-resistant depression, "
        f"the BDNF Val66Met genotype was measured before ketamine.\nDO  - 10.5555/evsynth-{label}.{n}\nER  - \n"
        for n in range(1, count + 1)
    )


def demo_review(tmp_path: Path, ris: str) -> Path:
    """The demo protocol copied into ``tmp_path`` (its decisions file lands there) and run from the bundled cassette
    with ``ris`` as an extra import, outputs and store in ``tmp_path/out``; returns the protocol's path."""
    from click.testing import CliRunner

    from evsynth.cli import cli

    protocol = tmp_path / "review.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    extra = tmp_path / "extra.ris"
    extra.write_text(ris)
    cassette = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
    args = ["run", str(protocol), "--replay", cassette, "--import", str(extra), "--out", str(tmp_path / "out"), "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return protocol


def demo_desk(tmp_path: Path, ris: str) -> Desk:
    """A desk (reviewer "ana") over the demo review run with ``ris`` as an extra import (see :func:`demo_review`);
    the caller closes it."""
    loaded = load_protocol(demo_review(tmp_path, ris))
    assert loaded.criteria is not None
    return Desk(loaded, loaded.criteria, tmp_path / "out" / "evsynth.sqlite", tmp_path / "out", "ana")
