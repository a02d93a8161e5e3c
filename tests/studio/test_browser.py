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

from clickstream.config import Config
from clickstream.studio.app import create_app
from tests.support.browser import console_errors
from tests.support.loopback import QuietHandler
from tests.support.paths import REPO
from tests.support.studio import PASSWORD, studio_server

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / "build" / "test-artifacts" / "studio"


# a rendered dashboard whose script draws the headline and records whether it can reach the Studio's page
DASHBOARD = """<html><body><h1 id='headline'></h1><script>
let reach;
try { void parent.document.title; reach = "studio"; } catch (error) { reach = "blocked"; }
const headline = document.getElementById("headline");
headline.textContent = "Shop overview";
headline.dataset.parent = reach;
</script></body></html>"""


@pytest.fixture(scope="module")
def studio_url(studio_config: Config) -> Iterator[str]:
    """The Studio served by uvicorn on loopback, with one rendered dashboard in its dashboards folder."""
    folder = studio_config.home / "dashboards"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overview.html").write_text(DASHBOARD)
    manifest = {"dashboards": [{"id": "overview", "title": "Shop overview", "app_id": "shop",
                                "file": "overview.html", "rendered_at": "2024-01-10T00:00:00Z"}]}  # fmt: skip
    (folder / "rendered.json").write_text(json.dumps(manifest))
    with studio_server(create_app(studio_config, PASSWORD)) as url:
        yield url


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
        choose(driver, "[name=groupBy]", "event_outer|platform")
        choose(driver, "[name=filterProperty]", "user|tier")  # only gold-tier users' events
        driver.find_element("css selector", "[name=filterValue]").send_keys("gold")


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
        # period +0 is a column (the same-period return share); "Users" is the cohort size, never 0
        grid = "[...document.querySelectorAll('#retention-grid tr')]"
        header = browser.execute_script(f"return [...{grid}[0].cells].map(c => c.textContent)")
        assert header[:3] == ["Cohort", "Users", "+0"]
        sizes = browser.execute_script(f"return {grid}.slice(1).map(r => Number(r.cells[1].textContent))")
        assert all(size > 0 for size in sizes)
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


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_made_text(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    cells = browser.execute_script(
        "return import('/static/table.js').then(({ csvCell }) =>"
        " ['=HYPERLINK(\"x\")', '+1', '-2', '@SUM(A1)', '\\tx', 'plain', -3, 4.5, null, 'a,b'].map(csvCell));"
    )
    assert cells == ["\"'=HYPERLINK(\"\"x\"\")\"", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", "-3", "4.5", "",
                     '"a,b"']  # fmt: skip


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
    # its scripts ran, sandboxed: the Studio's page (and the token it keeps) is out of their reach
    assert browser.execute_script("return document.getElementById('headline').dataset.parent") == "blocked"
    browser.switch_to.default_content()
    screenshot(browser, "dashboards")
    assert console_errors(browser) == []


def test_the_page_loads_nothing_from_outside(studio_url: str) -> None:
    page = (Path(__file__).resolve().parents[2] / "studio" / "static" / "index.html").read_text()
    assert "http://" not in page and "https://" not in page


# --- OIDC sign-in through the issuer (authorization code with PKCE) ------------------------------------------


class FakeIssuer:
    """An identity provider on loopback: discovery, JWKS, an authorize page that signs the user straight in,
    and a token endpoint that checks the PKCE verifier before it hands out an ID token with the user's groups."""

    def __init__(self, groups: list[str]) -> None:
        import base64
        import hashlib
        import http.server
        import urllib.parse

        from tests.ingestion.test_auth import AUDIENCE, Issuer

        self.keys = Issuer()
        self.challenges: dict[str, str] = {}
        self.exchanged = 0
        outer = self

        class Handler(QuietHandler):
            def reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in {"Access-Control-Allow-Origin": "*", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    document = {"issuer": outer.base, "authorization_endpoint": outer.base + "/authorize",
                                "token_endpoint": outer.base + "/token", "jwks_uri": outer.base + "/jwks"}  # fmt: skip
                    self.reply(200, json.dumps(document).encode(), {"Content-Type": "application/json"})
                elif url.path == "/jwks":
                    self.reply(200, outer.keys.jwks(), {"Content-Type": "application/json"})
                elif url.path == "/authorize":
                    assert query["client_id"] == AUDIENCE and query["code_challenge_method"] == "S256"
                    code = f"code-{len(outer.challenges)}"
                    outer.challenges[code] = query["code_challenge"]
                    back = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
                    self.reply(302, b"", {"Location": back})
                else:
                    self.reply(404, b"", {})

            def do_POST(self) -> None:
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                digest = hashlib.sha256(form["code_verifier"].encode()).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if outer.challenges.get(form["code"]) != expected:
                    self.reply(400, b'{"error": "invalid_grant"}', {"Content-Type": "application/json"})
                    return
                outer.exchanged += 1
                claims: dict[str, Any] = {"cognito:groups": groups, "email": "ana@example.com"}
                token = outer.keys.token(**claims)
                self.reply(200, json.dumps({"id_token": token, "token_type": "Bearer"}).encode(),
                           {"Content-Type": "application/json"})  # fmt: skip

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def oidc_studio_url(studio_config: Config) -> Iterator[tuple[str, FakeIssuer]]:
    from clickstream.config import StudioConfig
    from tests.ingestion.test_auth import AUDIENCE, ISSUER

    idp = FakeIssuer(["ClickstreamAnalyst"])
    settings = StudioConfig.model_validate({
        "auth": "oidc", "oidc_discovery_url": idp.base + "/.well-known/openid-configuration",
        "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": idp.base + "/jwks"},
    })  # fmt: skip
    with studio_server(create_app(studio_config.model_copy(update={"studio": settings}))) as url:
        yield url, idp
    idp.server.shutdown()


def test_an_analyst_signs_in_through_the_identity_provider_and_runs_an_analysis(
    browser: Any, oidc_studio_url: tuple[str, FakeIssuer]
) -> None:
    url, idp = oidc_studio_url
    browser.get(url + "/#funnel")
    wait_for(browser, "!document.getElementById('login').hidden")
    assert browser.find_element("id", "login-button").text == "Sign in with your identity provider"
    browser.find_element("id", "login-button").click()
    wait_for(browser, "!document.getElementById('shell').hidden && document.getElementById('run')")
    assert idp.exchanged == 1
    assert "ana@example.com (Analyst)" in browser.find_element("id", "user").text
    assert "code=" not in browser.current_url and browser.current_url.endswith("#funnel")
    browser.find_element("id", "run").click()
    assert wait_for(browser, CHART_POINTS) > 0
    assert console_errors(browser) == []


FUNNEL = """(() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart'));
  if (!chart) return null;
  const option = chart.getOption();
  return {steps: option.xAxis[0].data, counts: option.series[0].data};
})()"""


def test_a_first_open_runs_a_meaningful_funnel_and_path_without_any_choice(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    browser.get(f"{studio_url}/#funnel")
    wait_for(browser, "document.getElementById('run')")
    steps = browser.execute_script("return [...document.querySelectorAll('[data-item=step] [name=eventName]')]"
                                   ".map(s => s.value)")  # fmt: skip
    assert steps == ["view_item", "add_to_cart", "purchase"]  # the shop's own steps, in order
    browser.find_element("id", "run").click()
    funnel = wait_for(browser, FUNNEL)
    assert funnel["steps"][0] == "1. view_item" and funnel["counts"][0] > 0
    # the table says what the chart says: display names, and the conversion as the same percentage
    header = browser.execute_script("return [...document.querySelectorAll('#table th')].map(c => c.textContent)")
    assert "Conversion (of step 1)" in header and "conversion_rate" not in header
    rate_at = header.index("Conversion (of step 1)")
    second = browser.execute_script(f"return document.querySelectorAll('#table tr')[2].cells[{rate_at}].textContent")
    label = browser.execute_script(
        "const c = echarts.getInstanceByDom(document.getElementById('chart'));"
        "return c.getOption().series[0].label.formatter({dataIndex: 1, value: c.getOption().series[0].data[1]});"
    )
    assert second.endswith("%") and label.endswith(f"({second})")
    screenshot(browser, "funnel-first-open")

    browser.get(f"{studio_url}/#path")
    wait_for(browser, "document.querySelector('[name=start]')")
    # this small dataset has no _session_start: the path starts at its most frequent event
    assert browser.execute_script("return document.querySelector('[name=start]').value") == "_page_view"
    browser.find_element("id", "run").click()
    assert wait_for(browser, CHART_POINTS) > 0
    wait_for(browser, "document.getElementById('run').textContent === 'Run analysis'")
    browser.execute_script("document.getElementById('result').scrollIntoView()")
    screenshot(browser, "path-first-open")
    assert console_errors(browser) == []


def test_defaults_follow_the_catalogs_counts_and_skip_housekeeping_events(browser: Any, studio_url: str) -> None:
    sign_in(browser, studio_url)
    chosen = browser.execute_script("""
        const day = (n) => ({days: {"2024-01-01": n}});
        return import("/static/catalog.js").then(({ catalog, byFrequency, defaults }) => {
          catalog.events = byFrequency([
            {name: "_app_end", ...day(50)}, {name: "_app_start", ...day(50)}, {name: "_session_start", ...day(40)},
            {name: "_first_open", ...day(10)}, {name: "_screen_view", ...day(90)}, {name: "search", ...day(30)},
          ]);
          return defaults();
        });
    """)
    assert chosen["event"] == "_screen_view"  # the most frequent, not the alphabetically first
    assert chosen["funnel"] == ["_session_start", "_screen_view", "search"]  # no shop steps: a session's own
    assert chosen["pathStart"] == "_session_start"
    assert chosen["retention"] == ["_first_open", "_session_start"]
    assert "_app_end" not in chosen["touchpoints"]
