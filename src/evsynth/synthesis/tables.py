"""Evidence tables (Table 2: DNA-variant studies, Table 3: RNA and microRNA studies) and the convergence files.

A record goes to Table 2 when one of its designs is a DNA design (candidate gene, GWAS, polygenic score,
sequencing) or it names a variant; to Table 3 when one is an RNA design (microRNA profiling, gene expression,
epigenetic) or it names a microRNA; to both when both hold. ``evidence.csv`` lists every included record with
the table(s) it went to.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.synthesis.convergence import COLUMNS, ConvergenceRow
from evsynth.synthesis.design import DNA_DESIGNS, RNA_DESIGNS
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.text import markdown_cell

EVIDENCE_COLUMNS = (
    "table",
    "pmid",
    "first_author",
    "year",
    "design",
    "designs",
    "sample_size",
    "sample_size_text",
    "genes",
    "variants",
    "mirnas",
    "treatments",
    "title",
    "doi",
)
TABLES = {
    "2": "Table 2. DNA-variant studies (candidate gene, GWAS, polygenic, sequencing)",
    "3": "Table 3. RNA studies (microRNA profiling, gene expression, epigenetic)",
}


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def evidence_row(record: EvidenceRecord) -> dict[str, str]:
    """One record as a table row (lists joined with '; ', in order of first mention)."""
    genes: list[str] = []
    variants: list[str] = []
    mirnas: list[str] = []
    treatments: list[str] = []
    for mention in record.mentions:
        attrs = dict(mention.attrs)
        if mention.type == "gene":
            genes.append(str(attrs.get("symbol") or mention.text))
        elif mention.type == "family" and mention.id:
            genes.append(f"{mention.id.removeprefix('FPLX:')} family")
        elif mention.type == "variant" and mention.id:
            variants.append(f"{attrs['gene']} {mention.id}" if attrs.get("gene") else mention.id)
        elif mention.type == "mirna":
            members: list[dict[str, object]] = list(attrs.get("members") or [])  # type: ignore[call-overload]
            mirnas.extend(str(m["id"]).removeprefix("hsa-") for m in members)
        elif mention.type == "treatment":
            treatments.append(str(attrs.get("name") or mention.text))
    designs = set(record.design.designs)
    tables = []
    if designs & DNA_DESIGNS or variants:
        tables.append("2")
    if designs & RNA_DESIGNS or mirnas:
        tables.append("3")
    return {
        "table": ";".join(tables), "pmid": record.key, "first_author": record.first_author,
        "year": str(record.year or ""), "design": record.design.primary,
        "designs": "; ".join(record.design.designs),
        "sample_size": "" if record.design.sample_size is None else str(record.design.sample_size),
        "sample_size_text": record.design.sample_text, "genes": "; ".join(_unique(genes)),
        "variants": "; ".join(_unique(variants)), "mirnas": "; ".join(_unique(mirnas)),
        "treatments": "; ".join(_unique(treatments)), "title": record.title, "doi": record.doi or "",
    }  # fmt: skip


def markdown_table(rows: list[dict[str, str]], columns: tuple[str, ...], headers: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(markdown_cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_MD_COLUMNS = ("pmid", "citation", "design", "sample_size", "genes", "variants", "mirnas", "treatments")
_MD_HEADERS = ("PMID", "Study", "Design", "N", "Genes", "Variants", "miRNAs", "Treatments")


def table_rows(records: list[EvidenceRecord]) -> dict[str, list[dict[str, str]]]:
    """'2' and '3' -> their rows; 'all' -> every record."""
    rows = [evidence_row(r) | {"citation": r.citation} for r in records]
    return {"all": rows, **{t: [r for r in rows if t in r["table"].split(";")] for t in TABLES}}


def write_evidence_tables(records: list[EvidenceRecord], out_dir: Path) -> dict[str, Path]:
    """evidence.csv (every record), evidence-table-2.csv/.md and evidence-table-3.csv/.md."""
    grouped = table_rows(records)
    paths = {"evidence": out_dir / "evidence.csv"}
    with atomic_writer(paths["evidence"], newline="") as handle:
        writer = CsvWriter(handle, fieldnames=EVIDENCE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(grouped["all"])
    for table, caption in TABLES.items():
        csv_path, md_path = out_dir / f"evidence-table-{table}.csv", out_dir / f"evidence-table-{table}.md"
        with atomic_writer(csv_path, newline="") as handle:
            writer = CsvWriter(handle, fieldnames=EVIDENCE_COLUMNS[1:], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(grouped[table])
        with atomic_writer(md_path) as handle:
            handle.write(
                f"# {caption}\n\n{len(grouped[table])} included records. Generated by evsynth from the "
                "records' titles, abstracts and publication types; check against the papers.\n\n"
            )
            handle.write(markdown_table(grouped[table], _MD_COLUMNS, _MD_HEADERS))
        paths[f"table{table}"], paths[f"table{table}_md"] = csv_path, md_path
    return paths


def write_convergence(rows: list[ConvergenceRow], out_dir: Path, *, settings_text: str) -> dict[str, Path]:
    """convergence.csv (one row per module and entity) and convergence.md (the readable summary)."""
    paths = {"convergence": out_dir / "convergence.csv", "convergence_md": out_dir / "convergence.md"}
    with atomic_writer(paths["convergence"], newline="") as handle:
        writer = CsvWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.to_row() for row in rows)
    with atomic_writer(paths["convergence_md"]) as handle:
        handle.write(convergence_markdown(rows, settings_text))
    return paths


def convergence_markdown(rows: list[ConvergenceRow], settings_text: str) -> str:
    """Convergent modules and entities first, each with its reason and the records behind each modality."""
    out = ["# Convergence summary", "", settings_text, ""]
    for level, title in (
        ("module", "Pathways, modules and microRNA families"),
        ("gene", "Genes"),
        ("family", "Gene families"),
        ("mirna", "MicroRNAs"),
    ):
        chosen = [r for r in rows if r.level == level and r.convergent]
        out += [f"## {title}: {len(chosen)} convergent", ""]
        for row in chosen:
            out.append(f"- **{row.name}** ({row.n_primary} primary records, {row.n_reviews} reviews): {row.reason}.")
            for modality, pmids in row.modality_pmids:
                out.append(f"  - {modality}: PMIDs {', '.join(pmids)}")
        without = [r.name for r in rows if r.level == level and not r.convergent and r.n_records]
        if without:
            out += ["", f"With evidence but not convergent: {', '.join(without)}."]
        out.append("")
    return "\n".join(out)
