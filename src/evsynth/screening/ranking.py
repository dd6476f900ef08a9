"""The order a reviewer screens in: the likeliest includes first (active learning, as ASReview LAB does).

A logistic regression (scikit-learn) over TF-IDF weights of the words and word pairs of each record's title and
abstract is trained on the records whose decision is known, the rules' includes and excludes and every reviewer
decision, and scores the rest: the probability that the record is an include. The model is refitted whenever the
desk's queue is asked for after a decision, so each decision teaches it (:class:`Ranker` keeps the TF-IDF
matrix between fits). It is deterministic (no random state, a fixed solver) and
needs no data beyond the review's own records.

Example:
    >>> scores = include_scores({1: "ketamine BDNF genotype", 2: "mouse knockout", 3: "BDNF genotype ketamine"},
    ...                         {1: True, 2: False})
    >>> scores[3] > 0.5
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


class Ranker:
    """The TF-IDF matrix of a set of records, built once (the slow part: seconds for 20,000 abstracts), and the
    model fitted again for each set of labels (a fraction of that). Words and word pairs seen in a single record
    are left out: no other record shares them, so they cannot move any score but make the fit several times
    slower."""

    def __init__(self, texts: Mapping[int, str]) -> None:
        self.ids = list(texts)
        self.row = {rid: n for n, rid in enumerate(self.ids)}
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode", min_df=2 if len(texts) > 2 else 1
        )
        try:
            self.matrix = vectorizer.fit_transform([texts[rid] for rid in self.ids])
        except ValueError:  # no word at all (empty texts, or none shared by two records)
            self.matrix = None

    def scores(self, labels: Mapping[int, bool]) -> dict[int, float]:
        """record id -> probability of include, learnt from ``labels`` (record id -> included?); empty when the
        labels hold only one class (nothing to learn from yet)."""
        known = [rid for rid in labels if rid in self.row]
        if self.matrix is None or len({labels[rid] for rid in known}) < 2:
            return {}
        model = LogisticRegression(class_weight="balanced", max_iter=2000, solver="liblinear")
        model.fit(self.matrix[[self.row[rid] for rid in known]], [int(labels[rid]) for rid in known])
        probabilities = model.predict_proba(self.matrix)[:, 1]
        return {rid: round(float(p), 4) for rid, p in zip(self.ids, probabilities, strict=True)}


def include_scores(texts: Mapping[int, str], labels: Mapping[int, bool]) -> dict[int, float]:
    """record id -> probability of include, for every record in ``texts``, learnt from ``labels`` (record id ->
    included?); empty when the labels hold only one class (nothing to learn from yet)."""
    return Ranker(texts).scores(labels)
