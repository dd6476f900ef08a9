"""The protocol's ``extraction`` section: which source's mentions the review uses, entity by entity.

.. code-block:: yaml

    extraction:
      genes: pubtator3      # PubTator3's genes (GNorm2); evsynth's where PubTator3 has no such record
      variants: both        # evsynth's and PubTator3's (tmVar3), an overlap resolved by span
      chemicals: evsynth    # evsynth's treatments only (the default for every entity)
      tier: all             # evsynth's dictionary tier and its learned tier (default: dictionary)
      min_confidence: 0.5   # the graph and tables leave out evsynth's mentions less sure than this (default: 0)

``evsynth`` keeps evsynth's own tags; ``pubtator3`` takes PubTator3's for the records PubTator3 has (evsynth's
for the others, and the run says which); ``both`` takes the two together. evsynth's microRNAs, families and
procedures (ECT, TMS ...) are kept whatever the section says: PubTator3 has none. ``tier`` chooses evsynth's tagger:
``dictionary`` (the lexicon and its rules) or ``all`` (a learned recogniser adds the genes and variants the lexicon
misses, and scores every gene and variant mention). ``min_confidence`` leaves the mentions whose confidence is
below it out of the graph and the evidence tables; mentions.jsonl keeps them all, with their confidence.

Example:
    >>> extraction_policy({"genes": "pubtator3"}, "p.yaml").genes
    'pubtator3'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.models import Mention
from evsynth.protocol.schema import Checker, did_you_mean

PUBTATOR3 = "pubtator3"  # the one other source a policy can name (and the name its annotations are stored by)
SOURCES = ("evsynth", PUBTATOR3, "both")
GROUPS = ("genes", "variants", "chemicals")
TIERS = ("dictionary", "all")  # evsynth's taggers (evsynth.tagger.tagger.Tagger's tier)
SETTINGS = ("tier", "min_confidence")


@dataclass(frozen=True)
class ExtractionPolicy:
    """Which source each entity group's mentions come from."""

    genes: str = "evsynth"
    variants: str = "evsynth"
    chemicals: str = "evsynth"
    tier: str = "dictionary"
    min_confidence: float = 0.0

    def keeps(self, mention: Mention) -> bool:
        """Whether the graph and tables take a mention: its confidence (when it has one) is min_confidence or more."""
        if not self.min_confidence:
            return True
        confidence = dict(mention.attrs).get("confidence")
        return not isinstance(confidence, int | float) or confidence >= self.min_confidence

    def source(self, group: str) -> str:
        value: str = getattr(self, group)
        return value

    @property
    def external(self) -> bool:
        """Whether any group takes PubTator3's annotations (so the run fetches them)."""
        return any(self.source(group) != "evsynth" for group in GROUPS)

    def describe(self) -> str:
        """'genes: pubtator3, variants: both' (the groups that are not evsynth's), or 'evsynth's own tags'."""
        parts = [f"{group}: {self.source(group)}" for group in GROUPS if self.source(group) != "evsynth"]
        if self.tier != "dictionary":
            parts.append(f"tier: {self.tier}")
        if self.min_confidence:
            parts.append(f"min_confidence: {self.min_confidence:g}")
        return ", ".join(parts) or "evsynth's own tags"


def extraction_policy(value: Any, path: Path | str) -> ExtractionPolicy:
    """The ``extraction`` section checked: each key an entity group, each value a source (one-line errors)."""
    check = Checker(path)
    if value is None:
        return ExtractionPolicy()
    section = dict(check.mapping(value, "extraction", (*GROUPS, *SETTINGS)))
    chosen: dict[str, Any] = {}
    tier = section.pop("tier", "dictionary")
    if tier not in TIERS:
        raise check.fail(
            "extraction.tier", f"{tier!r} must be one of {', '.join(TIERS)}{did_you_mean(str(tier), TIERS)}"
        )
    confidence = section.pop("min_confidence", 0.0)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise check.fail("extraction.min_confidence", f"{confidence!r} must be a number from 0 to 1")
    chosen.update(tier=tier, min_confidence=float(confidence))
    for group, source in section.items():
        if source not in SOURCES:
            hint = did_you_mean(source, SOURCES)
            raise check.fail(f"extraction.{group}", f"{source!r} must be one of {', '.join(SOURCES)}{hint}")
        chosen[group] = source
    return ExtractionPolicy(**chosen)
