"""Screening: the protocol's criteria applied to the review's records, reviewer decisions, PRISMA counts and diagram."""
