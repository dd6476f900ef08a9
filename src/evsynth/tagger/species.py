"""Species cues: the words that say which organism a text's genes are from, and the method names that use one."""

from __future__ import annotations

import re

from evsynth.tagger.wordlists import SPECIES_CUES

SPECIES = SPECIES_CUES
# the cue words, found as whole words by the lexicon's automaton in its pass over the folded text; a cue counts
# only written as listed ('rats', not 'RATS'), or capitalised ('Mouse')
CUE_KIND = {word: kind for kind, words in SPECIES.items() for word in words}
# species words that name a method, not the genes' species: yeast two-hybrid screens, E. coli expression,
# antibodies raised in rabbits, bovine serum, Chinese hamster ovary cells
METHOD_SPECIES = re.compile(
    r"\b(?:yeast|bacterial)\s+(?:one|two|three|1|2|3)[- ]hybrid|\bEscherichia\s+coli\b|"
    r"\b(?:bacteria|bacterial|E\.\s?coli)\s+(?:expression|expressed|cells)|"
    r"\b(?:mouse|rabbit|goat|rat|sheep|chicken|donkey|hamster)\s+(?:anti|monoclonal|polyclonal|IgG|antibod)|"
    r"\b(?:fetal\s+|foetal\s+)?(?:bovine|calf)\s+serum|\bChinese\s+hamster\s+ovary|\bmonkey\s+kidney|"
    r"\b(?:in|into|from)\s+(?:the\s+)?yeast\b|"
    r"\b(?:nude|athymic|SCID|NOD/SCID|NSG|immunodeficient|immunocompromised|xenograft|xenografted)\s+(?:mice|mouse|rats?)\b",
    re.IGNORECASE,
)
_WORD_START = re.compile(r"\b\w")


def names_a_method(text: str, start: int) -> bool:
    """Whether the species word at start is part of a method's name. The phrases open on a word at most 25
    characters before it: only those word starts are tried (the regex, case-blind and opening with a word
    boundary, is slow to try at every character)."""
    for word in _WORD_START.finditer(text, max(0, start - 25), start + 1):
        match = METHOD_SPECIES.match(text, word.start())
        if match is not None and start < match.end():
            return True
    return False
