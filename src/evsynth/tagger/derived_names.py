"""Names papers use that HGNC does not list, derived from the names it does: the word orders papers put a
subtype, subunit or chain length in (dopamine D2 receptor for dopamine receptor D2), the peptides a precursor gene
is named after (oxytocin), the protein word after an approved name's comma (separase), Roman numerals."""

from __future__ import annotations

import re

from evsynth.tagger.wordlists import GREEK_SHORT

# enzyme classes, not one enzyme: 'coenzyme Q7, hydroxylase' gives no name 'hydroxylase' (separase is one)
_ENZYME_CLASSES = ("nuclease", "hydroxylase", "transferase", "oxygenase", "lipase", "ylase")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_TRAILING_NUMBER = re.compile(r"^(.*[a-z]) ([1-9]|10)$")
_GREEK_NAMES = "|".join(GREEK_SHORT) + "|mu"  # the Greek letters subtypes and subunits are named by
# HGNC names a receptor's subtype after the word (dopamine receptor D2, angiotensin II receptor type 1, opioid
# receptor kappa 1); papers put it before (dopamine D2 receptor, D2 dopamine receptor, kappa opioid receptor)
_RECEPTOR_SUBTYPE = re.compile(
    rf"^(.+?) receptor (type [A-Z0-9]+|[A-Z]{{1,2}}\d+[A-Za-z]?|\d+[A-Z]|(?:{_GREEK_NAMES}) \d+[A-Z]?)$"
)
_ADRENOCEPTOR = re.compile(r"^adrenoceptor ((?:alpha|beta) \d[A-Z]?)$")
_MUSCARINIC = re.compile(r"^cholinergic receptor muscarinic (\d)$")
_NICOTINIC = re.compile(r"^cholinergic receptor nicotinic (alpha \d+) subunit$")
_METABOTROPIC = re.compile(r"^glutamate metabotropic receptor (\d)$")
# 'luteinizing hormone subunit beta' -> 'luteinizing hormone beta subunit'; 'acyl-CoA dehydrogenase medium chain'
# -> 'medium chain acyl-CoA dehydrogenase'
_SUBUNIT = re.compile(rf"^(.{{6,}}) subunit ((?:{_GREEK_NAMES})(?: \d+)?)$")
_CHAIN = re.compile(r"^(.{6,}) ((?:short|medium|long|very long) chain)$")
# the peptides a precursor is named after: 'oxytocin/neurophysin I prepropeptide' -> oxytocin, 'ghrelin and obestatin
# prepropeptide' -> ghrelin, obestatin; 'hypocretin neuropeptide precursor' -> hypocretin
_PRECURSOR = re.compile(r"^(.+?)(?: neuropeptide)? (?:prepropeptide|precursor|preproprotein)$")
_PEPTIDE_WORD = re.compile(r"[a-z]{5,}")
_PEPTIDES_APART = re.compile(r"/| and ")


def derived_terms(term: str, kind: str) -> list[tuple[str, str]]:
    """Spellings papers use that HGNC does not list, derived from an HGNC term:
    'interleukin 1 alpha' -> IL-1 alpha; 'extra spindle pole bodies like 1, separase' -> separase;
    'histone deacetylase 2' -> histone deacetylase II."""
    derived: list[tuple[str, str]] = []
    if kind == "name":
        if term.startswith("interleukin "):
            derived.append(("IL-" + term.removeprefix("interleukin "), "protein"))
        head, comma, tail = term.rpartition(", ")
        if (
            comma
            and head
            and len(tail) > 5
            and " " not in tail
            and tail.islower()
            and tail.endswith(("in", "ase"))
            and not tail.endswith(_ENZYME_CLASSES)
        ):
            derived.append((tail, "name"))
        number = _TRAILING_NUMBER.match(term)
        if number and len(number.group(1)) > 6:
            derived.append((f"{number.group(1)} {_ROMAN[int(number.group(2)) - 1]}", "name"))
        derived.extend((form, "name") for form in _reordered(term))
    return derived


def _reordered(name: str) -> list[str]:
    """The word orders papers use for an HGNC name that puts a subtype, subunit or chain length last."""
    if match := _RECEPTOR_SUBTYPE.match(name):
        ligand, subtype = match.groups()
        forms = [f"{ligand} {subtype} receptor", f"{subtype} {ligand} receptor"]
        if subtype.startswith("type ") and subtype[-1].isalpha():  # endothelin receptor type A -> endothelin A receptor
            forms.append(f"{ligand} {subtype.removeprefix('type ')} receptor")
        elif subtype.endswith(" 1") and not subtype[0].isupper():  # opioid receptor kappa 1 -> kappa opioid receptor
            forms.append(f"{subtype.removesuffix(' 1')} {ligand} receptor")
        elif subtype[0].isupper() and not ligand.endswith(("coupled", "like", "EPH")):
            # dopamine receptor D1 -> D1 receptor (the alias D1 alone is another gene's); not for the classes of
            # 'adhesion G protein-coupled receptor D1', 'killer cell lectin like receptor D1' or 'EPH receptor B2',
            # which would make 'D1 receptor' ambiguous
            forms.append(f"{subtype} receptor")
        return forms
    if match := _ADRENOCEPTOR.match(name):  # beta 2 and beta2 (the fold keeps a number apart from a word)
        return [
            f"{sub} {kind}"
            for sub in (match.group(1), match.group(1).replace(" ", ""))
            for kind in ("adrenoceptor", "adrenergic receptor")
        ]
    if match := _MUSCARINIC.match(name):
        m = f"M{match.group(1)}"
        return [
            f"{m} muscarinic receptor",
            f"muscarinic {m} receptor",
            f"{m} muscarinic acetylcholine receptor",
            f"muscarinic acetylcholine receptor {m}",
            f"{m} receptor",
        ]
    if match := _NICOTINIC.match(name):
        return [
            f"{sub} {kind}"
            for sub in (match.group(1), match.group(1).replace(" ", ""))
            for kind in ("nicotinic receptor", "nicotinic acetylcholine receptor")
        ]
    if match := _METABOTROPIC.match(name):
        return [f"metabotropic glutamate receptor {match.group(1)}"]
    if match := _SUBUNIT.match(name):
        return [f"{match.group(1)} {match.group(2)} subunit", f"{match.group(2)} subunit of {match.group(1)}"]
    if match := _CHAIN.match(name):
        return [f"{match.group(2)} {match.group(1)}"]
    if match := _PRECURSOR.match(name):
        peptides = _PEPTIDES_APART.split(match.group(1))
        return [p for p in peptides if _PEPTIDE_WORD.fullmatch(p) and not p.endswith(("peptide", "protein"))]
    return []
