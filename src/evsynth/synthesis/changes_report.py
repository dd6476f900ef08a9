"""changes.json and changes.md: what an update found, for a person and for a scheduler's job summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evsynth.fileio import atomic_writer
from evsynth.synthesis.changes import LISTS, has_news
from evsynth.text import Markdown, markdown_cell

MD_LIMIT = 100  # rows per changes.md table; changes.json has them all


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows[:MD_LIMIT]]
    if len(rows) > MD_LIMIT:
        lines.append(f"\n... and {len(rows) - MD_LIMIT} more (see changes.json)")
    return lines + [""]


def _pmid_link(item: dict[str, Any]) -> str:
    pmid = str(item.get("pmid") or "")
    if pmid.isdigit():
        return Markdown(f"[{pmid}](https://pubmed.ncbi.nlm.nih.gov/{pmid}/)")
    return str(item.get("record_key", "") or pmid)


def why(item: dict[str, Any]) -> str:
    """Why a record's decision is what it is: the reviewer's reason when a reviewer decided it, else the criteria."""
    if item.get("override_reason"):
        return f"reviewer: {item['override_reason']}"
    return "; ".join(item.get("reasons", []))


def changes_markdown(changes: dict[str, Any], title: str) -> str:
    """changes.md: the same content as changes.json, for people."""
    since = changes["since"]
    lines = [f"# What changed: {title}", ""]
    if since:
        lines.append(
            f"Run {changes['run_id']} ({changes['generated_at']}) compared with the state after run "
            f"{since['run_id']} ({since['snapshot_at']})."
        )
    else:
        lines.append(
            f"Run {changes['run_id']} ({changes['generated_at']}): the first snapshot of this review, "
            "so every record is new."
        )
    summary = changes["summary"]
    counted = [f"{summary[name]} {name.replace('_', ' ')}" for name in LISTS if summary.get(name)]
    lines += ["", (", ".join(counted) + "." if counted else ""), ""]
    if not has_news(changes):
        return "\n".join([*lines, "Nothing changed.", ""])
    sections: list[tuple[str, list[str], list[list[object]]]] = [
        (
            "Newly included studies",
            ["PMID", "year", "first author", "title", "was"],
            [
                [_pmid_link(i), i.get("year"), i.get("first_author"), i.get("title"), i["was"]]
                for i in changes["newly_included"]
            ],
        ),
        (
            "No longer included",
            ["PMID", "title", "now", "reasons"],
            [[_pmid_link(i), i.get("title"), i["now"], why(i)] for i in changes["no_longer_included"]],
        ),
        (
            "Retractions, errata and notices among included records",
            ["PMID", "title", "notice", "notice PMID", "decision now"],
            [[_pmid_link(i), i.get("title"), i["notice"], i["notice_pmid"], i["decision"]] for i in changes["notices"]],
        ),
        (
            "Deleted by PubMed",
            ["PMID", "title", "was"],
            [[_pmid_link(i), i.get("title"), i["was"]] for i in changes["deleted_records"]],
        ),
        (
            "Pathways that became convergent",
            ["id", "name"],
            [[i["id"], i["name"]] for i in changes["newly_convergent"]],
        ),
        (
            "Pathways no longer convergent",
            ["id", "name"],
            [[i["id"], i["name"]] for i in changes["no_longer_convergent"]],
        ),
        (
            "New records and their decisions",
            ["PMID", "year", "title", "decision", "reasons"],
            [
                [
                    _pmid_link(i),
                    i.get("year"),
                    i.get("title"),
                    i["decision"],
                    "; ".join(i.get("reasons", [])) or i.get("duplicate_of", ""),
                ]
                for i in changes["new_records"]
            ],
        ),
        (
            "Records PubMed changed",
            ["PMID", "title", "decision"],
            [[_pmid_link(i), i.get("title"), i["decision"]] for i in changes["updated_records"]],
        ),
        (
            "New edges",
            ["source", "target", "relation", "records", "PMIDs"],
            [
                [e["source_name"], e["target_name"], e["relation"], e["n_records"], ", ".join(e["pmids"][:10])]
                for e in changes["new_edges"]
            ],
        ),
        (
            "Strengthened edges",
            ["source", "target", "relation", "records before", "now", "new PMIDs"],
            [
                [
                    e["source_name"],
                    e["target_name"],
                    e["relation"],
                    e["n_before"],
                    e["n_records"],
                    ", ".join(e["new_pmids"][:10]),
                ]
                for e in changes["strengthened_edges"]
            ],
        ),
    ]
    for heading, header, rows in sections:
        if rows:
            lines += [f"## {heading} ({len(rows)})", "", *_table(header, rows)]
    return "\n".join(lines)


def write_changes(changes: dict[str, Any], out_dir: Path, title: str) -> dict[str, Path]:
    """Write ``changes.json`` and ``changes.md`` (each atomically)."""
    paths = {"changes_json": out_dir / "changes.json", "changes_md": out_dir / "changes.md"}
    with atomic_writer(paths["changes_json"]) as handle:
        json.dump(changes, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    with atomic_writer(paths["changes_md"]) as handle:
        handle.write(changes_markdown(changes, title))
    return paths
