"""evsynth's version, in one place: stamped into manifests, snapshots, the User-Agent and the tagger's identity."""

__version__ = "0.1.0"
