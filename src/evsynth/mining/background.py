"""A review's convergence tested against the literature at large: a mined background (``evsynth mine``).

For each module or entity of the review's convergence table and each treatment its records name (a *link*),
the review's count of records naming both stands beside the background's: in the background's N records,
``c_x`` name the module (any of its members the review names) or entity, ``c_t`` the treatment and ``c_xt``
both. If the two were named independently, ``expected = c_x * c_t / N`` records would name both; ``lift`` is
``c_xt / expected`` (PMI its log2), and the p-value the hypergeometric chance of ``c_xt`` or more among the
``c_x`` records when ``c_t`` of N name the treatment. p-values are adjusted over all links of the review
(Benjamini-Hochberg); a link is **enriched** when its adjusted value is below 0.05 and its lift above 1: the
literature names the two together more than chance would, so the review's convergence is not just what any
set of papers naming them would show.

Example:
    >>> round(lift(c_xt=30, c_x=100, c_t=200, n=10_000), 1)
    15.0
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.dataset as ds
from scipy.stats import false_discovery_control, hypergeom

from evsynth.errors import InputFileError

ENRICHED_Q = 0.05


def lift(c_xt: int, c_x: int, c_t: int, n: int) -> float:
    """Observed over expected co-mentions (0 when either is never named)."""
    expected = c_x * c_t / n if n else 0.0
    return c_xt / expected if expected else 0.0


@dataclass(frozen=True)
class Link:
    """One module or entity of the review with one treatment, and what the background says of the pair."""

    level: str
    id: str
    name: str
    treatment: str  # the treatment's node key (treatment:MESH:D007649)
    treatment_name: str
    review: int  # the review's records naming both
    background_x: int
    background_t: int
    background_both: int
    background_records: int
    expected: float
    lift: float
    p_value: float
    q_value: float = 1.0

    @property
    def enriched(self) -> bool:
        return self.q_value < ENRICHED_Q and self.lift > 1

    @property
    def pmi(self) -> float | None:
        return math.log2(self.lift) if self.lift > 0 else None

    def describe(self) -> str:
        """'ketamine: 5 here; 820 of 36,000,000 in the background, 90.1 expected (lift 9.1, q 1e-50)'."""
        return (
            f"{self.treatment_name}: {self.review} here; {self.background_both} in the background, "
            f"{self.expected:.1f} expected (lift {self.lift:.1f}, q {self.q_value:.2g})"
        )


@dataclass(frozen=True)
class LinkQuery:
    """A link to test: the keys that stand for the module or entity, and the treatment's key."""

    level: str
    id: str
    name: str
    keys: frozenset[str]
    treatment: str
    treatment_name: str
    review: int


class Background:
    """A mined folder's winning records, read for the keys a review asks about."""

    def __init__(self, folder: Path) -> None:
        info = folder / "background.json"
        if not info.is_file():
            raise InputFileError(f"{folder}: not a mined background (no background.json; run evsynth mine)")
        self.folder = folder
        self.records = int(json.loads(info.read_text())["records"])

    def pmids_by_key(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """key -> the background's records naming it, for the keys asked (read by key from keys.parquet)."""
        wanted = sorted(set(keys))
        found: dict[str, set[str]] = {key: set() for key in wanted}
        if not wanted:
            return found
        table = ds.dataset(self.folder / "keys.parquet").to_table(filter=ds.field("key").isin(wanted))
        for pmid, key in zip(table.column("pmid").to_pylist(), table.column("key").to_pylist(), strict=True):
            found[key].add(pmid)
        return found

    def test(self, queries: list[LinkQuery]) -> list[Link]:
        """Each link's background counts and statistics, p-values adjusted over all of them."""
        needed = {key for q in queries for key in q.keys} | {q.treatment for q in queries}
        by_key = self.pmids_by_key(needed)
        links = []
        n = self.records
        for q in queries:
            x = set().union(*(by_key[k] for k in q.keys)) if q.keys else set()
            t = by_key[q.treatment]
            both = len(x & t)
            expected = len(x) * len(t) / n if n else 0.0
            p = float(hypergeom.sf(both - 1, n, len(t), len(x))) if n and both else 1.0
            links.append(Link(q.level, q.id, q.name, q.treatment, q.treatment_name, q.review, len(x), len(t), both,
                              n, expected, lift(both, len(x), len(t), n), p))  # fmt: skip
        if links:
            adjusted = false_discovery_control([link.p_value for link in links], method="bh")
            links = [_with_q(link, float(q)) for link, q in zip(links, adjusted, strict=True)]
        return links


def _with_q(link: Link, q: float) -> Link:
    return replace(link, q_value=min(1.0, q))
