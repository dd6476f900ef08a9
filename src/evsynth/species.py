"""Species cues: the words that say which organism a text's genes are from, and the method names that use one."""

from __future__ import annotations

import re

SPECIES = {
    "human": ("human", "humans", "patient", "patients", "woman", "women", "man", "men", "child", "children",
              "subjects", "participants", "individuals", "people", "persons", "volunteers", "donors", "HeLa",
              "HEK293", "Homo sapiens", "cohort", "xenograft", "xenografts", "xenografted",
              # human cell lines
              "MCF-7", "MCF7", "A549", "HepG2", "Jurkat", "THP-1", "U937", "HUVEC", "HUVECs", "SH-SY5Y", "Caco-2",
              "HCT116", "HT-29", "PC-3", "LNCaP", "K562", "HaCaT", "MDA-MB-231", "SK-N-SH", "U2OS", "HEK-293",
              "HEK293T", "Huh7", "Huh-7", "HL-60", "SW480", "DU145", "T47D", "PANC-1", "BxPC-3", "AsPC-1", "MIA PaCa-2",
              "Capan-1", "U87", "U87MG", "U251", "LN229", "T98G", "SW620", "LoVo", "DLD-1", "RKO", "HCT-8", "H1299",
              "NCI-H1299", "H460", "PC-9", "HCC827", "Calu-3", "BEAS-2B", "A431", "A375", "SK-MEL-28", "Hep3B",
              "SMMC-7721", "SGC-7901", "BGC-823", "MKN45", "HT1080", "Saos-2", "MG-63", "786-O", "Caki-1", "SKOV3",
              "SK-OV-3", "OVCAR-3", "HEC-1A", "Raji", "Daudi", "U266", "RPMI-8226", "MOLM-13", "MV4-11", "HMEC-1",
              "HEK-293T", "MDA-MB-468", "BT-474", "SK-BR-3", "ZR-75-1", "22Rv1", "C4-2", "VCaP", "HeLa-S3"),
    "mouse": ("mice", "mouse", "murine", "Mus musculus",
              # mouse cell lines
              "RAW264.7", "RAW 264.7", "NIH3T3", "NIH/3T3", "3T3-L1", "C2C12", "B16F10", "MC3T3-E1", "J774A.1",
              "Neuro2a", "BV2", "BV-2", "4T1", "CT26", "HT22", "MIN6", "L929", "Hepa1-6", "N2a", "MEF", "MEFs",
              # laboratory strains
              "C57BL/6", "C57BL/6J", "C57BL/6N", "BALB/c", "DBA/2", "129/Sv"),
    "rat": ("rat", "rats", "Rattus", "PC12", "H9c2", "INS-1", "Wistar", "Sprague-Dawley", "Sprague Dawley"),
    "other": ("zebrafish", "Drosophila", "flies", "yeast", "Saccharomyces", "Arabidopsis", "elegans", "worm", "worms",
              "chicken", "chickens", "Xenopus", "bovine", "cattle", "porcine", "pig", "pigs", "dog", "dogs", "canine",
              "sheep", "ovine", "plant", "plants", "rice", "maize", "Escherichia", "bacteria", "bacterial", "primate",
              "primates", "monkey", "monkeys", "macaque", "macaques", "rabbit", "rabbits", "hamster", "hamsters"),
}
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
    re.IGNORECASE)
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
