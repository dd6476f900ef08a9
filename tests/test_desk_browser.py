"""The desk in a real browser (issue 28): headless Chromium from Debian's packages, driven by Selenium with
Debian's chromedriver (nothing is downloaded). `.ci/run` installs both when they are missing. Ten records are
screened by keyboard, the page is reloaded and finds them decided; two reviewers in two browsers decide at once
and lose nothing. Every record here is synthetic (RIS records written below, demo PMIDs from 90000001)."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.browser import browser as chromium
from tests.helpers import demo_desk, uncertain_ris
from werkzeug.serving import make_server

from evsynth.desk.app import Desk, create_app
from evsynth.screening.decisions import load_overrides


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    screening_desk = demo_desk(tmp_path, uncertain_ris(12, "browser"))
    yield screening_desk
    screening_desk.close()  # writes what is pending, stops its worker process


def _serve(desk: Desk) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(desk), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


@pytest.fixture
def url(desk: Desk) -> Iterator[str]:
    yield from _serve(desk)


def _text(browser: webdriver.Chrome, element_id: str) -> str:
    """An element's text, read in the page (the desk re-renders as it goes: no stale element references)."""
    return str(browser.execute_script(f"return document.getElementById('{element_id}')?.textContent || ''"))


def _progress(browser: webdriver.Chrome) -> str:
    return _text(browser, "progress")


def _decide_by_key(browser: webdriver.Chrome, key: str, expected: str) -> None:
    ActionChains(browser).send_keys(key).perform()
    WebDriverWait(browser, 20).until(lambda b: _progress(b).startswith(expected))


def test_ten_records_screened_by_keyboard_survive_a_reload(desk: Desk, url: str) -> None:
    prisma_before = json.loads((desk.out_dir / "prisma.json").read_text())["screening"]
    browser = chromium()
    try:
        browser.get(url)
        WebDriverWait(browser, 20).until(lambda b: _progress(b).startswith("0 of 12"))
        for n in range(1, 11):
            _decide_by_key(browser, "i" if n % 2 else "m", f"{n} of 12")
        browser.refresh()
        WebDriverWait(browser, 20).until(lambda b: _progress(b).startswith("10 of 12"))
        badges = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#queue .badge")]
        assert badges.count("uncertain") == 2 + 5  # two undecided, five "maybe" (still uncertain)
        shown = _text(browser, "title")
        assert shown.startswith("Synthetic browser record")
        # the outputs are rewritten once the reviewer pauses; the page says when they are
        WebDriverWait(browser, 60).until(lambda b: _text(b, "outputs") == "outputs up to date")
    finally:
        browser.quit()
    decided = load_overrides(desk.protocol.overrides_path)
    assert sorted(d.decision for d in decided.values()) == ["include"] * 5 + ["maybe"] * 5
    assert {d.reviewer for d in decided.values()} == {"ana"}
    with (desk.out_dir / "screening.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["title"].startswith("Synthetic browser record")]
    assert sorted(r["decision"] for r in rows) == ["include"] * 5 + ["uncertain"] * 7
    prisma = json.loads((desk.out_dir / "prisma.json").read_text())
    assert prisma["screening"]["uncertain"] == prisma_before["uncertain"] - 5
    assert prisma["screening"]["overridden"] == 10
    # and the report says what PRISMA says: the five includes are in it
    report = (desk.out_dir / "report.html").read_text()
    assert f"from {prisma['included']['total_studies']} included records" in report


def test_two_reviewers_in_two_browsers_lose_nothing(desk: Desk) -> None:
    second = Desk(desk.protocol, desk.criteria, desk.store_path, desk.out_dir, "bo")
    servers = [_serve(desk), _serve(second)]
    urls = [next(server) for server in servers]
    browsers = [chromium(), chromium()]
    errors: list[BaseException] = []

    def title(browser: webdriver.Chrome) -> str:
        return _text(browser, "title")

    def review(browser: webdriver.Chrome, link: str, first: int) -> None:
        """Decide records first .. first+3 (the first reviewer 1-4, the second 7-10: never the same record), each
        picked in the queue by its title (the ranking model reorders the queue as decisions come in)."""
        try:
            browser.get(link)
            WebDriverWait(browser, 20).until(lambda b: title(b).startswith("Synthetic browser record"))
            for n in range(first, first + 4):
                wanted = f"Synthetic browser record {n}:"
                browser.execute_script(
                    "for (const li of document.querySelectorAll('#queue li')) "
                    "{ if (li.textContent.includes(arguments[0])) { li.click(); break; } }", wanted)  # fmt: skip
                WebDriverWait(browser, 20).until(lambda b, wanted=wanted: title(b).startswith(wanted))
                ActionChains(browser).send_keys("i").perform()
                WebDriverWait(browser, 30).until(lambda b, wanted=wanted: not title(b).startswith(wanted))
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    try:
        threads = [threading.Thread(target=review, args=(b, u, first))
                   for b, u, first in zip(browsers, urls, (1, 7), strict=True)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for browser in browsers:
            browser.quit()
        for server in servers:
            next(server, None)
        second.close()
    assert not errors, errors
    decided = load_overrides(desk.protocol.overrides_path)
    assert len(decided) == 8 and sorted(d.reviewer for d in decided.values()) == ["ana"] * 4 + ["bo"] * 4
