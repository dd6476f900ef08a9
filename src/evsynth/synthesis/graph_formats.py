"""The graph writers: CX2, GraphML, SIF (+ attribute tables), XGMML, Cytoscape JSON (registry: ``exports``).

Every writer keeps every node and edge attribute, with its type. List attributes (``pmids``, ``treatments``,
``evidence`` ...) stay lists in CX2 (``list_of_string``), XGMML (``type="list"``) and JSON; GraphML has no list
type, so there they are strings joined with `` | `` and the graph attribute ``evsynth_list_attributes`` names
them: :func:`read_graphml` (or Cytoscape's "Split column") turns them back into lists. All files are written
to a temporary file and renamed into place.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from evsynth.fileio import atomic_writer
from evsynth.synthesis.graph import NODE_TYPES
from evsynth.text import xml_text

LIST_SEPARATOR = " | "
TYPE_COLOURS = {
    "gene": "#4C78A8",
    "family": "#72B7B2",
    "variant": "#B279A2",
    "mirna": "#F58518",
    "treatment": "#54A24B",
    "chemical": "#9D755D",
    "module": "#E45756",
    "record": "#BAB0AC",
}
TYPE_SHAPES = {
    "gene": "ellipse",
    "family": "round-rectangle",
    "variant": "diamond",
    "mirna": "triangle",
    "treatment": "hexagon",
    "chemical": "vee",
    "module": "octagon",
    "record": "rectangle",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list | tuple):
        return "list_of_string"
    return "string"


def attribute_types(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Attribute name -> CX2 type over all items (a name seen as long and double is double).

    Items with the same attribute names in the same order are typed once: the graph builder gives an attribute
    the same type on every node or edge it writes, and a 100,000-record graph has millions of values.
    """
    types: dict[str, str] = {}
    seen: set[tuple[str, ...]] = set()
    for data in items:
        signature = tuple(data)
        if signature in seen:
            continue
        seen.add(signature)
        for key, value in data.items():
            kind = _kind(value)
            old = types.get(key)
            if old is None or old == kind:
                types[key] = kind
            elif {old, kind} == {"long", "double"}:
                types[key] = "double"
            else:
                types[key] = "string"
    return types


def _value(value: Any, kind: str) -> Any:
    if kind == "list_of_string" and type(value) is list:
        return value  # the builder's lists already hold strings
    if kind == "list_of_string":
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if kind == "double":
        return float(value)
    if kind == "string" and not isinstance(value, str):
        return str(value)
    return value


def _node_ids(graph: nx.Graph) -> dict[str, int]:
    return {key: number for number, key in enumerate(graph)}


def to_cx2(
    graph: nx.Graph, positions: dict[str, tuple[float, float]] | None = None, *, streamed: bool = False
) -> list[dict[str, Any]]:
    """The graph as a CX2 document (a list of aspects) with typed declarations and a default style; ``streamed``:
    its nodes and edges are made as :func:`write_json` writes them."""
    node_types = attribute_types(dict(d, evsynth_id="") for _, d in graph.nodes(data=True))
    edge_types = attribute_types(dict(d, interaction="") for _, _, d in graph.edges(data=True))
    edge_types.pop("relation", None)
    net = {
        "name": str(graph.graph.get("name", "evsynth")),
        "description": str(graph.graph.get("description", "")),
        "score_formula": str(graph.graph.get("score_formula", "")),
        "n_records": int(graph.graph.get("n_records", 0)),
        "generator": "evsynth",
    }
    ids = _node_ids(graph)

    def node_items() -> Iterator[dict[str, Any]]:
        for key, data in graph.nodes(data=True):
            node: dict[str, Any] = {
                "id": ids[key],
                "v": {"evsynth_id": key, **{k: _value(v, node_types[k]) for k, v in data.items()}},
            }
            if positions and key in positions:
                node["x"], node["y"] = round(positions[key][0], 2), round(positions[key][1], 2)
            yield node

    def edge_items() -> Iterator[dict[str, Any]]:
        for number, (a, b, data) in enumerate(graph.edges(data=True)):
            values = {k: _value(v, edge_types[k]) for k, v in data.items() if k != "relation"}
            values["interaction"] = data.get("relation", "")
            yield {"id": number, "s": ids[a], "t": ids[b], "v": values}

    nodes = Streamed(node_items()) if streamed else list(node_items())
    edges = Streamed(edge_items()) if streamed else list(edge_items())
    declarations = {
        "networkAttributes": {k: {"d": _kind(v)} for k, v in net.items()},
        "nodes": {k: {"d": t} for k, t in sorted(node_types.items())},
        "edges": {k: {"d": t} for k, t in sorted(edge_types.items())},
    }
    aspects: list[dict[str, Any]] = [
        {"CXVersion": "2.0", "hasFragments": False},
        {
            "metaData": [
                {"name": "attributeDeclarations", "elementCount": 1},
                {"name": "networkAttributes", "elementCount": 1},
                {"name": "nodes", "elementCount": graph.number_of_nodes()},
                {"name": "edges", "elementCount": graph.number_of_edges()},
                {"name": "visualProperties", "elementCount": 1},
            ]
        },
        {"attributeDeclarations": [declarations]},
        {"networkAttributes": [net]},
        {"nodes": nodes},
        {"edges": edges},
        {"visualProperties": [_style(graph)]},
        {"status": [{"error": "", "success": True}]},
    ]
    return aspects


def _style(graph: nx.Graph) -> dict[str, Any]:
    """Colour and shape by node type, size by records, edge width by score, member_of edges dashed."""
    max_records = max((int(d.get("n_records", 1)) for _, d in graph.nodes(data=True)), default=1)
    max_score = max((float(d.get("score", 1.0)) for _, _, d in graph.edges(data=True)), default=1.0)

    def ramp(attribute: str, top: float, low_vp: float, high_vp: float) -> dict[str, Any]:
        return {
            "type": "CONTINUOUS",
            "definition": {
                "attribute": attribute,
                "map": [
                    {"max": 1.0, "maxVPValue": low_vp, "includeMax": True, "includeMin": False},
                    {
                        "min": 1.0,
                        "max": max(top, 1.0001),
                        "minVPValue": low_vp,
                        "maxVPValue": high_vp,
                        "includeMin": True,
                        "includeMax": True,
                    },
                    {"min": max(top, 1.0001), "minVPValue": high_vp, "includeMin": False, "includeMax": False},
                ],
            },
        }

    return {
        "default": {
            "network": {"NETWORK_BACKGROUND_COLOR": "#FFFFFF"},
            "node": {
                "NODE_BACKGROUND_COLOR": "#CCCCCC",
                "NODE_SHAPE": "ellipse",
                "NODE_WIDTH": 30,
                "NODE_HEIGHT": 30,
                "NODE_LABEL_COLOR": "#000000",
                "NODE_LABEL_FONT_SIZE": 12,
                "NODE_BORDER_WIDTH": 1,
                "NODE_BORDER_COLOR": "#555555",
            },
            "edge": {"EDGE_LINE_COLOR": "#888888", "EDGE_WIDTH": 1, "EDGE_OPACITY": 0.8, "EDGE_LINE_STYLE": "solid"},
        },
        "nodeMapping": {
            "NODE_LABEL": {"type": "PASSTHROUGH", "definition": {"attribute": "name"}},
            "NODE_BACKGROUND_COLOR": {
                "type": "DISCRETE",
                "definition": {"attribute": "type", "map": [{"v": t, "vp": TYPE_COLOURS[t]} for t in NODE_TYPES]},
            },
            "NODE_SHAPE": {
                "type": "DISCRETE",
                "definition": {"attribute": "type", "map": [{"v": t, "vp": TYPE_SHAPES[t]} for t in NODE_TYPES]},
            },
            "NODE_WIDTH": ramp("n_records", float(max_records), 25.0, 80.0),
            "NODE_HEIGHT": ramp("n_records", float(max_records), 25.0, 80.0),
        },
        "edgeMapping": {
            "EDGE_WIDTH": ramp("score", max_score, 1.0, 12.0),
            "EDGE_LINE_STYLE": {
                "type": "DISCRETE",
                "definition": {
                    "attribute": "interaction",
                    "map": [{"v": "member_of", "vp": "dashed"}, {"v": "variant_of", "vp": "dotted"}],
                },
            },
        },
    }


def _graphml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        joined = LIST_SEPARATOR.join(map(str, value))
        if joined.count("|") == max(len(value) - 1, 0):  # no item holds the separator (nearly always)
            return joined
        return LIST_SEPARATOR.join(str(v).replace("|", "/") for v in value)
    return str(value)


_GRAPHML_TYPES = {
    "boolean": "boolean",
    "long": "long",
    "double": "double",
    "list_of_string": "string",
    "string": "string",
}


def write_graphml(graph: nx.Graph, handle: IO[str]) -> None:
    """GraphML that networkx and Cytoscape read; lists joined with `` | `` (see the module docstring)."""
    node_types = attribute_types(d for _, d in graph.nodes(data=True))
    edge_types = attribute_types(d for _, _, d in graph.edges(data=True))
    lists = sorted({k for k, t in {**node_types, **edge_types}.items() if t == "list_of_string"})
    graph_attrs = {k: v for k, v in graph.graph.items() if isinstance(v, str | int | float)}
    graph_attrs["evsynth_list_attributes"] = ",".join(lists)
    handle.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.'
        'graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    ids: dict[tuple[str, str], str] = {}
    for scope, types in (("graph", attribute_types([graph_attrs])), ("node", node_types), ("edge", edge_types)):
        for name, kind in sorted(types.items()):
            ids[(scope, name)] = key_id = f"{scope[0]}{len(ids)}"
            attr = f'attr.name={_quoteattr(name)} attr.type="{_GRAPHML_TYPES[kind]}"'
            handle.write(f'  <key id="{key_id}" for="{scope}" {attr}/>\n')

    def data(scope: str, values: dict[str, Any], indent: str) -> str:
        return "".join(
            f'{indent}<data key="{ids[(scope, k)]}">{_escape(_graphml_value(v))}</data>\n' for k, v in values.items()
        )

    handle.write('  <graph edgedefault="undirected">\n' + data("graph", graph_attrs, "    "))
    for key, values in graph.nodes(data=True):
        handle.write(f"    <node id={_quoteattr(key)}>\n{data('node', values, '      ')}    </node>\n")
    for a, b, values in graph.edges(data=True):
        handle.write(
            f"    <edge source={_quoteattr(a)} target={_quoteattr(b)}>\n{data('edge', values, '      ')}    </edge>\n"
        )
    handle.write("  </graph>\n</graphml>\n")


def read_graphml(path: Path) -> nx.Graph:
    """Read a GraphML file written by evsynth, splitting its list attributes back into lists."""
    graph = nx.read_graphml(path)
    lists = set(filter(None, str(graph.graph.pop("evsynth_list_attributes", "")).split(",")))
    for items in (graph.nodes(data=True), graph.edges(data=True)):
        for *_, values in items:
            for key in lists & set(values):
                values[key] = values[key].split(LIST_SEPARATOR) if values[key] else []
    return graph


def _tsv(value: Any) -> str:
    """A SIF or TSV field: no tab or line break can split it (a record key or an id from hostile text)."""
    text = _graphml_value(value)
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def write_sif(graph: nx.Graph, handle: IO[str], nodes_path: Path, edges_path: Path) -> None:
    """``source<TAB>relation<TAB>target`` lines, plus node and edge attribute tables (TSV) Cytoscape imports."""
    for a, b, relation in graph.edges(data="relation"):
        handle.write(f"{_tsv(a)}\t{_tsv(relation)}\t{_tsv(b)}\n")
    isolated = [n for n in graph if graph.degree(n) == 0]
    for key in isolated:
        handle.write(f"{_tsv(key)}\n")
    node_columns = sorted(attribute_types(d for _, d in graph.nodes(data=True)))
    with atomic_writer(nodes_path) as nodes:
        nodes.write("\t".join(["shared name", *node_columns]) + "\n")
        for key, data in graph.nodes(data=True):
            nodes.write("\t".join([_tsv(key), *(_tsv(data.get(c, "")) for c in node_columns)]) + "\n")
    edge_columns = sorted(attribute_types(d for _, _, d in graph.edges(data=True)))
    with atomic_writer(edges_path) as edges:
        edges.write("\t".join(["shared name", "source", "target", *edge_columns]) + "\n")
        for a, b, data in graph.edges(data=True):
            name = f"{a} ({data.get('relation', '')}) {b}"
            edges.write(
                "\t".join([_tsv(v) for v in (name, a, b)] + [_tsv(data.get(c, "")) for c in edge_columns]) + "\n"
            )


_XGMML_TYPES = {"boolean": "boolean", "long": "integer", "double": "real", "string": "string"}


_PLAIN = re.compile(r"[\w:.;, /-]*")


def _escape(text: str) -> str:
    return escape(xml_text(text))


def _quoteattr(text: str) -> str:
    return quoteattr(xml_text(text))


def _q(text: str) -> str:
    """An XML attribute value in double quotes (a faster quoteattr for the long PMID lists)."""
    escaped = xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return '"' + escaped.replace("\n", "&#10;").replace("\t", "&#9;").replace("\r", "&#13;") + '"'


@lru_cache(maxsize=1024)
def _quoted_name(key: str) -> str:
    return _q(key)


def _xgmml_atts(values: dict[str, Any], indent: str) -> str:
    out = []
    for key, value in values.items():
        kind = _kind(value)
        name = _quoted_name(key)
        if kind == "list_of_string":
            head = f"{indent}  <att name={name} value="
            if value and _PLAIN.fullmatch("".join(value)):  # PMIDs and the like: nothing to escape, one C-level join
                tail = '" type="string"/>\n'
                items = head + '"' + (tail + head + '"').join(value) + tail
            else:
                items = "".join(f'{head}{_q(str(v))} type="string"/>\n' for v in value)
            out.append(f'{indent}<att name={name} type="list">\n{items}{indent}</att>\n')
        else:
            text = ("1" if value else "0") if kind == "boolean" else str(value)
            out.append(f'{indent}<att name={name} value={_q(text)} type="{_XGMML_TYPES[kind]}"/>\n')
    return "".join(out)


def write_xgmml(graph: nx.Graph, handle: IO[str]) -> None:
    """XGMML 1.1 (Cytoscape's XML network format), list attributes as ``type="list"``."""
    ids = _node_ids(graph)
    label = str(graph.graph.get("name", "evsynth"))
    handle.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<graph label={_quoteattr(label)} directed="0" '
        'xmlns="http://www.cs.rpi.edu/XGMML" xmlns:cy="http://www.cytoscape.org">\n'
    )
    handle.write(_xgmml_atts({k: v for k, v in graph.graph.items() if isinstance(v, str | int | float)}, "  "))
    for key, data in graph.nodes(data=True):
        handle.write(
            f'  <node id="{ids[key]}" label={_quoteattr(str(data.get("name", key)))}>\n'
            f"{_xgmml_atts({'evsynth_id': key, **data}, '    ')}  </node>\n"
        )
    for number, (a, b, data) in enumerate(graph.edges(data=True)):
        relation = str(data.get("relation", ""))
        handle.write(
            f'  <edge id="e{number}" source="{ids[a]}" target="{ids[b]}" label={_quoteattr(f"{a} ({relation}) {b}")}>\n'
            f"{_xgmml_atts({'interaction': relation, **data}, '    ')}  </edge>\n"
        )
    handle.write("</graph>\n")


def to_cytoscape_json(graph: nx.Graph, *, streamed: bool = False) -> dict[str, Any]:
    """Cytoscape.js JSON (``.cyjs``): ``{"data": ..., "elements": {"nodes": [...], "edges": [...]}}``; ``streamed``:
    its nodes and edges are made as :func:`write_json` writes them."""
    # "value" repeats the id for networkx's cytoscape_graph reader
    nodes = ({"data": {"id": key, "value": key, **data}} for key, data in graph.nodes(data=True))
    edges = (
        {"data": {"id": f"e{n}", "source": a, "target": b, "interaction": data.get("relation", ""), **data}}
        for n, (a, b, data) in enumerate(graph.edges(data=True))
    )
    return {
        "data": {k: v for k, v in graph.graph.items() if isinstance(v, str | int | float)},
        "elements": {
            "nodes": Streamed(nodes) if streamed else list(nodes),
            "edges": Streamed(edges) if streamed else list(edges),
        },
    }


class Streamed:
    """A list in a document for :func:`write_json` whose items are made as they are written, never all held."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


_STREAM_CHUNK = 2000  # items a json.dumps call: C speed, a bounded string


def write_json(document: Any, handle: IO[str]) -> None:
    """Write ``document`` as compact JSON (what ``json.dumps(document, ensure_ascii=False, separators=(",", ":"))``
    gives), a :class:`Streamed` list inside it a chunk of items at a time. ``json.dumps`` runs in C; ``json.dump``
    streams through Python and is several times slower here."""
    if isinstance(document, Streamed):
        handle.write("[")
        items = iter(document.items)
        separator = ""
        while chunk := list(itertools.islice(items, _STREAM_CHUNK)):
            handle.write(separator + ",".join(map(_dumps, chunk)))
            separator = ","
        handle.write("]")
    elif isinstance(document, dict) and _holds_stream(document):
        handle.write("{")
        for number, (key, value) in enumerate(document.items()):
            handle.write(("," if number else "") + _dumps(key) + ":")
            write_json(value, handle)
        handle.write("}")
    elif isinstance(document, list) and _holds_stream(document):
        handle.write("[")
        for number, value in enumerate(document):
            handle.write("," if number else "")
            write_json(value, handle)
        handle.write("]")
    else:
        handle.write(_dumps(document))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _holds_stream(value: Any) -> bool:
    if isinstance(value, Streamed):
        return True
    if isinstance(value, dict):
        return any(_holds_stream(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_stream(v) for v in value)
    return False
