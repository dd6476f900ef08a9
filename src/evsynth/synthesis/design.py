"""Study design and sample size of a record, from its publication types and its title and abstract.

Rules, not a model: each design has a pattern over the text (and publication types where PubMed has one),
a record gets every design that matches, and its primary design is the first of ``DESIGNS`` that does.
Sample size is the largest count of people the abstract states ("112 adults", "n = 186", "N=5,300"), with
the phrase it came from, so a reviewer can check it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from evsynth.tagger.wordlists import alternation, words

# (design, publication types that decide it, pattern over title and abstract, pattern over the title only).
# Reviews are named by their own title or by how the abstract speaks of itself ("this review", "we performed a
# meta-analysis"), so that a primary study citing "a previous meta-analysis" stays a primary study.
# Order = precedence of the primary design.
_SELF = r"\b(?:this|our|the present|we (?:conducted|performed|carried out|report|present) an?)\s+"
_RULES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("meta-analysis", ("Meta-Analysis",), _SELF + r"(?:systematic review and )?meta-?analys[ie]s\b", r"meta-?analys"),
    ("systematic review", ("Systematic Review",), _SELF + r"systematic review\b", r"\bsystematic review"),
    (
        "review",
        ("Review",),
        _SELF + r"(?:narrative |scoping |literature |critical )?review\b|\bwe review\b",
        r"\breview\b|\boverview\b",
    ),
    ("GWAS", (), r"\bgenome-?wide association|\bGWAS\b", ""),
    ("polygenic score", (), r"\bpolygenic (?:risk )?scores?\b|\bPRS\b", ""),
    ("sequencing", (), r"\b(?:whole[- ])?(?:exome|genome) sequencing\b", ""),
    ("miRNA profiling", (), r"\bmicro-?RNAs?\b|\bmiRNAs?\b|\bmiR-\d|\blet-7", ""),
    ("epigenetic", (), r"\bmethylation\b|\bepigenetic", ""),
    (
        "gene expression",
        (),
        r"\btranscriptom|\bRNA-?seq|\bgene expression\b|\bmRNA\b|\bexpression (?:of|levels?)\b",
        "",
    ),
    (
        "candidate gene",
        (),
        r"\bpolymorphisms?\b|\bgenotyp|\brs\d{3,}|\bSNPs?\b|\ballele|\b(?:Val|Met)\d+(?:Met|Val)\b"
        r"|\bvariants? (?:in|of)\b",
        "",
    ),
    (
        "clinical trial",
        ("Randomized Controlled Trial", "Clinical Trial"),
        r"\brandomi[sz]ed\b.{0,40}\btrial\b|\bplacebo-controlled\b",
        "",
    ),
    ("animal", (), r"\b(?:mice|mouse|rats?|rodents?)\b", ""),
)
_COMPILED = [
    (name, types, re.compile(text, re.IGNORECASE), re.compile(title, re.IGNORECASE) if title else None)
    for name, types, text, title in _RULES
]
REVIEW_DESIGNS = frozenset({"meta-analysis", "systematic review", "review"})
# DNA designs go to Table 2, RNA designs to Table 3
DNA_DESIGNS = frozenset({"GWAS", "polygenic score", "sequencing", "candidate gene"})
RNA_DESIGNS = frozenset({"miRNA profiling", "gene expression", "epigenetic"})

_PEOPLE = alternation(words("people_words", package="evsynth.synthesis"))
_SIZE = re.compile(
    r"\b[nN]\s*=\s*(?P<n1>\d{1,3}(?:,\d{3})+|\d+)\b"
    # "112 adults", "48 drug-free patients"; not "miR-132 increased in responders" (a name, then a verb)
    r"|(?<![-/.\w])(?P<n2>\d{1,3}(?:,\d{3})+|\d+)\s+"
    r"(?:(?!(?:in|of|and|or|with|to|at|for|from|the|was|were|is|are|had|has)\b)[a-zA-Z-]+\s+){0,2}" + _PEOPLE + r"\b"
)


@dataclass(frozen=True)
class Design:
    primary: str  # "" when no rule matched
    designs: tuple[str, ...]
    sample_size: int | None
    sample_text: str  # the phrase the sample size came from

    @property
    def is_review(self) -> bool:
        return self.primary in REVIEW_DESIGNS


def stated_sizes(text: str) -> list[tuple[int, str]]:
    """Every number of people the text states ("in 112 adults", "n = 48"), with its phrase, in text order. The
    one reading of sample sizes: the evidence tables and the audit's claims check both use it."""
    found = []
    for match in _SIZE.finditer(text):
        number = int((match.group("n1") or match.group("n2")).replace(",", ""))
        if match.group("n2") and 1900 <= number <= 2100 and "," not in match.group("n2"):
            continue  # a year ("in 2015 patients" is rare; "since 2015" is not a sample)
        if number > 0:
            found.append((number, match.group(0)))
    return found


def sample_size(text: str) -> tuple[int | None, str]:
    """The largest stated number of people, and the phrase that states it (the first, among equals)."""
    best: tuple[int | None, str] = (None, "")
    for number, phrase in stated_sizes(text):
        if best[0] is None or number > best[0]:
            best = (number, phrase)
    return best


def classify(title: str, abstract: str, pub_types: Iterable[str]) -> Design:
    """Every design whose publication type or text pattern matches; the first is the primary one."""
    types = set(pub_types)
    text = f"{title} {abstract}"
    found = [
        name
        for name, decisive, pattern, in_title in _COMPILED
        if types.intersection(decisive) or pattern.search(text) or (in_title and in_title.search(title))
    ]
    primary = found[0] if found else ""
    # a review's numbers are its included studies', not a sample of its own
    size, phrase = (None, "") if primary in REVIEW_DESIGNS else sample_size(abstract or title)
    return Design(primary=primary, designs=tuple(found), sample_size=size, sample_text=phrase)
