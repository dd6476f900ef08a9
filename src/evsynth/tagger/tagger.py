"""Tagging: genes, families, variants, microRNAs and treatments in a text, with offsets and normalised ids."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from evsynth.errors import EvsynthError
from evsynth.models import Mention
from evsynth.protocol.extraction import TIERS
from evsynth.tagger import equivalents, learned
from evsynth.tagger.genes import Resolver
from evsynth.tagger.learned import LearnedTier
from evsynth.tagger.lexicon import KINDS, Entry, Gene, KeyHit, Lexicon, Scan, default_lexicon, padded_fold
from evsynth.tagger.mirna import MirnaNormaliser
from evsynth.tagger.names import NameRanker
from evsynth.tagger.rules import Hit
from evsynth.tagger.species import CUE_KIND, names_a_method
from evsynth.tagger.variants import AlleleMatch, find_alleles, find_variants
from evsynth.tagger.wordlists import AMINO_ACIDS, GREEK_LETTERS, SPECIES_CUES, alternation, words

# one character class first (the punctuation or line break itself), so the engine skips to candidates by a
# character scan; an alternation first would try both branches at every position
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])|(?<=\n)\s*(?=\S))")
_NOT_END = re.compile(rf"(?:\b{alternation(words('sentence_abbreviations'))}\.|\b[A-Z]\.)$")
# between a species word and the gene name it qualifies: at most one other word ('human liver enzyme')
_NEXT_TO = re.compile(r"\s+(?:[A-Za-z]+\s+)?")
_ARM = re.compile(r"-[35]p$")
_COMPOSITE = re.compile(r"([A-Za-z][A-Za-z-]*?)(\d+)((?:/\d+)+)(?![\w/])")
# the members after a gene that name more of its kind by their ends: 'TGF-beta1 and -beta2', 'hHR23A and -B',
# 'LERK-2, -3 and -5' (elided), 'NPHP1-9', 'MMP-1 to MMP-3', 'AKR1C1-AKR1C4' (a range)
_SEPARATOR = r"(?:,\s*|,?\s+(?:and|or)\s+)"  # between listed items: ', ', ' and ', ', or '
_ELIDED = re.compile(rf"(?:{_SEPARATOR}-(?:[A-Za-z]+\d+|\d+|[A-Z])(?![\w-]))+")
_ELIDED_ITEM = re.compile(r"-([A-Za-z]+\d+|\d+|[A-Z])")
_RANGE = re.compile(r"(?:-|\u2013|\s+to\s+-?)([A-Za-z][\w-]*?[A-Za-z-])?(\d{1,2})(?![\w-])")
_GREEK_ITEM = f"(?:{'|'.join(GREEK_LETTERS)}|[{''.join(GREEK_LETTERS.values())}])"  # every Greek letter: isoform lists
# 'PKC isoforms alpha, epsilon, and zeta', 'PKC alpha and zeta': Greek letters after a name name its isoforms
_GREEK_MORE = re.compile(rf"(?:{_SEPARATOR}{_GREEK_ITEM})+(?![\w-])")
_GREEK_LIST = re.compile(rf"(?:\s+(?:isoforms?|isozymes?|subunits?))?\s+{_GREEK_ITEM}" + _GREEK_MORE.pattern)
_GREEK_WORD = re.compile(_GREEK_ITEM + r"(?![\w-])")
_ISOFORMS_AFTER = re.compile(rf",|\s+(?:and|or|isoforms?|isozymes?|subunits?|{_GREEK_ITEM})\b")  # where a list may be
_LAST_GREEK = re.compile(rf"[\s-]?({_GREEK_ITEM})$")
_STEM = re.compile(r"(.*?[A-Za-z]-?)(\d{1,2}|[A-Z])$")
_MORE_AFTER = re.compile(r"(?:,|\s+and\s+-|\s+or\s+-|-\w|\u2013|\s+to\s+-?\w)")
_GENE_TYPES = ("gene", "family")
# a text that names no species but writes this many genes the way mouse genes are written (Nlk, Meox1, Gli2; a
# name's letters count once, so Smad2, Smad4 and Smad7, a protein style human papers use too, are one) is about mice
_MOUSE_STYLED = 3
_PRIORITY = {"variant": 0, "mirna": 0, "treatment": 1, "family": 2, "gene": 3}


def sentence_starts(text: str) -> list[int]:
    """Offsets where sentences start (the first is 0)."""
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + (text[match.start()] != "\n")  # after the full stop: 'e.g.', 'Fig.'
        if not _NOT_END.search(text, max(0, end - 12), end):
            starts.append(match.end())
    return starts


def _rodent_style(surface: str, draft: _Draft) -> bool:
    """A symbol written the way mouse and rat genes are (Bmp4, Cdh1) where HGNC writes it in capitals."""
    symbol = draft.attrs.get("symbol") if draft.type == "gene" else None
    return (
        isinstance(symbol, str)
        and symbol.isupper()
        and len(surface) >= 3
        and surface[0].isupper()
        and surface[1:].islower()
        and surface.upper() == symbol
    )


@dataclass
class _Draft:
    start: int
    end: int
    type: str
    id: str | None
    attrs: dict[str, object]
    sentence: int = 0


class Tagger:
    """Finds entity mentions. Build one (the lexicon loads once) and call :meth:`tag` for each text."""

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        *,
        without: frozenset[str] = frozenset(),
        tier: str = "dictionary",
        model: Path | None = None,
    ) -> None:
        """``without`` names rules to switch off (rules.RULE_NAMES), for measuring what each contributes. ``tier``
        is ``dictionary`` (the lexicon and rules alone) or ``all`` (the learned tier too, with ``model`` or the
        packaged one).

        Raises:
            EvsynthError: an unknown tier.
            InputFileError: a model the learned tier cannot read.
        """
        if tier not in TIERS:
            raise EvsynthError(f"tagger tier {tier!r}: must be one of {', '.join(TIERS)}")
        self.lexicon = lexicon or default_lexicon()
        self.tier = tier
        self._resolver = Resolver(self.lexicon, without=without)
        self._mirna = MirnaNormaliser(self.lexicon.mirbase)
        self._learned = LearnedTier(model or learned.packaged_model()) if tier == "all" else None
        self._names = NameRanker(self.lexicon) if tier == "all" else None

    def _dictionary(self, text: str, keys: list[KeyHit]) -> Iterator[_Draft]:
        for hit in self._resolver.resolve(text, keys):
            draft = self._draft(hit)
            if draft.type in ("gene", "family") and "/" in text[draft.start : draft.end + 1]:
                self._composite(text, draft)
            elif draft.type == "gene" and _MORE_AFTER.match(text, draft.end):
                self._elided(text, draft)
            if draft.type in _GENE_TYPES and "named" not in draft.attrs and _ISOFORMS_AFTER.match(text, draft.end):
                self._isoforms(text, draft)
            yield draft

    def _isoforms(self, text: str, draft: _Draft) -> None:
        """'PKC isoforms alpha, epsilon, and zeta': each Greek letter after the name names the gene that the name
        and the letter spell (PKC alpha -> PRKCA); the mention covers them and lists the genes as `named`."""
        stem = text[draft.start : draft.end]
        last = _LAST_GREEK.search(stem)
        if last:  # 'PKC alpha and zeta': the first letter is in the mention already
            listed = _GREEK_MORE.match(text, draft.end)
            letters = [last.group(1)]
            stem = stem[: last.start()]
        else:
            listed = _GREEK_LIST.match(text, draft.end)
            letters = []
        if listed is None or not stem:
            return
        letters += _GREEK_WORD.findall(listed.group(0))
        self._name_each(draft, [f"{stem} {letter}" for letter in letters], listed.end())

    def _name_each(self, draft: _Draft, names: list[str], end: int, every: bool = True) -> None:
        """Let the mention run to end and list as `named` the genes the names stand for, when they are two or
        more different genes, every name one of them (unless every is False: 'Smad1/5/8' keeps those that are)."""
        found = [self._gene_named(name) for name in names]
        named = [x for x in found if x]
        if len(named) < 2 or (every and len(named) < len(found)) or len({x["symbol"] for x in named}) < len(named):
            return
        draft.end = end
        draft.attrs["named"] = named

    def _gene_named(self, name: str) -> dict[str, object] | None:
        """The gene a name on its own stands for, as a composite lists it; None when it is not one gene."""
        hits = [
            h
            for h in self._resolver.resolve(name, self.lexicon.lookup(name))
            if h.type == "gene" and (h.start, h.end) == (0, len(name))
        ]
        if not hits:
            return None
        gene = self.lexicon.genes[hits[0].item]
        return {"symbol": gene.symbol, "hgnc": gene.hgnc, "id": gene.ncbi or None}

    def _elided(self, text: str, draft: _Draft) -> None:
        """'TGF-beta1 and -beta2', 'NPHP1-9': a gene followed by the ends of more names of its kind, elided or as
        a range, names each of them; the mention covers them all and lists the genes as `named`."""
        surface = text[draft.start : draft.end]
        stem = _STEM.match(surface)
        if stem is None:
            return
        names = [surface]
        end = draft.end
        elided = _ELIDED.match(text, draft.end)
        ranged = None if elided else _RANGE.match(text, draft.end)
        if elided:
            for item in _ELIDED_ITEM.findall(elided.group(0)):
                letters = item.rstrip("0123456789")
                cut = surface.rfind(letters) if letters and not item.isupper() else -1
                names.append(surface[:cut] + item if cut > 0 else stem.group(1) + item)
            end = elided.end()
        elif ranged and stem.group(2).isdigit() and ranged.group(1) in (None, stem.group(1), stem.group(1)[:-1]):
            first, last = int(stem.group(2)), int(ranged.group(2))
            if not first < last <= first + 9 or ("to" not in ranged.group(0) and last < first + 3):
                return  # 'CDK4-6', 'Mlh1-Mlh3': a pair or a complex as often as a range; a hyphen spans four
            names = [stem.group(1) + str(n) for n in range(first, last + 1)]
            end = ranged.end()
        else:
            return
        self._name_each(draft, names, end)

    def _composite(self, text: str, draft: _Draft) -> None:
        """'ERK1/2', 'Smad1/5/8': a name with a number and more numbers after slashes names one gene per number.
        The mention covers them all and lists the genes as `named` (each {symbol, hgnc, id})."""
        match = _COMPOSITE.match(text, draft.start)
        if match is None or match.end() < draft.end:
            return
        numbers = [match.group(2), *match.group(3).split("/")[1:]]
        self._name_each(draft, [match.group(1) + number for number in numbers], match.end(), every=False)

    def _draft(self, hit: Hit) -> _Draft:
        lex = self.lexicon
        if hit.type == "gene":
            gene = lex.genes[hit.item]
            return _Draft(
                hit.start,
                hit.end,
                "gene",
                gene.ncbi or None,
                {"hgnc": gene.hgnc, "symbol": gene.symbol, "name": gene.name, "match": hit.kind},
            )
        if hit.type == "family":
            family = lex.families[hit.item]
            attrs: dict[str, object] = {"members": list(family.members)}
            if hit.canonical >= 0:  # named like one member: kept a family, the member said
                gene = lex.genes[hit.canonical]
                attrs["canonical"] = {"symbol": gene.symbol, "hgnc": gene.hgnc, "id": gene.ncbi or None}
            return _Draft(hit.start, hit.end, "family", f"FPLX:{family.id}", attrs)
        treatment = lex.treatments[hit.item]
        return _Draft(
            hit.start,
            hit.end,
            "treatment",
            treatment.id,
            {"name": treatment.name, "mesh": f"MESH:{treatment.mesh}", "modality": treatment.modality},
        )

    @staticmethod
    def _alleles_and_residues(text: str, drafts: list[_Draft], alleles: list[AlleleMatch]) -> list[_Draft]:
        """Drop gene hits that are really amino acids or alleles: 'Met carriers' is not the MET gene."""
        return [
            d
            for d in drafts
            if not (
                d.type == "gene"
                and (text[d.start : d.end] in AMINO_ACIDS or any(a.start < d.end and d.start < a.end for a in alleles))
            )
        ]

    def _mirna_gene(self, name: str) -> Gene | None:
        """The HGNC gene of a human microRNA: hsa-miR-29a -> MIR29A, hsa-let-7b -> MIRLET7B."""
        if not name.startswith("hsa-"):
            return None
        stem = _ARM.sub("", name[4:]).replace("miR-", "MIR").replace("let-", "MIRLET").replace("-", "").upper()
        index = self.lexicon.by_symbol.get(stem)
        return self.lexicon.genes[index] if index is not None else None

    def _patterns(self, text: str, padded: str, words: list[tuple[int, str]], hinted: bool) -> Iterator[_Draft]:
        for m in self._mirna.find(text, padded, hinted):
            members: list[dict[str, object]] = []
            for x in m.members:
                member: dict[str, object] = {"id": x.name, "family": x.family, "in_mirbase": x.in_mirbase}
                gene = self._mirna_gene(x.name)
                if gene is not None:
                    member.update(hgnc=gene.hgnc, gene_id=gene.ncbi or None)
                members.append(member)
            known = [x.in_mirbase for x in m.members]
            yield _Draft(
                m.start,
                m.end,
                "mirna",
                ";".join(x.name for x in m.members),
                {
                    "members": members,
                    "family": m.members[0].family,
                    "in_mirbase": None if None in known else all(known),
                },
            )
        for v in find_variants(text, words):
            yield _Draft(v.start, v.end, "variant", v.id, {"kind": v.kind})
        for start, end, item in equivalents.standalone(text, padded):
            yield _Draft(start, end, "variant", item.id, {"kind": "named"})

    def _dictionary_drafts(
        self, text: str, padded: str, scan: Scan, alleles: list[AlleleMatch] | None = None
    ) -> list[_Draft]:
        """The dictionary tier's mentions, non-overlapping (longest wins)."""
        if alleles is None:
            alleles = list(find_alleles(text, scan.words))
        found = [*self._patterns(text, padded, scan.words, scan.hinted), *self._dictionary(text, scan.keys)]
        drafts = self._alleles_and_residues(text, found, alleles)
        drafts.sort(key=lambda d: (-(d.end - d.start), _PRIORITY[d.type], d.start))
        taken: list[_Draft] = []
        occupied: list[tuple[int, int]] = []
        for draft in drafts:
            i = _free_at(occupied, draft.start, draft.end)
            if i is not None:
                occupied.insert(i, (draft.start, draft.end))
                taken.append(draft)
        return taken

    def tag(self, text: str) -> list[Mention]:
        """All mentions in text, non-overlapping (longest wins), in text order."""
        padded = padded_fold(text)
        scan = self.lexicon.scan(text, padded)
        alleles = list(find_alleles(text, scan.words))
        taken = self._dictionary_drafts(text, padded, scan, alleles)
        if self._learned is not None:
            self._with_learned(text, scan.keys, taken, alleles)
        else:
            for draft in taken:
                draft.attrs.update(tier="dictionary", confidence=1.0)
        if not taken:
            return []
        taken.sort(key=lambda d: d.start)
        starts = sentence_starts(text)
        for draft in taken:
            draft.sentence = bisect.bisect_right(starts, draft.start) - 1
        self._species(text, scan.cues, taken, starts)
        self._attach(taken, alleles, starts)
        _known_variants(text, taken, self.lexicon)
        return [
            Mention(d.start, d.end, text[d.start : d.end], d.type, d.id, d.sentence, tuple(d.attrs.items()))
            for d in taken
        ]

    def learning_rows(self, text: str) -> tuple[list[learned.Token], list[list[str]], list[tuple[int, int, str]]]:
        """The text's tokens and their features, as the learned tier sees them, and the dictionary tier's
        (start, end, type) mentions: what its training reads."""
        padded = padded_fold(text)
        scan = self.lexicon.scan(text, padded)
        taken = self._dictionary_drafts(text, padded, scan)
        kept = [(d.start, d.end, d.type) for d in taken]
        return *_rows(text, scan.keys, kept, 0, len(text)), kept

    def _with_learned(self, text: str, keys: list[KeyHit], taken: list[_Draft], alleles: list[AlleleMatch]) -> None:
        """Add the learned tier's gene and variant spans that no dictionary mention overlaps, and give every
        gene and variant mention the model's confidence in it. The model reads the sentences that may name a
        gene (see :func:`_worth_reading`), each run of them as one sequence."""
        assert self._learned is not None
        kept = [(d.start, d.end, d.type) for d in taken]
        spans: list[learned.Span] = []
        sure: dict[int, float] = {}  # id(draft) -> confidence
        for start, end in _worth_reading(text, taken):
            run, rows = _rows(text, keys, kept, start, end)
            if not run:
                continue
            asked = [d for d in taken if d.type in learned.TYPES and start <= d.start < end]
            found, confidences = self._learned.label(run, rows, [(d.start, d.end, d.type) for d in asked])
            spans += found
            sure.update(zip(map(id, asked), confidences, strict=True))
        for draft in taken:
            confidence = sure.get(id(draft), 0.0) if draft.type in learned.TYPES else 1.0
            draft.attrs.update(tier="dictionary", confidence=round(confidence, 3))
        # an allele ('Met carriers') is no gene for the learned tier either
        occupied = sorted([(d.start, d.end) for d in taken] + [(a.start, a.end) for a in alleles])
        for span in spans:
            i = _free_at(occupied, span.start, span.end)
            added = self._learned_draft(text, span) if i is not None else None
            if i is not None and added is not None:
                occupied.insert(i, (span.start, span.end))
                taken.append(added)

    def _learned_draft(self, text: str, span: learned.Span) -> _Draft | None:
        surface = text[span.start : span.end]
        attrs: dict[str, object] = {"tier": "learned", "confidence": round(span.confidence, 3)}
        if span.type == "variant":  # kept only when the variant finder reads it whole: the model's other
            # variant spans were mostly wrong in cross-validation (BENCHMARKS.md)
            found = next(iter(find_variants(surface)), None)
            if found is not None and (found.start, found.end) == (0, len(surface)):
                return _Draft(span.start, span.end, "variant", found.id, {"kind": found.kind, **attrs})
            return None
        assert self._names is not None
        if surface in AMINO_ACIDS:  # a residue ('Met'), as the dictionary tier decides
            return None
        named = self._names.rank(surface)
        if named.gene is None:
            attrs["candidates"] = [self.lexicon.genes[i].symbol for i in named.candidates]
            return _Draft(span.start, span.end, "gene", None, {**attrs, "match": named.how})
        gene = self.lexicon.genes[named.gene]
        attrs.update(hgnc=gene.hgnc, symbol=gene.symbol, name=gene.name, match=named.how)
        return _Draft(span.start, span.end, "gene", gene.ncbi or None, attrs)

    @staticmethod
    def _species(text: str, cue_words: list[tuple[int, int]], drafts: list[_Draft], starts: list[int]) -> None:
        """Gene mentions take the species their sentence names, else the one the text names most (human when
        it names none, unless it writes three genes the mouse way); a symbol written the rodent way (Bmp4) in a
        text naming mice or rats is the rodent gene.
        A non-human gene keeps its human HGNC symbol as `symbol` but gets no NCBI id; so do a family's canonical
        member and the genes a composite names."""
        named = [d for d in drafts if d.type == "gene" or "canonical" in d.attrs or "named" in d.attrs]
        if not named:
            return
        cues = _species_cues(text, cue_words)
        overall, rodent = _text_species(text, cues, named)
        by_sentence: dict[int, list[str]] = {}
        for pos, _, kind in cues:
            by_sentence.setdefault(bisect.bisect_right(starts, pos) - 1, []).append(kind)
        ends = [end for _, end, _ in cues]  # ascending: the automaton reports keys by where they end
        for draft in named:
            local = by_sentence.get(draft.sentence, [])
            species = local[0] if len(set(local)) == 1 else overall
            near = range(bisect.bisect_left(ends, draft.start - 30), bisect.bisect_right(ends, draft.start))
            adjective = [cues[k][2] for k in near if _NEXT_TO.fullmatch(text, cues[k][1], draft.start)]
            if adjective:  # 'the human BRCA2 gene', 'mouse Sox8': the word before the name says
                species = adjective[-1]
            if species == "human" and rodent != "human" and _rodent_style(text[draft.start : draft.end], draft):
                species = rodent  # 'Bmp4' in a text about mice: the mouse gene
            draft.attrs["species"] = species
            if species != "human":
                _without_human_ids(draft)

    @staticmethod
    def _attach(drafts: list[_Draft], alleles: list[AlleleMatch], starts: list[int]) -> None:
        """Give each variant the gene its sentence ties it to, and each allele or genotype its variant or gene."""

        def nearest(start: int, end: int, types: tuple[str, ...], limit: int) -> _Draft | None:
            sentence = bisect.bisect_right(starts, start) - 1
            best, best_distance = None, limit
            for d in drafts:
                if d.type in types and d.sentence == sentence:
                    distance = start - d.end if d.end <= start else d.start - end
                    if 0 <= distance < best_distance:
                        best, best_distance = d, distance
            return best

        for draft in drafts:
            if draft.type == "variant":
                gene = nearest(draft.start, draft.end, ("gene",), 200)
                if gene is not None and "symbol" in gene.attrs:  # a learned span naming no one gene names none
                    draft.attrs.update(gene=gene.attrs["symbol"], gene_id=gene.id)
        for allele in alleles:
            span = (allele.start, allele.end)
            owner = nearest(*span, ("variant",), 60) or nearest(*span, ("gene",), 80)
            if owner is not None:
                entry = {"allele": allele.allele, "kind": allele.kind, "start": allele.start, "end": allele.end}
                owned = owner.attrs.setdefault("alleles", [])
                if isinstance(owned, list):
                    owned.append(entry)


def _species_cues(text: str, cue_words: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """(start, end, species) of the cue words that count: written as listed or capitalised ('RATS' is not), and
    not part of a method's name ('yeast two-hybrid', 'fetal bovine serum')."""
    cues = []
    for start, length in cue_words:  # (start, length) as the lexicon's pass found them, in any case
        word = text[start : start + length]
        species = CUE_KIND.get(word) or (CUE_KIND.get(word.lower()) if word.istitle() else None)
        if species is None:
            continue
        if species != "human" and names_a_method(text, start):
            continue
        cues.append((start, start + length, species))
    return cues


def _text_species(text: str, cues: list[tuple[int, int, str]], named: list[_Draft]) -> tuple[str, str]:
    """(the species the text names most, human unless another has more than twice its cues; the rodent it
    names, or human). A text naming none that writes three genes the mouse way (Nlk, Meox1, Gli2) is about mice."""
    counts = {k: sum(1 for *_, s in cues if s == k) for k in SPECIES_CUES}
    top = max(SPECIES_CUES, key=lambda k: counts[k] if k != "human" else -1)
    overall = top if counts[top] > 2 * counts["human"] else "human"
    rodent = max(("mouse", "rat"), key=lambda k: counts[k]) if counts["mouse"] + counts["rat"] else "human"
    if not cues:
        styled = {text[d.start : d.end].rstrip("0123456789") for d in named if _rodent_style(text[d.start : d.end], d)}
        if len(styled) >= _MOUSE_STYLED:
            return "mouse", "mouse"
    return overall, rodent


def _without_human_ids(draft: _Draft) -> None:
    """A non-human gene keeps its human HGNC symbol but no NCBI id; so do a family's canonical member and the
    genes a composite names."""
    if "named" in draft.attrs:
        draft.attrs["named"] = [{**x, "id": None} for x in cast(list[dict[str, object]], draft.attrs["named"])]
    if draft.type == "gene":
        draft.id = None
    elif "canonical" in draft.attrs:
        draft.attrs["canonical"] = {**cast(dict[str, object], draft.attrs["canonical"]), "id": None}


def _free_at(occupied: list[tuple[int, int]], start: int, end: int) -> int | None:
    """Where (start, end) goes in the sorted, non-overlapping spans, or None when it overlaps one of them."""
    i = bisect.bisect_left(occupied, (start, start))
    if (i < len(occupied) and occupied[i][0] < end) or (i and occupied[i - 1][1] > start):
        return None
    return i


# a word that looks like a gene's name (letters and digits mixed, a capital after a small letter: Dilp6, hXPC)
_GENE_SHAPED = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]|[a-z][A-Z]")


def _worth_reading(text: str, taken: list[_Draft]) -> list[tuple[int, int]]:
    """The (start, end) of each run of consecutive sentences the learned tier reads: sentences holding a mention
    of the dictionary tier's (but a treatment) or a gene-shaped word. The others (more than half the tokens of
    MEDLINE's abstracts) would cost the model's time for nothing: reading the sentences that hold only a lexicon
    key as well changed no cross-validated figure and cost a quarter of the tier's time (BENCHMARKS.md)."""
    starts = sentence_starts(text)
    ends = [*starts[1:], len(text)]
    chosen = {bisect.bisect_right(starts, d.start) - 1 for d in taken if d.type != "treatment"}
    chosen.update(i for i, start in enumerate(starts) if i not in chosen and _GENE_SHAPED.search(text, start, ends[i]))
    runs: list[tuple[int, int]] = []
    for i in sorted(chosen):
        end = ends[i]
        if runs and runs[-1][1] == starts[i]:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((starts[i], end))
    return runs


def _rows(
    text: str, keys: list[KeyHit], kept: list[learned.Mark], start: int, end: int
) -> tuple[list[learned.Token], list[list[str]]]:
    """The tokens of text[start:end] and their features, as the learned tier reads them: with the lexicon keys
    and the dictionary tier's mentions (start, end, type) that start there."""
    toks = learned.tokens(text, start, end)
    marks = [(s, e, _key_kind(entries)) for s, e, entries in keys if start <= s < end]
    hints = learned.hints(toks, marks, [m for m in kept if start <= m[0] < end])
    return toks, learned.features(toks, hints, text)


def _key_kind(entries: tuple[Entry, ...]) -> str:
    """What a lexicon key may stand for, as the learned tier's feature: a gene key's strongest kind, else the type."""
    kinds = [entry.kind for entry in entries if entry.type == "gene"]
    if kinds:
        return min(kinds, key=KINDS.index)
    return entries[0].type if entries else "none"


def _known_variants(text: str, drafts: list[_Draft], lexicon: Lexicon) -> None:
    """A well-known variant named any of its ways becomes the one variant (equivalents): BDNF Val66Met -> rs6265."""
    for draft in drafts:
        if draft.type != "variant":
            continue
        gene = draft.attrs.get("gene")
        item = equivalents.known(gene if isinstance(gene, str) else None, text[draft.start : draft.end], draft.id)
        if item is None:
            continue
        if draft.id != item.id:
            draft.attrs["named_as"] = draft.id
        draft.id = item.id
        draft.attrs["label"] = item.label
        if gene != item.gene:  # the table knows whose variant it is ('HTR2A rs6313' near another gene's name)
            index = lexicon.by_symbol.get(item.gene)
            draft.attrs.update(gene=item.gene, gene_id=lexicon.genes[index].ncbi or None if index is not None else None)
