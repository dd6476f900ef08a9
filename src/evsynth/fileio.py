"""Files in and out. Inputs are read with one-line errors naming the file; every output is
written to a temporary file beside it and renamed into place, so a crash or a full disk
never leaves half a file, and an earlier output survives a failed run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from evsynth.errors import InputFileError, OutputError


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


def read_input_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (the first ``limit`` of them), or a one-line error naming the file."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory") from None
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err.strerror})") from None


def read_input_text(path: Path) -> str:
    """The file as UTF-8 text (a byte-order mark is dropped), or a one-line error naming the file."""
    data = read_input_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (invalid byte at offset {err.start})") from None
