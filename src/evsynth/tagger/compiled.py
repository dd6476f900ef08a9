"""The compiled lexicon, kept in the user's cache folder so that a command starts without building it again.

Building the lexicon's keys takes seconds; reading back the compiled form (its tables as plain data and its
automaton, pickled) takes a few tenths. The file's name is a digest of everything the compiled form depends
on: the lexicon's bytes, the tagger's identity (evsynth's version, its rules and every word list, the curated
names among them), the code that builds the keys, and the Python and pyahocorasick versions; anything else is a
different file. A file is read only when it is a regular file owned by this user and writable by nobody else,
in a folder likewise (a pickle runs code as it loads); one that cannot be read back (truncated, from another
version) is built again and replaced. Nothing here is required: a cache that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from evsynth.tagger.wordlists import tagger_identity

_BUILDERS = ("lexicon.py", "derived_names.py", "wordlists.py", "compiled.py")


def _library_version() -> str:
    try:
        return version("pyahocorasick")
    except PackageNotFoundError:  # pragma: no cover - installed with evsynth
        return "unknown"


def cache_file(folder: Path, raw: bytes) -> Path:
    """The file the lexicon compiled from ``raw`` (a lexicon file's bytes) is kept in."""
    digest = hashlib.sha256(raw)
    digest.update(tagger_identity().encode())
    package = resources.files("evsynth.tagger")
    for name in _BUILDERS:
        digest.update(name.encode() + b"\0" + package.joinpath(name).read_bytes())
    digest.update(f"{sys.version}\0{_library_version()}\0{pickle.HIGHEST_PROTOCOL}".encode())
    return folder / f"lexicon-{digest.hexdigest()[:24]}.pickle"


def _trusted(path: Path) -> bool:
    """A regular file or folder of this user's that nobody else may write."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(folder: Path, raw: bytes) -> dict[str, Any] | None:
    """The compiled form of the lexicon made from ``raw`` (``Lexicon.compiled()``), when the cache has it and it
    can be trusted and read; else None."""
    path = cache_file(folder, raw)
    if not (_trusted(folder) and _trusted(path) and stat.S_ISREG(os.lstat(path).st_mode)):
        return None
    try:
        with open(path, "rb") as handle:
            compiled = pickle.load(handle)  # noqa: S301 - this user's own file, checked above
    except Exception:  # a truncated or foreign file is built again, whatever unpickling raised
        return None
    return (
        compiled if isinstance(compiled, dict) and {"data", "raw_sets", "size", "automaton"} <= set(compiled) else None
    )


def save(folder: Path, raw: bytes, compiled: dict[str, Any]) -> Path | None:
    """Keep a compiled lexicon (written to a temporary file and renamed); None when the cache cannot take it."""
    path = cache_file(folder, raw)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(folder):
            return None
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=".lexicon-", delete=False) as handle:
            pickle.dump(compiled, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
        for old in folder.glob("lexicon-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # another version's: never read again
    except OSError:
        return None
    return path
