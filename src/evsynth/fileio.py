"""Writing files safely: every output is written to a temporary file beside it and renamed
into place, so a crash or a full disk never leaves half a file, and an earlier output
survives a failed run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from evsynth.errors import OutputError


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and prove a file can be written in it.

    Raises:
        OutputError: the folder cannot be created or written (named in the message).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".evsynth-check-"):
            pass
    except FileExistsError:
        raise OutputError(f"{directory}: exists and is not a folder") from None
    except OSError as err:
        raise OutputError(f"{directory}: output folder is not writable ({err.strerror})") from None


@contextmanager
def atomic_writer(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only if the block succeeds."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed into place below
        "w",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
        encoding="utf-8",
        newline=newline,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
