"""The local E-utilities server evaluating queries with evsynth's query engine (issue 29): esearch's Count and ids
follow the term, the date window and the PMID range. The records are the synthetic demo corpus's PubMed part
(demo/corpus.yaml, PMIDs from 90000001), served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.helpers import ROOT, fast_client

from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.protocol.loader import load_protocol
from evsynth.query.evaluate import Evaluator
from evsynth.query.mesh import MeshTree
from evsynth.query.parser import blocks, to_text
from evsynth.testing.corpus import Corpus
from evsynth.testing.synthetic import article_set, article_xml
from evsynth.text import fold


def _demo_xml() -> bytes:
    corpus = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
    return article_set([article_xml(entry, corpus["defaults"]) for entry in corpus["pubmed"]])


@pytest.fixture
def served(server_factory):  # type: ignore[no-untyped-def]
    corpus = Corpus.from_xml(_demo_xml())
    corpus.evaluate_queries = True
    return server_factory(corpus)


def test_esearch_counts_follow_the_protocols_query(served) -> None:  # type: ignore[no-untyped-def]
    records = list(iter_pubmed_xml(_demo_xml()))
    query = load_protocol(Path(ROOT / "queries" / "trd-pharmacogenomics.yaml")).search.query
    expected = {r.pmid for r in Evaluator.of(query).select(records)}
    client = fast_client(served.url)
    result = client.esearch(query, retmax=1000)
    assert set(result.ids) == expected and result.count == len(expected)
    assert 0 < len(expected) < len(records)  # the demo has records the query does not find
    # each block alone finds at least what the whole query finds
    for block in blocks(Evaluator.of(query).query):
        assert set(client.esearch(to_text(block), retmax=1000).ids) >= expected


def test_a_term_counts_what_it_names(served) -> None:  # type: ignore[no-untyped-def]
    records = list(iter_pubmed_xml(_demo_xml()))
    by_hand = {r.pmid for r in records if "ketamine" in fold(f"{r.title} {r.abstract} {' '.join(r.keywords)}").split()}
    client = fast_client(served.url)
    assert set(client.esearch("ketamine[tiab]", retmax=1000).ids) == by_hand
    assert client.esearch("ketamine[tiab] NOT ketamine[tiab]", retmax=1000).count == 0
    assert client.esearch("ketamine[tiabx]", retmax=1000).count == 0  # PubMed would refuse it
    low, high = sorted(by_hand)[0], sorted(by_hand)[-1]
    ranged = client.esearch(f"ketamine[tiab] AND {low}:{low}[uid]", retmax=1000)
    assert ranged.ids == (low,) and high != low


def test_mesh_terms_explode_with_a_tree(server_factory) -> None:  # type: ignore[no-untyped-def]
    corpus = Corpus.from_xml(_demo_xml())
    corpus.evaluate_queries = True
    records = list(iter_pubmed_xml(_demo_xml()))
    indexed = {r.pmid for r in records if any(h.name == "Depressive Disorder, Treatment-Resistant" for h in r.mesh)}
    assert indexed
    client = fast_client(server_factory(corpus).url)
    assert set(client.esearch('"Synthetic Parent Descriptor"[mh]', retmax=1000).ids) == set()
    # invented tree numbers, not NLM's: the parent has the demo's descriptor below it
    corpus.mesh = MeshTree.from_lines(
        ["Synthetic Parent Descriptor;Y01", "Depressive Disorder, Treatment-Resistant;Y01.5"]
    )
    assert set(client.esearch('"Synthetic Parent Descriptor"[mh]', retmax=1000).ids) == indexed
    assert client.esearch('"Synthetic Parent Descriptor"[mh:noexp]', retmax=1000).count == 0
