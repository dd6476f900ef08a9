"""Sequence variant mentions: rsIDs, protein and DNA changes (HGVS and the forms papers use), genotypes and alleles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import ahocorasick

from evsynth.tagger.regex_openings import openings
from evsynth.tagger.wordlists import AMINO_ACIDS, AMINO_NAMES, BASE_PAIRS, VARIANT_TRIGGERS, VARIANT_WORDS

THREE = {one: three for three, one in AMINO_ACIDS.items()}

A3 = "(?:" + "|".join(AMINO_ACIDS) + ")"
A1 = "[ACDEFGHIKLMNPQRSTVWY]"
AN = "(?:" + "|".join(sorted(AMINO_NAMES, key=len, reverse=True)) + ")"
NT = "[ACGTU]"
_POS = r"[-*]?\d++(?:[+-]\d++)?"
_UNIT = r"(?:bp|kbp|kb|Mbp|Mb|base[-\s]?pairs?|bases?|nucleotides?|amino\s+acids?)"
_EVENT = (
    r"(?:(?:deletions?|insertions?|duplications?|inversion|tandem\s+repeats?|expansion)(?:/(?:deletion|insertion))?)"
)
NUCLEOSIDES = VARIANT_WORDS["nucleosides"]
_NUC = "(?:" + "|".join(NUCLEOSIDES) + ")"
# the word naming a change is part of the mention only with the position after it ("G>A substitution at
# nucleotide 898"); alone it is not ("the G>A substitution was ...")
_CHANGE = r"(?:\s(?:point\s)?(?:substitution|transition|transversion|mutation|change))"
_COUNT = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|\d++)"
_WHERE = (
    r"(?:\s(?:at|in|of)\s(?:the\s)?(?:cDNA\s)?(?:codon|nucleotide|amino\s+acid|residue|position|base)"
    r"(?:\s+position)?\s+[-+]?(?:c\.)?\d++)"
)

_PCHANGE = rf"(?:{A3}|{A1})\d++(?:_(?:{A3}|{A1})\d++)?(?:{A3}|{A1}|\*|X|del|dup|ins|=|stop)?(?:fs\s?(?:\*|X|Ter)?\d*+)?"
_PATTERNS: list[tuple[str, str]] = [
    ("rsid", r"rs\s?\d{3,}+"),
    (
        "hgvs_dna",
        rf"[cgmnr]\.{_POS}(?:_{_POS})?(?:{NT}+\s?(?:>|-->)\s?{NT}+|(?:delins|del|dup|ins|inv)(?:{NT}+|\d++|\({NT}+\)\(\d++\))?|\s{NT}\s>\s{NT})",
    ),
    ("hgvs_protein", rf"p\.(?:\({_PCHANGE}\)|{_PCHANGE})"),
    ("protein", rf"{A3}-?\d++-?(?:{A3}|\*|X|fs(?:X|\*)?\d*+)"),
    ("protein", rf"{A3}\s?(?:-->|->|>)\s?{A3}"),
    ("protein", rf"{A1}-?\d{{2,}}+(?:{A1}|\*|X|fs(?:X|\*)?\d*+)"),
    ("protein", rf"{A1}\d++_{A1}\d++(?:_{A1}\d++)*\s(?:deletion|del)"),
    (
        "dna",
        rf"(?:[-+*]?\d++(?:[-+]\d++)?|IVS[-\dIVX]*\d(?:\s?[-+]\s?\d++)?,?)\s?(?:\({NT}\s?(?:>|-->|/)\s?{NT}\)|{NT}\s?(?:>|-->|->|/)\s?{NT})",
    ),
    (
        "dna",
        rf"(?:[Dd]elta|Δ)\s?\d++|DD\d++(?:\sdeletion)?|-\d++{NT}|\d++X|\d{{2,}}+{NT}(?=[\s-](?:alleles?|and|or|genotypes?|carriers?))",
    ),
    (
        "dna",
        rf"{NT}\s?(?:>|-->)\s?{NT}(?:{_CHANGE}?{_WHERE})?|{NT}/{NT}(?=\s(?:substitution|polymorphism|single|SNP|transition|variant))",
    ),
    ("dna", rf"{NT}-?\d{{2,}}+{NT}"),
    ("dna", rf"[-+]?\d++(?:[-_]\d++)?\s?(?:del|dup|ins)(?:{NT}+|\d++|\({NT}+\)\d++)?(?:\s?{NT}{{1,4}}\b)?"),
    ("dna", rf"(?:IVS[-\dIVX]*\d|[-+]\d++),?\s(?:{NT}/{NT}|{NT}{{2}})"),
    ("dna", rf"(?:dup|del|ins)\d++bp|del{NT}{{2,}}|\({NT}{{3,5}}\)\d++(?:\({NT}+\)\d*+)*{NT}*"),
    (
        "size",
        rf"\d++(?:[.,]\d++)?[-\s]?{_UNIT}(?:\s\(\w+\))?\s(?:\w+\s)?{_EVENT}|{_EVENT}\sof\s(?:\d++(?:[.,]\d++)?\s?{_UNIT}|\(?{NT}+\)?\d*+){_WHERE}?",
    ),
    (
        "size",
        rf"(?:{_NUC}\s)?(?:deletion|insertion)\s(?:of\s(?:a\s)?{NT}\s)?(?:at\s)?(?:the\s)?nucleotide(?:\sposition)?\s-?\d++|\d++\s{_NUC}\sdeletion",
    ),
    (
        "protein",
        rf"{AN}(?:\s\({A3}\))?\s(?:residue\s)?(?:to|for|by)\s(?:a\s|an\s)?{AN}(?:\s\({A3}\))?(?:\sresidue)?(?:{_CHANGE}?{_WHERE})?",
    ),
    ("protein", rf"{AN}\s\d++\s(?:to\s|by\s)?{AN}|{AN}\s\d++(?=\s(?:residue|variant|mutation|polymorphism))"),
    ("dna", rf"{NT}(?:\sto\s|-to-){NT}(?:{_CHANGE}?{_WHERE})?"),
    ("dna", rf"codon\s\d++,\s{NT}{{3}}-->{NT}{{3}}|\({NT}{{2,3}}\s?-->\s?{NT}{{2,3}}\)(?:\sat\scodon\s\d++)?"),
    # worded changes: "C deletion in codon 241", "deletion of a G nucleotide", "Glu 272 to stop"
    (
        "dna",
        rf"(?<=[a-z,]\s){NT}\s(?:deletion|insertion|duplication)(?:{_WHERE}|\sat\s\d++(?:\sand\s\d++)?)?|"
        rf"{_NUC}\s(?:deletion|insertion|duplication)(?:{_WHERE}|\sat\s\d++(?:\sand\s\d++)?)",
    ),
    (
        "dna",
        rf"(?:deletion|insertion|duplication)\sof\s(?:a\s|an\s|one\s|the\s)?(?:(?:single|{_COUNT})\s)?"
        rf"(?:successive\s)?(?:(?:{NT}|{_NUC})\s)?(?:nucleotides?|residues?|bases?|base[-\s]pairs?)"
        rf"(?:\s{NT}+)?{_WHERE}?|(?:deletion|insertion)\sof\s\({NT}+\)\d*+{NT}*",
    ),
    ("protein", rf"(?:{AN}|{A3})\s?\d++\s(?:to|>|-->)\s(?:a\s)?(?:stop|termination)|p\.{A1}\d++stop"),
    (
        "protein",
        rf"(?:termination|stop)(?:\scodon)?(?:\sfor\s{AN})?\s(?:at|in)\s(?:amino[-\s]acid\s)?"
        rf"(?:codons?|positions?|residues?|nucleotides?)(?:\sposition)?\s\d++(?:\sto\s\d++)?",
    ),
    (
        "dna",
        rf"codon\s\d++\s(?:deletion|insertion|duplication)|codon\s\d++\s{NT}{{3}}/{NT}{{3}}|"
        rf"(?:deletion|insertion|duplication)\smutation{_WHERE}",
    ),
    (
        "dna",
        rf"\(?{NT}{{2,6}}\)?\s(?:deletion|insertion|duplication)(?:[/-](?:deletion|insertion))?|"
        rf"(?:deletion|insertion|duplication)\s{NT}{{2,6}}\b|ins/del\s\d++\s?bp|del-?\(\d++-\d++\)|"
        rf"\d++\({NT}{{2,6}}\)\(\d++-\d++\)|(?:\d++|{_COUNT})\s{NT}{{2,6}}\srepeats?",
    ),
    (
        "dna",
        rf"(?:{NT}|[DI])\sallele\s(?:of|for)\s(?:the\s)?-\d++|-\d++\s(?:{NT}|{_NUC})\b|"
        rf"{_NUC}\sto\s{_NUC}(?:{_CHANGE}?{_WHERE})?",
    ),
    ("protein", rf"{A1}-\d++{A1}(?![a-z])|{A3}\s\d++\s{A3}|(?:{AN}\swith\s)?{AN}\sat\sresidue\s\d++"),
    ("dna", rf"IVS\d++\s?[-+]\s?\d++(?:{NT}|\s{NT}{{2}}(?:\+{NT}{{2}})?|,\s[acgt]\s?-->\s?[acgt])"),
    (
        "dna",
        rf"{NT}\d{{3,}}+(?=\s(?:alleles?|genotypes?|variants?|polymorphisms?))|\d{{2,}}+{NT}(?=\s(?:deletion|insertion))",
    ),
    (
        "dna",
        rf"\({NT}{{2,6}}\)n|{NT}{{3,6}}\s(?:repeats?|expansion)|{NT}{{3}}\(\d++\){NT}{{3}}|{NT}{{2,3}}\s?-->\s?{NT}{{2,3}}"
        rf"(?:{_CHANGE}?{_WHERE})?|{NT}\d++\s(?:by|to|for)\s{NT}\b|"
        rf"\({NT}\s?-->\s?{NT}\){_CHANGE}{_WHERE}",
    ),
    ("size", rf"(?:\d++|{_COUNT})[-\s]?{_UNIT}(?:[\s-](?:\w+|\(\w+\)|in-frame)){{0,2}}\s{_EVENT}|{_EVENT}\s\({NT}+\)"),
]
ALLELE_RE = re.compile(
    rf"(?<![\w/+-])(?P<allele>{NT}{{1,2}}|{NT}/{NT}|{A3}(?:/{A3})?|{NT}{{2}}\+{NT}{{2}})"
    rf"(?=[\s-](?P<what>alleles?|genotypes?|homozygotes?|heterozygotes?|carriers?)\b)"
)
# Most positions are inside words or far from a digit: the scanners start on the one character before a
# variant (not a word character, '.' or '>'), which the regex engine finds by a fast character-class scan,
# and try the alternatives only where a digit is near (a possessive look-ahead: no backtracking). The worded
# patterns ("proline to serine", "G-->A", "deletion of C") are tried only in windows around the words that
# can make them, which one automaton pass finds. Protein changes inside a word (JAK2V617F) start at a capital
# followed by two digits.
_BODY = r"(?=[A-Za-z0-9(+\-*\u0394])"
_DIGIT_SOON = r"(?=[^\s\d]{0,14}+\d|\S++\s\d)"
# what a variant starting with a number has after it (and after more numbers joined by [-+_.,]): a base or '(' (677C>T,
# -308 G/A, 5(CAG)), X (32X), M (3 Mb), del/dup/ins, or a unit or nucleoside word (32 bp, 5 kb, 3 base pairs,
# 2 nucleotides, 4 amino acids, 9 adenine deletion). Most numbers in abstracts (45 patients, 0.05) fail this at once.
_NUMBER = r"\d++(?:[-+_.,]\d++)*+[-\s]?(?:[(ACGTUXM]|d[eu]|in|b[ap]|kb|nu|am|ad|gu|cy|th)"
# each pattern as a group named by its kind and place ("protein3"): the group that matched tells the kind
_GROUPS = [f"(?P<{kind}{i}>{pattern})" for i, (kind, pattern) in enumerate(_PATTERNS)]
_ALTERNATIVES = "(?:" + "|".join(_GROUPS) + ")"
VARIANT_RE = re.compile(_BODY + _ALTERNATIVES)
_IN_WORD = re.compile(r"[A-Z](?=\d\d)")
# where a variant with a digit may start, read on the reversed text from each digit: back to the start of its
# word (at most 15 characters when no other digit comes first) and over the word before it
_DIGIT_REACH = re.compile(r"\d[^\s\d]{0,14}+(?:\d\S*+)?(?:\s\S++)?")
_ASCII_DIGIT_REACH = re.compile(r"[0-9][^\s\d]{0,14}+(?:\d\S*+)?(?:\s\S++)?")  # the same on ASCII text, faster
# a separator a variant may follow: _BODY, and a number only when _NUMBER follows, so that the many numbers of an
# abstract ('45 patients', '(95% CI') are passed over by the regex engine
_SEPARATOR = re.compile(rf"[^\w.>](?=[A-Za-z(+\-*\u0394]|(?=[0-9]){_NUMBER})")
_BOUND_BEFORE = re.compile(r"[\w.>]$")
# the words around which worded variants are looked for; a worded variant starts at most _REACH characters
# before its word ("five base pairs in-frame deletion") and ends at most _REACH after it. Words are found as
# substrings, as written ('deletions' holds one, 'Deletion' does not): by this module's automaton, or by the
# lexicon's pass over the folded text (VARIANT_TRIGGERS are its keys there; Tagger hands the hits over).
_WORDS = VARIANT_WORDS["triggers"]
_NAMED = (*AMINO_NAMES, *NUCLEOSIDES)  # a window only before a position or a change: 'proline 12', 'serine to'
_ALLELE_WORDS = VARIANT_WORDS["alleles"]  # find_alleles looks only there
# base pairs ('A to G') count only outside a word
_KIND = {**dict.fromkeys(_WORDS, "word"), **dict.fromkeys(_NAMED, "named"), **dict.fromkeys(BASE_PAIRS, "pair")}
_WHOLE_PAIR = re.compile(rf"{NT} to {NT}\b")
_TRIGGER_NAMED = re.compile(rf"{AN}\s\d|{_NUC}\sto\s|{AN}\s(?:\(\w+\)\s)?(?:residue\s)?(?:to|for|by)\s")
_REACH = 100
_TRIGGERS = ahocorasick.Automaton()
for _word in VARIANT_TRIGGERS:
    _TRIGGERS.add_word(_word, _word)
_TRIGGERS.make_automaton()
# the triggers made of marks, each found by a regex opening with a literal (the regex engine skips to it at once)
# where the text holds that literal, with the offset of the trigger's start from the match's and its length: an
# arrow (G-->A, Glu->Gly), '-to-', '(del', a base in brackets ((A), (CAG)n), a base before '>' or '/' (G>A,
# C > T, G/A)
_ARROW = re.compile(r"->")
_MARKS = (
    (">", _ARROW, 0, 2),
    (">", re.compile(rf">(?<={NT}>)"), -1, 2),
    (">", re.compile(rf">(?<={NT} >)"), -2, 3),
    ("/", re.compile(rf"/(?<={NT}/)"), -1, 2),
    ("-to-", re.compile(r"-to-"), 0, 4),
    ("(del", re.compile(r"\(del"), 0, 4),
    ("(", re.compile(rf"\({NT}+\)"), 0, 2),
)


def trigger_words(text: str) -> list[tuple[int, str]]:
    """(start, word) of each trigger word in text, by this module's automaton."""
    return [(last - len(word) + 1, word) for last, word in _TRIGGERS.iter(text)]


def _worded_windows(text: str, words: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """Merged (start, end) windows of text where a worded variant may be, around the trigger words given and the
    marks found here."""
    windows = []
    for start, word in words:
        kind = _KIND.get(word)
        if kind is None or (kind == "named" and not _TRIGGER_NAMED.match(text, start)):
            continue  # an allele word; a name not before a position or change
        if kind == "pair":
            if (start and text[start - 1].isalnum()) or not _WHOLE_PAIR.match(text, start):
                continue  # 'HbA to', 'A to Gly'
            windows.append((max(0, start - _REACH), start + 5 + _REACH))  # the window 'A to ' opens
            continue
        windows.append((max(0, start - _REACH), start + len(word) + _REACH))
    for literal, mark, shift, length in _MARKS:
        if literal not in text:
            continue
        for match in mark.finditer(text):
            start = match.start() + shift
            if text[start] not in "(-" and start and text[start - 1].isalnum():
                continue  # a base inside a word: 'RNA/DNA', 'HbA to'
            if mark is _ARROW and text[start - 1 : start] == "-":
                start -= 1  # '-->' reaches one further back than '->'
            windows.append((max(0, start - _REACH), match.start() + shift + length + _REACH))
    return _merged(sorted(windows))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans given in order (of their starts, or of their ends when the starts are in order too), with those that
    overlap or touch joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (min(lo, out[-1][0]), max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


@dataclass(frozen=True)
class AlleleMatch:
    start: int
    end: int
    allele: str  # G, CT, Met, Val/Met
    kind: str  # allele or genotype


def find_alleles(text: str, words: list[tuple[int, str]] | None = None) -> Iterator[AlleleMatch]:
    """Alleles and genotypes named as such ("G allele", "CT genotype", "Met carriers"). words: trigger_words(text),
    when the caller has found them already."""
    # the regex opens with a look-behind, so the engine would try it at every character: it is tried only just
    # before each of its words (an allele is at most 7 characters, and one mark stands between)
    spans = [
        (max(0, at - 9), at + len(word) + 2)
        for at, word in (trigger_words(text) if words is None else words)
        if word in _ALLELE_WORDS
    ]
    for lo, hi in _merged(sorted(spans)):
        for match in ALLELE_RE.finditer(text, lo, hi):
            what = match.group("what")
            allele = match.group("allele")
            kind = "allele" if what.startswith(("allele", "carrier")) and "/" not in allele else "genotype"
            yield AlleleMatch(match.start(), match.end("allele"), allele, kind)


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


def normal_form(kind: str, text: str) -> str | None:
    """A variant's standard form as evsynth writes it (rs6265, c.196G>A, p.Val66Met), or None.

    >>> normal_form("protein", "p.V66M")
    'p.Val66Met'
    """
    return _normal(kind, text)


_OPENINGS = [openings(pattern) for _, pattern in _PATTERNS]
_SCANNERS: dict[bool, dict[str, re.Pattern[str] | None]] = {True: {}, False: {}}  # digit -> opening -> scanner
_COMPILED: dict[str, re.Pattern[str]] = {}
_UNSEEN = re.compile("")  # not in _SCANNERS yet


def _scanner(opening: str, digit: bool) -> re.Pattern[str] | None:
    """The scanner for a variant opening with the (at most two) characters given: only the alternatives that can,
    in their order (so the same one wins); with digit, only where a digit comes soon. The regex engine tries every
    alternative of an alternation in turn; most can be ruled out by the first two characters once, for all texts
    ('an', 'in', 'of' open none)."""
    options = [group for group, opens in zip(_GROUPS, _OPENINGS, strict=True) if opens is None or opens.match(opening)]
    lead = r"[^\w.>]" + (_DIGIT_SOON if digit and not opening[:1].isdecimal() else "")  # a number: see _SEPARATOR
    source = lead + "(?:" + "|".join(options) + ")"
    scanner = (_COMPILED.get(source) or _COMPILED.setdefault(source, re.compile(source))) if options else None
    if len(_SCANNERS[digit]) < 10_000:
        _SCANNERS[digit][opening] = scanner
    return scanner


def _scan(padded: str, spans: list[tuple[int, int]], digit: bool, found: list[re.Match[str]]) -> None:
    """Try the scanners at each separator within spans (merged, in order), as finditer would: leftmost first and
    none starting inside an earlier match. A worded match ends within its window; a digit match may run past its
    region (the region bounds only where it starts)."""
    last = 0
    scanners = _SCANNERS[digit]
    for lo, hi in spans:
        end = len(padded) if digit else hi
        # the look-ahead of _SEPARATOR reads past hi (a number's unit), so the search runs on and stops at hi
        for separator in _SEPARATOR.finditer(padded, lo if lo > last else last):
            at = separator.start()
            if at >= hi - 1:  # the variant's first character is at hi or beyond
                break
            if at < last:
                continue
            opening = padded[at + 1 : at + 3]
            scanner = scanners.get(opening, _UNSEEN)
            if scanner is _UNSEEN:
                scanner = _scanner(opening, digit)
            if scanner is None:
                continue
            match = scanner.match(padded, at, end)
            if match is not None:
                found.append(match)
                last = match.end()


def _digit_regions(padded: str) -> list[tuple[int, int]]:
    """Merged (start, end) regions of padded holding every separator that has a digit soon after it: in its own
    word within 15 characters, or starting the next word."""
    size = len(padded)
    regions: list[tuple[int, int]] = []  # from the text's end back, each joined to the one after it when they touch
    for match in (_ASCII_DIGIT_REACH if padded.isascii() else _DIGIT_REACH).finditer(padded[::-1]):
        back, forward = match.span()
        lo, hi = size - forward - 1, size - back
        if regions and regions[-1][0] <= hi:
            regions[-1] = (lo, regions[-1][1])
        else:
            regions.append((lo, hi))
    if regions and regions[-1][0] < 0:
        regions[-1] = (0, regions[-1][1])
    return regions[::-1]


def _matches(text: str, words: list[tuple[int, str]] | None) -> list[re.Match[str]]:
    """Candidate matches, leftmost first (find_variants drops those that overlap)."""
    padded = " " + text  # the scanners consume the character before a variant; offsets shift by one
    found: list[re.Match[str]] = []
    regions = _digit_regions(padded)  # only separators in these regions can pass _DIGIT_SOON
    _scan(padded, regions, True, found)
    windows = _worded_windows(text, trigger_words(text) if words is None else words)
    _scan(padded, [(lo, hi + 1) for lo, hi in windows], False, found)
    for lo, hi in regions:  # a capital before two digits inside a word (JAK2V617F): always in a digit region
        found.extend(
            m
            for m in (
                VARIANT_RE.match(padded, c.start())
                for c in _IN_WORD.finditer(padded, lo, hi)
                if padded[c.start() - 1].isalnum()
            )
            if m and m.lastgroup and m.lastgroup.startswith("protein")
        )
    found.sort(key=lambda m: (m.start(m.lastgroup or 0), -m.end()))
    return found


def find_variants(text: str, words: list[tuple[int, str]] | None = None) -> Iterator[VariantMatch]:
    """Every variant mention in text, leftmost, on word boundaries. words: trigger_words(text), when the caller
    has found them already."""
    last = 0
    for match in _matches(text, words):
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
