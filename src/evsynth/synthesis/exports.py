"""The graph export formats: one registry, read by `evsynth run`, `evsynth export`, its --format choices and the
docs test. A new format is a writer in :mod:`evsynth.synthesis.graph_formats` and one entry here.

Example:
    >>> list(GRAPH_FORMATS)
    ['cx2', 'graphml', 'sif', 'xgmml', 'json']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import networkx as nx

from evsynth.errors import EvsynthError
from evsynth.fileio import atomic_writer
from evsynth.synthesis.graph import gc_paused
from evsynth.synthesis.graph_formats import (
    to_cx2,
    to_cytoscape_json,
    write_graphml,
    write_json,
    write_sif,
    write_xgmml,
)

Positions = dict[str, tuple[float, float]]


@dataclass(frozen=True)
class GraphFormat:
    """A file format the evidence graph is written in."""

    name: str
    suffix: str
    description: str
    write: Callable[[nx.Graph, Path, Positions | None], list[Path]]  # every file written, the main one first

    @property
    def default_file(self) -> str:
        """Its file name in the output folder."""
        return f"graph{self.suffix}"


def _one_file(render: Callable[[nx.Graph, Positions | None, IO[str]], object]) -> Callable[..., list[Path]]:
    def write(graph: nx.Graph, path: Path, positions: Positions | None) -> list[Path]:
        with atomic_writer(path) as handle:
            render(graph, positions, handle)
        return [path]

    return write


def _sif(graph: nx.Graph, path: Path, positions: Positions | None) -> list[Path]:
    nodes_path = path.with_name(path.stem + ".nodes.tsv")
    edges_path = path.with_name(path.stem + ".edges.tsv")
    with atomic_writer(path) as handle:
        write_sif(graph, handle, nodes_path, edges_path)
    return [path, nodes_path, edges_path]


GRAPH_FORMATS: dict[str, GraphFormat] = {
    fmt.name: fmt
    for fmt in (
        GraphFormat("cx2", ".cx2", "Cytoscape CX2 (NDEx), with the layout and a style",
                    _one_file(lambda g, pos, h: write_json(to_cx2(g, pos, streamed=True), h))),
        GraphFormat("graphml", ".graphml", "GraphML (Cytoscape, Gephi, yEd, networkx); lists joined by a vertical bar",
                    _one_file(lambda g, pos, h: write_graphml(g, h))),
        GraphFormat("sif", ".sif", "SIF edges plus node and edge attribute tables (.nodes.tsv, .edges.tsv)", _sif),
        GraphFormat("xgmml", ".xgmml", "XGMML (Cytoscape's XML), with list attributes",
                    _one_file(lambda g, pos, h: write_xgmml(g, h))),
        GraphFormat("json", ".cyjs", "Cytoscape.js JSON (cytoscape.js, Cytoscape, networkx)",
                    _one_file(lambda g, pos, h: write_json(to_cytoscape_json(g, streamed=True), h))),
    )
}  # fmt: skip


def export_graph(graph: nx.Graph, fmt: str, path: Path, positions: Positions | None = None) -> list[Path]:
    """Write ``graph`` in format ``fmt`` to ``path``; return every file written (SIF writes three)."""
    if fmt not in GRAPH_FORMATS:
        raise EvsynthError(f"--format: {fmt!r} is not one of {', '.join(GRAPH_FORMATS)}")
    with gc_paused():
        return GRAPH_FORMATS[fmt].write(graph, path, positions)
