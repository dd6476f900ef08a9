"""What a spelling may stand for: the case rules (case_ok) and acronyms (acronym_of)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from evsynth.tagger.lexicon import greek_short

_ALNUM = re.compile(r"[^0-9A-Za-zα-ω]")


@lru_cache(maxsize=65536)
def compact(text: str) -> str:
    return _ALNUM.sub("", text)


PROTEIN_WORD = re.compile(r"(?:in|ins|ase|ases|ogen|ulin|ectin|kine|kines|tide|mone|ase\w)$")


def case_ok(surface: str, term: str, kind: str, sentence_start: bool = False) -> bool:
    """Whether the text's spelling may stand for the term.

    Names of several words match in any case, one-word names only when they look like protein names
    (osteopontin, neuraminidase). A symbol matches as written, in capitals (MTOR for mTOR), or capitalised the
    way rodent and some human genes are written (Bdnf, Fos) when not the first word of a sentence; never in
    lower case (cat is not CAT).
    """
    s, t = compact(surface), compact(term)
    if len(s) < 2 or not any(c.isalpha() for c in s):
        return False
    if s.endswith("s") and not t.endswith("s") and len(t) > 3:  # plurals the lexicon allowed: AMPARs, receptors
        s = s[:-1]
    if s == t:
        return True
    if s != (short := greek_short(s)) or t != greek_short(t):
        s, t = short, greek_short(t)  # TGF-b1 for TGF-beta1
        if s == t:
            return True
    lower_term = not any(c.isupper() for c in t)
    if kind == "name" or (lower_term and len(t) >= 7):
        return _name_case_ok(s, t, term, kind)
    if lower_term:  # p11: as written or capitalised
        return s.lower() == t.lower() and (s.islower() or s[:1].isupper() and s[1:] == t[1:])
    if s.upper() != t.upper():
        return False
    return _symbol_case_ok(s, surface, kind, sentence_start)


def _name_case_ok(s: str, t: str, term: str, kind: str) -> bool:
    """A name (or a long lower-case term) in another case: names of several words, with a hyphen or a number,
    or that look like protein names match in any case; other one-word terms only as written."""
    if " " in term.strip() or "-" in term or any(c.isdigit() for c in t) or PROTEIN_WORD.search(t):
        return s.lower() == t.lower() or kind == "name"
    return False


def _symbol_case_ok(s: str, surface: str, kind: str, sentence_start: bool) -> bool:
    """A symbol's letters written in other capitals: in capitals (MTOR for mTOR), with the capitals papers give
    it, a numbered symbol in lower case, or capitalised the rodent way (not as a sentence's first word)."""
    if not any(c.islower() for c in s):
        return True
    if _capitals_as_papers_write(s):
        return True  # PTHrP, hnRNP, apoE, erbB3 (not cT2-4): a symbol written with the capitals papers give it
    if _numbered_lower_case(s, surface, kind):
        return True  # rac1, cdc2: a symbol with a number is not an English word in any case (but 'them 6', 'min-1')
    capitalised = s[0].isupper() and not any(c.isupper() for c in s[1:])
    return capitalised and len(s) >= 3 and (not sentence_start or any(c.isdigit() for c in s))


def _capitals_as_papers_write(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    uppers = sum(c.isupper() for c in letters)
    return len(s) >= 4 and (
        uppers >= 2
        or (uppers == 1 and s[0].islower() and (s[-1].isupper() or (letters[-1].isupper() and len(letters) >= 4)))
    )


def _numbered_lower_case(s: str, surface: str, kind: str) -> bool:
    return (
        len(s) >= 4
        and not any(c.isupper() for c in s)
        and any(c.isdigit() for c in s)
        and s[0].isalpha()
        and kind != "alias"
        and " " not in surface
    )


def acronym_of(short: str, words: Sequence[str]) -> bool:
    """Schwartz-Hearst style: the letters of short appear, in order, in words of the long form, and its first
    letter starts one ('translocator protein' does not spell Arnt)."""
    letters = [c.lower() for c in short if c.isalpha()]
    if not letters or not words:
        return False
    i = len(letters) - 1
    for word in reversed(words):
        w = word.lower()
        while i > 0 and letters[i] in w[1:] and not w.startswith(letters[i]):
            i -= 1
        if i >= 0 and w.startswith(letters[i]):
            i -= 1
        if i < 0:
            return True
    return False
