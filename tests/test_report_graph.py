"""The report's evidence graph (issue 28): an interactive graph (cytoscape.js, inlined, nothing fetched) in the
CX2 style's shapes and colours, with the evidence and PMIDs behind the node or edge under the pointer, and a
static picture whose labels never overlap. Records are the synthetic demo's (PMIDs from 90000001) and synthetic
hostile text; the browser is Debian's headless Chromium (tests/browser.py)."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.support.ui import WebDriverWait
from tests.browser import browser as chromium
from tests.helpers import ROOT
from tests.test_integrity import EVERY_HAZARD

from evsynth.cli import cli
from evsynth.synthesis.graph_formats import TYPE_SHAPES, read_graphml
from evsynth.synthesis.graph_view import graph_view_html, view_data
from evsynth.synthesis.picture import (
    WIDTH,
    graph_svg,
    label_lines,
    label_order,
    layout,
    node_radius,
    picture_nodes,
    place_labels,
)

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")
ASSETS = ROOT / "src" / "evsynth" / "synthesis" / "assets"


def _run(folder: Path, *imports: str) -> Path:
    args = ["run", PROTOCOL, "--replay", CASSETTE, "--out", str(folder)]
    for path in imports:
        args += ["--import", path]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(
        tmp_path_factory.mktemp("demo"),
        str(ROOT / "demo" / "scopus-export.csv"),
        str(ROOT / "demo" / "hand-search.ris"),
    )


def _graph_json(report: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', report, re.S)
    assert found, "report.html carries no graph data"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_bundled_cytoscape_is_the_file_its_readme_names() -> None:
    readme = (ASSETS / "README.md").read_text()
    stated = re.search(r"sha256 `([0-9a-f]{64})`", readme)
    assert stated and hashlib.sha256((ASSETS / "cytoscape.min.js").read_bytes()).hexdigest() == stated.group(1)
    assert "Copyright (c) 2016-2026, The Cytoscape Consortium" in (ASSETS / "cytoscape.min.js").read_text()[:200]


def test_report_fetches_nothing_and_carries_every_node(demo: Path) -> None:
    report = (demo / "report.html").read_text(encoding="utf-8")
    page = lxml_html.fromstring(report)
    assert page.xpath("//script[@src] | //link | //img | //iframe") == []  # no file, no CDN
    assert not re.search(r"@import|url\(", "".join(page.xpath("//style/text()")))
    graph = read_graphml(demo / "graph.graphml")
    data = _graph_json(report)
    assert {n["id"] for n in data["nodes"]} == set(graph)  # type: ignore[index]
    assert len(data["edges"]) == graph.number_of_edges()  # type: ignore[arg-type]
    assert {n["shape"] for n in data["nodes"]} == {TYPE_SHAPES[graph.nodes[n]["type"]] for n in graph}  # type: ignore[index]
    assert page.xpath("//div[@id='graph-static']//svg")  # the static picture stays as the fallback


def test_every_edge_lists_the_records_behind_it(demo: Path) -> None:
    graph = read_graphml(demo / "graph.graphml")
    data = _graph_json((demo / "report.html").read_text(encoding="utf-8"))
    for edge in data["edges"]:  # type: ignore[attr-defined]
        behind = {str(p) for p in graph.edges[edge["source"], edge["target"]]["pmids"]}
        shown = {link.rsplit("/", 2)[-2] for _, link, _ in edge["evidence"] if "pubmed" in link}
        assert shown == {p for p in behind if p.isdigit()}, edge["title"]
        assert edge["n_records"] == len(behind)
        # a record without a PMID is its first author, year and title (linked to its DOI), never a store key
        assert not any(re.match(r"(ris|scopus_csv|pmid):", text) for text, _, _ in edge["evidence"])


def test_graph_data_cannot_end_its_script_element() -> None:
    hostile = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"
    graph = nx.Graph()
    graph.add_node("gene:X", type="gene", name=hostile, pmids=["90000001"], n_records=1)
    graph.add_node("treatment:Y", type="treatment", name="Y & Z", pmids=["90000001"], n_records=1)
    graph.add_edge("gene:X", "treatment:Y", relation="co-mention", score=1.0, n_records=1, pmids=["90000001"],
                   evidence=[f"90000001: {hostile}"])  # fmt: skip
    section = graph_view_html(graph, [])
    data_block = section.split('id="graph-data">', 1)[1].split("</script>", 1)[0]
    assert not any(c in data_block for c in "<>&")
    data = json.loads(data_block)
    assert data["nodes"][0]["name"] == hostile and data["edges"][0]["evidence"][0][2] == hostile


Box = tuple[float, float, float, float]


def _label_boxes(graph: nx.Graph, limit: int = 60) -> tuple[dict[str, Box], dict[str, Box], int]:
    """The picture's label boxes and node boxes by node, measured from where place_labels put each label."""
    nodes = picture_nodes(graph, limit)
    pos = layout(graph, nodes)
    top = max(int(graph.nodes[n].get("n_records", 1)) for n in nodes)
    radius = {n: node_radius(graph, n, top) for n in nodes}
    lines = {n: label_lines(str(graph.nodes[n]["name"])) for n in nodes}
    placed = place_labels(label_order(graph, nodes, radius), pos, radius, lines)
    labels = {}
    for node, label in placed.items():
        width = max(len(line) for line in lines[node]) * 0.58 * 12
        left = {"middle": label.x - width / 2, "start": label.x, "end": label.x - width}[label.anchor]
        labels[node] = (left, label.y - 12, left + width, label.y - 12 + len(lines[node]) * 14)
    bodies = {n: (x - radius[n], y - radius[n], x + radius[n], y + radius[n]) for n, (x, y) in pos.items()}
    return labels, bodies, len(nodes)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01


def _random_graph(seed: int) -> nx.Graph:
    rng = random.Random(seed)
    graph = nx.Graph()
    kinds = ["module", "treatment", "gene", "family", "variant", "mirna"]
    for i in range(rng.randint(5, 90)):
        name = " ".join(rng.choice(["BDNF", "signalling", "Electroconvulsive", "miR-132/212", "Therapy", "x"])
                        for _ in range(rng.randint(1, 6)))  # fmt: skip
        graph.add_node(f"n{i}", type=rng.choice(kinds), name=name, n_records=rng.randint(1, 40))
    nodes = list(graph)
    for _ in range(len(nodes) * 3):
        a, b = rng.sample(nodes, 2)
        graph.add_edge(a, b, score=rng.random() * 5, relation=rng.choice(["co-mention", "member_of"]), n_records=1)
    return graph


@pytest.mark.parametrize("seed", range(12))
def test_picture_labels_overlap_no_label_and_no_node(seed: int) -> None:
    """Today's picture had overlapping and cut labels (issue 28): every label placed now sits inside the picture,
    clear of every other label and of every node."""
    labels, bodies, _ = _label_boxes(_random_graph(seed))
    assert labels
    for node, box in labels.items():
        assert box[0] >= 0 and box[2] <= WIDTH, box
        assert not any(_overlap(box, other) for n, other in labels.items() if n != node), box
        # (a label at a corner may cut its own node's bounding square, not its shape)
        assert not any(_overlap(box, body) for n, body in bodies.items() if n != node), box


def test_demo_picture_names_most_nodes_and_every_pathway(demo: Path) -> None:
    graph = read_graphml(demo / "graph.graphml")
    labels, _, shown = _label_boxes(graph)
    assert len(labels) >= 0.9 * shown
    svg = graph_svg(graph)
    named = "".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))
    modules = [d["name"] for _, d in graph.nodes(data=True) if d["type"] == "module"]
    assert all(label_lines(name)[0] in named for name in modules)


def test_a_big_graph_shows_its_best_supported_part() -> None:
    graph = _random_graph(3)
    for i in range(500):
        graph.add_node(f"extra{i}", type="gene", name=f"G{i}", n_records=1)
    data = view_data(graph, [])
    assert len(data["nodes"]) == 400
    best = {n for n, d in graph.nodes(data=True) if d["n_records"] > 1}
    assert {n["id"] for n in data["nodes"]} >= best


def _tap(browser: object, selector: str, index: int) -> str:
    """Tap the index-th element matching selector; return the evidence panel's text."""
    return str(
        browser.execute_script(  # type: ignore[attr-defined]
            "const el = window.evsynthGraph.elements(arguments[0])[arguments[1]]; el.emit('tap');"
            "return document.querySelector('#graph-live .graph-info').textContent;",
            selector,
            index,
        )
    )


def test_interactive_graph_in_a_browser(demo: Path) -> None:
    graph = read_graphml(demo / "graph.graphml")
    browser = chromium()
    try:
        browser.get((demo / "report.html").as_uri())
        WebDriverWait(browser, 20).until(lambda b: b.execute_script("return !!window.evsynthGraph"))
        counts = browser.execute_script("const cy = window.evsynthGraph; return [cy.nodes().length, cy.edges().length]")
        assert counts == [graph.number_of_nodes(), graph.number_of_edges()]
        static = browser.execute_script("return getComputedStyle(document.getElementById('graph-static')).display")
        assert static == "none"  # the live graph replaces the picture on screen
        # the evidence behind BDNF–NTRK2, with a PubMed link per record
        index = browser.execute_script(
            "return window.evsynthGraph.edges().map(e => e.data('title')).indexOf('BDNF – NTRK2')"
        )
        assert index >= 0
        text = _tap(browser, "edge", index)
        links = browser.execute_script(
            "return [...document.querySelectorAll('#graph-live .graph-info a')].map(a => a.href)"
        )
        behind = graph.edges["gene:BDNF", "gene:NTRK2"]["pmids"]
        assert sorted(links) == sorted(f"https://pubmed.ncbi.nlm.nih.gov/{p}/" for p in behind)
        assert "co-mentioned" in text and f"{len(behind)} records" in text
        # find a node by name
        browser.execute_script(
            "const box = document.querySelector('#graph-live input[type=search]'); box.value = 'ntrk2';"
            "box.dispatchEvent(new Event('input'));"
        )
        assert browser.execute_script("return document.querySelector('#graph-live .graph-info h3').textContent") == (
            "NTRK2"
        )
        # hide the microRNAs
        browser.execute_script("const box = document.querySelector('#graph-live input[data-type=mirna]'); box.click();")
        hidden = browser.execute_script("return window.evsynthGraph.nodes('.mirna').filter(n => n.visible()).length")
        assert hidden == 0
        # nothing fetched, nothing complained
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        browser.quit()


def test_narrow_screen_stacks_the_evidence_under_the_graph(demo: Path) -> None:
    browser = chromium(420, 900)
    try:
        browser.get((demo / "report.html").as_uri())
        WebDriverWait(browser, 20).until(lambda b: b.execute_script("return !!window.evsynthGraph"))
        width, page, canvas, panel = browser.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth].concat("
            "['.graph-canvas', '.graph-info'].map(s => document.querySelector('#graph-live ' + s)"
            ".getBoundingClientRect()).map(r => [r.left, r.top, r.right, r.bottom]))"
        )
        assert width < 520  # (headless Chromium's narrowest window is 500 px)
        assert panel[1] >= canvas[3] and canvas[2] <= width and panel[2] <= width
        assert page <= width  # the wide tables scroll inside themselves, the page does not
    finally:
        browser.quit()


def test_hostile_record_text_stays_text_in_the_live_graph(tmp_path: Path) -> None:
    """The synthetic hostile record (markup, script, image, link) is included and reaches the graph's edges;
    pointing at every node and edge shows it as text: no alert, no element made from it."""
    extra = tmp_path / "hostile.ris"
    extra.write_text(EVERY_HAZARD)
    out = _run(tmp_path / "out", str(extra))
    assert "alert(1)" in json.dumps(_graph_json((out / "report.html").read_text(encoding="utf-8")))
    browser = chromium()
    try:
        browser.get((out / "report.html").as_uri())
        WebDriverWait(browser, 20).until(lambda b: b.execute_script("return !!window.evsynthGraph"))
        total = browser.execute_script("return window.evsynthGraph.elements().length")
        seen = ""
        for index in range(total):
            seen += _tap(browser, "*", index)
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text  # noqa: B018
        assert "<script>alert(1)</script>" in seen  # shown, as text
        made = browser.execute_script("return document.querySelectorAll('#graph-live .graph-info img, "
                                      "#graph-live .graph-info script, #graph-live .graph-info b').length")  # fmt: skip
        assert made == 0
    finally:
        browser.quit()
