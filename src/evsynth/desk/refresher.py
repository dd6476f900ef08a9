"""The desk's outputs, rewritten behind the reviewer: one background thread turns a burst of decisions into one
rewrite of everything derived from them (screening outputs, PRISMA, graph, tables, report), begun once the
reviewer pauses. On a 20,000-record review that rewrite takes seconds; a reviewer should not wait for it after
every key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class OutputRefresher:
    """Calls ``rewrite`` in a background thread once ``delay`` seconds have passed since the last
    :meth:`request`; requests made while it runs give one more rewrite after it. :meth:`flush` waits until every
    request so far is written."""

    def __init__(self, rewrite: Callable[[], None], delay: float = 1.5) -> None:
        self._rewrite = rewrite
        self._delay = delay
        self._changed = threading.Condition()
        self._wanted = 0  # requests made
        self._written = 0  # requests a finished rewrite covered
        self._due = 0.0  # when the next rewrite may begin (time.monotonic)
        self._running = False
        self._error = ""
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Ask for a rewrite (the decisions changed)."""
        with self._changed:
            self._wanted += 1
            self._due = time.monotonic() + self._delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="evsynth-desk-outputs", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def status(self) -> dict[str, Any]:
        """``outputs``: current, pending (waiting for a pause) or rewriting; ``error``: why the last rewrite failed
        ("" when it did not)."""
        with self._changed:
            state = "current" if self._written == self._wanted else "rewriting" if self._running else "pending"
            return {"outputs": state, "error": self._error}

    def flush(self, timeout: float | None = None) -> bool:
        """Begin the pending rewrite now and wait for it; False when ``timeout`` ran out first."""
        with self._changed:
            self._due = 0.0
            self._changed.notify_all()
            return self._changed.wait_for(lambda: self._written == self._wanted, timeout)

    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._wanted > self._written)
                while (wait := self._due - time.monotonic()) > 0:
                    self._changed.wait(wait)
                covered, self._running = self._wanted, True
            error = ""
            try:
                self._rewrite()
            except Exception as err:  # shown on the page; the next decision tries again
                error = str(err) or type(err).__name__
            with self._changed:
                self._running, self._written, self._error = False, covered, error
                self._changed.notify_all()
