"""A PRISMA 2020 flow diagram as a self-contained SVG (no fonts, scripts or images to fetch).

The layout follows the PRISMA 2020 flow diagram: stage bands on the left
(identification, screening, included), the main flow in the middle column, what
is removed or excluded at each step to its right, and for an updated review a
"previous studies" column on the far left feeding the total.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

_FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
_SIZE = 12
_LINE = 15
_CHAR = 6.0  # average advance of the font at 12 px, for wrapping
_PAD = 9
_GAP = 34
_BAND = 28


@dataclass
class _Box:
    x: float
    y: float
    width: float
    lines: list[tuple[str, bool]]  # (text, bold)
    fill: str = "#ffffff"
    min_height: float = 0.0

    @property
    def height(self) -> float:
        return max(self.min_height, 2 * _PAD + len(self.lines) * _LINE)

    def svg(self) -> str:
        parts = [
            f'<rect x="{self.x:.0f}" y="{self.y:.0f}" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'rx="3" fill="{self.fill}" stroke="#333" stroke-width="1"/>'
        ]
        for i, (text, bold) in enumerate(self.lines):
            weight = ' font-weight="bold"' if bold else ""
            y = self.y + _PAD + (i + 1) * _LINE - 4
            indent = (len(text) - len(text.lstrip(" "))) * 4  # SVG collapses spaces: indent by position
            parts.append(f'<text x="{self.x + _PAD + indent:.0f}" y="{y:.0f}"{weight}>{escape(text.strip())}</text>')
        return "\n".join(parts)


def _wrap(items: list[tuple[str, bool]], width: float) -> list[tuple[str, bool]]:
    columns = max(10, int((width - 2 * _PAD) / _CHAR))
    lines: list[tuple[str, bool]] = []
    for text, bold in items:
        indent = " " * (len(text) - len(text.lstrip(" ")))
        glued = text.strip().replace("(n = ", "(n\u00a0=\u00a0")  # never break inside "(n = 12)"
        for j, line in enumerate(textwrap.wrap(glued, columns - len(indent)) or [""]):
            lines.append(((indent + "  " if j else indent) + line, bold))
    return lines


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#333" marker-end="url(#arrow)"/>'


def _band(y: float, height: float, label: str) -> str:
    cx, cy = 14 + _BAND / 2, y + height / 2
    return (
        f'<rect x="14" y="{y:.0f}" width="{_BAND}" height="{height:.0f}" rx="3" fill="#c5d9f1" stroke="#333"/>'
        f'<text x="{cx:.0f}" y="{cy:.0f}" transform="rotate(-90 {cx:.0f} {cy:.0f})" text-anchor="middle" '
        f'font-weight="bold">{escape(label)}</text>'
    )


def render_prisma_svg(counts: dict[str, Any], title: str = "") -> str:
    """Draw the flow diagram for :func:`evsynth.screening.prisma.prisma_counts` output."""
    ident, screen, included = counts["identification"], counts["screening"], counts["included"]
    update = counts.get("previous") is not None
    left = 14 + _BAND + 16
    prev_w = 200 if update else 0
    main_x = left + (prev_w + 24 if update else 0)
    main_w, side_w = 300, 360
    side_x = main_x + main_w + 40
    others = ident.get("other_methods") or {}
    other_x, other_w = side_x + side_w + 40, 260
    width = (other_x + other_w if others else side_x + side_w) + 16
    top = 44 if title else 14
    header = _Box(
        main_x, top, main_w + 40 + side_w, [("Identification of new studies via databases and registers", True)]
    )
    header.fill = "#fff2b3"
    y = top + header.height + 20
    sources = [(f"   {name} (n = {n})", False) for name, n in ident["sources"].items()]
    heading = (f"Records identified from databases (n = {ident.get('database_total', ident['total'])}):"
               if others else f"Records identified (n = {ident['total']}):")  # fmt: skip
    identified = _Box(main_x, y, main_w, _wrap([(heading, True), *sources], main_w))
    reasons = [(f"      {label} (n = {n})", False) for label, n in screen["excluded_by_reason"].items()
               if label != "Excluded by a reviewer"]  # fmt: skip
    removed = _Box(side_x, y, side_w, _wrap([
        ("Records removed before screening:", True),
        (f"   Duplicate records (n = {ident['duplicates_removed']})", False),
        ("   Records marked as ineligible by automation tools (the protocol's screening rules) "
         f"(n = {screen['excluded_automatic']}):", False),
        *reasons,
        (f"   Records removed for other reasons (n = {ident['removed_other']})", False),
    ], side_w))  # fmt: skip
    other_boxes: list[_Box] = []
    if others:
        labels = {"websites": "websites", "organisations": "organisations", "citations": "citation searching"}
        found = [(f"   {name}, {labels[o['method']]} (n = {o['n']})", False) for name, o in others.items()]
        other_boxes = [
            _Box(other_x, top, other_w, _wrap([("Identification of new studies via other methods", True)], other_w),
                 fill="#e7e6e6"),
            _Box(other_x, y, other_w, _wrap([("Records identified from:", True), *found], other_w)),
        ]  # fmt: skip
    row1 = max(identified.height, removed.height, *(b.height for b in other_boxes[1:]), 112.0)  # fits the band label
    identified.min_height = removed.min_height = row1
    if other_boxes:
        other_boxes[1].min_height = row1
        header.min_height = other_boxes[0].min_height = max(header.height, other_boxes[0].height)
    y2 = y + row1 + _GAP
    screened_n = screen["screened"] - screen["excluded_automatic"]
    screened = _Box(main_x, y2, main_w, _wrap([(f"Records screened (n = {screened_n})", True)], main_w))
    excluded = _Box(side_x, y2, side_w, _wrap([
        (f"Records excluded by a reviewer (n = {screen['excluded_by_reviewer']})", True),
    ], side_w))  # fmt: skip
    y3 = y2 + excluded.height + _GAP
    uncertain = _Box(side_x, y3, side_w, _wrap([
        (f"Records awaiting a reviewer's decision (uncertain) (n = {screen['uncertain']})", True),
    ], side_w))  # fmt: skip
    y4 = y3 + uncertain.height + _GAP
    new_lines = [(f"New studies included in review (n = {included['new_studies']})", True),
                 (f"Reports of new included studies (n = {included['new_studies']})", False)]  # fmt: skip
    new = _Box(main_x, y4, main_w, _wrap(new_lines, main_w), min_height=0 if update else 90)
    boxes = [header, identified, removed, screened, excluded, uncertain, new, *other_boxes]
    arrows = [
        # records from other methods join the same screening: down from their box, under the removed box, in
        *(
            [
                f'<path d="M{other_x + other_w / 2:.0f} {y + row1:.0f} V{y + row1 + _GAP / 2:.0f} '
                f'H{main_x + main_w / 2 + 40:.0f} V{y2:.0f}" stroke="#333" fill="none" marker-end="url(#arrow)"/>'
            ]
            if other_boxes
            else []
        ),
        _arrow(main_x + main_w, y + row1 / 2, side_x, y + row1 / 2),
        _arrow(main_x + main_w / 2, y + identified.height, main_x + main_w / 2, y2),
        _arrow(main_x + main_w, y2 + screened.height / 2, side_x, y2 + screened.height / 2),
        _arrow(main_x + main_w / 2, y2 + screened.height, main_x + main_w / 2, y4),
        _arrow(main_x + main_w / 2, y3 + uncertain.height / 2, side_x, y3 + uncertain.height / 2),
    ]
    bottom = y4 + new.height
    if update:
        previous = included["previous_studies"] or 0
        prev_head = _Box(left, top, prev_w, _wrap([("Previous studies", True)], prev_w), fill="#e7e6e6")
        prev_box = _Box(left, y, prev_w, _wrap([
            (f"Studies included in previous version of review (n = {previous})", True),
            (f"Reports of studies included in previous version of review (n = {previous})", False),
        ], prev_w))  # fmt: skip
        y5 = bottom + _GAP
        total = _Box(main_x, y5, main_w, _wrap([
            (f"Total studies included in review (n = {included['total_studies']})", True),
            (f"Reports of total included studies (n = {included['total_studies']})", False),
        ], main_w))  # fmt: skip
        lost = len(counts["previous"].get("no_longer_included", []))
        if lost:
            total.lines += _wrap([(f"({lost} previously included no longer are; see prisma.json)", False)], main_w)
        boxes += [prev_head, prev_box, total]
        arrows += [
            _arrow(main_x + main_w / 2, bottom, main_x + main_w / 2, y5),
            f'<path d="M{left + prev_w / 2:.0f} {y + prev_box.height:.0f} V{y5 + total.height / 2:.0f} H{main_x:.0f}" '
            'stroke="#333" fill="none" marker-end="url(#arrow)"/>',
        ]
        bottom = y5 + total.height
    bands = [
        _band(y, row1, "Identification"),
        _band(y2, y4 - _GAP - y2, "Screening"),
        _band(y4, bottom - y4, "Included"),
    ]
    height = bottom + 16
    title_svg = f'<text x="{left}" y="26" font-size="15" font-weight="bold">{escape(title)}</text>' if title else ""
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}" font-size="{_SIZE}" role="img">',
        f"<title>PRISMA 2020 flow diagram{': ' + escape(title) if title else ''}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#333"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        title_svg,
        *bands,
        *(box.svg() for box in boxes),
        *arrows,
        "</svg>",
    ])  # fmt: skip
