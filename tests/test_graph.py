"""The graph stage: modules, designs, the evidence graph, convergence, exports, tables and the report.

Every record and text here is synthetic, written for these tests (PMIDs from 90000001).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from lxml import etree
from tests.helpers import ROOT

from evsynth.cli import cli
from evsynth.errors import ProtocolError
from evsynth.protocol.loader import load_protocol
from evsynth.protocol.pathways import (
    ConvergenceSettings,
    check_members,
    convergence_settings,
    default_modules,
    protocol_modules,
)
from evsynth.synthesis.convergence import convergence
from evsynth.synthesis.design import classify, sample_size
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.synthesis.exports import GRAPH_FORMATS, export_graph
from evsynth.synthesis.graph import build_graph
from evsynth.synthesis.graph_formats import read_graphml, to_cx2
from evsynth.tagger.lexicon import default_lexicon
from evsynth.tagger.tagger import Tagger

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
DEMO_IMPORTS = [
    "--import",
    str(ROOT / "demo" / "scopus-export.csv"),
    "--import",
    str(ROOT / "demo" / "hand-search.ris"),
]

# Synthetic abstracts: (pmid, title, abstract, publication types)
TEXTS = [
    (
        "90000001",
        "BDNF rs6265 and ketamine response",
        "BDNF rs6265 predicted response to ketamine in 80 patients. Serum miR-29a rose.",
        ["Journal Article"],
    ),
    (
        "90000002",
        "BDNF after electroconvulsive therapy",
        "BDNF levels rose after ECT in 40 patients. Ketamine was not given.",
        ["Journal Article"],
    ),
    ("90000003", "A narrative review of BDNF and ketamine", "This review covers BDNF and ketamine.", ["Review"]),
    (
        "90000004",
        "GRIN2B and antidepressant response",
        "GRIN2B was studied in 50 patients taking antidepressant drugs.",
        ["Journal Article"],
    ),
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def _records(tagger: Tagger) -> list[EvidenceRecord]:
    out = []
    for pmid, title, abstract, types in TEXTS:
        text = f"{title}\n{abstract}"
        out.append(
            EvidenceRecord(
                key=pmid,
                pmid=pmid,
                title=title,
                text=text,
                year=2023,
                first_author="Synth A",
                doi=None,
                pub_types=tuple(types),
                design=classify(title, abstract, types),
                mentions=tagger.tag(text),
            )
        )
    return out


@pytest.fixture(scope="module")
def graph(tagger: Tagger) -> nx.Graph:
    return build_graph(_records(tagger), default_modules())


def test_packaged_modules_name_only_known_genes_and_families() -> None:
    lexicon = default_lexicon()
    modules = default_modules()
    check_members(modules, lexicon.by_symbol, {f.id for f in lexicon.families})
    for wanted in (
        "bdnf-trkb",
        "nmda-ampa",
        "pi3k-akt-mtor",
        "mapk-erk",
        "gsk3b-wnt",
        "immune-cytokine",
        "synaptic-vesicle",
        "circadian",
        "mir-29",
        "mir-132-212",
        "let-7",
        "mir-16",
        "mir-124",
        "mir-135",
        "mir-146",
        "mir-223",
        "mir-1202",
    ):
        assert modules[wanted].sources, wanted


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("pathways: [a]", "pathways: must be a mapping"),
        ("pathways: {modules: {x: {name: X}}}", "pathways.modules.x.sources: name at least one source"),
        (
            "pathways: {modules: {x: {name: X, sources: [me], kind: odd, genes: [BDNF]}}}",
            "pathways.modules.x.kind: 'odd'",
        ),
        ("pathways: {modules: {x: {name: X, sources: [me]}}}", "pathways.modules.x: has no members"),
        ("pathways: {file: missing.yaml}", "pathways.file: "),
        ("pathways: {colour: red}", "pathways.colour: unknown key"),
        ("convergence: {min_modalities: 0}", "convergence.min_modalities: 0 must be a whole number"),
        ("convergence: {count_reviews: maybe}", "convergence.count_reviews: 'maybe' must be true or false"),
        ("convergence: {k: 3}", "convergence.k: unknown key"),
    ],
)
def test_bad_graph_sections_fail_on_load_with_one_line(tmp_path: Path, section: str, message: str) -> None:
    text = Path(PROTOCOL).read_text(encoding="utf-8") + "\n" + section + "\n"
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as err:
        load_protocol(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value) and "\n" not in str(err.value)


def test_protocol_modules_add_and_replace_and_typos_are_caught(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text("bdnf-trkb: {name: Mine, sources: [me], genes: [BDNF]}\n", encoding="utf-8")
    section = {"file": "extra.yaml", "modules": {"mine": {"name": "M", "sources": ["me"], "genes": ["BDFN"]}}}
    modules = protocol_modules(section, tmp_path / "p.yaml")
    assert modules["bdnf-trkb"].name == "Mine" and "mir-29" in modules
    lexicon = default_lexicon()
    with pytest.raises(ProtocolError, match=r"p.yaml: pathways.modules.mine.genes: 'BDFN' is not an HGNC"):
        check_members(modules, lexicon.by_symbol, {f.id for f in lexicon.families})
    assert convergence_settings({"min_records": 5}, tmp_path / "p.yaml").min_records == 5


@pytest.mark.parametrize(
    ("title", "abstract", "types", "primary", "size"),
    [
        ("X", "We genotyped rs6265 in 112 adults with TRD.", [], "candidate gene", 112),
        ("X", "A previous meta-analysis was small. We genotyped rs4680 (n = 98).", [], "candidate gene", 98),
        ("A genome-wide association study of ECT", "Using genotypes of 5,300 patients.", [], "GWAS", 5300),
        ("X", "Expression of miR-132 increased in responders only.", [], "miRNA profiling", None),
        (
            "Ketamine: a systematic review and meta-analysis",
            "We included 12 trials with 700 patients.",
            [],
            "meta-analysis",
            None,
        ),
        ("X", "Studies since 2015 were summarised.", ["Review"], "review", None),
    ],
)
def test_design_and_sample_size(title: str, abstract: str, types: list[str], primary: str, size: int | None) -> None:
    design = classify(title, abstract, types)
    assert design.primary == primary and design.sample_size == size


def test_sample_size_ignores_years_and_mirna_names() -> None:
    assert sample_size("in 2019 we saw miR-132 increased in responders") == (None, "")


def test_graph_nodes_edges_and_score(graph: nx.Graph) -> None:
    assert graph.nodes["gene:BDNF"]["pmids"] == ["90000001", "90000002", "90000003"]
    assert graph.nodes["gene:BDNF"]["ncbi_gene"] == "627"
    assert graph.nodes["mirna:hsa-miR-29a"]["family"] == "miR-29"
    # sentence level in 90000001 (title), abstract level only in 90000002, review 90000003 halved:
    ketamine = graph.edges["gene:BDNF", "treatment:MESH:D007649"]
    assert ketamine["relation"] == "co-mention" and ketamine["strength"] == "sentence"
    assert ketamine["pmids"] == ["90000001", "90000002", "90000003"]
    assert ketamine["score"] == pytest.approx(1.0 + 0.5 + 0.5)
    assert ketamine["evidence"][0].startswith("90000001: BDNF rs6265 and ketamine response")
    ect = graph.edges["gene:BDNF", "treatment:MESH:D004565"]
    assert ect["modalities"] == ["ect", "ketamine"] and ect["n_records"] == 1
    assert graph.edges["gene:BDNF", "variant:rs6265"]["relation"] == "variant_of"
    assert graph.edges["gene:BDNF", "module:bdnf-trkb"]["relation"] == "member_of"
    assert graph.edges["mirna:hsa-miR-29a", "module:mir-29"]["pmids"] == ["90000001"]
    assert graph.nodes["module:nmda-ampa"]["pmids"] == ["90000004"]


def test_convergence_counts_modalities_not_reviews_or_umbrella_terms(tagger: Tagger, graph: nx.Graph) -> None:
    records = _records(tagger)
    rows = {(r.level, r.id): r for r in convergence(graph, records, default_modules(), ConvergenceSettings())}
    bdnf = rows[("module", "bdnf-trkb")]
    assert bdnf.convergent and bdnf.modalities == ("ect", "ketamine") and bdnf.n_reviews == 1
    assert dict(bdnf.modality_pmids) == {"ect": ("90000002",), "ketamine": ("90000001", "90000002")}
    nmda = rows[("module", "nmda-ampa")]  # "antidepressant" is an umbrella term: no modality
    assert not nmda.convergent and nmda.modalities == () and "Antidepressive Agents" in nmda.treatments
    assert not rows[("module", "circadian")].convergent and rows[("module", "circadian")].n_records == 0
    strict = {
        (r.level, r.id): r
        for r in convergence(graph, records, default_modules(), ConvergenceSettings(min_modalities=3, min_records=3))
    }
    assert not strict[("module", "bdnf-trkb")].convergent
    counted = {
        (r.level, r.id): r
        for r in convergence(
            graph, records, default_modules(), ConvergenceSettings(min_modalities=3, min_records=3, count_reviews=True)
        )
    }
    assert counted[("module", "bdnf-trkb")].convergent and "3 records >= 3" in counted[("module", "bdnf-trkb")].reason


def test_cx2_loads_with_ndex2_and_keeps_typed_lists(graph: nx.Graph, tmp_path: Path) -> None:
    from ndex2.cx2 import RawCX2NetworkFactory

    export_graph(graph, "cx2", tmp_path / "g.cx2")
    network = RawCX2NetworkFactory().get_cx2network(str(tmp_path / "g.cx2"))
    assert len(network.get_nodes()) == graph.number_of_nodes()
    assert len(network.get_edges()) == graph.number_of_edges()
    declared = network.get_attribute_declarations()
    assert declared["nodes"]["pmids"]["d"] == "list_of_string" and declared["edges"]["score"]["d"] == "double"
    bdnf = next(n for n in network.get_nodes().values() if n["v"]["evsynth_id"] == "gene:BDNF")
    assert bdnf["v"]["pmids"] == graph.nodes["gene:BDNF"]["pmids"]
    style = network.get_visual_properties()
    assert style["nodeMapping"]["NODE_BACKGROUND_COLOR"]["definition"]["attribute"] == "type"
    assert style["edgeMapping"]["EDGE_WIDTH"]["definition"]["attribute"] == "score"


def test_graphml_round_trips_lists_and_types(graph: nx.Graph, tmp_path: Path) -> None:
    export_graph(graph, "graphml", tmp_path / "g.graphml")
    back = read_graphml(tmp_path / "g.graphml")
    assert dict(back.nodes(data=True)) == dict(graph.nodes(data=True))
    assert {(a, b): d for a, b, d in back.edges(data=True)} == {(a, b): d for a, b, d in graph.edges(data=True)} or all(
        back.edges[a, b] == d for a, b, d in graph.edges(data=True)
    )
    raw = nx.read_graphml(tmp_path / "g.graphml")  # plain networkx (and Cytoscape) read it too
    assert raw.nodes["gene:BDNF"]["pmids"] == "90000001 | 90000002 | 90000003"


def test_sif_xgmml_and_cyjs(graph: nx.Graph, tmp_path: Path) -> None:
    written = export_graph(graph, "sif", tmp_path / "g.sif")
    assert [p.name for p in written] == ["g.sif", "g.nodes.tsv", "g.edges.tsv"]
    lines = (tmp_path / "g.sif").read_text(encoding="utf-8").splitlines()
    assert len(lines) == graph.number_of_edges() and "gene:BDNF\tvariant_of\tvariant:rs6265" in lines
    with open(tmp_path / "g.nodes.tsv", newline="", encoding="utf-8") as handle:
        nodes = {row["shared name"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert nodes["gene:BDNF"]["n_records"] == "3"
    export_graph(graph, "xgmml", tmp_path / "g.xgmml")
    root = etree.parse(str(tmp_path / "g.xgmml")).getroot()
    ns = {"x": "http://www.cs.rpi.edu/XGMML"}
    assert len(root.findall("x:node", ns)) == graph.number_of_nodes()
    bdnf = next(n for n in root.findall("x:node", ns) if n.get("label") == "BDNF")
    pmids = bdnf.find("x:att[@name='pmids']", ns)
    assert pmids.get("type") == "list" and [a.get("value") for a in pmids] == graph.nodes["gene:BDNF"]["pmids"]
    export_graph(graph, "json", tmp_path / "g.cyjs")
    back = nx.cytoscape_graph(json.loads((tmp_path / "g.cyjs").read_text(encoding="utf-8")))
    assert back.number_of_nodes() == graph.number_of_nodes()


def test_records_view_adds_record_nodes(tagger: Tagger) -> None:
    bipartite = build_graph(_records(tagger), default_modules(), include_records=True)
    assert bipartite.nodes["record:90000001"]["type"] == "record"
    assert bipartite.edges["record:90000001", "gene:BDNF"]["relation"] == "mentions"
    doc = to_cx2(bipartite)
    assert any("nodes" in aspect and len(aspect["nodes"]) == bipartite.number_of_nodes() for aspect in doc)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(folder), *DEMO_IMPORTS])
    assert result.exit_code == 0, result.output
    assert "convergent: BDNF–TrkB signalling, NMDA/AMPA glutamatergic signalling" in result.output
    return folder


def test_demo_convergence_for_the_right_reasons(demo: Path) -> None:
    with open(demo / "convergence.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["level"], r["id"]): r for r in csv.DictReader(handle)}
    with open(demo / "screening.csv", newline="", encoding="utf-8") as handle:
        included = {r["pmid"] for r in csv.DictReader(handle) if r["decision"] == "include"}
    for module in ("bdnf-trkb", "nmda-ampa", "mir-29"):
        row = rows[("module", module)]
        assert row["convergent"] == "yes", row
        modalities = row["modalities"].split("; ")
        assert {"ketamine", "ect"} <= set(modalities) and "treatment modalities" in row["reason"]
        for part in row["modality_pmids"].split("; "):  # every modality's records are included records
            pmids = part.split(": ")[1].split(", ")
            assert set(pmids) <= included and set(pmids) <= set(row["pmids"].split("; "))
    assert rows[("module", "circadian")]["convergent"] == "no"


def test_demo_outputs_exist_and_agree(demo: Path) -> None:
    from ndex2.cx2 import RawCX2NetworkFactory

    network = RawCX2NetworkFactory().get_cx2network(str(demo / "graph.cx2"))
    graph = read_graphml(demo / "graph.graphml")
    assert len(network.get_nodes()) == graph.number_of_nodes() > 20
    assert all("x" in n and n["x"] is not None for n in network.get_nodes().values())  # laid out for Cytoscape
    table2 = (demo / "evidence-table-2.md").read_text(encoding="utf-8")
    assert "| 90000001 |" in table2 and "rs6265" in table2 and "112" in table2
    assert "| 90000003 |" in (demo / "evidence-table-3.md").read_text(encoding="utf-8")
    report = (demo / "report.html").read_text(encoding="utf-8")
    assert report.count("<svg") >= 2 and "BDNF–TrkB signalling" in report
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/90000001/"' in report
    assert "# Convergence summary" in (demo / "convergence.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", list(GRAPH_FORMATS))
def test_export_command_writes_each_format(demo: Path, tmp_path: Path, fmt: str) -> None:
    result = CliRunner().invoke(
        cli, ["export", PROTOCOL, "--db", str(demo / "evsynth.sqlite"), "--format", fmt, "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 0, result.output
    assert any(p.stat().st_size > 0 for p in (tmp_path / "x").iterdir())


def test_export_command_errors_are_one_line(runner: CliRunner, demo: Path) -> None:
    missing = runner.invoke(cli, ["export", PROTOCOL])
    assert missing.exit_code == 1 and "no store yet; run `evsynth run" in missing.output
    assert "Traceback" not in missing.output
    bad = runner.invoke(cli, ["export", PROTOCOL, "--format", "png", "--db", str(demo / "evsynth.sqlite")])
    assert bad.exit_code == 2 and "'png' is not one of" in bad.output
    many = runner.invoke(
        cli,
        [
            "export",
            PROTOCOL,
            "--format",
            "cx2",
            "--format",
            "sif",
            "--out",
            "g.cx2",
            "--db",
            str(demo / "evsynth.sqlite"),
        ],
    )
    assert many.exit_code == 2 and "give a folder" in many.output


_SEEDED_BUILD = """
from evsynth.models import Mention
from evsynth.synthesis.design import classify
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.synthesis.graph import build_graph

genes = [f"GENE{i}" for i in range(12)]
mentions = []
for i, gene in enumerate(genes):
    mentions.append(Mention(i * 20, i * 20 + 5, gene, "gene", str(i), 0, (("symbol", gene),)))
    rsid = (("gene", gene), ("kind", "rsid"))
    mentions.append(Mention(i * 20 + 6, i * 20 + 12, f"rs{i}", "variant", f"rs{9000 + i}", 0, rsid))
    protein = (("gene", gene), ("kind", "protein"))
    mentions.append(Mention(i * 20 + 13, i * 20 + 19, f"V{i}M", "variant", f"p.Val{i}Met", 0, protein))
record = EvidenceRecord(key="90000001", pmid="90000001", title="synthetic", text="x" * 300, year=2023,
                        first_author="Synth A", doi=None, pub_types=("Journal Article",),
                        design=classify("synthetic", "", ["Journal Article"]), mentions=mentions)
graph = build_graph([record], {})
print(list(graph.edges()))
"""


def test_graph_edge_order_does_not_depend_on_the_hash_seed() -> None:
    """Exports list edges in the graph's order: it must be the same in every process, or re-running a review
    rewrites graph.sif, graph.graphml and the others with the same content in another order."""
    orders = {
        subprocess.run(
            [sys.executable, "-c", _SEEDED_BUILD],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for seed in (1, 2, 3, 4, 5)
    }
    assert len(orders) == 1, orders
    assert "rs9011" in orders.pop()


@pytest.mark.parametrize(
    "text",
    [
        "We followed 30 twins and 12 probands for a year.",  # the audit counted these, the tables did not
        "Of 48 drug-free responders, 20 relapsed.",  # the tables counted these, the audit did not
        "In 2015 patients were enrolled (n = 1,204).",
        "miR-132 increased in responders; 64 outpatients completed the study.",
    ],
)
def test_sample_size_is_read_one_way_by_tables_and_audit(text: str) -> None:
    """design.sample_size (evidence tables) and claims.sample_sizes (audit) read the same numbers of people."""
    from evsynth.audit.claims import sample_sizes

    size, _ = sample_size(text)
    assert sample_sizes(text) and size == max(sample_sizes(text))


def test_control_characters_in_record_text_leave_graphml_and_xgmml_well_formed(tmp_path: Path) -> None:
    """A title or sentence holding a control character made graph.graphml and graph.xgmml invalid XML (issue 25
    item 6): every character XML 1.0 forbids becomes U+FFFD, and the files parse."""
    hostile = "BDNF\x0b and\x00 NTRK2\x1f in\x07 ketamine responders"
    graph = nx.Graph(name="hostile\x01 review")
    graph.add_node("gene:BDNF\x02", type="gene", name="BDNF\x03", pmids=["90000001"], n_records=1)
    graph.add_node("gene:NTRK2", type="gene", name="NTRK2", pmids=["90000001"], n_records=1)
    graph.add_edge("gene:BDNF\x02", "gene:NTRK2", relation="co-mention", evidence=[f"90000001: {hostile}"],
                   pmids=["90000001"], n_records=1, score=1.0)  # fmt: skip
    for fmt in ("graphml", "xgmml"):
        (path,) = export_graph(graph, fmt, tmp_path / f"g.{fmt}")
        root = etree.parse(str(path), etree.XMLParser(recover=False))  # raises on invalid XML
        text = etree.tostring(root, encoding="unicode")
        assert "\ufffd" in text and "\x0b" not in text and "BDNF" in text
