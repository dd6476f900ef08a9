"""The desk rewrites a review's outputs behind the reviewer (issue 28: on a 20,000-record review a rewrite takes
seconds and a decision must not wait for it): a burst of decisions is one rewrite, begun at a pause; a failed
rewrite is shown and tried again at the next decision; stopping the desk (Ctrl-C) writes what is pending. The
review is the synthetic demo (PMIDs from 90000001) with synthetic RIS records."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.helpers import demo_review, uncertain_ris

from evsynth.desk.refresher import OutputRefresher


def test_a_burst_of_decisions_is_one_rewrite_at_the_pause() -> None:
    calls: list[float] = []
    refresher = OutputRefresher(lambda: calls.append(time.monotonic()), delay=0.3)
    assert refresher.status() == {"outputs": "current", "error": ""}
    started = time.monotonic()
    for _ in range(5):
        refresher.request()
        time.sleep(0.05)
    assert refresher.status()["outputs"] == "pending" and calls == []
    assert refresher.flush(10)
    assert len(calls) == 1 and refresher.status() == {"outputs": "current", "error": ""}
    refresher.request()
    time.sleep(1.0)  # no flush: the pause alone starts it
    assert len(calls) == 2 and calls[1] - started >= 0.3


def test_requests_during_a_rewrite_give_one_more() -> None:
    entered, release = threading.Event(), threading.Event()
    calls = []

    def slow() -> None:
        calls.append(1)
        entered.set()
        release.wait(10)

    refresher = OutputRefresher(slow, delay=0.0)
    refresher.request()
    assert entered.wait(10)
    assert refresher.status()["outputs"] == "rewriting"
    refresher.request()
    refresher.request()
    release.set()
    assert refresher.flush(10) and len(calls) == 2


def test_a_failed_rewrite_is_shown_and_tried_again() -> None:
    outcomes = [OSError(28, "No space left on device"), None]

    def rewrite() -> None:
        if outcome := outcomes.pop(0):
            raise outcome

    refresher = OutputRefresher(rewrite, delay=0.0)
    refresher.request()
    assert refresher.flush(10)
    assert refresher.status() == {"outputs": "current", "error": "[Errno 28] No space left on device"}
    refresher.request()
    assert refresher.flush(10) and refresher.status() == {"outputs": "current", "error": ""}


def test_stopping_the_desk_writes_the_pending_outputs(tmp_path: Path) -> None:
    protocol = demo_review(tmp_path, uncertain_ris(3, "stop"))
    out = tmp_path / "out"
    desk = subprocess.Popen(
        [sys.executable, "-m", "evsynth", "desk", str(protocol), "--out", str(out), "--port", "0", "--reviewer", "ana"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert desk.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/", desk.stdout.readline())
        assert found, "the desk did not say where it is"

        def call(path: str, body: object = None) -> dict[str, object]:
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(found.group(0) + path, data, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.loads(answer.read())  # type: ignore[no-any-return]

        item = call("api/queue")["items"][0]  # type: ignore[index]
        call("api/decide", {"record_id": item["record_id"], "decision": "exclude", "reason": "synthetic stop"})
        desk.send_signal(signal.SIGINT)  # at once: the rewrite is still waiting for a pause
        stdout, stderr = desk.communicate(timeout=120)
    finally:
        desk.kill()
    assert desk.returncode == 0, stderr
    assert "writing the outputs of the last decisions" in stdout and "stopped" in stdout
    with (out / "screening.csv").open(newline="") as handle:
        rows = {row["record_id"]: row for row in csv.DictReader(handle)}
    assert rows[str(item["record_id"])]["decision"] == "exclude"
