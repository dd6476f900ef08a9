"""Audit of a published review: its reference list resolved against PubMed and its claims checked."""
