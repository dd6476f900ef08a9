"""SYNTHETIC PubTator3 answers for evsynth's synthetic demo records, for the local server and the demo cassette.

PubTator3 has never seen the demo records (they are invented), so its answers for them are made up here, in the
shape of its export API's BioC-JSON: a title and an abstract passage, annotations with NCBI Gene ids, MeSH ids
and tmVar-style variant identifiers. They are made by simple rules unlike evsynth's tagger, so that the merge
has something to decide: genes only where an approved HGNC symbol is written in capitals (no aliases, no
families, no mouse spellings; not the abbreviations evsynth knows are no gene, such as TRD and ECT, which a
tagger that reads their definitions would not take for genes either), rsIDs and three-letter protein changes
tied to the nearest gene before them, chemicals wherever a chemical treatment of evsynth's lexicon is named,
plus diseases and species, which evsynth keeps only in the store. Nothing here is PubTator3's output, and none
of it is a fact about a real paper.
"""

from __future__ import annotations

import re
from typing import Any

from evsynth.annotations.convert import PROCEDURES
from evsynth.tagger.lexicon import Lexicon
from evsynth.tagger.variants import normal_form
from evsynth.tagger.wordlists import AMINO_ACIDS

_SYMBOL = re.compile(r"\b[A-Z][A-Z0-9]{1,9}\b")
_RSID = re.compile(r"\brs(\d{3,10})\b")
_PROTEIN = re.compile(r"\b(" + "|".join(AMINO_ACIDS) + r")(\d{1,4})(" + "|".join(AMINO_ACIDS) + r")\b")
_OTHER = {  # disease and species words the synthetic records use: (type, identifier)
    "treatment-resistant depression": ("Disease", "MESH:D061218"),
    "depression": ("Disease", "MESH:D003866"),
    "patients": ("Species", "9606"),
    "mice": ("Species", "10090"),
}


def _annotation(number: int, start: int, text: str, kind: str, identifier: str, **infons: Any) -> dict[str, Any]:
    return {
        "id": str(number),
        "infons": {"identifier": identifier, "type": kind, **infons},
        "text": text,
        "locations": [{"offset": start, "length": len(text)}],
    }


def synthetic_document(pmid: str, title: str, abstract: str, lexicon: Lexicon) -> dict[str, Any]:
    """A made-up PubTator3 BioC-JSON document for a synthetic record (see the module docstring)."""
    passages = []
    number = 0
    for kind, offset, text in (("title", 0, title), ("abstract", len(title) + 1, " ".join(abstract.split()))):
        found: list[tuple[int, str, str, str, dict[str, Any]]] = []
        genes: list[tuple[int, str]] = []
        for match in _SYMBOL.finditer(text):
            index = lexicon.by_symbol.get(match.group()) if match.group() not in lexicon.not_genes else None
            if index is not None and lexicon.genes[index].ncbi and lexicon.genes[index].locus == "protein":
                gene = lexicon.genes[index]
                found.append((match.start(), match.group(), "Gene", gene.ncbi, {"name": gene.symbol}))
                genes.append((match.start(), gene.ncbi))
        for match in _RSID.finditer(text):
            found.append((match.start(), match.group(), "Variant", f"RS#:{match.group(1)}", {}))
        for match in _PROTEIN.finditer(text):
            near = [ncbi for at, ncbi in genes if at < match.start()]
            hgvs = normal_form("protein", match.group()) or match.group()
            one = "p." + AMINO_ACIDS[match.group(1)] + match.group(2) + AMINO_ACIDS[match.group(3)]
            tied = f";CorrespondingGene:{near[-1]}" if near else ""
            found.append((match.start(), match.group(), "ProteinMutation", f"HGVS:{one}{tied}", {"hgvs": hgvs}))
        for treatment in lexicon.treatments:
            if treatment.modality in PROCEDURES or not treatment.id.startswith("MESH:"):
                continue
            for match in re.finditer(rf"\b{re.escape(treatment.key)}\b", text, re.IGNORECASE):
                found.append((match.start(), match.group(), "Chemical", treatment.id, {"name": treatment.name}))
        taken: list[tuple[int, int]] = [(s, s + len(t)) for s, t, *_ in found]
        for word, (kind_name, identifier) in _OTHER.items():
            for match in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE):
                if not any(s < match.end() and match.start() < e for s, e in taken):
                    found.append((match.start(), match.group(), kind_name, identifier, {}))
                    taken.append(match.span())
        annotations = []
        for start, surface, type_name, identifier, infons in sorted(found):
            number += 1
            annotations.append(_annotation(number, offset + start, surface, type_name, identifier, **infons))
        passages.append({"infons": {"type": kind}, "offset": offset, "text": text, "annotations": annotations})
    return {"_id": f"{pmid}|None", "id": pmid, "infons": {}, "passages": passages, "relations": [],
            "pmid": int(pmid), "date": "2026-11-30T00:00:00Z"}  # fmt: skip
