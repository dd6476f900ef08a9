"""The evidence store: all of evsynth's SQL, its migrations and its lock.

Records, runs, decisions, mentions and snapshots.
"""
