"""Another tool's annotations as evsynth mentions, joined to evsynth's identifiers.

* Genes: PubTator3 writes NCBI Gene ids (``627``, ``627;4915`` for a mention naming two). A human gene in
  evsynth's lexicon gets its HGNC id, symbol and name, as evsynth's own gene mentions do; another species' gene
  (an id the lexicon lacks) keeps its NCBI id as ``ncbi_gene`` and takes the human symbol it is written like
  (Bdnf -> BDNF, species "other"), as evsynth names a mouse gene.
* Variants: the rsID (``RS#:6265``, ``rs6265``) is the id when there is one, else the HGVS form, protein changes
  in three-letter codes (``p.V66M`` -> ``p.Val66Met``, evsynth's form); ``CorrespondingGene`` names the gene.
* Chemicals: a MeSH id that is one of evsynth's treatments becomes that treatment (name, MeSH, modality);
  another stays a ``chemical`` with its MeSH id.
* evsynth's own exports carry each mention's attributes (BioC infon ``evsynth_attrs``, PubTator's seventh
  column), so they read back as the mentions they were written from.

Diseases, species and cell lines map to no mention type (``data/types.yaml``): the graph has no node for them.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from importlib import resources
from typing import Any

import yaml

from evsynth.annotations.documents import Annotation
from evsynth.tagger.lexicon import Lexicon
from evsynth.tagger.variants import normal_form

_DATA = yaml.safe_load((resources.files("evsynth.annotations") / "data" / "types.yaml").read_text(encoding="utf-8"))
TYPES: dict[str, str | None] = _DATA["types"]
GROUPS: dict[str, tuple[str, ...]] = {group: tuple(types) for group, types in _DATA["groups"].items()}
PROCEDURES = frozenset(_DATA["procedure_modalities"])
_KEYED = re.compile(r"([A-Za-z#]+):([^;]+)")
_RSID = re.compile(r"^(?:rs|RS#:)(\d+)$")
_MESH = re.compile(r"^(?:MESH:)?([CD]\d{6,9})$")


def mention_type(annotation: Annotation) -> str | None:
    """The evsynth type an annotation's type maps to (``data/types.yaml``), or None."""
    own = annotation.infons.get("evsynth_type")
    if isinstance(own, str) and own:
        return own
    return TYPES.get(annotation.type.lower().replace(" ", ""))


def group_of(mention_type: str, attrs: dict[str, Any]) -> str | None:
    """The extraction policy's group a mention belongs to (genes, variants, chemicals), or None for the types
    only evsynth tags (families, microRNAs, procedures)."""
    if mention_type == "treatment" and attrs.get("modality") in PROCEDURES:
        return None
    return next((group for group, types in GROUPS.items() if mention_type in types), None)


class Converter:
    """Turns annotations into (type, id, attrs), with the lexicon's identifiers."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    @cached_property
    def _treatments(self) -> dict[str, Any]:
        return {t.id: t for t in self.lexicon.treatments if t.id.startswith("MESH:")}

    def convert(self, annotation: Annotation, source: str) -> tuple[str, str | None, dict[str, Any]] | None:
        """The mention an annotation stands for (type, id, attributes), or None when it maps to no type."""
        kind = mention_type(annotation)
        if kind is None:
            return None
        own = annotation.infons.get("evsynth_attrs", annotation.infons.get("evsynth"))
        if isinstance(own, str) and own.startswith("{"):
            try:
                attrs = json.loads(own)
            except json.JSONDecodeError:
                attrs = None
            if isinstance(attrs, dict):
                return kind, annotation.identifier or None, attrs
        made = self._made(kind, annotation)
        if made is None:
            return None
        kind, ident, attrs = made
        return kind, ident, {**attrs, "source": source}

    def _made(self, kind: str, annotation: Annotation) -> tuple[str, str | None, dict[str, Any]] | None:
        if kind == "gene":
            return self._gene(annotation)
        if kind == "variant":
            return self._variant(annotation)
        if kind in ("chemical", "treatment"):
            return self._chemical(annotation)
        return kind, annotation.identifier or None, {}

    def _gene(self, annotation: Annotation) -> tuple[str, str | None, dict[str, Any]] | None:
        ids = [part.strip() for part in re.split(r"[;,]", annotation.identifier) if part.strip().isdigit()]
        genes = [self._one_gene(ident, annotation) for ident in ids] or [self._one_gene("", annotation)]
        named = [gene for gene in genes if gene is not None]
        if not named:
            return None
        ident, attrs = named[0]
        if len(named) > 1:
            attrs["named"] = [{"id": i, **a} for i, a in named]
        return "gene", ident, attrs

    def _one_gene(self, ident: str, annotation: Annotation) -> tuple[str | None, dict[str, Any]] | None:
        index = self.lexicon.by_ncbi.get(ident) if ident else None
        if index is not None:
            gene = self.lexicon.genes[index]
            return ident, {"hgnc": gene.hgnc, "symbol": gene.symbol, "name": gene.name, "species": "human"}
        written = str(annotation.infons.get("name") or annotation.text).strip()
        index = self.lexicon.by_symbol.get(written.upper())
        if index is not None:  # another species' gene, written as its human orthologue is
            gene = self.lexicon.genes[index]
            attrs = {"hgnc": gene.hgnc, "symbol": gene.symbol, "name": gene.name, "species": "other"}
            return None, {**attrs, "ncbi_gene": ident} if ident else attrs
        return None

    def _variant(self, annotation: Annotation) -> tuple[str, str | None, dict[str, Any]] | None:
        fields = {key.upper(): value.strip() for key, value in _KEYED.findall(annotation.identifier)}
        plain = annotation.identifier.strip()
        rsid = _RSID.match(plain) or (_RSID.match("RS#:" + fields["RS#"]) if "RS#" in fields else None)
        hgvs = fields.get("HGVS") or (plain if plain.startswith(("p.", "c.", "g.", "m.", "n.", "r.")) else "")
        attrs: dict[str, Any] = {}
        gene_id = fields.get("CORRESPONDINGGENE", "")
        index = self.lexicon.by_ncbi.get(gene_id) if gene_id else None
        if index is not None:
            attrs.update(gene=self.lexicon.genes[index].symbol, gene_id=gene_id)
        if hgvs:
            attrs["hgvs"] = hgvs
        if rsid:
            return "variant", f"rs{rsid.group(1)}", {"kind": "rsid", **attrs}
        if hgvs.startswith("p."):
            return "variant", normal_form("protein", hgvs) or hgvs, {"kind": "protein", **attrs}
        if hgvs:
            return "variant", hgvs, {"kind": "hgvs_dna", **attrs}
        return "variant", None, {"kind": "other", **attrs}

    def _chemical(self, annotation: Annotation) -> tuple[str, str | None, dict[str, Any]] | None:
        mesh = _MESH.match(annotation.identifier.strip())
        ident = f"MESH:{mesh.group(1)}" if mesh else None
        treatment = self._treatments.get(ident or "")
        if treatment is not None:
            attrs = {"name": treatment.name, "mesh": treatment.mesh, "modality": treatment.modality}
            return "treatment", treatment.id, attrs
        name = str(annotation.infons.get("name") or annotation.text)
        return "chemical", ident, {"name": name, **({"mesh": ident} if ident else {})}
