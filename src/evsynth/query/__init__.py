"""PubMed's query language: a parser (:mod:`evsynth.query.parser`) and an evaluator over records
(:mod:`evsynth.query.evaluate`), with MeSH explosion from a tree the user gives (:mod:`evsynth.query.mesh`)."""
