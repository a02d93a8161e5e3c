"""The offline dashboards in a real browser: every visual drawn with data, filters that change the numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from clickstream.config import Config
from clickstream.quicksight.offline.render import RenderedDashboard, render_dashboards
from clickstream.quicksight.spec.load import bundled_dashboards
from tests.support.browser import console_errors
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "build" / "test-artifacts" / "dashboards"
CHARTS = {"bar", "line", "combo", "pie", "treemap"}
TABLES = {"table", "pivot", "map"}


@pytest.fixture(scope="module")
def rendered(warehouse: Config) -> list[RenderedDashboard]:
    return render_dashboards(warehouse)


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.as_uri())
    assert driver.find_element("tag name", "body").get_attribute("data-rendered-sheet")


def show_sheet(driver: Any, sheet_id: str) -> list[Any]:
    driver.find_element("id", f"tab-{sheet_id}").click()
    assert driver.find_element("tag name", "body").get_attribute("data-rendered-sheet") == sheet_id
    visuals: list[Any] = driver.find_elements("css selector", f"#sheet-{sheet_id} .visual")
    return visuals


def set_input(driver: Any, element_id: str, value: str) -> None:
    """Set a filter control's value and fire its change event, as a person picking a value would."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];e.dispatchEvent(new Event('change'));",
        element_id,
        value,
    )


def visual(driver: Any, visual_id: str) -> Any:
    return driver.find_element("css selector", f'[data-visual-id="{visual_id}"]')


def test_every_visual_of_every_sheet_is_drawn_with_data_and_no_console_error(
    rendered: list[RenderedDashboard], browser: Any
) -> None:
    [dashboard] = bundled_dashboards()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in rendered:
        open_page(browser, page.path)
        for sheet in dashboard.sheets:
            boxes = show_sheet(browser, sheet.id)
            assert [box.get_attribute("data-visual-id") for box in boxes] == [v.id for v in sheet.visuals]
            for box, spec in zip(boxes, sheet.visuals, strict=True):
                where = f"{page.file} {sheet.id}/{spec.id}"
                assert int(box.get_attribute("data-rows")) > 0, f"{where} is empty"
                if spec.type in CHARTS:
                    assert box.find_elements("css selector", ".chart svg"), f"{where} drew no chart"
                elif spec.type in TABLES:
                    assert len(box.find_elements("css selector", "tr")) > 1, f"{where} has no table rows"
                else:
                    assert box.find_element("css selector", ".kpi-value").text.strip() not in ("", "-")
            browser.set_window_size(1280, 2400)
            browser.save_screenshot(str(ARTIFACTS / f"{page.id}-{sheet.id}.png"))
            browser.set_window_size(1280, 900)
        assert console_errors(browser) == [], page.file


def active_users(config: Config, app_id: str, where: str = "true") -> int:
    with duckdb.connect(str(config.warehouse_path), read_only=True) as connection:
        row = connection.execute(
            f"select count(distinct merged_user_id) from analytics.rpt_retention__dau_wau where app_id = ? and {where}",
            [app_id],
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_platform_filter_changes_the_numbers_to_the_warehouses(
    rendered: list[RenderedDashboard], warehouse: Config, browser: Any
) -> None:
    page = rendered[0]
    open_page(browser, page.path)
    show_sheet(browser, "acquisition")
    kpi = visual(browser, "acquisition_active_users")
    assert float(kpi.get_attribute("data-total")) == active_users(warehouse, page.app_id)

    set_input(browser, "filter-platform", "Web")

    web = active_users(warehouse, page.app_id, "platform = 'Web'")
    assert 0 < web < active_users(warehouse, page.app_id)
    assert float(kpi.get_attribute("data-total")) == web
    assert kpi.find_element("css selector", ".kpi-value").text == f"{web:,}"
    assert console_errors(browser) == []


def test_the_date_range_narrows_every_visual(
    rendered: list[RenderedDashboard], warehouse: Config, browser: Any
) -> None:
    page = rendered[0]
    open_page(browser, page.path)
    show_sheet(browser, "overview")
    before = float(visual(browser, "overview_active_new").get_attribute("data-total"))
    last_day = browser.find_element("id", "filter-end").get_attribute("value")

    set_input(browser, "filter-start", last_day)

    line = visual(browser, "overview_active_new")
    assert line.get_attribute("data-rows") == "1"
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        [(expected,)] = connection.execute(
            "select sum(active_users) from analytics.rpt_acquisition__day_user_view_cnt "
            "where app_id = ? and event_date = ?",
            [page.app_id, last_day],
        ).fetchall()
    assert float(line.get_attribute("data-total")) == expected < before


def test_a_parameter_control_switches_the_traffic_dimension_and_the_title(
    rendered: list[RenderedDashboard], browser: Any
) -> None:
    open_page(browser, rendered[0].path)
    show_sheet(browser, "acquisition")
    chart = visual(browser, "acquisition_traffic_users")
    assert chart.find_element("tag name", "h2").text == "Active users by Session Traffic Channel Group"

    set_input(browser, "param-acquisition-trafficSourceDim", "Session Traffic Source")

    assert chart.find_element("tag name", "h2").text == "Active users by Session Traffic Source"
    assert int(chart.get_attribute("data-rows")) > 0
    set_input(browser, "param-acquisition-TopNuser", "1")
    assert chart.get_attribute("data-rows") == "1"
    assert console_errors(browser) == []


def test_engagement_rates_are_ratios_of_sums_over_the_platforms_and_days_shown(
    rendered: list[RenderedDashboard], warehouse: Config, browser: Any
) -> None:
    page = rendered[0]
    open_page(browser, page.path)
    show_sheet(browser, "engagement")
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        [(day, engaged, users)] = connection.execute(
            "select strftime(event_date, '%Y-%m-%d'), sum(engaged_session_count), sum(active_user_count) "
            "from analytics.rpt_engagement__kpi where app_id = ? group by event_date having count(*) > 1 "
            "order by event_date desc limit 1",
            [page.app_id],
        ).fetchall()  # a day of several platforms, where an average of their averages would differ
    set_input(browser, "filter-start", day)
    set_input(browser, "filter-end", day)

    line = visual(browser, "engagement_kpi")
    assert line.get_attribute("data-rows") == "1"
    assert float(line.get_attribute("data-total")) == pytest.approx(engaged / users)
    assert console_errors(browser) == []


HOSTILE = ["<!--<script", "</script><script>window.pwned = 1</script>", "a & b \u2028 <b>bold</b>", "-->"]


def test_hostile_text_in_the_data_is_shown_as_text_and_the_page_still_runs(
    warehouse: Config, browser: Any, tmp_path: Path
) -> None:
    from clickstream.quicksight.offline.page import page_html
    from clickstream.quicksight.offline.render import dashboard_payload

    [dashboard] = bundled_dashboards()
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        data = dashboard_payload(connection, dashboard, "shop", 30, "2026-01-01T00:00:00Z")
    for table in data["data"].values():
        if "event_name" in table["columns"]:
            name_at = table["columns"].index("event_name")
            for i, row in enumerate(table["rows"]):
                row[name_at] = HOSTILE[i % len(HOSTILE)]
    data["appId"] = HOSTILE[0]
    page = tmp_path / "hostile.html"
    page.write_text(page_html(f"{HOSTILE[0]} {HOSTILE[1]}", data), encoding="utf-8")

    open_page(browser, page)
    show_sheet(browser, "engagement")

    shown = visual(browser, "engagement_event_details").find_elements("css selector", "td:first-child")
    texts = {cell.text for cell in shown}
    assert HOSTILE[0] in texts and HOSTILE[1] in texts, texts
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.title == f"{HOSTILE[0]} {HOSTILE[1]}"
    assert console_errors(browser) == []


def chart_cells(driver: Any, visual_id: str) -> dict[str, dict[str, float | None]]:
    """The drawn chart's values: {category label: {series name: value}}, read from ECharts itself."""
    option = driver.execute_script(
        "const box = document.querySelector(arguments[0] + ' .chart');"
        "const o = echarts.getInstanceByDom(box).getOption();"
        "const axis = o.yAxis[0].type === 'category' ? o.yAxis[0] : o.xAxis[0];"  # named bars lie flat
        "const value = (d) => (d !== null && typeof d === 'object' ? d.value : d);"
        "return {categories: axis.data, series: o.series.map(s => ({name: s.name, data: s.data.map(value)}))};",
        f'[data-visual-id="{visual_id}"]',
    )
    cells: dict[str, dict[str, float | None]] = {category: {} for category in option["categories"]}
    for series in option["series"]:
        for category, value in zip(option["categories"], series["data"], strict=True):
            cells[category][series["name"]] = value
    return cells


def shown_dates(driver: Any) -> tuple[str, str]:
    return (
        driver.find_element("id", "filter-start").get_attribute("value"),
        driver.find_element("id", "filter-end").get_attribute("value"),
    )


def test_the_operating_system_visual_shows_web_users_os_from_the_user_agent(
    rendered: list[RenderedDashboard], warehouse: Config, browser: Any
) -> None:
    page = rendered[0]
    open_page(browser, page.path)
    show_sheet(browser, "device")
    start, end = shown_dates(browser)
    # Independent of the report: the original's coalesce(device_operating_system, device_ua_os) over the events,
    # users by their merged id (signed-in id, else device id).
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        rows = connection.execute(
            "select coalesce(e.device_operating_system, e.device_ua_os, '(none)'),"
            " coalesce(e.device_operating_system_version, e.device_ua_os_version, '(none)'),"
            " count(distinct coalesce(u.user_id, e.user_pseudo_id)), bool_or(e.platform = 'Web')"
            " from analytics.fct_events as e left join analytics.dim_users as u on e.user_key = u.user_key"
            " where e.app_id = ? and e.event_date between ? and ? group by 1, 2",
            [page.app_id, start, end],
        ).fetchall()
        per_os = dict(
            connection.execute(
                "select coalesce(e.device_operating_system, e.device_ua_os, '(none)'),"
                " count(distinct coalesce(u.user_id, e.user_pseudo_id))"
                " from analytics.fct_events as e left join analytics.dim_users as u on e.user_key = u.user_key"
                " where e.app_id = ? and e.event_date between ? and ? group by 1",
                [page.app_id, start, end],
            ).fetchall()
        )
    expected = {(os, version): users for os, version, users, _ in rows}
    web_systems = {os for os, _, _, web in rows if web}
    assert web_systems and "(none)" not in web_systems  # web users have an operating system
    assert len(per_os) <= 10  # the visual's top 10 shows them all

    cells = chart_cells(browser, "device_os")

    assert set(cells) == set(per_os)
    for os, by_version in cells.items():
        for version, users in by_version.items():
            assert users == expected.get((os, version)), (os, version)
    assert float(visual(browser, "device_os").get_attribute("data-total")) == sum(per_os.values())
    assert console_errors(browser) == []


def test_the_new_users_by_first_touch_visual_counts_only_the_days_first_opens(
    rendered: list[RenderedDashboard], warehouse: Config, browser: Any
) -> None:
    page = rendered[0]
    open_page(browser, page.path)
    show_sheet(browser, "acquisition")
    last_day = shown_dates(browser)[1]
    set_input(browser, "filter-start", last_day)
    chart = visual(browser, "acquisition_user_source_new")
    assert chart.find_element("tag name", "h2").text == "New users by User First Traffic Channel Group"
    # Independent of the report: the users whose _first_open is on that day, by their first channel group.
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        expected = dict(
            connection.execute(
                "select coalesce(u.first_traffic_channel_group, '(none)'),"
                " count(distinct coalesce(u.user_id, e.user_pseudo_id))"
                " from analytics.fct_events as e join analytics.dim_users as u on e.user_key = u.user_key"
                " where e.app_id = ? and e.event_date = ? and e.event_name = '_first_open' group by 1",
                [page.app_id, last_day],
            ).fetchall()
        )
    assert len(expected) <= 10  # all shown under the visual's top 10

    cells = chart_cells(browser, "acquisition_user_source_new")

    assert {group: values["New users"] for group, values in cells.items()} == expected
    new_users = float(chart.get_attribute("data-total"))
    assert new_users == sum(expected.values())
    # returning users of that day are not counted: fewer new users than active users
    assert 0 < new_users < active_users(warehouse, page.app_id, f"event_date = '{last_day}'")
    assert console_errors(browser) == []


CHART = "echarts.getInstanceByDom(document.querySelector('[data-visual-id=\"' + arguments[0] + '\"] .chart'))"

# Every category name the chart has, and whether the SVG shows a text for it (whole, or cut with an ellipsis
# as ECharts truncates a long name): a label hidden to avoid overlap is not drawn at all.
SHOWN_NAMES = f"""
const chart = {CHART};
const texts = [...chart.getDom().querySelectorAll('svg text')].map(t => t.textContent);
const names = chart.getOption().yAxis[0].data;
return names.map(name => [name, texts.some(t => t === name || (t.endsWith('...') && name.startsWith(t.slice(0, -3))))]);
"""


def test_every_category_name_of_a_bar_chart_is_drawn(rendered: list[RenderedDashboard], browser: Any) -> None:
    open_page(browser, rendered[0].path)
    for sheet, visual_id in [("engagement", "engagement_page_views"), ("engagement", "engagement_event_names"),
                             ("device", "device_browser"), ("acquisition", "acquisition_traffic_users")]:  # fmt: skip
        show_sheet(browser, sheet)
        shown = browser.execute_script(SHOWN_NAMES, visual_id)
        assert len(shown) == int(visual(browser, visual_id).get_attribute("data-rows")) > 1, visual_id
        assert [name for name, drawn in shown if not drawn] == [], visual_id
    assert console_errors(browser) == []


DRAWN_COLOURS = f"""
const chart = {CHART};
const colours = [];
for (const series of chart.getModel().getSeries()) {{
  const data = series.getData();
  if (series.subType === 'pie') {{
    data.each(i => {{ colours.push([data.getName(i), data.getItemVisual(i, 'style').fill]); }});
  }}
  else colours.push([series.name, data.getVisual('style').stroke || data.getVisual('style').fill]);
}}
return colours;
"""


def drawn_colours(driver: Any, visual_id: str) -> dict[str, str]:
    """The colour each series (or slice) is drawn in, by its name, in the legend's order."""
    return dict(driver.execute_script(DRAWN_COLOURS, visual_id))


def test_a_platform_has_the_same_colour_in_the_pie_and_the_line_chart(
    rendered: list[RenderedDashboard], browser: Any
) -> None:
    [dashboard] = bundled_dashboards()
    open_page(browser, rendered[0].path)
    show_sheet(browser, "device")

    pie = drawn_colours(browser, "device_platform")
    line = drawn_colours(browser, "device_platform_trend")

    assert set(pie) == set(line) == {"Web", "Android", "iOS"}
    palette = {entry.value: entry.color for entry in dashboard.palettes["platform"]}
    assert {name: colour.lower() for name, colour in pie.items()} == {name: palette[name] for name in pie}
    assert pie == line
    show_sheet(browser, "overview")
    assert drawn_colours(browser, "overview_platform") == pie


def test_the_lifecycle_legend_reads_stage_names_in_lifecycle_order_with_one_colour_each(
    rendered: list[RenderedDashboard], browser: Any
) -> None:
    open_page(browser, rendered[0].path)
    show_sheet(browser, "overview")
    overview = drawn_colours(browser, "overview_lifecycle")
    show_sheet(browser, "retention")
    retention = drawn_colours(browser, "retention_lifecycle")
    new_returning = drawn_colours(browser, "retention_new_returning")

    order = ["New", "Retained", "Returning", "Churned"]
    assert list(overview) == [stage for stage in order if stage in overview]
    assert {"New", "Churned"} <= set(overview)
    assert overview == retention
    assert new_returning["New"] == overview["New"]


def test_the_engagement_ratio_has_its_own_axis_beside_the_durations(
    rendered: list[RenderedDashboard], browser: Any
) -> None:
    open_page(browser, rendered[0].path)
    show_sheet(browser, "engagement")
    axes = browser.execute_script(
        f"const o = {CHART}.getOption(); return [o.yAxis.length, o.series.map(s => [s.name, s.yAxisIndex])];",
        "engagement_kpi",
    )
    assert axes == [2, [["Engaged sessions per user", 1], ["Engagement time per session (s)", 0],
                        ["Engagement time per user (s)", 0]]]  # fmt: skip
