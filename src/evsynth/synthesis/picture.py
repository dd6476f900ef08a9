"""The evidence graph laid out and drawn: the layout that graph.cx2 and the report's interactive graph share, and
the static SVG picture of the graph's core (the report's fallback when scripts are off, and what prints)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import networkx as nx
import numpy as np

from evsynth.synthesis.graph_formats import TYPE_COLOURS, TYPE_SHAPES

PICTURE_NODES = 60  # the picture shows modules, treatments and the entities with the most records, up to this many
WIDTH, HEIGHT, MARGIN = 1000, 720, 70
_LEGEND = 34  # the legend's strip along the top of the picture
_FONT = 12
_CHAR = 0.58 * _FONT  # a sans-serif character's mean width, for the label boxes
_LABEL_CHARS = 40  # longer names are cut with an ellipsis (the full name is in the tooltip)
_LINE_CHARS = 20  # a label is broken into lines of about this many characters
_LINE = _FONT + 2  # a label line's height
LEGEND_TYPES = ("module", "treatment", "gene", "family", "variant", "mirna", "chemical")
_OPTIONAL_TYPES = ("chemical",)  # in the legend only when drawn (PubTator3's chemicals)

Positions = dict[str, tuple[float, float]]


def picture_nodes(graph: nx.Graph, limit: int = PICTURE_NODES) -> list[str]:
    """Modules and treatments with evidence, then the best-supported genes, families, miRNAs and variants."""

    def records(key: str) -> int:
        return int(graph.nodes[key].get("n_records", 0))

    fixed = sorted((n for n, t in graph.nodes(data="type") if t in ("module", "treatment")), key=lambda n: -records(n))
    fixed = fixed[: limit // 2]
    others = sorted(
        (n for n, t in graph.nodes(data="type") if t in ("gene", "family", "mirna", "variant")),
        key=lambda n: (-records(n), n),
    )
    return fixed + others[: limit - len(fixed)]


def node_radius(graph: nx.Graph, key: str, top_records: int) -> float:
    """A node's drawn radius: 7 to 23 by the square root of its share of the best-supported node's records."""
    return 7 + 16 * math.sqrt(int(graph.nodes[key].get("n_records", 1)) / max(top_records, 1))


def layout(graph: nx.Graph, nodes: list[str]) -> Positions:
    """Spring layout of ``nodes``, weighted by edge score, scaled to the picture and spread so that no two nodes
    overlap (deterministic)."""
    if not nodes:
        return {}
    # modules sit fixed on a ring and pull their members outwards; treatments start in the middle; a hidden hub
    # tied weakly to every node keeps unconnected parts from drifting to the edges of the picture
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    edges = list(graph.subgraph(nodes).edges(data=True))
    top = max((float(d.get("score", 1.0)) for *_, d in edges), default=1.0) or 1.0
    # membership pulls hardest, so members gather by their module; co-mentions by their share of the top score
    sub.add_edges_from(
        (a, b, {"score": 1.0 if d.get("relation") == "member_of" else 0.2 + 0.5 * float(d["score"]) / top})
        for a, b, d in edges
    )
    modules = sorted(n for n in nodes if graph.nodes[n]["type"] == "module")
    start = {
        n: (1.15 * math.cos(2 * math.pi * i / len(modules)), 1.15 * math.sin(2 * math.pi * i / len(modules)))
        for i, n in enumerate(modules)
    }
    hub = "\0hub"
    sub.add_edges_from(((hub, n) for n in nodes), score=0.1)
    start[hub] = (0.0, 0.0)
    fixed = [*modules, hub] if modules else None
    raw = nx.spring_layout(
        sub, pos=start or None, fixed=fixed, seed=7, weight="score", k=2.0 / math.sqrt(len(nodes)), iterations=300
    )
    raw.pop(hub)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    top_y = MARGIN + _LEGEND
    scaled = {
        n: (
            MARGIN + (float(p[0]) - min(xs)) / span_x * (WIDTH - 2 * MARGIN),
            top_y + (float(p[1]) - min(ys)) / span_y * (HEIGHT - MARGIN - top_y),
        )
        for n, p in raw.items()
    }
    top_records = max((int(graph.nodes[n].get("n_records", 1)) for n in nodes), default=1)
    return _spread(scaled, {n: node_radius(graph, n, top_records) + 18 for n in nodes})


def canvas_scale(nodes: int) -> float:
    """How much larger than the picture the canvas of a layout of ``nodes`` nodes is."""
    return max(1.0, math.sqrt(nodes / PICTURE_NODES))


def _spread(positions: Positions, room: dict[str, float], rounds: int = 80) -> Positions:
    """Push apart nodes closer than their radii plus room for a label, keeping them inside the picture (a larger
    graph gets a larger canvas: the interactive graph zooms)."""
    keys = sorted(positions)
    scale = canvas_scale(len(keys))
    at = np.array([positions[k] for k in keys], dtype=float) * scale
    need = np.array([room[k] for k in keys])
    need = need[:, None] + need[None, :]
    low = np.array([MARGIN / 2, _LEGEND + MARGIN / 2])
    high = np.array([WIDTH * scale - MARGIN / 2, HEIGHT * scale - MARGIN / 2])
    ties = np.arange(len(keys), dtype=float)  # the same point: part them along a direction fixed by their order
    for _ in range(rounds):
        delta = at[None, :, :] - at[:, None, :]  # delta[i, j] points from i to j
        distance = np.hypot(delta[..., 0], delta[..., 1])
        overlap = np.clip(need - distance, 0.0, None)
        np.fill_diagonal(overlap, 0.0)
        if not overlap.any():
            break
        same = distance < 1e-6
        delta[same] = np.stack([np.cos(ties), np.sin(ties)], axis=1)[np.nonzero(same)[0]]
        distance[same] = 1.0
        push = (overlap / 2 / distance)[..., None] * delta
        at = np.clip(at - push.sum(axis=1), low, high)
    return {k: (float(x), float(y)) for k, (x, y) in zip(keys, at, strict=True)}


@dataclass(frozen=True)
class _Box:
    left: float
    top: float
    right: float
    bottom: float

    def hits(self, other: _Box) -> bool:
        return not (
            self.right <= other.left or other.right <= self.left or self.bottom <= other.top or other.bottom <= self.top
        )


def short_label(name: str, limit: int = _LABEL_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def label_lines(name: str, width: int = _LINE_CHARS) -> list[str]:
    """A label in at most two lines of about ``width`` characters, broken between words (cut with an ellipsis
    when longer)."""
    words, lines = short_label(name).split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], short_label(" ".join(lines[1:]), width)]
    return lines


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # the first line's baseline
    anchor: str  # SVG text-anchor
    side: str  # below, above, right, left, below-right, below-left, above-right or above-left of the node
    leader: tuple[float, float, float, float] | None  # a line from the node to a label set further out


def place_labels(
    nodes: list[str],
    pos: Positions,
    radius: dict[str, float],
    labels: dict[str, list[str]],
    *,
    bounds: tuple[float, float] = (WIDTH, HEIGHT),
    reach: tuple[float, ...] = (0.0, 18.0, 36.0, 54.0, 72.0),
) -> dict[str, Label]:
    """Where each label goes: below, above, right, left of its node or at a corner, the first of those that
    overlaps no node and no label already placed and stays inside ``bounds``; failing that, the same places
    further out (by ``reach``), with a leader line. Labels are placed in the order of ``nodes`` (most important
    first); one that fits nowhere is left off (its node's tooltip still names it)."""
    taken = [_Box(x - radius[n], y - radius[n], x + radius[n], y + radius[n]) for n, (x, y) in pos.items()]
    own = {n: taken[i] for i, n in enumerate(pos)}
    placed: dict[str, Label] = {}
    for node in nodes:
        (x, y), lines = pos[node], labels[node]
        width, height = max(len(line) for line in lines) * _CHAR, len(lines) * _LINE
        for out in reach:
            r = radius[node] + out
            corner = r * 0.75
            candidates = (  # (x, top of the label's box, anchor, side, where a leader line ends)
                (x, y + r + 2, "middle", "below", (x, y + r)),
                (x, y - r - 2 - height, "middle", "above", (x, y - r)),
                (x + r + 4, y - height / 2, "start", "right", (x + r, y)),
                (x - r - 4, y - height / 2, "end", "left", (x - r, y)),
                (x + corner + 2, y + corner, "start", "below-right", (x + corner, y + corner)),
                (x - corner - 2, y + corner, "end", "below-left", (x - corner, y + corner)),
                (x + corner + 2, y - corner - height, "start", "above-right", (x + corner, y - corner)),
                (x - corner - 2, y - corner - height, "end", "above-left", (x - corner, y - corner)),
            )
            for lx, top, anchor, side, (ex, ey) in candidates:
                left = {"middle": lx - width / 2, "start": lx, "end": lx - width}[anchor]
                box = _Box(left, top, left + width, top + height)
                inside = (
                    box.left >= 2 and box.right <= bounds[0] - 2 and box.top >= _LEGEND and box.bottom <= bounds[1] - 2
                )
                if inside and not any(box.hits(other) for other in taken if other is not own[node]):
                    leader = None
                    if out:
                        scale = radius[node] / r
                        leader = (x + (ex - x) * scale, y + (ey - y) * scale, ex, ey)
                    placed[node] = Label(lx, top + _FONT, anchor, side, leader)
                    taken.append(box)
                    break
            if node in placed:
                break
    return placed


def label_order(graph: nx.Graph, nodes: list[str], radius: dict[str, float]) -> list[str]:
    """Modules and treatments first, then by records: the best-supported names are the ones sure to show."""
    return sorted(nodes, key=lambda n: (graph.nodes[n]["type"] not in ("module", "treatment"), -radius[n], n))


def _shape(kind: str, x: float, y: float, r: float) -> str:
    """The SVG element opening for a node of ``kind`` drawn in the CX2 style's shape (graph_formats.TYPE_SHAPES)."""
    shape = TYPE_SHAPES.get(kind, "ellipse")
    if shape == "ellipse":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"'
    if shape in ("rectangle", "round-rectangle"):
        corner = ' rx="5"' if shape == "round-rectangle" else ""
        return f'<rect x="{x - r:.1f}" y="{y - r * 0.8:.1f}" width="{2 * r:.1f}" height="{1.6 * r:.1f}"{corner}'
    if shape == "vee":  # an arrowhead pointing down, as cytoscape.js and Cytoscape draw it
        corners = ((x - r, y - r), (x, y - 0.3 * r), (x + r, y - r), (x, y + r))
        return '<polygon points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in corners) + '"'
    sides, turn = {"triangle": (3, -90.0), "diamond": (4, -90.0), "hexagon": (6, 0.0), "octagon": (8, 22.5)}[shape]
    scale = 1.25 if shape == "triangle" else 1.1
    points = " ".join(
        f"{x + scale * r * math.cos(math.radians(turn + 360 * i / sides)):.1f},"
        f"{y + scale * r * math.sin(math.radians(turn + 360 * i / sides)):.1f}"
        for i in range(sides)
    )
    return f'<polygon points="{points}"'


def _closing(kind: str) -> str:
    shape = TYPE_SHAPES.get(kind, "ellipse")
    return {"ellipse": "</circle>", "rectangle": "</rect>", "round-rectangle": "</rect>"}.get(shape, "</polygon>")


def type_label(kind: str) -> str:
    return "miRNA" if kind == "mirna" else kind


def graph_svg(graph: nx.Graph, limit: int = PICTURE_NODES) -> str:
    """An SVG picture of the graph's core: colour and shape by type, size by records, line width by score; the
    labels that would overlap are left to the tooltips."""
    nodes = picture_nodes(graph, limit)
    pos = layout(graph, nodes)
    sub = graph.subgraph(nodes)
    top_score = max((float(s) for _, _, s in sub.edges(data="score")), default=1.0) or 1.0
    top_records = max((int(graph.nodes[n].get("n_records", 1)) for n in nodes), default=1) or 1
    radius = {n: node_radius(graph, n, top_records) for n in nodes}
    labels = {n: label_lines(str(graph.nodes[n]["name"])) for n in nodes}
    where = place_labels(label_order(graph, nodes, radius), pos, radius, labels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="evidence graph" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for a, b, data in sorted(sub.edges(data=True), key=lambda e: float(e[2].get("score", 0))):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        width = 0.6 + 6.0 * float(data.get("score", 0)) / top_score
        dash = ' stroke-dasharray="5,4"' if data.get("relation") == "member_of" else ""
        tip = f"{graph.nodes[a]['name']} – {graph.nodes[b]['name']}: {data.get('n_records', 0)} records"
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#8c8c8c" '
            f'stroke-opacity="0.55" stroke-width="{width:.2f}"{dash}><title>{escape(tip)}</title></line>'
        )
    for key in nodes:
        data = graph.nodes[key]
        kind = str(data["type"])
        x, y = pos[key]
        tip = f"{data['name']} ({type_label(kind)}): {data.get('n_records', 0)} records"
        parts.append(
            f'{_shape(kind, x, y, radius[key])} fill="{TYPE_COLOURS.get(kind, "#cccccc")}" stroke="#333" '
            f'stroke-width="1"><title>{escape(tip)}</title>{_closing(kind)}'
        )
    for key, label in where.items():
        if label.leader:
            x1, y1, x2, y2 = label.leader
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#111" stroke-width="0.8"/>'
            )
        first, *rest = labels[key]
        more = "".join(f'<tspan x="{label.x:.1f}" dy="{_LINE}">{escape(line)}</tspan>' for line in rest)
        parts.append(
            f'<text x="{label.x:.1f}" y="{label.y:.1f}" font-size="{_FONT}" text-anchor="{label.anchor}" '
            f'fill="#111" paint-order="stroke" stroke="#fff" stroke-width="3">{escape(first)}{more}</text>'
        )
    x = 12.0
    drawn = {graph.nodes[n]["type"] for n in nodes}
    for kind in (k for k in LEGEND_TYPES if k not in _OPTIONAL_TYPES or k in drawn):
        parts.append(
            f'{_shape(kind, x + 6, 18, 6)} fill="{TYPE_COLOURS[kind]}" stroke="#333">{_closing(kind)}'
            f'<text x="{x + 16:.0f}" y="22" font-size="{_FONT}">{type_label(kind)}</text>'
        )
        x += 30 + len(type_label(kind)) * _CHAR
    parts.append("</svg>")
    return "\n".join(parts)
