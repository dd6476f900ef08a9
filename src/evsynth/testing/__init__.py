"""A local E-utilities server and synthetic corpora, behind `evsynth test-server`, for tests and benchmarks."""
