"""The real Clickstream web SDK (npm `@aws/clickstream-web`) in headless Debian chromium delivers its events.

The SDK is installed with npm and bundled with esbuild into ``build/websdk/`` (ignored by git) the first
time; later runs reuse the bundle. The page is served from one loopback origin and the collector
from another, so the SDK's CORS requests with credentials are exercised exactly as on a real site.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import skip_or_fail_missing
from tests.support.collector import live_collector
from tests.support.config import make_config
from tests.support.data import raw_events
from tests.support.loopback import QuietLog, free_port, serving
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

BUILD = REPO / "build" / "websdk"
SDK_VERSION = "0.12.6"
ESBUILD_VERSION = "0.28.2"
ENTRY = """
import { ClickstreamAnalytics, SendMode } from '@aws/clickstream-web';
window.ClickstreamAnalytics = ClickstreamAnalytics;
window.SendMode = SendMode;
"""
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title><script src="sdk.js"></script></head>
<body><a id="buy" href="#">buy</a>
<script>
  ClickstreamAnalytics.init({appId: 'shop', endpoint: '%(endpoint)s', sendMode: SendMode.Immediate, isLogEvents: true});
  ClickstreamAnalytics.setUserId('user-42');
  ClickstreamAnalytics.record({name: 'button_click', attributes: {item: 'book', price: 12.5}});
</script></body></html>
"""


@pytest.fixture(scope="session")
def sdk_bundle() -> Path:
    """``build/websdk/sdk.js``: the web SDK as one browser script, built once."""
    bundle = BUILD / "sdk.js"
    stamp = BUILD / f".built-{SDK_VERSION}-{ESBUILD_VERSION}"
    if bundle.exists() and stamp.exists():
        return bundle
    if shutil.which("npm") is None:
        skip_or_fail_missing("npm")
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "package.json").write_text(
        json.dumps(
            {
                "name": "clickstream-websdk-test-bundle",
                "private": True,
                "dependencies": {"@aws/clickstream-web": SDK_VERSION, "esbuild": ESBUILD_VERSION},
            },
            indent=2,
        )
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--cache", str(BUILD.parent / "npm-cache")],
        cwd=BUILD,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (BUILD / "entry.js").write_text(ENTRY)
    subprocess.run(
        [str(BUILD / "node_modules" / ".bin" / "esbuild"), "entry.js", "--bundle", "--format=iife",
         "--platform=browser", f"--outfile={bundle}"],
        cwd=BUILD, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    stamp.write_text("")
    return bundle


@pytest.fixture
def page_server(sdk_bundle: Path, tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A static server on its own loopback origin for the test page and the bundle."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(sdk_bundle, site / "sdk.js")
    port = free_port()
    with serving(partial(_StaticFiles, directory=str(site)), port):
        yield site, port


class _StaticFiles(QuietLog, http.server.SimpleHTTPRequestHandler):
    """The site's files, without an access log."""


def test_the_web_sdk_in_chromium_delivers_its_events(
    tmp_path: Path, page_server: tuple[Path, int], browser: Any
) -> None:
    site, page_port = page_server
    origin = f"http://127.0.0.1:{page_port}"
    config = make_config(tmp_path / "home", ingestion={"cors_origins": [origin], "workers": 1})
    with live_collector(config) as live:
        (site / "index.html").write_text(PAGE % {"endpoint": f"{live.base_url}/collect"})
        browser.get(f"{origin}/index.html")
        deadline = time.monotonic() + 30
        while live.app.accepted < 4:  # _first_open, _session_start, _page_view, button_click (and more)
            assert time.monotonic() < deadline, (
                f"only {live.app.accepted} requests arrived; refusals {live.app.refusals}"
            )
            time.sleep(0.1)
        time.sleep(0.5)
    events = raw_events(config.home)
    names = {event["event_type"] for event in events}
    assert {"_first_open", "_session_start", "_page_view", "button_click"} <= names
    click = next(event for event in events if event["event_type"] == "button_click")
    assert click["app_id"] == "shop" and click["platform"] == "Web"
    assert click["attributes"]["item"] == "book" and click["attributes"]["price"] == 12.5
    assert click["user"]["_user_id"]["value"] == "user-42"
    assert not live.app.refusals  # CORS with credentials passed
