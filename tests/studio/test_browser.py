"""The Studio in headless chromium: sign in, run each analysis from its form, see a chart with data.

Screenshots go to build/test-artifacts/studio/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from clickstream.config import Config
from studio.app import create_app
from tests.browser import console_errors
from tests.conftest import REPO, free_port
from tests.studio.conftest import PASSWORD

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / "build" / "test-artifacts" / "studio"


@pytest.fixture(scope="module")
def studio_url(studio_config: Config) -> Iterator[str]:
    """The Studio served by uvicorn on loopback, with one rendered dashboard in its dashboards folder."""
    folder = studio_config.home / "dashboards"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overview.html").write_text("<html><body><h1 id='headline'>Shop overview</h1></body></html>")
    manifest = {"dashboards": [{"id": "overview", "title": "Shop overview", "app_id": "shop",
                                "file": "overview.html", "rendered_at": "2024-01-10T00:00:00Z"}]}  # fmt: skip
    (folder / "rendered.json").write_text(json.dumps(manifest))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(studio_config, PASSWORD), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the Studio did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def wait_for(driver: Any, condition: str, timeout: float = 20) -> Any:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {condition};")
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {condition}")


def sign_in(driver: Any, url: str) -> None:
    driver.get(url + "/")
    wait_for(driver, "!document.getElementById('login').hidden")
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("id", "login-button").click()
    wait_for(driver, "!document.getElementById('shell').hidden && document.getElementById('app').value === 'shop'")


def choose(driver: Any, css: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", css)).select_by_value(value)


def screenshot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


CHART_POINTS = """(() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart'));
  if (!chart) return 0;
  const series = chart.getOption().series;
  const positive = (v) => v !== null && (v.value ?? v) > 0;
  return series.reduce((n, s) => n + (s.links || s.data || []).filter(positive).length, 0);
})()"""


def wrong_sign_in_is_refused(driver: Any, url: str) -> None:
    driver.get(url + "/")
    wait_for(driver, "!document.getElementById('login').hidden")
    driver.find_element("id", "password").send_keys("not the password")
    driver.find_element("id", "login-button").click()
    wait_for(driver, "document.getElementById('login-error').textContent.includes('Wrong password')")


def set_up_form(driver: Any, kind: str) -> None:
    if kind == "funnel":  # view_item -> add_to_cart, within the same day
        choose(driver, "[data-item=step]:nth-child(1) [name=eventName]", "view_item")
        choose(driver, "[name=windowType]", "CURRENT_DAY")
    elif kind == "path":
        choose(driver, "[name=nodeType]", "page_view_page_title")
        wait_for(driver, "document.querySelector('[name=start] option[value=Home]')")
        choose(driver, "[name=start]", "Home")
        driver.find_element("css selector", "[name=merge]").click()  # keep the reload of Home
    elif kind == "retention":
        choose(driver, "[name=groupColumn]", "WEEK")
        choose(driver, "[name=backEvent]", "purchase")
    elif kind == "attribution":
        choose(driver, "[name=goal]", "purchase")
        choose(driver, "[name=model]", "LINEAR")
    elif kind == "event":
        choose(driver, "[name=measure]", "EVENT_CNT")
        choose(driver, "[name=groupBy]", "category_device|platform")


@pytest.mark.parametrize("kind", ["event", "funnel", "path", "retention", "attribution"])
def test_each_analysis_runs_from_its_form_and_draws_a_chart(browser: Any, studio_url: str, kind: str) -> None:
    sign_in(browser, studio_url)
    browser.get(f"{studio_url}/#{kind}")
    wait_for(browser, "document.getElementById('run')")
    set_up_form(browser, kind)
    browser.find_element("id", "run").click()
    points = wait_for(browser, CHART_POINTS)
    assert points > 0
    rows = browser.execute_script("return document.querySelectorAll('#table tr').length")
    assert rows > 1  # a header and at least one row of data
    if kind == "retention":
        assert browser.execute_script("return document.querySelectorAll('#retention-grid tr').length") == 3
    time.sleep(0.5)  # let the chart's entry animation finish before the screenshot
    screenshot(browser, kind)
    assert console_errors(browser) == []


def test_the_data_table_exports_as_csv(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    browser.get(f"{studio_url}/#attribution")
    wait_for(browser, "document.getElementById('run')")
    choose(browser, "[name=goal]", "purchase")
    browser.find_element("id", "run").click()
    wait_for(browser, CHART_POINTS)
    browser.execute_script("""
        window.exported = null;
        const original = URL.createObjectURL;
        URL.createObjectURL = (blob) => { blob.text().then(t => { window.exported = t; }); return original(blob); };
    """)
    browser.find_element("id", "export-csv").click()
    csv = wait_for(browser, "window.exported")
    lines = csv.strip().splitlines()
    assert lines[0] == "touchpoint,event_name,total_triggers,triggers_with_conversion,contribution,contribution_rate"
    assert len(lines) == 3


def test_a_wrong_password_keeps_the_studio_closed(browser: Any, studio_url: str) -> None:
    wrong_sign_in_is_refused(browser, studio_url)
    assert browser.execute_script("return document.getElementById('shell').hidden") is True


def test_the_catalog_is_searched_and_edited(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    browser.get(f"{studio_url}/#metadata")
    wait_for(browser, "document.querySelector('#metadata-table tr[data-id]')")
    browser.find_element("id", "metadata-search").send_keys("cart")
    wait_for(browser, "document.querySelectorAll('#metadata-table tr[data-id]').length === 1")
    browser.find_element("css selector", "#metadata-table button.edit").click()
    field = browser.find_element("css selector", "#metadata-table input[name=displayName]")
    field.clear()
    field.send_keys("Added to basket")
    browser.find_element("css selector", "#metadata-table button.save").click()
    wait_for(browser, "document.querySelector('#metadata-table').textContent.includes('Added to basket')")
    screenshot(browser, "metadata")
    browser.refresh()  # saved on the server, not only on the page
    wait_for(browser, "document.querySelector('#metadata-table').textContent.includes('Added to basket')")
    assert console_errors(browser) == []


def test_a_rendered_dashboard_opens_from_the_list(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    browser.get(f"{studio_url}/#dashboards")
    wait_for(browser, "document.querySelector('#dashboard-list button.open')")
    browser.find_element("css selector", "#dashboard-list button.open").click()
    wait_for(browser, "!document.getElementById('dashboard-frame').hidden")
    browser.switch_to.frame(browser.find_element("id", "dashboard-frame"))
    wait_for(browser, "document.getElementById('headline') && document.getElementById('headline').textContent")
    browser.switch_to.default_content()
    screenshot(browser, "dashboards")
    assert console_errors(browser) == []


def test_the_page_loads_nothing_from_outside(studio_url: str) -> None:
    page = (Path(__file__).resolve().parents[2] / "studio" / "static" / "index.html").read_text()
    assert "http://" not in page and "https://" not in page
