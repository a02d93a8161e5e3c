"""The dashboard spec: the original's sheets and visuals, validated on load, and the dbt exposures it generates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from clickstream.errors import ConfigError
from clickstream.quicksight.spec.exposures import exposures_yaml
from clickstream.quicksight.spec.load import SPECS_DIR, bundled_dashboards, load_dashboards
from tests.support.cli import clickstream
from tests.support.paths import REPO

# seed-system.md 6.2: the sheets and the visuals of the original's template-def.json, by title. The
# narrative "insight" visuals (machine-generated text) have no counterpart.
ORIGINAL_SHEETS = {
    "Overview": [
        "Lifecycle Retention - Weekly View",
        "Active users by platform",
        "Key engagement metrics",
        "Active / New Users by day",
    ],
    "Acquisition": [
        "Active users",
        "New users",
        "Active / New Users by day",
        "Intra-day Active users",
        "Intra-day New users",
        "Active users by ${trafficSourceDim}",
        "Active users by ${trafficSourceDim} over time",
        "New users by ${userSourceDim}",
        "New users by ${userSourceDim} over time",
        "Traffic acquisition metrics by ${trafficSourceDim}",
        "New user acquisition metrics by ${userSourceDim}",
        "New users by country",
        "New users by geo location",
    ],
    "Engagement": [
        "Events and Views over time",
        "Key engagement metrics",
        "View count by ${pageScreenDim}",
        "View count by ${pageScreenDim} over time",
        "Pages and screens details",
        "Session entry pages / screens",
        "Session exit pages / screens",
        "Event count by event name",
        "Event count by event name over time",
        "Event details",
    ],
    "Retention": [
        "Retention Rate",
        "Retention rate by first visit date",
        "Retention rate by returning day",
        "New and Returning Users",
        "User activity",
        "User stickiness",
        "Lifecycle Retention - Weekly View",
    ],
    "Device": [
        "App crash rate overtime",
        "App crash rate",
        "Active users by device model",
        "Active users by app version",
        "Active users by browser",
        "Active users by device screen resolution",
        "Active users by platform over time",
        "Active users by platform",
        "Active users by Operating system and version",
    ],
    "Details": ["User attributes", "Event details", "Event custom parameters"],
}


def test_the_bundled_dashboard_has_the_original_sheets_and_visuals_in_order() -> None:
    [dashboard] = bundled_dashboards()
    assert {sheet.title: [visual.title for visual in sheet.visuals] for sheet in dashboard.sheets} == ORIGINAL_SHEETS


def test_every_dataset_reads_a_dbt_report_or_mart_model_that_exists() -> None:
    [dashboard] = bundled_dashboards()
    models = {path.stem for path in (REPO / "dbt_project" / "models" / "marts").rglob("*.sql")}
    assert {dataset.model for dataset in dashboard.used_datasets.values()} <= models


def test_the_committed_exposures_file_is_the_one_the_spec_generates() -> None:
    committed = (REPO / "dbt_project" / "models" / "exposures.yml").read_text(encoding="utf-8")
    assert committed == exposures_yaml(bundled_dashboards()), "run: clickstream dashboards exposures"


def test_the_exposure_depends_on_every_model_the_dashboard_reads() -> None:
    [dashboard] = bundled_dashboards()
    [exposure] = yaml.safe_load(exposures_yaml([dashboard]))["exposures"]
    assert exposure["name"] == "clickstream_dashboard"
    assert exposure["depends_on"] == [f"ref('{d.model}')" for d in dashboard.used_datasets.values()]


def edited_spec(tmp_path: Path, edit: str, replacement: str, file: str = "clickstream.yml") -> Path:
    """A copy of the bundled spec folder with one text edit in one file."""
    folder = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert edit in text
    (folder / file).write_text(text.replace(edit, replacement, 1), encoding="utf-8")
    return folder


def test_a_column_the_dataset_does_not_list_is_named_with_its_sheet_and_visual(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path, "measures: [{column: sum, aggregation: SUM", "measures: [{column: total, aggregation: SUM"
    )
    with pytest.raises(
        ConfigError,
        match=r"sheet overview, visual overview_lifecycle: dataset Lifecycle_Weekly_View "
        r"has no column\(s\) total",
    ):
        load_dashboards(folder)


def test_an_unknown_key_is_named_with_its_path(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "        type: pie\n", "        type: pie\n        colour: red\n")
    with pytest.raises(ConfigError, match=r"sheets\.0\.visuals\.1\.colour: Extra inputs are not permitted"):
        load_dashboards(folder)


def test_an_undefined_parameter_is_reported(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "top_n: TopNuser", "top_n: TopNusers")
    with pytest.raises(ConfigError, match="parameter 'TopNusers' is not defined under parameters"):
        load_dashboards(folder)


def test_summing_a_text_column_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "{column: user_id, aggregation: DISTINCT_COUNT, label: Active users}]",
        "{column: user_id, aggregation: SUM, label: Active users}]",
    )
    with pytest.raises(ConfigError, match="SUM needs a number; user_id is STRING"):
        load_dashboards(folder)


def test_a_kpi_with_a_dimension_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "        type: kpi\n        dataset: DAU_WAU\n",
        "        type: kpi\n        dataset: DAU_WAU\n        dimensions: [{column: platform, label: P}]\n",
    )
    with pytest.raises(ConfigError, match="a kpi visual shows one number"):
        load_dashboards(folder)


def test_a_dataset_whose_date_column_is_not_a_date_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "date_column: first_date", "date_column: day_diff", file="datasets.yml")
    with pytest.raises(ConfigError, match="date_column 'day_diff' must be a DATETIME column"):
        load_dashboards(folder)


def test_sorting_by_a_column_the_visual_does_not_show_is_refused_with_its_key_path(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "sort: {by: time_period, direction: ASC}", "sort: {by: platform, direction: ASC}")
    with pytest.raises(
        ConfigError, match=r"clickstream\.yml: sheets\.0\.visuals\.0: sort\.by 'platform' is not a field of this visual"
    ):
        load_dashboards(folder)


def test_a_kpi_with_top_n_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "        type: kpi\n        dataset: DAU_WAU\n",
        "        type: kpi\n        dataset: DAU_WAU\n        top_n: 3\n",
    )
    with pytest.raises(ConfigError, match=r"sheets\.1\.visuals\.0: a kpi visual shows one number: remove top_n"):
        load_dashboards(folder)


def test_a_map_of_a_column_without_a_geographic_role_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "geo_roles: {geo_country: COUNTRY, geo_city: CITY}",
        "geo_roles: {geo_city: CITY}",
        file="datasets.yml",
    )
    with pytest.raises(
        ConfigError,
        match=r"visual acquisition_country_map: a map's first dimension needs a geographic role; "
        r"give geo_country one under datasets\.Country_New_User\.geo_roles",
    ):
        load_dashboards(folder)


def test_a_granularity_on_a_text_column_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "{column: platform, label: Platform, palette: platform}]",
        "{column: platform, label: Platform, palette: platform, granularity: DAY}]",
    )
    with pytest.raises(
        ConfigError, match=r"visual overview_platform: granularity needs a DATETIME column; platform is STRING"
    ):
        load_dashboards(folder)


def test_broken_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "sheets:\n", "sheets: [\n")
    with pytest.raises(ConfigError, match=r"clickstream\.yml is not valid YAML"):
        load_dashboards(folder)


def test_the_exposures_command_checks_and_rewrites_a_stale_file(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    shutil.copy(REPO / "dbt_project" / "dbt_project.yml", project)
    (project / "models" / "exposures.yml").write_text("version: 2\nexposures: []\n")
    (tmp_path / "clickstream.yml").write_text(yaml.safe_dump({"dbt": {"project_dir": str(project)}}))

    stale = clickstream("dashboards", "exposures", "--check", cwd=tmp_path)
    assert stale.returncode != 0 and "differs from the dashboard spec" in stale.stderr
    assert "clickstream dashboards exposures" in stale.stderr

    assert clickstream("dashboards", "exposures", cwd=tmp_path).returncode == 0
    assert clickstream("dashboards", "exposures", "--check", cwd=tmp_path).returncode == 0
    assert (project / "models" / "exposures.yml").read_text() == exposures_yaml(bundled_dashboards())


def test_a_palette_that_is_not_defined_is_named_with_its_visual(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, "label: Lifecycle, palette: lifecycle}", "label: Lifecycle, palette: stages}")
    with pytest.raises(ConfigError, match="visual overview_lifecycle: palette 'stages' is not defined under palettes"):
        load_dashboards(folder)


def test_a_palette_listing_a_value_twice_is_refused(tmp_path: Path) -> None:
    folder = edited_spec(tmp_path, '{value: iOS, color: "#', '{value: Web, color: "#')
    with pytest.raises(ConfigError, match="palette 'platform': a value is listed twice"):
        load_dashboards(folder)


def test_a_secondary_axis_is_refused_outside_a_line_chart(tmp_path: Path) -> None:
    folder = edited_spec(
        tmp_path,
        "{column: event_count, aggregation: SUM, label: Events}",
        "{column: event_count, aggregation: SUM, label: Events, axis: secondary}",
    )
    with pytest.raises(ConfigError, match="axis: secondary works with line visuals only"):
        load_dashboards(folder)


def test_bars_of_named_categories_lie_flat_and_bars_of_dates_stand() -> None:
    [dashboard] = bundled_dashboards()
    visuals = {visual.id: visual for sheet in dashboard.sheets for visual in sheet.visuals}
    assert visuals["engagement_page_views"].horizontal and visuals["engagement_event_names"].horizontal
    assert not visuals["acquisition_intraday_active"].horizontal and not visuals["overview_lifecycle"].horizontal
