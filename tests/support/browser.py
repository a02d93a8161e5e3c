"""Headless Debian chromium driven by Selenium, shared by every browser test.

Tests never let a tool download its own browser: they use Debian's ``chromium`` and ``chromium-driver``,
which ``.ci/run`` installs. Outside CI a missing browser skips the test; in CI it fails it. The browser's
console log is captured, so a test can assert that a page raised no JavaScript error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def skip_or_fail_missing(tool: str) -> None:
    """Skip when a tool the test needs is absent on a developer machine; fail in CI, which installs it."""
    message = f"{tool} is not installed (.ci/run installs chromium, chromium-driver and npm)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def console_errors(driver: Any) -> list[str]:
    """The page's console messages at level SEVERE since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless chromium with a fresh profile, a 1280x900 window and its console log captured."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not Path(tool).exists():
            skip_or_fail_missing(tool)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="clickstream-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,900", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
