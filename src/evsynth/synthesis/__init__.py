"""Synthesis: evidence records, the graph, convergence, tables, the report, graph formats and what changed."""
