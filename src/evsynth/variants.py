"""Sequence variant mentions: rsIDs, protein and DNA changes (HGVS and the forms papers use), genotypes and alleles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

AMINO = {"Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G", "His": "H",
         "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W",
         "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U"}
THREE = {one: three for three, one in AMINO.items()}
NAMES = {"alanine": "Ala", "arginine": "Arg", "asparagine": "Asn", "aspartic acid": "Asp", "aspartate": "Asp",
         "cysteine": "Cys", "glutamine": "Gln", "glutamic acid": "Glu", "glutamate": "Glu", "glycine": "Gly",
         "histidine": "His", "isoleucine": "Ile", "leucine": "Leu", "lysine": "Lys", "methionine": "Met",
         "phenylalanine": "Phe", "proline": "Pro", "serine": "Ser", "threonine": "Thr", "tryptophan": "Trp",
         "tyrosine": "Tyr", "valine": "Val"}

A3 = "(?:" + "|".join(AMINO) + ")"
A1 = "[ACDEFGHIKLMNPQRSTVWY]"
AN = "(?:" + "|".join(sorted(NAMES, key=len, reverse=True)) + ")"
NT = "[ACGTU]"
_POS = r"[-*]?\d+(?:[+-]\d+)?"
_UNIT = r"(?:bp|kbp|kb|Mbp|Mb|base[-\s]?pairs?|bases?|nucleotides?|amino\s+acids?)"
_EVENT = r"(?:(?:deletions?|insertions?|duplications?|inversion|tandem\s+repeats?|expansion)(?:/(?:deletion|insertion))?)"
NUCLEOSIDES = ("adenine", "guanine", "cytosine", "thymine", "adenosine", "guanosine", "cytidine", "thymidine")
_NUC = "(?:" + "|".join(NUCLEOSIDES) + ")"
_COUNT = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)"
_WHERE = (r"(?:\s(?:at|in|of)\s(?:the\s)?(?:cDNA\s)?(?:codon|nucleotide|amino\s+acid|residue|position|base)"
          r"(?:\s+position)?\s+[-+]?(?:c\.)?\d+)")

_PCHANGE = rf"(?:{A3}|{A1})\d+(?:_(?:{A3}|{A1})\d+)?(?:{A3}|{A1}|\*|X|del|dup|ins|=|stop)?(?:fs\s?(?:\*|X|Ter)?\d*)?"
_PATTERNS: list[tuple[str, str]] = [
    ("rsid", r"rs\s?\d{3,}"),
    ("hgvs_dna", rf"[cgmnr]\.{_POS}(?:_{_POS})?(?:{NT}+\s?(?:>|-->)\s?{NT}+|(?:delins|del|dup|ins|inv)(?:{NT}+|\d+|\({NT}+\)\(\d+\))?|\s{NT}\s>\s{NT})"),
    ("hgvs_protein", rf"p\.(?:\({_PCHANGE}\)|{_PCHANGE})"),
    ("protein", rf"{A3}-?\d+-?(?:{A3}|\*|X|fs(?:X|\*)?\d*)"),
    ("protein", rf"{A3}\s?(?:-->|->|>)\s?{A3}"),
    ("protein", rf"{A1}-?\d{{2,}}(?:{A1}|\*|X|fs(?:X|\*)?\d*)"),
    ("protein", rf"{A1}\d+_{A1}\d+(?:_{A1}\d+)*\s(?:deletion|del)"),
    ("dna", rf"(?:[-+*]?\d+(?:[-+]\d+)?|IVS[-\dIVX]*\d(?:\s?[-+]\s?\d+)?,?)\s?(?:\({NT}\s?(?:>|-->|/)\s?{NT}\)|{NT}\s?(?:>|-->|->|/)\s?{NT})"),
    ("dna", rf"(?:[Dd]elta|Δ)\s?\d+|DD\d+(?:\sdeletion)?|-\d+{NT}|\d+X|\d{{2,}}{NT}(?=[\s-](?:alleles?|and|or|genotypes?|carriers?))"),
    ("dna", rf"{NT}\s?(?:>|-->)\s?{NT}(?:\s(?:substitution|transition|transversion))?{_WHERE}?|{NT}/{NT}(?=\s(?:substitution|polymorphism|single|SNP|transition|variant))"),
    ("dna", rf"{NT}-?\d{{2,}}{NT}"),
    ("dna", rf"[-+]?\d+(?:[-_]\d+)?\s?(?:del|dup|ins)(?:{NT}+|\d+|\({NT}+\)\d+)?(?:\s?{NT}{{1,4}}\b)?"),
    ("dna", rf"(?:IVS[-\dIVX]*\d|[-+]\d+),?\s(?:{NT}/{NT}|{NT}{{2}})"),
    ("dna", rf"(?:dup|del|ins)\d+bp|del{NT}{{2,}}|\({NT}{{3,5}}\)\d+(?:\({NT}+\)\d*)*{NT}*"),
    ("size", rf"\d+(?:[.,]\d+)?[-\s]?{_UNIT}(?:\s\(\w+\))?\s(?:\w+\s)?{_EVENT}|{_EVENT}\sof\s(?:\d+(?:[.,]\d+)?\s?{_UNIT}|\(?{NT}+\)?\d*){_WHERE}?"),
    ("size", rf"(?:{_NUC}\s)?(?:deletion|insertion)\s(?:of\s(?:a\s)?{NT}\s)?(?:at\s)?(?:the\s)?nucleotide(?:\sposition)?\s-?\d+|\d+\s{_NUC}\sdeletion"),
    ("protein", rf"{AN}(?:\s\({A3}\))?\s(?:residue\s)?(?:to|for|by)\s(?:a\s|an\s)?{AN}(?:\s\({A3}\))?(?:\sresidue)?(?:\s(?:substitution|change|mutation))?{_WHERE}?"),
    ("protein", rf"{AN}\s\d+\s(?:to\s|by\s)?{AN}|{AN}\s\d+(?=\s(?:residue|variant|mutation|polymorphism))"),
    ("dna", rf"{NT}(?:\sto\s|-to-){NT}(?:\s(?:point\s)?(?:substitution|transition|transversion|mutation|change))?{_WHERE}?"),
    ("dna", rf"codon\s\d+,\s{NT}{{3}}-->{NT}{{3}}|\({NT}{{2,3}}\s?-->\s?{NT}{{2,3}}\)(?:\sat\scodon\s\d+)?"),
    # worded changes: "C deletion in codon 241", "deletion of a G nucleotide", "Glu 272 to stop"
    ("dna", rf"(?<=[a-z,]\s){NT}\s(?:deletion|insertion|duplication)(?:{_WHERE}|\sat\s\d+(?:\sand\s\d+)?)?|"
            rf"{_NUC}\s(?:deletion|insertion|duplication)(?:{_WHERE}|\sat\s\d+(?:\sand\s\d+)?)"),
    ("dna", rf"(?:deletion|insertion|duplication)\sof\s(?:a\s|an\s|one\s|the\s)?(?:(?:single|{_COUNT})\s)?"
            rf"(?:successive\s)?(?:(?:{NT}|{_NUC})\s)?(?:nucleotides?|residues?|bases?|base[-\s]pairs?)"
            rf"(?:\s{NT}+)?{_WHERE}?|(?:deletion|insertion)\sof\s\({NT}+\)\d*{NT}*"),
    ("protein", rf"(?:{AN}|{A3})\s?\d+\s(?:to|>|-->)\s(?:a\s)?(?:stop|termination)|p\.{A1}\d+stop"),
    ("protein", rf"(?:termination|stop)(?:\scodon)?(?:\sfor\s{AN})?\s(?:at|in)\s(?:amino[-\s]acid\s)?"
                rf"(?:codons?|positions?|residues?|nucleotides?)(?:\sposition)?\s\d+(?:\sto\s\d+)?"),
    ("dna", rf"codon\s\d+\s(?:deletion|insertion|duplication)|codon\s\d+\s{NT}{{3}}/{NT}{{3}}|"
            rf"(?:deletion|insertion|duplication)\smutation{_WHERE}"),
    ("dna", rf"\(?{NT}{{2,6}}\)?\s(?:deletion|insertion|duplication)(?:[/-](?:deletion|insertion))?|"
            rf"(?:deletion|insertion|duplication)\s{NT}{{2,6}}\b|ins/del\s\d+\s?bp|del-?\(\d+-\d+\)|"
            rf"\d+\({NT}{{2,6}}\)\(\d+-\d+\)|(?:\d+|{_COUNT})\s{NT}{{2,6}}\srepeats?"),
    ("dna", rf"(?:{NT}|[DI])\sallele\s(?:of|for)\s(?:the\s)?-\d+|-\d+\s(?:{NT}|{_NUC})\b|"
            rf"{_NUC}\sto\s{_NUC}(?:\s(?:substitution|transition|transversion|mutation|change))?{_WHERE}?"),
    ("protein", rf"{A1}-\d+{A1}(?![a-z])|{A3}\s\d+\s{A3}|(?:{AN}\swith\s)?{AN}\sat\sresidue\s\d+"),
    ("dna", rf"IVS\d+\s?[-+]\s?\d+(?:{NT}|\s{NT}{{2}}(?:\+{NT}{{2}})?|,\s[acgt]\s?-->\s?[acgt])"),
    ("dna", rf"{NT}\d{{3,}}(?=\s(?:alleles?|genotypes?|variants?|polymorphisms?))|\d{{2,}}{NT}(?=\s(?:deletion|insertion))"),
    ("dna", rf"\({NT}{{2,6}}\)n|{NT}{{3,6}}\s(?:repeats?|expansion)|{NT}{{3}}\(\d+\){NT}{{3}}|{NT}{{2,3}}\s?-->\s?{NT}{{2,3}}"
            rf"(?:\s(?:substitution|transition|transversion))?{_WHERE}?|{NT}\d+\s(?:by|to|for)\s{NT}\b|"
            rf"\({NT}\s?-->\s?{NT}\)\s(?:substitution|transition|transversion){_WHERE}?"),
    ("size", rf"(?:\d+|{_COUNT})[-\s]?{_UNIT}(?:[\s-](?:\w+|\(\w+\)|in-frame)){{0,2}}\s{_EVENT}|{_EVENT}\s\({NT}+\)"),
]
ALLELE_RE = re.compile(
    rf"(?<![\w/+-])(?P<allele>{NT}{{1,2}}|{NT}/{NT}|{A3}(?:/{A3})?|{NT}{{2}}\+{NT}{{2}})"
    rf"(?=[\s-](?P<what>alleles?|genotypes?|homozygotes?|heterozygotes?|carriers?)\b)"
)
# Most positions are inside words or far from a digit: the scanners start on the one character before a
# variant (not a word character, '.' or '>'), which the regex engine finds by a fast character-class scan,
# and try twenty alternatives only where a digit is near. The worded patterns ("proline to serine", "G-->A",
# "deletion of C") run only on texts that have one of their trigger words. Protein changes inside a word
# (JAK2V617F) start at a capital followed by two digits.
_BODY = r"(?=[A-Za-z0-9(+\-*\u0394])"
_DIGIT_SOON = r"(?=[^\s]{0,14}\d|\S+\s\d)"
_ALTERNATIVES = "(?:" + "|".join(f"(?P<{kind}{i}>{pattern})" for i, (kind, pattern) in enumerate(_PATTERNS)) + ")"
VARIANT_RE = re.compile(_BODY + _ALTERNATIVES)
_SCAN_ALL = re.compile(r"[^\w.>]" + _BODY + _ALTERNATIVES)
_SCAN_DIGIT = re.compile(r"[^\w.>]" + _BODY + _DIGIT_SOON + _ALTERNATIVES)
_IN_WORD = re.compile(r"[A-Z](?=\d\d)")
_BOUND_BEFORE = re.compile(r"[\w.>]$")
# what makes a text need the worded patterns; literal words first (substring tests are cheap), then the
# nucleotide and amino-acid phrasings, only when the text has such a name at all
_TRIGGER_WORDS = ("-->", "->", "-to-", "stop", "termination", "repeat", "expansion", "IVS", "deletion", "insertion",
                  "duplication", "codon", "nucleotide", "allele of", "allele for")
_TRIGGER_BASES = re.compile(rf"\({NT}+\)|{NT} to {NT}\b")
_NAMED = (*NAMES, *NUCLEOSIDES)
_TRIGGER_NAMED = re.compile(rf"{AN}\s\d|{_NUC}\sto\s|{AN}\s(?:\(\w+\)\s)?(?:residue\s)?(?:to|for|by)\s")


def _triggered(text: str) -> bool:
    if any(word in text for word in _TRIGGER_WORDS):
        return True
    for match in _TRIGGER_BASES.finditer(text):
        if match.group(0)[0] == "(" or not match.start() or not text[match.start() - 1].isalnum():
            return True
    return any(name in text for name in _NAMED) and bool(_TRIGGER_NAMED.search(text))


@dataclass(frozen=True)
class AlleleMatch:
    start: int
    end: int
    allele: str  # G, CT, Met, Val/Met
    kind: str  # allele or genotype


_ALLELE_WORD = re.compile(r"allele|genotype|homozygo|heterozygo|carrier")


def find_alleles(text: str) -> Iterator[AlleleMatch]:
    """Alleles and genotypes named as such ("G allele", "CT genotype", "Met carriers")."""
    if not _ALLELE_WORD.search(text):
        return
    for match in ALLELE_RE.finditer(text):
        what = match.group("what")
        kind = "allele" if what.startswith(("allele", "carrier")) and "/" not in match.group("allele") else "genotype"
        yield AlleleMatch(match.start(), match.end("allele"), match.group("allele"), kind)


@dataclass(frozen=True)
class VariantMatch:
    start: int
    end: int
    kind: str  # rsid, hgvs_dna, hgvs_protein, protein, dna, size
    id: str | None  # rs6265, p.Val66Met, c.196G>A; None when there is no standard form


def _normal(kind: str, text: str) -> str | None:
    if kind == "rsid":
        return "rs" + re.sub(r"\D", "", text)
    if kind == "hgvs_dna":
        return re.sub(r"\s|-(?=->)", "", text).replace(">>", ">").replace("->", ">")
    protein = re.fullmatch(rf"(?:p\.)?\(?({A3}|{A1})-?(\d+)-?({A3}|{A1}|\*|X)\)?", text)
    if protein and kind in ("protein", "hgvs_protein"):
        ref, pos, alt = protein.groups()
        alt = "Ter" if alt in ("*", "X") else alt
        return f"p.{THREE.get(ref, ref)}{pos}{THREE.get(alt, alt)}"
    return None


def _matches(text: str) -> list[re.Match[str]]:
    """Candidate matches, leftmost first and not overlapping."""
    padded = " " + text  # the scanners consume the character before a variant; offsets shift by one
    scan = _SCAN_ALL if _triggered(text) else _SCAN_DIGIT
    found = list(scan.finditer(padded))
    inside = [m for m in (VARIANT_RE.match(padded, c.start()) for c in _IN_WORD.finditer(padded)
                          if padded[c.start() - 1].isalnum()) if m and m.lastgroup and m.lastgroup.startswith("protein")]
    if inside:
        found = sorted(found + inside, key=lambda m: m.start())
    return found


def find_variants(text: str) -> Iterator[VariantMatch]:
    """Every variant mention in text, leftmost, on word boundaries."""
    last = 0
    for match in _matches(text):
        kind = (match.lastgroup or "dna").rstrip("0123456789")
        start, end = match.start(match.lastgroup or 0) - 1, match.end() - 1
        if start < last:
            continue
        before = text[start - 1] if start else " "
        if _BOUND_BEFORE.search(before) and not (kind == "protein" and before.isalnum() and end - start >= 4):
            continue
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        last = end
        yield VariantMatch(start, end, kind, _normal(kind, text[start:end]))
