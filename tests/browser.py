"""Headless Chromium from Debian's packages, driven by Selenium through Debian's chromedriver (nothing is
downloaded); `.ci/run` installs both when they are missing. Shared by the desk's and the report's browser tests."""

from __future__ import annotations

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser_binaries() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(
            "chromium and chromedriver are needed (Debian packages chromium, chromium-driver; .ci/run installs them)"
        )
    return chromium, driver


def browser(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    """A headless Chromium that reaches nothing but what a test serves it (the flags keep it from calling home),
    logging the page's console."""
    chromium, driver = browser_binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    flags = ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")  # fmt: skip
    for flag in flags:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(driver))
