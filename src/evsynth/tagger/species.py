"""Species cues: the words that say which organism a text's genes are from, and the method names that use one."""

from __future__ import annotations

import re

from evsynth.tagger.wordlists import SPECIES_CUES, words

# the cue words, found as whole words by the lexicon's automaton in its pass over the folded text; a cue counts
# only written as listed ('rats', not 'RATS'), or capitalised ('Mouse')
CUE_KIND = {word: kind for kind, words in SPECIES_CUES.items() for word in words}
# species words that name a method, not the genes' species
METHOD_SPECIES = re.compile("|".join(words("method_phrases")), re.IGNORECASE)  # tagger/data/method_phrases.txt
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
