"""The console pages in headless chromium: the pipeline page and the apps page, as each role uses them.

Screenshots go to build/test-artifacts/studio/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.studio.app import create_app
from tests.studio.test_browser import FakeIssuer, screenshot, sign_in, wait_for
from tests.support.browser import console_errors
from tests.support.pipeline import home_with_two_cycles
from tests.support.studio import PASSWORD, oidc_config, studio_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def console_home(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return home_with_two_cycles(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def local_url(console_home: Config) -> Iterator[str]:
    with studio_server(create_app(console_home, PASSWORD)) as url:
        yield url


def oidc_url(config: Config, groups: list[str]) -> Iterator[str]:
    idp = FakeIssuer(groups)
    signed_by_idp = oidc_config(
        config, idp.base + "/jwks", oidc_discovery_url=idp.base + "/.well-known/openid-configuration"
    )
    with studio_server(create_app(signed_by_idp)) as url:
        yield url
    idp.server.shutdown()


def sign_in_with_provider(driver: Any, url: str) -> None:
    driver.get(url + "/")
    wait_for(driver, "!document.getElementById('login').hidden")
    driver.find_element("id", "login-button").click()
    wait_for(driver, "!document.getElementById('shell').hidden")


def text(driver: Any, script: str) -> Any:
    return driver.execute_script(f"return {script};")


def test_the_pipeline_page_flags_the_failed_cycle_and_lists_stages_and_rejects(browser: Any, local_url: str) -> None:
    sign_in(browser, local_url)
    browser.get(local_url + "/#pipeline")
    wait_for(browser, "document.querySelector('#pipeline-cycles table')")
    alerts = text(browser, "[...document.querySelectorAll('.tile.alert')].map(t => t.dataset.tile)")
    assert "cycle" in alerts and "collector" in alerts  # a failed cycle; nothing answers the metrics URL
    statuses = text(
        browser, "[...document.querySelectorAll('#pipeline-cycles td.status-failed')].map(t => t.textContent)"
    )
    assert statuses[:2] == ["failed", "failed"]  # the cycle, then its load stage
    assert "broken.parquet" in text(browser, "document.getElementById('pipeline-cycles').textContent")
    reasons = text(
        browser, "[...document.querySelectorAll('#pipeline-rejects tr[data-reason]')].map(r => r.dataset.reason)"
    )
    assert reasons and all(reasons)
    screenshot(browser, "console-pipeline")
    assert console_errors(browser) == []


def test_an_admin_creates_edits_and_deletes_an_app_from_the_apps_page(browser: Any, local_url: str) -> None:
    sign_in(browser, local_url)
    browser.get(local_url + "/#apps")
    wait_for(browser, "document.querySelector('#apps-table tr[data-app=shop]')")
    form = browser.find_element("id", "app-create")
    form.find_element("name", "appId").send_keys("blog")
    form.find_element("name", "name").send_keys("Company blog")
    form.find_element("name", "origins").send_keys("https://blog.example.com")
    timezone = form.find_element("name", "timezone")
    timezone.clear()
    timezone.send_keys("Asia/Tokyo")
    form.find_element("css selector", "button[type=submit]").click()
    wait_for(browser, "document.querySelector('#apps-table tr[data-app=blog]')")
    row = "document.querySelector('#apps-table tr[data-app=blog]')"
    assert "Asia/Tokyo" in text(browser, f"{row}.textContent")
    assert "https://blog.example.com" in text(browser, f"{row}.textContent")
    wait_for(browser, "[...document.getElementById('app').options].some(o => o.value === 'blog')")
    screenshot(browser, "console-apps")

    browser.find_element("css selector", "tr[data-app=blog] button.edit").click()
    zone = browser.find_element("css selector", "tr[data-app=blog] input[name=timezone]")
    zone.clear()
    zone.send_keys("Europe/Paris")
    browser.find_element("css selector", "tr[data-app=blog] button.save").click()
    wait_for(browser, f"{row} && {row}.textContent.includes('Europe/Paris')")

    browser.find_element("css selector", "tr[data-app=blog] button.remove").click()
    browser.find_element("css selector", "tr[data-app=blog] button.confirm").click()
    wait_for(browser, f"!{row}")
    wait_for(browser, "![...document.getElementById('app').options].some(o => o.value === 'blog')")
    assert console_errors(browser) == []


def test_a_refused_app_id_shows_the_servers_reason(browser: Any, local_url: str) -> None:
    sign_in(browser, local_url)
    browser.get(local_url + "/#apps")
    wait_for(browser, "document.querySelector('#apps-table tr[data-app=shop]')")
    browser.find_element("css selector", "#app-create [name=appId]").send_keys("shop")
    browser.find_element("css selector", "#app-create button[type=submit]").click()
    wait_for(browser, "document.getElementById('apps-error').textContent.includes('exists already')")


@pytest.fixture
def operator_url(console_home: Config) -> Iterator[str]:
    yield from oidc_url(console_home, ["ClickstreamOperator"])


@pytest.fixture
def reader_url(console_home: Config) -> Iterator[str]:
    yield from oidc_url(console_home, ["ClickstreamAnalystReader"])


def test_an_operator_sees_the_pipeline_and_apps_pages_only_and_may_manage_apps(browser: Any, operator_url: str) -> None:
    sign_in_with_provider(browser, operator_url)
    wait_for(browser, "location.hash === '' && !document.getElementById('page-pipeline').hidden")
    visible = text(browser, "[...document.querySelectorAll('nav a')].filter(a => !a.hidden).map(a => a.dataset.page)")
    assert visible == ["pipeline", "apps"]
    browser.get(operator_url + "/#apps")
    wait_for(browser, "document.querySelector('#apps-table tr[data-app=shop] button.edit')")
    assert text(browser, "document.getElementById('app-create').hidden") is False
    screenshot(browser, "console-apps-operator")
    assert console_errors(browser) == []


def test_a_reader_sees_the_apps_but_no_form_to_change_them(browser: Any, reader_url: str) -> None:
    sign_in_with_provider(browser, reader_url)
    browser.get(reader_url + "/#apps")
    wait_for(browser, "document.querySelector('#apps-table tr[data-app=shop]')")
    assert text(browser, "document.getElementById('app-create').hidden") is True
    assert text(browser, "document.querySelectorAll('#apps-table button').length") == 0
    screenshot(browser, "console-apps-reader")
    assert console_errors(browser) == []


def test_an_admin_adds_a_user_changes_a_role_saves_the_mapping_and_deletes_the_user(
    browser: Any, local_url: str
) -> None:
    sign_in(browser, local_url)
    browser.get(local_url + "/#users")
    wait_for(browser, "document.querySelector('#role-settings [name=roleJsonPath]').value")
    form = browser.find_element("id", "user-create")
    form.find_element("name", "userId").send_keys("ana@example.com")
    form.find_element("name", "role-Analyst").click()
    form.find_element("css selector", "button[type=submit]").click()
    row = "document.querySelector('#users-table tr[data-user=\"ana@example.com\"]')"
    wait_for(browser, row)
    assert text(browser, f"{row}.querySelector('[name=Analyst]').checked") is True
    browser.find_element("css selector", "tr[data-user='ana@example.com'] [name=Operator]").click()
    wait_for(browser, f"{row}.textContent.includes('by local-admin')")
    settings = browser.find_element("id", "role-settings")
    names = settings.find_element("name", "operatorRoleNames")
    names.clear()
    names.send_keys("ops, ClickstreamOperator")
    settings.find_element("css selector", "button[type=submit]").click()
    wait_for(browser, "document.getElementById('users-saved').textContent.includes('Saved')")
    screenshot(browser, "console-users")
    browser.get(local_url + "/#apps")  # away and back: the page reads what the server kept
    browser.get(local_url + "/#users")
    wait_for(browser, f"{row} && {row}.querySelector('[name=Operator]').checked")
    assert text(browser, "document.querySelector('#role-settings [name=operatorRoleNames]').value") == (
        "ops,ClickstreamOperator"
    )
    browser.find_element("css selector", "tr[data-user='ana@example.com'] button.remove").click()
    wait_for(browser, f"!{row}")
    assert console_errors(browser) == []


VISUAL_ORDER = "[...document.querySelectorAll('#saved-sheets .visual')].map(v => v.querySelector('strong').textContent)"
DRAWN = """[...document.querySelectorAll('#saved-sheets .visual-chart')].filter(node => {
  const chart = echarts.getInstanceByDom(node);
  return chart && chart.getOption().series.some(s => (s.data || s.links || []).length);
}).length"""


def run_and_add(driver: Any, url: str, kind: str, title: str) -> None:
    driver.get(f"{url}/#{kind}")
    wait_for(driver, "document.getElementById('run')")
    driver.find_element("id", "run").click()
    # the page runs its first analysis on open, then this run: wait until no run is under way
    wait_for(driver, "!document.getElementById('run').disabled && !document.getElementById('publish').hidden"
                     " && document.getElementById('publish-target').value")  # fmt: skip
    title_box = driver.find_element("id", "publish-title")
    title_box.clear()
    title_box.send_keys(title)
    driver.find_element("id", "publish-button").click()
    wait_for(driver, "document.getElementById('publish-done').textContent.startsWith('Added to Team')")


def test_an_analyst_builds_a_dashboard_from_two_analyses_rearranges_and_deletes_it(
    browser: Any, local_url: str
) -> None:
    sign_in(browser, local_url)
    browser.get(local_url + "/#dashboards")
    wait_for(browser, "!document.getElementById('dashboard-create').hidden")
    browser.find_element("css selector", "#dashboard-create [name=dashboardName]").send_keys("Team")
    browser.find_element("css selector", "#dashboard-create button[type=submit]").click()
    wait_for(browser, "document.getElementById('saved-title').textContent === 'Team'")

    run_and_add(browser, local_url, "event", "Top events")
    run_and_add(browser, local_url, "funnel", "Shop funnel")

    browser.get(local_url + "/#dashboards")
    wait_for(browser, "document.querySelector('#dashboard-list tr[data-dashboard] button.open')")
    browser.find_element("css selector", "#dashboard-list tr[data-dashboard] button.open").click()
    wait_for(browser, f"{DRAWN} === 2")
    assert text(browser, VISUAL_ORDER) == ["Top events", "Shop funnel"]
    screenshot(browser, "console-dashboard")
    browser.find_element("css selector", "#saved-sheets .visual:nth-child(2) button.up").click()
    wait_for(browser, f"JSON.stringify({VISUAL_ORDER}) === JSON.stringify(['Shop funnel', 'Top events'])")
    browser.find_element("css selector", "#saved-sheets .visual:nth-child(2) button.remove").click()
    wait_for(browser, f"JSON.stringify({VISUAL_ORDER}) === JSON.stringify(['Shop funnel'])")
    browser.find_element("css selector", "#dashboard-list tr[data-dashboard] button.remove").click()
    wait_for(browser, "!document.querySelector('#dashboard-list tr[data-dashboard] button.remove')")
    assert console_errors(browser) == []


def test_a_reader_opens_dashboards_but_may_not_create_or_publish(browser: Any, reader_url: str) -> None:
    sign_in_with_provider(browser, reader_url)
    browser.get(reader_url + "/#dashboards")
    wait_for(browser, "document.getElementById('dashboard-list').textContent")
    assert text(browser, "document.getElementById('dashboard-create').hidden") is True
    browser.get(reader_url + "/#event")
    wait_for(browser, "document.getElementById('run')")
    browser.find_element("id", "run").click()
    wait_for(browser, "!document.getElementById('result').hidden")
    assert text(browser, "document.getElementById('publish').hidden") is True
    assert console_errors(browser) == []
