"""PRISMA 2020 counts from the store and the run log: a new review, an update, the template CSV, the SVG."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from lxml import etree
from tests.helpers import ROOT, make_corpus

from evsynth.cli import cli
from evsynth.testing.corpus import Corpus

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
CORPUS = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
OUT = Path("output/trd-pharmacogenomics")


def _demo(runner: CliRunner) -> dict:  # type: ignore[type-arg]
    args = ["run", PROTOCOL, "--replay", CASSETTE, "--import", str(ROOT / "demo" / "scopus-export.csv"),
            "--import", str(ROOT / "demo" / "hand-search.ris")]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads((OUT / "prisma.json").read_text())  # type: ignore[no-any-return]


def _found_by_the_search() -> list[dict]:  # type: ignore[type-arg]
    """The corpus's PubMed records the protocol's query finds (what the demo cassette's harvest holds)."""
    from evsynth.formats.pubmed_xml import iter_pubmed_xml
    from evsynth.protocol.loader import load_protocol
    from evsynth.query.evaluate import Evaluator
    from evsynth.testing.synthetic import article_set, article_xml

    xml = article_set([article_xml(e, CORPUS["defaults"]) for e in CORPUS["pubmed"]])
    found = {r.pmid for r in Evaluator.of(load_protocol(Path(PROTOCOL)).search.query).select(iter_pubmed_xml(xml))}
    return [e for e in CORPUS["pubmed"] if str(e["pmid"]) in found]


def test_prisma_new_review_counts_follow_from_the_corpus(runner: CliRunner) -> None:
    counts = _demo(runner)
    pubmed = _found_by_the_search()
    assert 0 < len(pubmed) < len(CORPUS["pubmed"])  # the demo has records its search does not find
    found = {e["pmid"] for e in pubmed}
    label = {e["pmid"]: e.get("expected") for e in CORPUS["pubmed"]}
    exports = CORPUS["scopus"] + CORPUS["ris"]
    # an export is a duplicate when the record it copies was harvested; else it stands for it, with its label
    duplicates = sum(1 for e in exports if e.get("duplicate_of") in found)
    labelled = [e["expected"] for e in pubmed if "expected" in e]
    labelled += [e.get("expected") or label[e["duplicate_of"]] for e in exports if e.get("duplicate_of") not in found]
    assert counts["review"] == "new" and counts["previous"] is None
    assert counts["identification"] == {
        "sources": {"PubMed": len(pubmed), "RIS import": len(CORPUS["ris"]), "Scopus": len(CORPUS["scopus"])},
        "database_total": len(pubmed) + len(exports),
        "other_methods": {},
        "total": len(pubmed) + len(exports),
        "duplicates_removed": duplicates,
        "removed_other": 0,
    }
    screening = counts["screening"]
    assert screening["screened"] == len(labelled) == counts["identification"]["total"] - duplicates
    assert screening["excluded"] == labelled.count("exclude")
    assert sum(screening["excluded_by_reason"].values()) == screening["excluded"]
    # three animal-only studies in the corpus: the search finds none; the Scopus copy of one comes in
    assert screening["excluded_by_reason"]["Animal-only study without a translational (human) link"] == 1
    assert screening["uncertain"] == 0
    assert counts["included"] == {"new_studies": labelled.count("include"), "previous_studies": None,
                                  "total_studies": labelled.count("include")}  # fmt: skip


def test_prisma_template_csv_has_the_r_package_rows(runner: CliRunner) -> None:
    counts = _demo(runner)
    with open(OUT / "prisma.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
    n = {row["data"]: row["n"] for row in rows if row["data"] != "NA"}
    assert n["database_results"] == str(counts["identification"]["total"])
    assert n["database_specific_results"] == "PubMed, 44; RIS import, 4; Scopus, 11"
    screening = counts["screening"]
    assert screening["excluded_automatic"] + screening["excluded_by_reviewer"] == screening["excluded"]
    # the rules' exclusions are automation's (removed before screening); no full-text stage is claimed
    assert n["excluded_automatic"] == str(screening["excluded_automatic"]) == "13"
    assert n["duplicates"] == "9" and n["records_screened"] == str(50 - 13)
    assert n["records_excluded"] == str(screening["excluded_by_reviewer"]) == "0"
    assert {n[k] for k in ("dbr_sought_reports", "dbr_assessed", "dbr_excluded", "dbr_notretrieved_reports")} == {"NA"}
    assert n["new_studies"] == n["total_studies"] == str(counts["included"]["new_studies"])
    assert {"previous_studies", "dbr_assessed", "dbr_excluded", "citations_results", "total_reports"} <= set(n)


def _boxes(svg: bytes) -> list[tuple[float, float, float, float]]:
    root = etree.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    return [tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[misc]
            for r in root.findall("s:rect", ns)[1:]]  # fmt: skip


def test_prisma_svg_is_well_formed_with_every_count_and_no_overlapping_boxes(runner: CliRunner) -> None:
    counts = _demo(runner)
    svg = (OUT / "prisma.svg").read_bytes()
    text = " ".join(" ".join(etree.fromstring(svg).itertext()).replace("\u00a0", " ").split())
    screening = counts["screening"]
    assert f"Records screened (n = {50 - screening['excluded_automatic']})" in text
    assert (
        f"marked as ineligible by automation tools (the protocol's screening rules) (n = {screening['excluded_automatic']})"
        in text
    )
    assert f"Records excluded by a reviewer (n = {screening['excluded_by_reviewer']})" in text
    assert "Reports sought" not in text and "assessed for eligibility" not in text
    for label, number in counts["screening"]["excluded_by_reason"].items():
        assert f"(n = {number})" in text and label.split()[0] in text
    boxes = _boxes(svg)
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "boxes overlap"


def test_prisma_update_has_a_previous_studies_arm(runner: CliRunner, server_factory) -> None:  # type: ignore[no-untyped-def]
    full = make_corpus(35)
    first = Corpus([r for p, r in full.records.items() if int(p) <= 90000030])
    server = server_factory(first)
    assert runner.invoke(cli, ["run", PROTOCOL, "--eutils-url", server.url]).exit_code == 0
    before = json.loads((OUT / "prisma.json").read_text())
    assert before["included"]["new_studies"] == 30
    server.corpus.add(r for p, r in full.records.items() if int(p) > 90000030)
    result = runner.invoke(cli, ["run", PROTOCOL, "--eutils-url", server.url])
    assert result.exit_code == 0, result.output
    after = json.loads((OUT / "prisma.json").read_text())
    assert after["review"] == "update" and after["previous"]["studies"] == 30
    assert after["identification"]["sources"] == {"PubMed": 5} and after["screening"]["screened"] == 5
    assert after["included"] == {"new_studies": 5, "previous_studies": 30, "total_studies": 35}
    svg = (OUT / "prisma.svg").read_bytes()
    text = " ".join(" ".join(etree.fromstring(svg).itertext()).replace("\u00a0", " ").split())
    assert "Studies included in previous version of review (n = 30)" in text
    assert "Total studies included in review (n = 35)" in text
    with open(OUT / "prisma.csv", newline="") as handle:
        n = {row["data"]: row["n"] for row in csv.DictReader(handle)}
    assert (n["previous_studies"], n["new_studies"], n["total_studies"], n["database_results"]) == (
        "30",
        "5",
        "35",
        "5",
    )


def test_a_source_declared_other_methods_is_counted_in_that_column(runner: CliRunner, tmp_path: Path) -> None:
    """A hand search or citation searching goes in PRISMA's other-methods column, not among the databases."""
    data = yaml.safe_load(Path(PROTOCOL).read_text())
    data["prisma"] = {"other_methods": {"ris": "citations"}}
    protocol = tmp_path / "other.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    args = ["run", str(protocol), "--replay", CASSETTE, "--import", str(ROOT / "demo" / "scopus-export.csv"),
            "--import", str(ROOT / "demo" / "hand-search.ris"), "--out", str(out), "-q"]  # fmt: skip
    assert runner.invoke(cli, args).exit_code == 0
    ident = json.loads((out / "prisma.json").read_text())["identification"]
    assert ident["sources"] == {"PubMed": 44, "Scopus": 11} and ident["database_total"] == 55
    assert ident["other_methods"] == {"RIS import": {"method": "citations", "n": 4}} and ident["total"] == 59
    with (out / "prisma.csv").open(newline="") as handle:
        n = {row["data"]: row["n"] for row in csv.DictReader(handle) if row["data"] != "NA"}
    assert (n["database_results"], n["citations_results"], n["website_results"]) == ("55", "4", "0")
    svg = (out / "prisma.svg").read_bytes()
    text = " ".join(" ".join(etree.fromstring(svg).itertext()).replace("\u00a0", " ").split())
    assert "Identification of new studies via other methods" in text
    assert "Records identified from databases (n = 55)" in text and "RIS import, citation searching (n = 4)" in text
    boxes = _boxes(svg)
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "boxes overlap"
