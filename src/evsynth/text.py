"""Text conventions every output shares, written once."""

from __future__ import annotations

import re

# characters XML 1.0 forbids (C0 controls but tab, line feed and carriage return; lone surrogates; U+FFFE/FFFF)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def markdown_cell(value: object) -> str:
    """A value for one cell of a Markdown table: a vertical bar escaped, line breaks as spaces. The one escaping
    of changes.md, the evidence tables and audit.md; None is an empty cell."""
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def xml_text(value: str) -> str:
    """The text with every character XML 1.0 forbids replaced by U+FFFD, so that a record whose title or
    abstract holds a control character still gives a well-formed GraphML or XGMML file."""
    return _XML_ILLEGAL.sub("\ufffd", value) if _XML_ILLEGAL.search(value) else value
