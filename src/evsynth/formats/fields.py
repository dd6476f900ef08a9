"""Field conventions the export readers share: language codes, publication types, years, dates, names."""

from __future__ import annotations

import re

from evsynth.models import Author

# ISO 639 language names -> PubMed's three-letter codes (the common ones in exports).
LANGUAGE_CODES = {
    "english": "eng", "german": "ger", "french": "fre", "spanish": "spa", "chinese": "chi",
    "japanese": "jpn", "portuguese": "por", "italian": "ita", "russian": "rus", "korean": "kor",
    "dutch": "dut", "polish": "pol", "turkish": "tur", "persian": "per", "czech": "cze",
    "en": "eng", "de": "ger", "fr": "fre", "es": "spa", "zh": "chi", "ja": "jpn", "pt": "por",
    "it": "ita", "ru": "rus", "ko": "kor",
}  # fmt: skip
# Scopus "Document Type" -> PubMed publication type names used by screening.
SCOPUS_TYPES = {
    "article": "Journal Article", "review": "Review", "conference paper": "Congress",
    "conference review": "Congress", "letter": "Letter", "editorial": "Editorial", "note": "Comment",
    "erratum": "Published Erratum", "retracted": "Retracted Publication", "short survey": "Review",
    "book chapter": "Book Chapter", "data paper": "Dataset",
}  # fmt: skip
RIS_TYPES = {
    "JOUR": "Journal Article", "CONF": "Congress", "CPAPER": "Congress", "ABST": "Congress",
    "BOOK": "Book", "CHAP": "Book Chapter", "THES": "Thesis", "RPRT": "Technical Report",
    "EJOUR": "Journal Article", "GEN": "Journal Article",
}  # fmt: skip
PMID_FIELD = re.compile(r"^(?:PMID:?\s*)?(\d{1,9})$", re.IGNORECASE)
YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


def language_code(value: str) -> str:
    value = value.strip()
    return LANGUAGE_CODES.get(value.lower(), value.lower()[:3]) if value else ""


def year_in(value: str) -> int | None:
    match = YEAR.search(value or "")
    return int(match.group(1)) if match else None


def iso_compact(value: str) -> str:
    """'20210105' or '2021/01/05 06:00' -> '2021-01-05'."""
    digits = re.sub(r"\D", "", value or "")[:8]
    if len(digits) == 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return digits[:4]


def person(name: str) -> Author:
    """'Doe, Jane A.' or 'Doe J.A.' -> Author."""
    name = name.strip()
    if "," in name:
        last, _, fore = name.partition(",")
        fore = fore.strip()
        initials = "".join(part[0] for part in re.split(r"[\s.\-]+", fore) if part)
        return Author(last_name=last.strip(), fore_name=fore, initials=initials.upper())
    parts = name.split()
    if len(parts) > 1:
        return Author(last_name=" ".join(parts[:-1]), initials=parts[-1].replace(".", ""))
    return Author(last_name=name)


_PMID_ONLY = re.compile(r"[0-9]{1,9}")


def checked_pmid(value: str) -> str | None:
    """A PMID as PubMed writes it (ASCII digits, 1 to 9 of them, not 0, no leading zeros kept), "" for an empty
    field, or None when the field holds something else ('12a', '0', '1234567890', '²')."""
    value = value.strip()
    if not value:
        return ""
    if not _PMID_ONLY.fullmatch(value) or int(value) == 0:
        return None
    return str(int(value))
