"""`clickstream dashboards publish`: every QuickSight call checked by botocore's Stubber (which validates
each request against the QuickSight API model), and the calls moto implements run against moto."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from clickstream.config import Config
from clickstream.errors import ClickstreamError, ConfigError
from clickstream.quicksight.publisher.publish import (
    ANALYSIS_ACTIONS,
    DASHBOARD_ACTIONS,
    DATA_SOURCE_ACTIONS,
    DATASET_ACTIONS,
    FOLDER_ACTIONS,
    RECORD,
    TEMPLATE_ACTIONS,
    Caller,
    Ids,
    Publisher,
    publish_dashboards,
)
from clickstream.quicksight.spec.load import SPECS_DIR, bundled_dashboards, load_dashboards
from clickstream.quicksight.spec.model import Dashboard
from tests.support.cli import clickstream
from tests.support.config import make_config

ACCOUNT = "123456789012"
REGION = "eu-west-1"
OWNER = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/admin"
READERS = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/readers"
MINI = """
id: mini
title: Mini
parameters:
  TopNuser: {type: INTEGER, label: Top N, default: 5}
sheets:
  - id: overview
    title: Overview
    controls: [TopNuser]
    visuals:
      - {id: users, title: Active users, type: kpi, dataset: DAU_WAU,
         measures: [{column: merged_user_id, aggregation: DISTINCT_COUNT, label: Users}]}
      - {id: countries, title: New users by country, type: map, dataset: Country_New_User,
         dimensions: [{column: geo_country, label: Country}],
         measures: [{column: user_count, aggregation: SUM, label: New users}],
         sort: {by: user_count}, top_n: TopNuser}
"""


IDS = Ids("clickstream", "clickstream_demo")
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:qs"


def quicksight_config(home: Path, **quicksight: Any) -> Config:
    settings: dict[str, Any] = {
        "aws_account_id": ACCOUNT,
        "region": REGION,
        "redshift_host": "cluster.example.eu-west-1.redshift.amazonaws.com",
        "redshift_secret_arn": SECRET,
        "principals": [OWNER],
        "viewers": [READERS],
    }
    settings.update(quicksight)
    settings = {key: value for key, value in settings.items() if value is not None}
    redshift = {
        "cluster_identifier": "cluster",
        "db_user": "loader",
        "region": REGION,
        "iam_role_arn": f"arn:aws:iam::{ACCOUNT}:role/copy",
        "manifest_prefix": "s3://bucket/manifests/",
    }
    return make_config(
        home,
        apps=[{"id": "shop"}],
        data_root="s3://bucket/data",
        warehouse={"type": "redshift", "redshift": redshift},
        dashboards={"quicksight": settings},
    )


@pytest.fixture
def mini(tmp_path: Path) -> Dashboard:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SPECS_DIR / "datasets.yml", folder)
    (folder / "mini.yml").write_text(MINI)
    [dashboard] = load_dashboards(folder)
    return dashboard


@pytest.fixture
def client() -> Any:
    return boto3.client("quicksight", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


def arn(kind: str, resource: str) -> str:
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:{kind}/{resource}"


class Script:
    """The calls a publish is expected to make, in order, with the answers QuickSight would give."""

    def __init__(self, stub: Stubber) -> None:
        self.stub = stub

    def missing(self, operation: str) -> None:
        self.stub.add_client_error(operation, "ResourceNotFoundException", "not found", 404)

    def ok(self, operation: str, response: dict[str, Any] | None = None, **expected: Any) -> None:
        self.stub.add_response(operation, {"Status": 200, **(response or {})}, expected or None)

    def version(self, dashboard_id: str, number: int, status: str) -> None:
        self.ok(
            "describe_dashboard",
            {"Dashboard": {"DashboardId": dashboard_id, "Version": {"VersionNumber": number, "Status": status}}},
            AwsAccountId=ACCOUNT,
            DashboardId=dashboard_id,
            VersionNumber=number,
        )


def first_publish(script: Script, dashboard: Dashboard) -> str:
    """A publish into an account that has none of the resources yet (one app, shop)."""
    script.missing("describe_data_source")
    script.ok("create_data_source", {"Arn": arn("datasource", IDS.data_source)})
    script.missing("describe_template")
    script.ok("create_template", {"Arn": arn("template", IDS.template(dashboard))})
    for name in dashboard.used_datasets:
        script.missing("describe_data_set")
        script.ok("create_data_set", {"Arn": arn("dataset", IDS.dataset("shop", name))})
    script.missing("describe_analysis")
    script.ok("create_analysis", {"Arn": arn("analysis", IDS.analysis(dashboard, "shop"))})
    dashboard_id = IDS.dashboard(dashboard, "shop")
    script.missing("describe_dashboard")
    script.ok(
        "create_dashboard",
        {"Arn": arn("dashboard", dashboard_id), "VersionArn": arn("dashboard", f"{dashboard_id}/version/1")},
    )
    script.version(dashboard_id, 1, "CREATION_IN_PROGRESS")
    script.version(dashboard_id, 1, "CREATION_SUCCESSFUL")
    script.missing("describe_folder")
    script.ok("create_folder", {"Arn": arn("folder", IDS.folder)})
    script.ok(
        "create_folder_membership",
        FolderId=IDS.folder,
        MemberId=dashboard_id,
        MemberType="DASHBOARD",
        AwsAccountId=ACCOUNT,
    )
    return dashboard_id


def owned(actions: list[str]) -> list[dict[str, Any]]:
    """The permissions an existing resource already has: the configured owner's."""
    return [{"Principal": OWNER, "Actions": actions}]


def second_publish(script: Script, dashboard: Dashboard) -> str:
    """A publish where everything exists: updates with the new definition, a new dashboard version published."""
    script.ok("describe_data_source", {"DataSource": {"DataSourceId": IDS.data_source}})
    script.ok("update_data_source", {"Arn": arn("datasource", IDS.data_source)})
    script.ok("describe_data_source_permissions", {"Permissions": owned(DATA_SOURCE_ACTIONS)})
    script.ok("update_data_source_permissions")
    template_id = IDS.template(dashboard)
    script.ok("describe_template", {"Template": {"TemplateId": template_id}})
    script.ok(
        "update_template",
        {"Arn": arn("template", template_id)},
        AwsAccountId=ACCOUNT, TemplateId=template_id, Name=dashboard.title, Definition=ANY,
        VersionDescription="clickstream dashboards publish",
    )  # fmt: skip
    script.ok("describe_template_permissions", {"Permissions": owned(TEMPLATE_ACTIONS)})
    script.ok("update_template_permissions")
    for name in dashboard.used_datasets:
        script.ok("describe_data_set", {"DataSet": {"DataSetId": IDS.dataset("shop", name)}})
        script.ok("update_data_set", {"Arn": arn("dataset", IDS.dataset("shop", name))})
        script.ok("describe_data_set_permissions", {"Permissions": owned(DATASET_ACTIONS)})
        script.ok("update_data_set_permissions")
    analysis_id = IDS.analysis(dashboard, "shop")
    script.ok("describe_analysis", {"Analysis": {"AnalysisId": analysis_id}})
    script.ok(
        "update_analysis",
        {"Arn": arn("analysis", analysis_id)},
        AwsAccountId=ACCOUNT, AnalysisId=analysis_id, Name=f"{dashboard.title} - shop", Definition=ANY,
    )  # fmt: skip
    script.ok("describe_analysis_permissions", {"Permissions": owned(ANALYSIS_ACTIONS)})
    script.ok("update_analysis_permissions")
    dashboard_id = IDS.dashboard(dashboard, "shop")
    script.ok("describe_dashboard", {"Dashboard": {"DashboardId": dashboard_id}})
    script.ok(
        "update_dashboard",
        {"Arn": arn("dashboard", dashboard_id), "VersionArn": arn("dashboard", f"{dashboard_id}/version/2")},
        AwsAccountId=ACCOUNT, DashboardId=dashboard_id, Name=f"{dashboard.title} - shop", Definition=ANY,
        VersionDescription="clickstream dashboards publish", DashboardPublishOptions=ANY,
    )  # fmt: skip
    script.version(dashboard_id, 2, "CREATION_SUCCESSFUL")
    script.ok("update_dashboard_published_version", AwsAccountId=ACCOUNT, DashboardId=dashboard_id, VersionNumber=2)
    script.ok("describe_dashboard_permissions", {"Permissions": owned(DASHBOARD_ACTIONS)})
    script.ok("update_dashboard_permissions")
    script.ok("describe_folder", {"Folder": {"FolderId": IDS.folder}})
    script.ok("describe_folder_permissions", {"Permissions": owned(FOLDER_ACTIONS)})
    script.ok("update_folder_permissions")
    script.stub.add_client_error("create_folder_membership", "ResourceExistsException", "already a member", 409)
    return dashboard_id


@pytest.fixture
def stubbed(client: Any) -> Iterator[Script]:
    with Stubber(client) as stub:
        yield Script(stub)
        stub.assert_no_pending_responses()


def test_a_first_publish_creates_every_resource_and_records_the_dashboard(
    tmp_path: Path, mini: Dashboard, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    dashboard_id = first_publish(stubbed, mini)

    result = publish_dashboards(config, client=client, dashboards=[mini], poll_seconds=0)

    record = json.loads((config.home / "dashboards" / RECORD).read_text())
    assert record == {
        "aws_account_id": ACCOUNT,
        "region": REGION,
        "dashboards": [
            {
                "id": dashboard_id,
                "title": "Mini - shop",
                "app_id": "shop",
                "arn": arn("dashboard", dashboard_id),
                "version": 1,
            },
        ],
    }
    calls = {call.operation: call.params for call in result.calls}
    sql = calls["create_data_set"]["PhysicalTableMap"]["table"]["CustomSql"]["SqlQuery"]
    assert sql.endswith("from analytics.rpt_acquisition__country_new_user where app_id = 'shop'")
    assert calls["create_data_set"]["ImportMode"] == "DIRECT_QUERY"
    assert calls["create_data_set"]["LogicalTableMap"]["logical"]["DataTransforms"][0] == {
        "TagColumnOperation": {"ColumnName": "geo_country", "Tags": [{"ColumnGeographicRole": "COUNTRY"}]}
    }
    assert calls["create_data_source"]["DataSourceParameters"]["RedshiftParameters"]["ClusterId"] == "cluster"
    assert {p["Principal"]: p["Actions"] for p in calls["create_dashboard"]["Permissions"]}[READERS] == [
        "quicksight:DescribeDashboard",
        "quicksight:ListDashboardVersions",
        "quicksight:QueryDashboard",
    ]
    [sheet] = calls["create_dashboard"]["Definition"]["Sheets"]
    assert [next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]] == ["users", "countries"]
    assert list(sheet["Visuals"][1]) == ["FilledMapVisual"]


def test_a_second_publish_updates_in_place_and_publishes_a_new_version(
    tmp_path: Path, mini: Dashboard, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    first_publish(stubbed, mini)
    dashboard_id = second_publish(stubbed, mini)

    publish_dashboards(config, client=client, dashboards=[mini], poll_seconds=0)
    second = publish_dashboards(config, client=client, dashboards=[mini], poll_seconds=0)

    assert not [
        call
        for call in second.calls
        if call.operation.startswith("create_") and call.operation != "create_folder_membership"
    ]
    record = json.loads((config.home / "dashboards" / RECORD).read_text())
    assert [(d["id"], d["version"]) for d in record["dashboards"]] == [(dashboard_id, 2)]


def test_spice_datasets_get_a_refresh_schedule_created_then_updated(
    tmp_path: Path, mini: Dashboard, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path, import_mode="SPICE", refresh={"interval": "HOURLY", "time_of_day": "00:15"})
    publisher = Publisher(config, config.dashboards.quicksight, Caller(client, dry_run=False), REGION)  # type: ignore[arg-type]
    dataset = mini.datasets["DAU_WAU"]
    schedule_id = f"{IDS.dataset('shop', 'DAU_WAU')}-refresh"
    for existing in (
        [],
        [{"ScheduleId": schedule_id, "ScheduleFrequency": {"Interval": "DAILY"}, "RefreshType": "FULL_REFRESH"}],
    ):
        stubbed.missing("describe_data_set")
        stubbed.ok("create_data_set", {"Arn": arn("dataset", "x")})
        stubbed.ok("list_refresh_schedules", {"RefreshSchedules": existing})
        stubbed.ok("update_refresh_schedule" if existing else "create_refresh_schedule", {"ScheduleId": schedule_id})
        publisher.dataset("shop", "DAU_WAU", dataset, arn("datasource", "s"))
    created = next(c for c in publisher.call.calls if c.operation == "create_refresh_schedule")
    assert created.params["Schedule"]["ScheduleFrequency"] == {
        "Interval": "HOURLY",
        "TimeOfTheDay": "00:15",
        "Timezone": "UTC",
    }
    assert created.params["DataSetId"] == IDS.dataset("shop", "DAU_WAU")


def test_a_version_quicksight_cannot_build_fails_the_publish_with_its_errors(
    tmp_path: Path, mini: Dashboard, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    assert config.dashboards.quicksight is not None
    publisher = Publisher(
        config,
        config.dashboards.quicksight,
        Caller(client, dry_run=False),
        REGION,
        poll_seconds=0,
    )
    dashboard_id = IDS.dashboard(mini, "shop")
    stubbed.missing("describe_dashboard")
    stubbed.ok(
        "create_dashboard",
        {"Arn": arn("dashboard", dashboard_id), "VersionArn": arn("dashboard", f"{dashboard_id}/version/1")},
    )
    stubbed.ok(
        "describe_dashboard",
        {
            "Dashboard": {
                "Version": {
                    "VersionNumber": 1,
                    "Status": "CREATION_FAILED",
                    "Errors": [{"Type": "COLUMN_NOT_FOUND", "Message": "geo_country"}],
                }
            }
        },
    )
    with pytest.raises(ClickstreamError, match=r"could not build dashboard .* COLUMN_NOT_FOUND: geo_country"):
        publisher.dashboard(mini, "shop", {name: arn("dataset", name) for name in mini.used_datasets})


def test_the_dry_run_plans_the_bundled_dashboards_with_valid_requests_and_sends_nothing(
    tmp_path: Path, client: Any
) -> None:
    config = quicksight_config(tmp_path)
    with Stubber(client) as stub:  # any call that reached the client would fail: nothing is stubbed
        result = publish_dashboards(config, dry_run=True, client=client, look_up=False)
        stub.assert_no_pending_responses()
    assert result.checked is False, "nothing was looked up, and the result says so"
    operations = [call.operation for call in result.calls]
    [dashboard] = bundled_dashboards()
    assert operations.count("create_data_set") == len(dashboard.used_datasets) == 20
    assert operations[-3:] == ["describe_folder", "create_folder", "create_folder_membership"]
    assert not (config.home / "dashboards" / RECORD).exists()
    [definition] = [c.params["Definition"] for c in result.calls if c.operation == "create_dashboard"]
    assert [s["Name"] for s in definition["Sheets"]] == [s.title for s in dashboard.sheets]
    assert sum(len(s["Visuals"]) for s in definition["Sheets"]) == 46


def test_the_dry_run_command_prints_the_plan(tmp_path: Path) -> None:
    import yaml

    config = quicksight_config(tmp_path / "home")
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump(json.loads(config.model_dump_json(by_alias=True, exclude_none=True))))
    no_credentials: dict[str, str | None] = {key: None for key in os.environ if key.startswith("AWS_")}
    no_credentials.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )  # fmt: skip
    result = clickstream(
        "--config", str(config_file), "dashboards", "publish", "--dry-run", cwd=tmp_path, env=no_credentials
    )
    assert result.returncode == 0, result.stderr
    output = " ".join(result.stdout.split())
    assert f"create_dashboard DashboardId={IDS.dashboard(bundled_dashboards()[0], 'shop')}" in output
    assert "planned calls, each valid for the QuickSight API; none sent" in output
    assert "existence NOT checked (no AWS credentials" in output


def test_an_athena_warehouse_is_published_through_an_athena_data_source(tmp_path: Path, client: Any) -> None:
    config = make_config(
        tmp_path,
        data_root="s3://bucket/data",
        warehouse={"type": "athena", "athena": {"region": REGION}},
        dashboards={
            "quicksight": {
                "aws_account_id": ACCOUNT,
                "athena_workgroup": "analysts",
                "principals": [OWNER],
                "vpc_connection_arn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:vpcConnection/vpc",
            }
        },
    )
    result = publish_dashboards(config, dry_run=True, client=client, look_up=False)
    [source] = [call.params for call in result.calls if call.operation == "create_data_source"]
    assert source["Type"] == "ATHENA"
    assert source["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": "analysts"}}
    assert "Credentials" not in source and "VpcConnectionProperties" not in source, "Redshift only"


def test_publishing_needs_the_quicksight_section_and_an_aws_warehouse(tmp_path: Path, client: Any) -> None:
    with pytest.raises(ConfigError, match=r"dashboards\.quicksight is not configured"):
        publish_dashboards(make_config(tmp_path), client=client)
    duckdb_config = make_config(tmp_path, dashboards={"quicksight": {"aws_account_id": ACCOUNT, "principals": [OWNER]}})
    with pytest.raises(ConfigError, match="QuickSight reads Redshift or Athena"):
        publish_dashboards(duckdb_config, client=client, dry_run=True)


def test_a_principal_that_is_not_a_quicksight_arn_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dashboards\.quicksight\.principals: .* is not a QuickSight principal"):
        make_config(tmp_path, dashboards={"quicksight": {"aws_account_id": ACCOUNT, "principals": ["admin"]}})


@mock_aws
def test_against_moto_the_data_source_datasets_and_dashboard_are_created_and_found_again(
    tmp_path: Path, mini: Dashboard
) -> None:
    config = quicksight_config(tmp_path)
    moto_client = boto3.client("quicksight", region_name=REGION)
    caller = Caller(moto_client, dry_run=False)
    publisher = Publisher(config, config.dashboards.quicksight, caller, REGION, poll_seconds=0)  # type: ignore[arg-type]

    source_arn = publisher.data_source()
    assert [c.operation for c in caller.calls] == ["describe_data_source", "create_data_source"]
    assert caller.find("describe_data_source", AwsAccountId=ACCOUNT, DataSourceId=publisher.ids.data_source)
    source = moto_client.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId=publisher.ids.data_source)
    assert source["DataSource"]["Type"] == "REDSHIFT"

    arns = {}
    for name, dataset in mini.used_datasets.items():  # moto has create_data_set, not describe_data_set
        created = caller("create_data_set", **publisher.dataset_request("shop", name, dataset, source_arn))
        arns[name] = created["Arn"]
    entry = publisher.dashboard(mini, "shop", arns)
    assert entry["version"] == 1
    listed = moto_client.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
    assert [d["DashboardId"] for d in listed] == [entry["id"]]


def test_permissions_no_longer_configured_are_revoked_on_an_existing_resource(
    tmp_path: Path, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    publisher = Publisher(config, config.dashboards.quicksight, Caller(client, dry_run=False), REGION)  # type: ignore[arg-type]
    former = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/former"
    stubbed.ok("describe_data_source", {"DataSource": {"DataSourceId": IDS.data_source}})
    stubbed.ok("update_data_source", {"Arn": arn("datasource", IDS.data_source)})
    stubbed.ok(
        "describe_data_source_permissions",
        {
            "Permissions": [
                *owned([*DATA_SOURCE_ACTIONS, "quicksight:Extra"]),
                {"Principal": former, "Actions": ["x:Y"]},
            ]
        },
    )
    stubbed.ok(
        "update_data_source_permissions",
        AwsAccountId=ACCOUNT,
        DataSourceId=IDS.data_source,
        GrantPermissions=owned(DATA_SOURCE_ACTIONS),
        RevokePermissions=[
            {"Principal": OWNER, "Actions": ["quicksight:Extra"]},
            {"Principal": former, "Actions": ["x:Y"]},
        ],
    )

    publisher.data_source()


def test_a_dry_run_with_credentials_looks_resources_up_and_plans_updates(
    tmp_path: Path, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    caller = Caller(client, dry_run=True, look_up=True)
    publisher = Publisher(config, config.dashboards.quicksight, caller, REGION)  # type: ignore[arg-type]
    stubbed.ok("describe_data_source", {"DataSource": {"DataSourceId": IDS.data_source}})
    stubbed.ok("describe_data_source_permissions", {"Permissions": owned(DATA_SOURCE_ACTIONS)})

    publisher.data_source()

    assert [c.operation for c in caller.calls] == [
        "describe_data_source",
        "update_data_source",
        "describe_data_source_permissions",
        "update_data_source_permissions",
    ], "only the describe calls were sent (the stub answers no other)"
    assert caller.checked


def test_a_dry_run_that_cannot_look_up_plans_creates_and_says_it_did_not_check(
    tmp_path: Path, client: Any, stubbed: Script
) -> None:
    config = quicksight_config(tmp_path)
    caller = Caller(client, dry_run=True, look_up=True)
    publisher = Publisher(config, config.dashboards.quicksight, caller, REGION)  # type: ignore[arg-type]
    stubbed.stub.add_client_error("describe_data_source", "AccessDeniedException", "no", 403)

    publisher.data_source()

    assert [c.operation for c in caller.calls] == ["describe_data_source", "create_data_source"]
    assert caller.checked is False


def test_redshift_credentials_default_to_the_warehouses_secret_and_are_required(tmp_path: Path, client: Any) -> None:
    warehouse_secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:loader"
    redshift = {
        "workgroup_name": "wg",
        "region": REGION,
        "secret_arn": warehouse_secret,
        "iam_role_arn": f"arn:aws:iam::{ACCOUNT}:role/copy",
        "manifest_prefix": "s3://bucket/manifests/",
    }
    quicksight = {"aws_account_id": ACCOUNT, "principals": [OWNER], "redshift_host": "wg.example.com"}
    config = make_config(
        tmp_path, data_root="s3://bucket/data", warehouse={"type": "redshift", "redshift": redshift},
        dashboards={"quicksight": quicksight},
    )  # fmt: skip
    result = publish_dashboards(config, dry_run=True, client=client, look_up=False)
    [source] = [call.params for call in result.calls if call.operation == "create_data_source"]
    assert source["Credentials"] == {"SecretArn": warehouse_secret}

    without = quicksight_config(tmp_path, redshift_secret_arn=None)
    with pytest.raises(ConfigError, match=r"dashboards\.quicksight\.redshift_secret_arn is required") as error:
        publish_dashboards(without, dry_run=True, client=client, look_up=False)
    assert error.value.hint is not None and "warehouse.redshift.secret_arn" in error.value.hint


def test_a_weekly_or_monthly_refresh_is_sent_with_its_day(tmp_path: Path, client: Any) -> None:
    for refresh, day in (
        ({"interval": "WEEKLY", "day_of_week": "MONDAY"}, {"DayOfWeek": "MONDAY"}),
        ({"interval": "MONTHLY", "day_of_month": "LAST_DAY_OF_MONTH"}, {"DayOfMonth": "LAST_DAY_OF_MONTH"}),
        ({"interval": "MONTHLY", "day_of_month": 15}, {"DayOfMonth": "15"}),
    ):
        config = quicksight_config(tmp_path, import_mode="SPICE", refresh=refresh)
        result = publish_dashboards(config, dry_run=True, client=client, look_up=False)
        schedule = next(c.params["Schedule"] for c in result.calls if c.operation == "create_refresh_schedule")
        assert schedule["ScheduleFrequency"]["RefreshOnDay"] == day


@pytest.mark.parametrize(
    ("refresh", "message"),
    [
        ({"interval": "WEEKLY"}, "a WEEKLY refresh needs day_of_week"),
        ({"interval": "MONTHLY"}, "a MONTHLY refresh needs day_of_month"),
        ({"interval": "DAILY", "day_of_week": "MONDAY"}, "day_of_week is for a WEEKLY refresh"),
        ({"interval": "MONTHLY", "day_of_month": 31}, "day_of_month must be 1 to 28"),
    ],
)
def test_a_refresh_day_that_does_not_fit_the_interval_is_refused(
    tmp_path: Path, refresh: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"dashboards\.quicksight\.refresh: {message}"):
        quicksight_config(tmp_path, import_mode="SPICE", refresh=refresh)


def test_a_quicksight_section_without_principals_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dashboards\.quicksight: principals: list at least one QuickSight user"):
        quicksight_config(tmp_path, principals=[], viewers=[])


def test_ids_of_different_projects_and_apps_never_meet() -> None:
    [dashboard] = bundled_dashboards()
    assert Ids("cs", "a_b").dashboard(dashboard, "c") != Ids("cs", "a").dashboard(dashboard, "b-c")
    assert Ids("cs", "a_b").dataset("c", "X") != Ids("cs", "a-b").dataset("c", "X")
    assert Ids("cs", "p").dashboard(dashboard, "shop").startswith("cs-p-shop-clickstream-")


def test_weeks_start_on_monday_and_the_default_range_ends_tomorrow_utc() -> None:
    from clickstream.quicksight.publisher.definition import analysis_definition, template_definition

    [dashboard] = bundled_dashboards()
    arns = {name: arn("dataset", name) for name in dashboard.used_datasets}
    for definition in (template_definition(dashboard), analysis_definition(dashboard, arns)):
        assert definition["Options"] == {"WeekStart": "MONDAY"}, "time_period holds Mondays: label them as such"
        [end] = [
            d["DateTimeParameterDeclaration"]
            for d in definition["ParameterDeclarations"]
            if d.get("DateTimeParameterDeclaration", {}).get("Name") == "endDate"
        ]
        assert end["DefaultValues"]["RollingDate"]["Expression"] == "addDateTime(1, 'DD', truncDate('DD', now()))"


def visuals_by_id(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each visual's chart configuration by visual id."""
    found = {}
    for sheet in definition["Sheets"]:
        for entry in sheet["Visuals"]:
            [(_, body)] = entry.items()
            found[body["VisualId"]] = body.get("ChartConfiguration", {})
    return found


def colour_map(configuration: dict[str, Any]) -> dict[str, str]:
    return {c["Element"]["FieldValue"]: c["Color"] for c in configuration["VisualPalette"]["ColorMap"]}


def test_a_platform_has_one_colour_in_the_pie_and_the_line_chart() -> None:
    from clickstream.quicksight.publisher.definition import template_definition

    [dashboard] = bundled_dashboards()
    visuals = visuals_by_id(template_definition(dashboard))
    pie, line = colour_map(visuals["device_platform"]), colour_map(visuals["device_platform_trend"])
    assert pie == line == {e.value: e.color for e in dashboard.palettes["platform"]}
    assert visuals["device_platform"]["VisualPalette"]["ColorMap"][0]["Element"]["FieldId"] == "device_platform.d0"
    assert visuals["device_platform_trend"]["VisualPalette"]["ColorMap"][0]["Element"]["FieldId"] == (
        "device_platform_trend.c"
    )


def test_lifecycle_stages_are_named_coloured_and_ordered_through_calculated_fields() -> None:
    from clickstream.quicksight.publisher.definition import template_definition

    [dashboard] = bundled_dashboards()
    definition = template_definition(dashboard)
    fields = {f["Name"]: f for f in definition["CalculatedFields"]}
    assert fields["this_week_value_shown"]["DataSetIdentifier"] == "Lifecycle_Weekly_View"
    assert "{this_week_value} = '0-CHURN', 'Churned'" in fields["this_week_value_shown"]["Expression"]
    lifecycle = visuals_by_id(definition)["overview_lifecycle"]
    [color] = lifecycle["FieldWells"]["BarChartAggregatedFieldWells"]["Colors"]
    assert color["CategoricalDimensionField"]["Column"]["ColumnName"] == "this_week_value_shown"
    assert list(colour_map(lifecycle)) == ["New", "Retained", "Returning", "Churned"]
    [sort] = lifecycle["SortConfiguration"]["ColorSort"]
    assert sort["ColumnSort"]["SortBy"]["ColumnName"] == "this_week_value_rank"


def test_the_engagement_ratio_is_drawn_on_the_secondary_axis_and_named_bars_lie_flat() -> None:
    from clickstream.quicksight.publisher.definition import template_definition

    [dashboard] = bundled_dashboards()
    visuals = visuals_by_id(template_definition(dashboard))
    assert visuals["engagement_kpi"]["Series"] == [
        {"FieldSeriesItem": {"FieldId": "engagement_kpi.m0", "AxisBinding": "SECONDARY_YAXIS"}}
    ]
    assert visuals["engagement_event_names"]["Orientation"] == "HORIZONTAL"
    assert visuals["acquisition_intraday_active"]["Orientation"] == "VERTICAL"
    [label] = visuals["engagement_event_names"]["CategoryLabelOptions"]["AxisLabelOptions"]
    assert label["CustomLabel"] == "Event name"
