"""Text conventions every output shares, written once."""

from __future__ import annotations


def markdown_cell(value: object) -> str:
    """A value for one cell of a Markdown table: a vertical bar escaped, line breaks as spaces. The one escaping
    of changes.md, the evidence tables and audit.md; None is an empty cell."""
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")
