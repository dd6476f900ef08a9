"""One writer per store: a lock file beside the SQLite store.

``<store>.lock`` is locked with ``flock`` while a command writes to the store,
and holds a line of JSON saying who holds it (pid, host, command, start time).
The operating system drops the ``flock`` when the holder dies, however it dies,
so a lock is never left held by a killed run; the file it leaves behind still
names the dead holder, which is how a *stale* lock is recognised and reported
before it is taken over. The file is emptied, never deleted, on release:
deleting it would let a waiting process lock a file nobody else can see.

POSIX only (``fcntl``), like the rest of the scheduled-job story (cron, systemd).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.errors import EvsynthError, StoreError


class StoreLocked(EvsynthError):
    """Another evsynth command is writing to the same store."""

    exit_code = 5


@dataclass(frozen=True)
class LockInfo:
    """What a lock taken says about itself, and the stale holder it replaced (if any)."""

    path: Path
    holder: dict[str, Any]
    stale: dict[str, Any] | None = None


def lock_path(store_path: Path) -> Path:
    """``evsynth.sqlite`` -> ``evsynth.sqlite.lock`` (same folder)."""
    return store_path.with_name(store_path.name + ".lock")


def _read_holder(fd: int) -> dict[str, Any] | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"unreadable": text[:80]}
    return holder if isinstance(holder, dict) else {"unreadable": text[:80]}


def describe(holder: dict[str, Any] | None) -> str:
    """``evsynth update (pid 123 on host, since 2026-11-21T10:00:00+00:00)``."""
    if not holder:
        return "another evsynth command"
    if "unreadable" in holder:
        return f"an unknown holder ({holder['unreadable']!r})"
    return (
        f"evsynth {holder.get('command', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"since {holder.get('started_at', '?')})"
    )


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def store_lock(
    store_path: Path,
    command: str,
    *,
    wait: bool = False,
    poll: float = 0.2,
    on_wait: Callable[[dict[str, Any] | None], None] | None = None,
) -> Iterator[LockInfo]:
    """Hold the store's lock for the block.

    Raises:
        StoreLocked: another command holds it and ``wait`` is false (exit code 5).
        StoreError: the lock file cannot be created.
    """
    path = lock_path(store_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # never through a symbolic link: a link planted there would have its target truncated
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise StoreError(
                f"{path}: the store's lock file is a symbolic link; remove it (evsynth will not write through it)"
            ) from None
        raise StoreError(f"{path}: cannot create the store's lock file ({err.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StoreError(f"{path}: the store's lock file is not a regular file; remove it")
    try:
        if not _try_lock(fd):
            holder = _read_holder(fd)
            if not wait:
                raise StoreLocked(
                    f"{store_path}: in use by {describe(holder)}; try again later or pass --wait to queue behind it"
                )
            if on_wait:
                on_wait(holder)
            while not _try_lock(fd):
                time.sleep(poll)
        stale = _read_holder(fd)  # a holder named in a file nobody locks died without releasing it
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(holder) + "\n").encode())
        os.fsync(fd)
        try:
            yield LockInfo(path, holder, stale)
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
