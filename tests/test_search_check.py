"""`evsynth search check` (issue 29): per block and per term counts, the dropped-block variants, the relative
recall against known studies and the block that loses each missed one, in at most blocks + terms + 3 requests.
The local E-utilities server serves the synthetic demo corpus's PubMed part (PMIDs from 90000001) and evaluates
queries with the query engine; the known studies are the corpus's intended includes (synthetic labels)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT, fast_client
from tests.test_query_server import _demo_xml

from evsynth.cli import cli
from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.protocol.loader import load_protocol
from evsynth.query.evaluate import Evaluator
from evsynth.query.parser import parse_query, terms
from evsynth.sources.search_check import check_search
from evsynth.testing.corpus import Corpus

PROTOCOL = ROOT / "queries" / "trd-pharmacogenomics.yaml"


@pytest.fixture
def narrow(tmp_path: Path) -> Path:
    """The reference protocol with an omics block cut to three terms: a strategy that loses known studies."""
    data = yaml.safe_load(PROTOCOL.read_text())
    data["search"]["blocks"][1]["terms"] = ["genotyp*[tiab]", '"MicroRNAs"[Mesh]', "microRNA*[tiab]"]
    path = tmp_path / "narrow.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _includes() -> list[str]:
    corpus = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
    return [str(e["pmid"]) for e in corpus["pubmed"] if e.get("expected") == "include"]


def _serve(server_factory):  # type: ignore[no-untyped-def]
    corpus = Corpus.from_xml(_demo_xml())
    corpus.evaluate_queries = True
    return server_factory(corpus)


def test_search_check_on_the_demo(server_factory, narrow: Path) -> None:  # type: ignore[no-untyped-def]
    server = _serve(server_factory)
    protocol = load_protocol(narrow)
    known = [*_includes(), "10.5555/evsynth-demo.90000003", "10.5555/no-such-record", "99999999"]
    result = check_search(protocol, fast_client(server.url), known)
    # the budget, counted at the server
    n_terms = sum(len({t.text for t in block.terms}) for block in result.blocks)
    assert len(server.corpus.requests) == result.requests <= len(result.blocks) + n_terms + 3
    # every count is what the engine finds over the same records in the window
    records = [r for r in iter_pubmed_xml(_demo_xml())  # [pdat]: the publication or the electronic date
               if any("2021-01-01" <= d <= "2025-06-01" for d in (r.pub_date, r.electronic_date) if d)]  # fmt: skip

    def found(query: str) -> set[str]:
        return {r.pmid for r in Evaluator.of(query).select(records)}

    assert result.count == len(found(protocol.search.query))
    for n, block in enumerate(result.blocks):
        assert block.count == len(found(block.query))
        assert all(t.count == len(found(t.text)) for t in block.terms)
        rest = " AND ".join(b.query for m, b in enumerate(result.blocks) if m != n)
        assert block.without == len(found(rest)) >= result.count
    # known studies: relative recall over those PubMed has; the missed ones with the block that loses them
    by_given = {k.given: k for k in result.known}
    assert (
        by_given["10.5555/evsynth-demo.90000003"].pmid == "90000003" and by_given["10.5555/evsynth-demo.90000003"].found
    )
    assert by_given["10.5555/no-such-record"].note.startswith("not in PubMed") and not by_given["99999999"].pmid
    includes = _includes()
    hits = found(protocol.search.query)
    in_pubmed = [*includes, "90000003"]
    assert result.relative_recall == pytest.approx(sum(p in hits for p in in_pubmed) / len(in_pubmed))
    missed = [p for p in includes if p not in hits]
    assert missed  # the narrowed strategy loses intended includes: what this check is for
    every = {r.pmid: r for r in iter_pubmed_xml(_demo_xml())}
    for pmid in missed:
        study = by_given[pmid]
        assert not study.found and study.lost_by
        evaluator = Evaluator.of(protocol.search.query)
        losing = [b.name for b in result.blocks if not evaluator.matches_node(parse_query(b.query), every[pmid])]
        assert [b["block"] for b in study.lost_by] == losing
        for lost in study.lost_by:
            block = next(b for b in result.blocks if b.name == lost["block"])
            assert set(lost["terms"]) == {t.text for t in block.terms} and lost["terms"]  # an OR block: all of them
            assert len(block.terms) == len(terms(parse_query(block.query)))


def test_a_block_larger_than_one_esearch_is_asked_for_instead(server_factory, narrow: Path) -> None:  # type: ignore[no-untyped-def]
    """With blocks of more hits than one esearch returns (here 10 are asked for), the whole query and the
    dropped-block variants are asked for; the counts are the same."""
    small = check_search(load_protocol(narrow), fast_client(_serve(server_factory).url), _includes(), id_limit=10)
    full = check_search(load_protocol(narrow), fast_client(_serve(server_factory).url), _includes())
    assert small.count == full.count and [b.without for b in small.blocks] == [b.without for b in full.blocks]
    assert small.relative_recall == full.relative_recall
    assert small.requests == full.requests + len(full.blocks) + 2  # whole query, variants, the known studies' check


def test_search_check_command_writes_markdown_and_json(server_factory, tmp_path: Path, narrow: Path) -> None:  # type: ignore[no-untyped-def]
    server = _serve(server_factory)
    known = tmp_path / "known.txt"
    known.write_text("# synthetic: intended includes of the demo\n" + "\n".join(_includes()) + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["search", "check", str(narrow), "--known", str(known), "--eutils-url",
                                      server.url, "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "relative recall" in result.output and "requests" in result.output
    document = json.loads((out / "search-check.json").read_text())
    assert [b["name"] for b in document["blocks"]] == ["condition", "omics", "treatment"]
    markdown = (out / "search-check.md").read_text()
    first_missed = next(k for k in document["known"] if not k["found"])
    assert markdown.index(first_missed["pmid"]) < markdown.index("| yes |")  # the missed ones come first
    assert "none of its" in markdown


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("90000001\nketamine\n", "known.txt: line 2: 'ketamine' is neither a PMID nor a DOI"),
        ("# only a comment\n", "known.txt: no PMID or DOI in it"),
    ],
)
def test_bad_known_file_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    known = tmp_path / "known.txt"
    known.write_text(content)
    result = CliRunner().invoke(cli, ["search", "check", str(PROTOCOL), "--known", str(known), "--eutils-url",
                                      "http://127.0.0.1:9", "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 1 and message in result.output and result.output.count("\n") == 1


def test_protocol_known_studies_are_checked(tmp_path: Path) -> None:
    data = yaml.safe_load(PROTOCOL.read_text())
    data["search"]["known"] = ["90000001", "10.5555/evsynth-demo.90000002"]
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(data))
    assert load_protocol(good).search.known == ("90000001", "10.5555/evsynth-demo.90000002")
    data["search"]["known"] = ["90000001", "ketamine"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["search", "check", str(bad)])
    assert result.exit_code == 1 and "search.known[1]: 'ketamine' is neither a PMID nor a DOI" in result.output


def test_run_warns_when_the_search_misses_a_known_study(tmp_path: Path) -> None:
    data = yaml.safe_load(PROTOCOL.read_text())
    data["search"]["known"] = ["90000001", "10.5555/evsynth-demo.90000002", "90000999", "10.5555/not-in-the-demo"]
    protocol = tmp_path / "review.yaml"
    protocol.write_text(yaml.safe_dump(data))
    cassette = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
    result = CliRunner().invoke(cli, ["run", str(protocol), "--replay", cassette, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "search.known" in line]
    assert len(warned) == 2 and "90000999" in warned[0] and "10.5555/not-in-the-demo" in warned[1]
    assert all("evsynth search check" in line for line in warned)


def test_the_reference_protocol_finds_every_intended_include_of_the_demo(server_factory) -> None:  # type: ignore[no-untyped-def]
    """After its redesign (see the protocol's comments) the reference strategy finds the demo's 35 intended
    includes; the terms came from the screening criteria, not from these records, but they were looked at first."""
    result = check_search(load_protocol(PROTOCOL), fast_client(_serve(server_factory).url), _includes())
    assert result.relative_recall == 1.0 and result.count == 44


def test_known_studies_from_a_reference_list(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """--known takes a review's reference list too (as `evsynth audit` reads it): the references that state a
    PMID or DOI are checked, the others are named and left out (synthetic references, demo records)."""
    server = _serve(server_factory)
    references = tmp_path / "references.txt"
    references.write_text(
        "# synthetic references to synthetic demo records\n"
        "1. Selby D, Jansky G. BDNF Val66Met genotype and ketamine response. J Synth Psychiatry. 2022;22:2-10. "
        "doi:10.5555/evsynth-demo.90000001\n"
        "2. Orrin L. Serum miR-29a/c levels after ketamine. Synth Brain Rep. 2021;3:1-9. PMID: 90000003\n"
        "3. Marlow I. A study nobody can find. Synth Notes. 2023;1:1-2.\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["search", "check", str(PROTOCOL), "--known", str(references), "--eutils-url",
                                      server.url, "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 reference(s) state no PMID or DOI and are left out (3)" in result.output
    known = json.loads((out / "search-check.json").read_text())["known"]
    assert [(k["given"], k["pmid"], k["found"]) for k in known] == [
        ("10.5555/evsynth-demo.90000001", "90000001", True),
        ("90000003", "90000003", True),
    ]
