"""Files in and out. Inputs are read with one-line errors naming the file; every output is
written to a temporary file beside it and renamed into place, so a crash or a full disk
never leaves half a file, and an earlier output survives a failed run."""

from __future__ import annotations

import contextlib
import csv
import errno
import gzip
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

from evsynth.errors import InputFileError, OutputError
from evsynth.text import xml_text


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


# errors that mean the output cannot be written (a full disk, a quota, a read-only or failing file system)
_CANNOT_WRITE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


@contextmanager
def atomic_writer(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only if the block succeeds.

    Raises:
        OutputError: the file cannot be written (a full disk, a quota ...): one line naming it; the earlier file
            is left as it was and the temporary one removed.
    """
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed into place below
            "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, encoding="utf-8",
            newline=newline,
        )  # fmt: skip
    except OSError as err:
        raise _cannot_write(path, err) from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _mode_for(path))  # a temporary file is 0600: give it the mode open() would
        os.replace(handle.name, path)
    except OSError as err:
        Path(handle.name).unlink(missing_ok=True)
        if err.errno in _CANNOT_WRITE:
            raise _cannot_write(path, err) from None
        raise
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _cannot_write(path: Path, err: OSError) -> OutputError:
    earlier = "every earlier output is" if path.is_dir() else "the earlier file is"
    return OutputError(f"{path}: cannot write ({err.strerror}); {earlier} unchanged")


def remove_stale_temporaries(directory: Path) -> int:
    """Remove the temporary files (``.<name>.<random>.tmp``) and staging folders a killed command left in an
    output folder; call it only while holding the store's lock, so that no running command owns them. Returns
    how many."""
    removed = 0
    for stale in directory.glob(".*.tmp") if directory.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    for stale in directory.glob(f"{_STAGING}*") if directory.is_dir() else ():
        shutil.rmtree(stale, ignore_errors=True)
        removed += 1
    return removed


_STAGING = ".evsynth-staging-"


@contextlib.contextmanager
def staged_outputs(directory: Path, commit: Callable[[], AbstractContextManager[bool]] | None = None) -> Iterator[Path]:
    """A folder to write a command's outputs into, inside ``directory``: when the block succeeds they replace the
    earlier outputs together (one rename each); when it fails none does, so a run that stops half-way (a full
    disk, a bad record, Ctrl-C) never leaves new outputs beside old ones. ``commit``, when given, is entered
    around the replacing and says whether to replace at all (False: the staged outputs are dropped).

    Raises:
        OutputError: the folder cannot be made, or an output cannot be written (named as in ``directory``).
    """
    try:
        stage = Path(tempfile.mkdtemp(prefix=_STAGING, dir=directory))
    except OSError as err:
        raise _cannot_write(directory, err) from None
    try:
        yield stage
        with commit() if commit is not None else contextlib.nullcontext(True) as wanted:
            for staged in sorted(stage.iterdir()) if wanted else []:
                final = directory / staged.name
                os.chmod(staged, _mode_for(final))
                os.replace(staged, final)
    except OutputError as err:  # name the output, not its staged copy; and no output was replaced
        message = str(err).replace(f"{stage}{os.sep}", f"{directory}{os.sep}")
        raise OutputError(
            message.replace("the earlier file is unchanged", "every earlier output is unchanged")
        ) from None
    except OSError as err:
        if err.errno in _CANNOT_WRITE:
            raise _cannot_write(directory, err) from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _mode_for(path: Path) -> int:
    """The mode ``open(path, "w")`` would leave: the replaced file's, or 0666 less the umask for a new one (so
    co-reviewers and a web server can read the outputs when the umask lets them)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)  # the only way to read it; set back at once
        os.umask(mask)
        return 0o666 & ~mask


# A cell a spreadsheet would run as a formula: '=', '+', '-' or '@' first (also tab and carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV value a spreadsheet shows as text: one that could start a formula ('=HYPERLINK(...)', '@SUM(A1)')
    gets a leading apostrophe (OWASP's advice for CSV injection); numbers and other text are left alone."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


class CsvWriter(csv.DictWriter):  # type: ignore[type-arg]
    """csv.DictWriter whose cells go through :func:`csv_cell`: every CSV evsynth writes for people."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: csv_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


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


def read_input_data(path: Path) -> bytes:
    """The file's bytes, gunzipped when they are gzipped (by their first two bytes, whatever the name)."""
    data = read_input_bytes(path)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(f"{path}: broken gzip file ({exc})") from None
    return data


def read_input_text(path: Path) -> str:
    """The file as UTF-8 text (a byte-order mark is dropped), or a one-line error naming the file. Control
    characters become U+FFFD: XML forbids them, spreadsheets and terminals act on them, and Python takes a vertical
    tab or a form feed for a line break, which would cut a record in two."""
    data = read_input_bytes(path)
    try:
        return xml_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (invalid byte at offset {err.start})") from None
