"""The evidence graph: genes, families, variants, microRNAs, treatments and modules, with the records behind
every node and edge.

Nodes (``type``): gene, family, variant, mirna, treatment, module (pathways, modules and microRNA families);
with ``include_records`` also record (the bipartite view). Node keys are ``<type>:<id>`` (``gene:BDNF``,
``mirna:hsa-miR-29a``, ``module:bdnf-trkb``).

Edges (``relation``):
- ``co-mention``: both entities in one record; ``strength`` is ``sentence`` when they share a sentence in at
  least one record, else ``abstract``;
- ``variant_of``: a variant and the gene the text attaches it to;
- ``member_of``: a gene, family or microRNA and a module it belongs to (the module file says so, not the text);
- ``mentions``: a record and an entity (bipartite view only).

Every edge carries ``pmids`` (the records behind it; the store's record key for records without a PMID),
``n_records``, ``treatments`` and ``modalities`` (those named in its records), ``evidence`` (up to three
sentences, each prefixed with its PMID) and ``score``:

    score = sum over the edge's records r of w(r),  w(r) = 1.0 if the pair shares a sentence in r, else 0.5,
            halved when r is a review or meta-analysis (it re-reports other records' evidence).

So the score grows with every independent record, and sentence-level evidence counts twice abstract-level.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from itertools import combinations
from operator import or_
from typing import Any

import networkx as nx

from evsynth.models import Mention
from evsynth.protocol.pathways import GENERIC_TREATMENTS, Module
from evsynth.synthesis.evidence import EvidenceRecord
from evsynth.tagger.tagger import sentence_starts

ENTITY_NODE_TYPES = ("gene", "family", "variant", "mirna", "treatment", "chemical")
NODE_TYPES = (*ENTITY_NODE_TYPES, "module", "record")
MAX_EVIDENCE = 3
SENTENCE_WEIGHT, ABSTRACT_WEIGHT, REVIEW_FACTOR = 1.0, 0.5, 0.5


@dataclass(slots=True)
class _Edge:
    # record numbers in increasing order, each once (lists: a graph of 100,000 records has millions of them,
    # and a set costs five times the memory of a list)
    relation: str
    records: list[int] = field(default_factory=list)
    sentence_records: list[int] = field(default_factory=list)
    evidence: list[tuple[int, int]] = field(default_factory=list)  # (record index, sentence index)


def _note(numbers: list[int], number: int) -> bool:
    """Add a record number to an edge's list unless it ends with it already (records come in order); whether it
    was added."""
    if numbers and numbers[-1] == number:
        return False
    numbers.append(number)
    return True


def mirna_stem(family: str) -> str:
    return family.removeprefix("hsa-")


class _Index:
    """Which modules each gene symbol, FamPlex family and microRNA stem belongs to."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.by_gene: dict[str, list[str]] = defaultdict(list)
        self.by_family: dict[str, list[str]] = defaultdict(list)
        self.by_mirna: dict[str, list[str]] = defaultdict(list)
        for module in modules.values():
            for symbol in module.genes:
                self.by_gene[symbol].append(module.id)
            for family in module.families:
                self.by_family[family].append(module.id)
            for stem in module.mirnas:
                self.by_mirna[stem.lower()].append(module.id)


Seed = tuple[str, dict[str, Any]]


def _gene_node(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    symbol = str(attrs.get("symbol") or ident or "")
    if not symbol:
        return []
    return [
        (
            f"gene:{symbol}",
            {
                "type": "gene",
                "name": symbol,
                "ncbi_gene": ident or "",
                "hgnc": attrs.get("hgnc", ""),
                "full_name": attrs.get("name", ""),
                "species": attrs.get("species") or "human",
            },
        )
    ]


def _family_node(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    if not ident:
        return []
    members = list(attrs.get("members") or [])
    return [(f"family:{ident}", {"type": "family", "name": ident.removeprefix("FPLX:"), "famplex": ident,
                                 "members": members})]  # fmt: skip


def _variant_node(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    if not ident:
        return []
    gene = attrs.get("gene")
    if ident.startswith("rs") or not gene:
        key, name = f"variant:{ident}", ident
    else:
        key, name = f"variant:{gene}:{ident}", f"{gene} {ident}"
    name = str(attrs.get("label") or name)  # a well-known variant's one name: 'BDNF rs6265 (Val66Met)'
    return [(key, {"type": "variant", "name": name, "variant": ident, "kind": attrs.get("kind", ""),
                   "gene": gene or ""})]  # fmt: skip


def _mirna_nodes(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    out = []
    for member in attrs.get("members") or []:
        stem = mirna_stem(str(member.get("family", "")))
        name = str(member["id"]).removeprefix("hsa-")
        family_level = not member.get("in_mirbase") and name.lower() == stem.lower()
        out.append(
            (
                f"mirna:{member['id']}",
                {
                    "type": "mirna",
                    "name": name,
                    "mirbase": member["id"],
                    "family": stem,
                    "in_mirbase": bool(member.get("in_mirbase")),
                    "family_level": family_level,
                },
            )
        )
    return out


def _treatment_node(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    if not ident:
        return []
    # MeSH concepts by their MeSH label; evsynth's own ids (rTMS, iTBS ...) as the text wrote them
    label = attrs.get("name") if ident.startswith("MESH:") else surface
    return [
        (
            f"treatment:{ident}",
            {
                "type": "treatment",
                "name": label or ident,
                "treatment_id": ident,
                "modality": attrs.get("modality", ""),
                "generic": ident in GENERIC_TREATMENTS,
            },
        )
    ]


def _chemical_node(ident: str | None, attrs: dict[str, Any], surface: str) -> list[Seed]:
    """PubTator3's chemicals that are none of evsynth's treatments, by MeSH id."""
    if not ident:
        return []
    return [(f"chemical:{ident}", {"type": "chemical", "name": attrs.get("name") or surface, "mesh": ident})]


_NODES = {
    "gene": _gene_node,
    "family": _family_node,
    "variant": _variant_node,
    "mirna": _mirna_nodes,
    "treatment": _treatment_node,
    "chemical": _chemical_node,
}


def _entities(mention_type: str, ident: str | None, attrs: dict[str, Any], surface: str = "") -> list[Seed]:
    """The node(s) a mention stands for: key and attributes."""
    make = _NODES.get(mention_type)
    return make(ident, attrs, surface) if make else []


def mention_nodes(mention: Mention) -> list[Seed]:
    """The graph node(s) a mention stands for, key and attributes, as the evidence graph makes them (the mining
    stage counts them so, and its counts meet the graph's nodes)."""
    return _entities(mention.type, mention.id, dict(mention.attrs), mention.text)


def _module_keys(attrs: dict[str, Any], index: _Index) -> list[str]:
    kind = attrs["type"]
    if kind == "gene":
        return index.by_gene.get(attrs["name"], [])
    if kind == "family":
        return index.by_family.get(attrs["name"], [])
    if kind == "mirna":
        return index.by_mirna.get(attrs["family"].lower(), [])
    return []


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building and writing a graph of a 100,000 records allocates millions
    of small, acyclic containers, and the collector's repeated full scans of them cost more than the work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_graph(
    records: Iterable[EvidenceRecord],
    modules: dict[str, Module],
    *,
    include_records: bool = False,
    name: str = "evsynth evidence graph",
) -> nx.Graph:
    """The evidence graph of ``records`` (see the module docstring for what it holds)."""
    with gc_paused():
        return _build_graph(list(records), modules, include_records, name)


class _Collector:
    """Walks the records once: the nodes, the records behind each, the edges, each record's treatments."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.index = _Index(modules)
        self.node_attrs: dict[str, dict[str, Any]] = {}
        self.node_records: dict[str, set[int]] = defaultdict(set)
        self.edges: dict[tuple[str, str], _Edge] = {}
        self.record_treatments: list[tuple[set[str], set[str]]] = []
        self.auto_modules: dict[str, Module] = {}

    def add(self, number: int, record: EvidenceRecord) -> None:
        """One record's entities, its variant_of and co-mention edges, and its sentence evidence."""
        by_sentence: dict[int, set[str]] = defaultdict(set)
        treatments: set[str] = set()
        modalities: set[str] = set()
        links: set[tuple[str, str]] = set()
        node_attrs, node_records = self.node_attrs, self.node_records
        for mention in record.mentions:
            attrs = dict(mention.attrs)
            for key, seed in _entities(mention.type, mention.id, attrs, mention.text):
                if key not in node_attrs:
                    node_attrs[key] = seed
                elif seed["type"] == "gene" and seed["species"] not in node_attrs[key]["species"]:
                    node_attrs[key]["species"] += f";{seed['species']}"
                by_sentence[mention.sentence].add(key)
                node_records[key].add(number)
                if seed["type"] == "treatment":
                    treatments.add(node_attrs[key]["name"])
                    if not seed["generic"] and seed["modality"]:
                        modalities.add(seed["modality"])
                elif seed["type"] == "variant" and seed["gene"]:
                    links.add((key, f"gene:{seed['gene']}"))
        self.record_treatments.append((treatments, modalities))
        self._add_links(number, links)
        self._add_co_mentions(number, by_sentence)

    def _add_links(self, number: int, links: set[tuple[str, str]]) -> None:
        for variant, gene in sorted(links):  # a set: its order changes with the hash seed
            if gene in self.node_attrs:
                pair = (min(variant, gene), max(variant, gene))
                edge = self.edges.get(pair) or self.edges.setdefault(pair, _Edge("variant_of"))
                edge.relation = "variant_of"
                _note(edge.records, number)

    def _add_co_mentions(self, number: int, by_sentence: dict[int, set[str]]) -> None:
        edges = self.edges
        keys = sorted(set().union(*by_sentence.values())) if by_sentence else []
        for a, b in combinations(keys, 2):
            found = edges.get((a, b))
            if found is None:
                found = edges[(a, b)] = _Edge("co-mention")
            _note(found.records, number)  # a variant_of link may have noted it
        for sentence, members in by_sentence.items():
            for a, b in combinations(sorted(members), 2):
                edge = edges[(a, b)]
                if _note(edge.sentence_records, number) and len(edge.evidence) < MAX_EVIDENCE:
                    edge.evidence.append((number, sentence))

    def add_memberships(self) -> None:
        """Every entity node to its modules; microRNAs outside the curated families get an automatic one."""
        for key, attrs in list(self.node_attrs.items()):
            targets = list(_module_keys(attrs, self.index))
            if attrs["type"] == "mirna" and not targets:
                targets = [self._auto_module(str(attrs["family"]))]
            for module_id in targets:
                edge = self.edges.setdefault((key, f"module:{module_id}"), _Edge("member_of"))
                edge.records = sorted(self.node_records[key].union(edge.records))
                self.node_records[f"module:{module_id}"] |= self.node_records[key]

    def _auto_module(self, stem: str) -> str:
        auto_id = f"{stem.lower()}-family"
        self.auto_modules.setdefault(
            auto_id,
            Module(id=auto_id, name=f"{stem} family", kind="mirna_family",
                   sources=("the microRNA's name stem (evsynth, automatic)",), mirnas=(stem,), origin="automatic"),
        )  # fmt: skip
        return auto_id


class _Summaries:
    """The records, treatments and modalities behind a node or an edge.

    A record's treatments and modalities are a bit mask: an edge's are the OR of its records' (a C-level
    reduce), decoded once per distinct mask; 100,000 records make millions of (edge, record) pairs.
    """

    def __init__(self, records: list[EvidenceRecord], record_treatments: list[tuple[set[str], set[str]]]) -> None:
        self.keys = [record.key for record in records]
        bit_of: dict[str, int] = {}
        self.masks = []
        for names, kinds in record_treatments:
            mask = 0
            for name in names:
                mask |= 1 << bit_of.setdefault("t" + name, len(bit_of))
            for kind in kinds:
                mask |= 1 << bit_of.setdefault("m" + kind, len(bit_of))
            self.masks.append(mask)
        # each bit's (kind, name): the names made once, shared by every list they are in
        self.label_of = [(label[0], label[1:]) for label in sorted(bit_of, key=bit_of.__getitem__)]
        self.decoded: dict[int, tuple[list[str], list[str]]] = {}

    def _decode(self, mask: int) -> tuple[list[str], list[str]]:
        if mask not in self.decoded:
            labels = [self.label_of[i] for i in range(mask.bit_length()) if mask >> i & 1]
            self.decoded[mask] = (
                sorted(name for kind, name in labels if kind == "t"),
                sorted(name for kind, name in labels if kind == "m"),
            )
        return self.decoded[mask]

    def __call__(self, numbers: Iterable[int]) -> dict[str, Any]:
        ordered = sorted(numbers)
        treatments, modalities = self._decode(reduce(or_, map(self.masks.__getitem__, ordered), 0))
        return {
            "pmids": list(map(self.keys.__getitem__, ordered)),
            "n_records": len(ordered),
            # one list for every node and edge with the same treatments (hundreds of thousands of edges share a few)
            "treatments": treatments,
            "modalities": modalities,
        }


class _SentenceTexts:
    """The evidence sentences of edges, each prefixed with its record's key; a record's text is split once."""

    def __init__(self, records: list[EvidenceRecord]) -> None:
        self.records = records
        self.texts: dict[int, tuple[str, list[int]]] = {}
        self.said: dict[tuple[int, int], str] = {}

    def __call__(self, number: int, sentence: int) -> str:
        # one string for each record's sentence, however many edges it is the evidence of
        if (said := self.said.get((number, sentence))) is not None:
            return said
        if number not in self.texts:
            self.texts[number] = (self.records[number].text, sentence_starts(self.records[number].text))
        text, starts = self.texts[number]
        end = starts[sentence + 1] if sentence + 1 < len(starts) else len(text)
        said = f"{self.records[number].key}: {text[starts[sentence] : end].strip()}" if sentence < len(starts) else ""
        self.said[number, sentence] = said
        return said


def _score(edge: _Edge, reviews: set[int]) -> float:
    """See the module docstring: sentence records count SENTENCE_WEIGHT, others ABSTRACT_WEIGHT, reviews less."""
    n, n_sentence = len(edge.records), len(edge.sentence_records)
    rev = len(reviews.intersection(edge.records)) if reviews else 0
    rev_sentence = len(reviews.intersection(edge.sentence_records)) if rev else 0
    discount = 1.0 - REVIEW_FACTOR
    weight = SENTENCE_WEIGHT * (n_sentence - rev_sentence * discount) + ABSTRACT_WEIGHT * (
        (n - n_sentence) - (rev - rev_sentence) * discount
    )
    return round(weight, 3)


def _build_graph(
    records: list[EvidenceRecord], modules: dict[str, Module], include_records: bool, name: str
) -> nx.Graph:
    collected = _Collector(modules)
    for number, record in enumerate(records):
        collected.add(number, record)
    collected.add_memberships()
    graph = nx.Graph(
        name=name, score_formula=__doc__.split("score = ", 1)[1].split("\n\n")[0].strip(), n_records=len(records)
    )
    summary = _Summaries(records, collected.record_treatments)
    sentence_text = _SentenceTexts(records)
    reviews = {number for number, record in enumerate(records) if record.design.is_review}
    node_records = collected.node_records
    for key, attrs in collected.node_attrs.items():
        graph.add_node(key, **attrs, **summary(node_records[key]))
    for module_id, module in {**modules, **collected.auto_modules}.items():
        key = f"module:{module_id}"
        if key in node_records:
            about = {"name": module.name, "kind": module.kind, "module": module_id, "sources": list(module.sources)}
            graph.add_node(key, type="module", **about, origin=module.origin, **summary(node_records[key]))
    edges = collected.edges
    for a, b in list(edges):  # in order; each edge's record lists are let go as it enters the graph
        edge = edges.pop((a, b))
        graph.add_edge(
            a,
            b,
            relation=edge.relation,
            strength="sentence" if edge.sentence_records else "abstract",
            score=_score(edge, reviews),
            n_sentence_records=len(edge.sentence_records),
            evidence=[sentence_text(n, s) for n, s in edge.evidence],
            **summary(edge.records),
        )
    if include_records:
        _add_record_view(graph, records, collected, summary)
    return graph


def _add_record_view(
    graph: nx.Graph, records: list[EvidenceRecord], collected: _Collector, summary: _Summaries
) -> None:
    """The bipartite view: each record a node, with a 'mentions' edge to every entity it names."""
    for number, record in enumerate(records):
        treatments, modalities = collected.record_treatments[number]
        graph.add_node(f"record:{record.key}", type="record", name=record.citation, title=record.title,
                       year=record.year or 0, design=record.design.primary, pmids=[record.key], n_records=1,
                       treatments=sorted(treatments), modalities=sorted(modalities))  # fmt: skip
    for key, numbers in collected.node_records.items():
        if not key.startswith("module:"):
            for number in numbers:
                graph.add_edge(f"record:{records[number].key}", key, relation="mentions", strength="abstract",
                               score=1.0, n_sentence_records=0, evidence=[], **summary({number}))  # fmt: skip


def modules_of(graph: nx.Graph) -> dict[str, list[str]]:
    """Module node -> its member entity nodes."""
    members: dict[str, list[str]] = defaultdict(list)
    for a, b, relation in graph.edges(data="relation"):
        if relation == "member_of":
            member, module = (a, b) if b.startswith("module:") else (b, a)
            members[module].append(member)
    return members
