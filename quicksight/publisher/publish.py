"""`clickstream dashboards publish`: the spec's dashboards on QuickSight, created or updated in place.

Order (the original's custom resource, seed-system 6.1): data source -> datasets (custom SQL on the
dbt models, one set per app; SPICE ones with a refresh schedule) -> template -> analysis ->
dashboard -> shared folder and its members. Each resource is described first and then created or
updated, so a second publish updates everything and publishes a new dashboard version instead of
failing or duplicating. ``--dry-run`` records the same calls without sending them, each checked
against the QuickSight API model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.validate import ParamValidator

from clickstream.config import Config, QuickSightConfig
from clickstream.errors import ClickstreamError, ConfigError
from clickstream.quicksight.output import dashboards_dir, write_atomically
from clickstream.quicksight.publisher.definition import analysis_definition, template_definition
from clickstream.quicksight.spec.load import bundled_dashboards
from clickstream.quicksight.spec.model import MART_SCHEMA, Dashboard, Dataset

log = logging.getLogger(__name__)

RECORD = "quicksight.json"
NOT_FOUND = "ResourceNotFoundException"
EXISTS = "ResourceExistsException"

DATA_SOURCE_ACTIONS = [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
]
DATASET_ACTIONS = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
]
TEMPLATE_ACTIONS = [
    "quicksight:UpdateTemplatePermissions",
    "quicksight:DescribeTemplatePermissions",
    "quicksight:DescribeTemplate",
    "quicksight:DeleteTemplate",
    "quicksight:UpdateTemplate",
]
ANALYSIS_ACTIONS = [
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
]
DASHBOARD_VIEWER_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
]
DASHBOARD_ACTIONS = [
    *DASHBOARD_VIEWER_ACTIONS,
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
]
FOLDER_VIEWER_ACTIONS = ["quicksight:DescribeFolder"]
FOLDER_ACTIONS = [
    *FOLDER_VIEWER_ACTIONS,
    "quicksight:CreateFolder",
    "quicksight:UpdateFolder",
    "quicksight:DeleteFolder",
    "quicksight:CreateFolderMembership",
    "quicksight:DeleteFolderMembership",
    "quicksight:DescribeFolderPermissions",
    "quicksight:UpdateFolderPermissions",
]


@dataclass(frozen=True)
class PlannedCall:
    operation: str
    params: dict[str, Any]


@dataclass
class PublishResult:
    calls: list[PlannedCall] = field(default_factory=list)
    dashboards: list[dict[str, Any]] = field(default_factory=list)
    record_path: Path | None = None
    checked: bool = True  # False: a dry run that could not look up which resources exist


class Caller:
    """Sends QuickSight calls (or, in a dry run, checks and records them); every call is kept in order.

    A dry run with ``look_up`` still sends the read-only calls (describe, list), so its plan shows
    which resources would be updated rather than created. Without credentials, or when QuickSight
    cannot be reached, it plans every resource as new and says so (``checked`` is False).
    """

    def __init__(self, client: Any, dry_run: bool, look_up: bool = False) -> None:
        self.client = client
        self.dry_run = dry_run
        self.look_up = look_up and dry_run
        self.checked = not dry_run or look_up
        self.calls: list[PlannedCall] = []
        self._validator = ParamValidator()

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append(PlannedCall(operation, params))
        if self.dry_run:
            model = self.client.meta.service_model.operation_model(_pascal(operation))
            report = self._validator.validate(params, model.input_shape)
            if report.has_errors():
                raise ClickstreamError(f"planned {operation} is not a valid request: {report.generate_report()}")
            return {}
        response: dict[str, Any] = getattr(self.client, operation)(**params)
        return response

    def read(self, operation: str, **params: Any) -> dict[str, Any]:
        """A read-only call: sent even in a dry run that looks resources up; raises ClientError as sent."""
        if not self.look_up:
            return self(operation, **params)
        self.calls.append(PlannedCall(operation, params))
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**params)
        except (NoCredentialsError, EndpointConnectionError) as error:
            self._stop_looking_up(error)
            return {}
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == NOT_FOUND:
                raise
            self._stop_looking_up(error)
            return {}
        return response

    def _stop_looking_up(self, error: Exception) -> None:
        log.warning("dry run: cannot look up existing QuickSight resources (%s); planning them as new", error)
        self.look_up = False
        self.checked = False

    def find(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """A describe call; None when the resource does not exist (or, unlooked-up in a dry run, is assumed not to)."""
        try:
            found = self.read(operation, **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == NOT_FOUND:
                return None
            raise
        if self.dry_run and not found:
            return None
        return found


def _pascal(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def _permissions(
    owners: Sequence[str],
    owner_actions: list[str],
    viewers: Sequence[str] = (),
    viewer_actions: list[str] | None = None,
) -> list[dict[str, Any]]:
    granted = [{"Principal": p, "Actions": owner_actions} for p in owners]
    if viewer_actions is not None:
        granted += [{"Principal": p, "Actions": viewer_actions} for p in viewers if p not in owners]
    return granted


def version_number(version_arn: str) -> int:
    """The version in a ``.../version/<n>`` ARN."""
    match = re.search(r"/version/([0-9]+)$", version_arn)
    if match is None:
        raise ClickstreamError(f"QuickSight returned a version ARN without a version number: {version_arn}")
    return int(match.group(1))


@dataclass(frozen=True)
class Ids:
    """Every QuickSight resource id, from the prefix, the project and the app.

    An id reads as its parts joined by ``-``, ended by a short hash of the parts themselves: project
    and app ids may hold ``-`` (and ``_``, which QuickSight ids allow but the readable part turns
    into ``-``), so two projects or apps could otherwise meet on the same id and overwrite each
    other's dashboards.
    """

    prefix: str
    project: str

    def _id(self, *parts: str) -> str:
        digest = hashlib.sha256("\x00".join([self.prefix, self.project, *parts]).encode()).hexdigest()[:8]
        readable = "-".join([self.prefix, self.project, *parts]).replace("_", "-")
        return f"{readable}-{digest}"

    @property
    def data_source(self) -> str:
        return self._id("datasource")

    @property
    def folder(self) -> str:
        return self._id("folder")

    def dataset(self, app_id: str, name: str) -> str:
        return self._id(app_id, name.lower())

    def template(self, dashboard: Dashboard) -> str:
        return self._id(dashboard.id, "template")

    def analysis(self, dashboard: Dashboard, app_id: str) -> str:
        return self._id(app_id, dashboard.id, "analysis")

    def dashboard(self, dashboard: Dashboard, app_id: str) -> str:
        return self._id(app_id, dashboard.id)


def dataset_sql(dataset: Dataset, schema: str, app_id: str) -> str:
    """The custom SQL of a dataset: the dbt model's listed columns for one app (ids are validated names)."""
    columns = ", ".join(f'"{column}"' for column in dataset.columns)
    return f"select {columns} from {schema}.{dataset.model} where {dataset.app_column} = '{app_id}'"


class Publisher:
    """Publishes the dashboards of one configuration through a :class:`Caller`."""

    def __init__(
        self,
        config: Config,
        qs: QuickSightConfig,
        caller: Caller,
        region: str,
        poll_seconds: float = 2.0,
        timeout_seconds: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.qs = qs
        self.call = caller
        self.region = region
        self.account = qs.aws_account_id
        self.ids = Ids(qs.resource_prefix, config.project_id)
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep

    def arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:quicksight:{self.region}:{self.account}:{kind}/{resource_id}"

    # --- data source
    def _redshift_secret(self) -> str:
        """The Secrets Manager secret QuickSight logs in to Redshift with: without one, every query fails."""
        redshift = self.config.warehouse.redshift
        secret = self.qs.redshift_secret_arn or (redshift.secret_arn if redshift is not None else None)
        if not secret:
            raise ConfigError(
                "dashboards.quicksight.redshift_secret_arn is required to publish from Redshift "
                "(QuickSight logs in with a Secrets Manager secret holding username and password)",
                hint="set dashboards.quicksight.redshift_secret_arn, or warehouse.redshift.secret_arn to share the "
                "loader's secret",
            )
        return secret

    def _source_parameters(self) -> dict[str, Any]:
        warehouse = self.config.warehouse
        if warehouse.type == "redshift" and warehouse.redshift is not None:
            if not self.qs.redshift_host:
                raise ConfigError(
                    "dashboards.quicksight.redshift_host is required to publish from Redshift",
                    hint="set it to the cluster or workgroup endpoint host, e.g. my-cluster.abc.eu-west-1.redshift...",
                )
            redshift = {
                "Host": self.qs.redshift_host,
                "Port": self.qs.redshift_port,
                "Database": warehouse.redshift.database,
            }
            if warehouse.redshift.cluster_identifier:
                redshift["ClusterId"] = warehouse.redshift.cluster_identifier
            return {"RedshiftParameters": redshift}
        if warehouse.type == "athena":
            return {"AthenaParameters": {"WorkGroup": self.qs.athena_workgroup}}
        raise ConfigError(
            "QuickSight reads Redshift or Athena; warehouse.type is duckdb",
            hint="use `clickstream dashboards render` for DuckDB, or set warehouse.type: redshift or athena",
        )

    def data_source(self) -> str:
        parameters = self._source_parameters()
        source_type = "REDSHIFT" if "RedshiftParameters" in parameters else "ATHENA"
        common: dict[str, Any] = {
            "AwsAccountId": self.account,
            "DataSourceId": self.ids.data_source,
            "Name": f"Clickstream {self.config.project_id}",
            "DataSourceParameters": parameters,
        }
        if source_type == "REDSHIFT":
            common["Credentials"] = {"SecretArn": self._redshift_secret()}
            if self.qs.vpc_connection_arn:  # Athena is reached without one
                common["VpcConnectionProperties"] = {"VpcConnectionArn": self.qs.vpc_connection_arn}
        found = self.call.find("describe_data_source", AwsAccountId=self.account, DataSourceId=self.ids.data_source)
        if found is None:
            permissions = _permissions(self.qs.principals, DATA_SOURCE_ACTIONS)
            response = self.call(
                "create_data_source",
                Type=source_type,
                **common,
                **({"Permissions": permissions} if permissions else {}),
            )
        else:
            response = self.call("update_data_source", **common)
            self._sync_permissions(
                "data_source",
                {"DataSourceId": self.ids.data_source},
                _permissions(self.qs.principals, DATA_SOURCE_ACTIONS),
            )
        return str(response.get("Arn") or self.arn("datasource", self.ids.data_source))

    def _sync_permissions(self, kind: str, key: dict[str, str], permissions: list[dict[str, Any]]) -> None:
        """Make an existing resource's permissions the configured ones (creates pass them directly).

        The current permissions are described first: what the configuration grants is granted, and
        any principal or action it no longer grants (a principal removed from ``principals`` or
        ``viewers``) is revoked, so access follows the configuration both ways.
        """
        described = self.call.read(f"describe_{kind}_permissions", AwsAccountId=self.account, **key)
        wanted = {entry["Principal"]: set(entry["Actions"]) for entry in permissions}
        revoke = []
        for entry in described.get("Permissions", []) or []:
            extra = sorted(set(entry.get("Actions", [])) - wanted.get(entry["Principal"], set()))
            if extra:
                revoke.append({"Principal": entry["Principal"], "Actions": extra})
        changes: dict[str, Any] = {"GrantPermissions": permissions} if permissions else {}
        if revoke:
            changes["RevokePermissions"] = revoke
            log.info("revoking %s permissions no longer configured: %s", kind, revoke)
        if changes:
            self.call(f"update_{kind}_permissions", AwsAccountId=self.account, **key, **changes)

    # --- datasets
    def dataset_request(self, app_id: str, name: str, dataset: Dataset, source_arn: str) -> dict[str, Any]:
        """The parameters of create_data_set (and update_data_set) for one dataset of one app."""
        physical: dict[str, Any] = {
            "PhysicalTableMap": {
                "table": {
                    "CustomSql": {
                        "DataSourceArn": source_arn,
                        "Name": name,
                        "SqlQuery": dataset_sql(dataset, MART_SCHEMA, app_id),
                        "Columns": [{"Name": column, "Type": kind} for column, kind in dataset.columns.items()],
                    }
                }
            }
        }
        if dataset.geo_roles:
            transforms = [
                {"TagColumnOperation": {"ColumnName": column, "Tags": [{"ColumnGeographicRole": role}]}}
                for column, role in dataset.geo_roles.items()
            ]
            physical["LogicalTableMap"] = {
                "logical": {"Alias": name, "Source": {"PhysicalTableId": "table"}, "DataTransforms": transforms}
            }
        return {
            "AwsAccountId": self.account,
            "DataSetId": self.ids.dataset(app_id, name),
            "Name": f"{name} ({app_id})",
            "ImportMode": self.qs.import_mode,
            **physical,
        }

    def dataset(self, app_id: str, name: str, dataset: Dataset, source_arn: str) -> str:
        common = self.dataset_request(app_id, name, dataset, source_arn)
        dataset_id = common["DataSetId"]
        found = self.call.find("describe_data_set", AwsAccountId=self.account, DataSetId=dataset_id)
        if found is None:
            permissions = _permissions(self.qs.principals, DATASET_ACTIONS)
            response = self.call("create_data_set", **common, **({"Permissions": permissions} if permissions else {}))
        else:
            response = self.call("update_data_set", **common)
            self._sync_permissions(
                "data_set",
                {"DataSetId": dataset_id},
                _permissions(self.qs.principals, DATASET_ACTIONS),
            )
        if self.qs.import_mode == "SPICE":
            self._refresh_schedule(dataset_id)
        return str(response.get("Arn") or self.arn("dataset", dataset_id))

    def _refresh_schedule(self, dataset_id: str) -> None:
        refresh = self.qs.refresh
        schedule: dict[str, Any] = {
            "ScheduleId": f"{dataset_id}-refresh",
            "RefreshType": "FULL_REFRESH",
            "ScheduleFrequency": {
                "Interval": refresh.interval,
                "TimeOfTheDay": refresh.time_of_day,
                "Timezone": refresh.timezone,
            },
        }
        if refresh.day_of_week is not None:
            schedule["ScheduleFrequency"]["RefreshOnDay"] = {"DayOfWeek": refresh.day_of_week}
        elif refresh.day_of_month is not None:
            schedule["ScheduleFrequency"]["RefreshOnDay"] = {"DayOfMonth": str(refresh.day_of_month)}
        listed = self.call.read("list_refresh_schedules", AwsAccountId=self.account, DataSetId=dataset_id)
        existing = {item.get("ScheduleId") for item in listed.get("RefreshSchedules", [])}
        operation = "update_refresh_schedule" if schedule["ScheduleId"] in existing else "create_refresh_schedule"
        self.call(operation, AwsAccountId=self.account, DataSetId=dataset_id, Schedule=schedule)

    # --- template, analysis, dashboard
    def template(self, dashboard: Dashboard) -> str:
        template_id = self.ids.template(dashboard)
        common = {
            "AwsAccountId": self.account,
            "TemplateId": template_id,
            "Name": dashboard.title,
            "Definition": template_definition(dashboard),
            "VersionDescription": "clickstream dashboards publish",
        }
        if self.call.find("describe_template", AwsAccountId=self.account, TemplateId=template_id) is None:
            permissions = _permissions(self.qs.principals, TEMPLATE_ACTIONS)
            response = self.call("create_template", **common, **({"Permissions": permissions} if permissions else {}))
        else:
            response = self.call("update_template", **common)
            self._sync_permissions(
                "template",
                {"TemplateId": template_id},
                _permissions(self.qs.principals, TEMPLATE_ACTIONS),
            )
        return str(response.get("Arn") or self.arn("template", template_id))

    def analysis(self, dashboard: Dashboard, app_id: str, dataset_arns: dict[str, str]) -> str:
        analysis_id = self.ids.analysis(dashboard, app_id)
        common = {
            "AwsAccountId": self.account,
            "AnalysisId": analysis_id,
            "Name": f"{dashboard.title} - {app_id}",
            "Definition": analysis_definition(dashboard, dataset_arns),
        }
        if self.call.find("describe_analysis", AwsAccountId=self.account, AnalysisId=analysis_id) is None:
            permissions = _permissions(self.qs.principals, ANALYSIS_ACTIONS)
            response = self.call("create_analysis", **common, **({"Permissions": permissions} if permissions else {}))
        else:
            response = self.call("update_analysis", **common)
            self._sync_permissions(
                "analysis",
                {"AnalysisId": analysis_id},
                _permissions(self.qs.principals, ANALYSIS_ACTIONS),
            )
        return str(response.get("Arn") or self.arn("analysis", analysis_id))

    def dashboard(self, dashboard: Dashboard, app_id: str, dataset_arns: dict[str, str]) -> dict[str, Any]:
        dashboard_id = self.ids.dashboard(dashboard, app_id)
        title = f"{dashboard.title} - {app_id}"
        permissions = _permissions(self.qs.principals, DASHBOARD_ACTIONS, self.qs.viewers, DASHBOARD_VIEWER_ACTIONS)
        common = {
            "AwsAccountId": self.account,
            "DashboardId": dashboard_id,
            "Name": title,
            "Definition": analysis_definition(dashboard, dataset_arns),
            "VersionDescription": "clickstream dashboards publish",
            "DashboardPublishOptions": {
                "AdHocFilteringOption": {"AvailabilityStatus": "DISABLED"},
                "ExportToCSVOption": {"AvailabilityStatus": "ENABLED"},
                "SheetControlsOption": {"VisibilityState": "EXPANDED"},
            },
        }
        found = self.call.find("describe_dashboard", AwsAccountId=self.account, DashboardId=dashboard_id)
        if found is None:
            response = self.call("create_dashboard", **common, **({"Permissions": permissions} if permissions else {}))
        else:
            response = self.call("update_dashboard", **common)
        arn = str(response.get("Arn") or self.arn("dashboard", dashboard_id))
        number = version_number(str(response.get("VersionArn") or f"{arn}/version/1"))
        self._wait_for_version(dashboard_id, number)
        if found is not None:
            self.call(
                "update_dashboard_published_version",
                AwsAccountId=self.account,
                DashboardId=dashboard_id,
                VersionNumber=number,
            )
            self._sync_permissions("dashboard", {"DashboardId": dashboard_id}, permissions)
        return {"id": dashboard_id, "title": title, "app_id": app_id, "arn": arn, "version": number}

    def _wait_for_version(self, dashboard_id: str, number: int) -> None:
        """Wait until the new version is built: only a built version can be published."""
        if self.call.dry_run:
            return
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            described = self.call(
                "describe_dashboard", AwsAccountId=self.account, DashboardId=dashboard_id, VersionNumber=number
            )
            version = described.get("Dashboard", {}).get("Version", {})
            status = version.get("Status", "")
            if status.endswith("_SUCCESSFUL"):
                return
            if status.endswith("_FAILED"):
                errors = "; ".join(f"{e.get('Type')}: {e.get('Message')}" for e in version.get("Errors", []))
                raise ClickstreamError(
                    f"QuickSight could not build dashboard {dashboard_id} version {number}: {errors}"
                )
            if time.monotonic() > deadline:
                raise ClickstreamError(
                    f"dashboard {dashboard_id} version {number} still {status} after {self.timeout_seconds:.0f}s",
                    hint="run publish again later",
                )
            self.sleep(self.poll_seconds)

    # --- folder
    def folder(self, dashboard_ids: list[str]) -> None:
        folder_id = self.ids.folder
        permissions = _permissions(self.qs.principals, FOLDER_ACTIONS, self.qs.viewers, FOLDER_VIEWER_ACTIONS)
        if self.call.find("describe_folder", AwsAccountId=self.account, FolderId=folder_id) is None:
            self.call(
                "create_folder",
                AwsAccountId=self.account,
                FolderId=folder_id,
                Name=self.qs.folder_name,
                FolderType="SHARED",
                **({"Permissions": permissions} if permissions else {}),
            )
        else:
            self._sync_permissions("folder", {"FolderId": folder_id}, permissions)
        for dashboard_id in dashboard_ids:
            try:
                self.call(
                    "create_folder_membership",
                    AwsAccountId=self.account,
                    FolderId=folder_id,
                    MemberId=dashboard_id,
                    MemberType="DASHBOARD",
                )
            except ClientError as error:  # already a member: nothing to do
                if error.response.get("Error", {}).get("Code") != EXISTS:
                    raise

    # --- everything
    def publish(self, dashboards: Sequence[Dashboard]) -> list[dict[str, Any]]:
        source_arn = self.data_source()
        published: list[dict[str, Any]] = []
        for dashboard in dashboards:
            self.template(dashboard)
            for app_id in self.config.app_ids:
                arns = {
                    name: self.dataset(app_id, name, dataset, source_arn)
                    for name, dataset in dashboard.used_datasets.items()
                }
                self.analysis(dashboard, app_id, arns)
                published.append(self.dashboard(dashboard, app_id, arns))
        self.folder([entry["id"] for entry in published])
        return published


def has_credentials(client: Any) -> bool:
    """Whether a boto3 client found AWS credentials (a dry run without them cannot look anything up)."""
    signer = getattr(client, "_request_signer", None)
    return getattr(signer, "_credentials", None) is not None


def quicksight_client(config: Config, qs: QuickSightConfig) -> tuple[Any, str]:
    """A boto3 QuickSight client for the configured region and endpoint, and that region."""
    import boto3

    warehouse = config.warehouse
    engine = warehouse.redshift or warehouse.athena
    region = qs.region or (engine.region if engine is not None else None)
    session = boto3.session.Session()
    region = region or session.region_name
    if not region:
        raise ConfigError("no AWS region for QuickSight", hint="set dashboards.quicksight.region, e.g. us-east-1")
    client = session.client("quicksight", region_name=region, endpoint_url=qs.endpoint_url)
    return client, region


def publish_dashboards(
    config: Config,
    dry_run: bool = False,
    client: Any = None,
    dashboards: Sequence[Dashboard] | None = None,
    poll_seconds: float = 2.0,
    look_up: bool | None = None,
) -> PublishResult:
    """Publish (or plan) every dashboard for every app; writes ``<home>/dashboards/quicksight.json``.

    A dry run looks up which resources exist (read-only calls) when ``look_up`` is true; by default,
    when the client has AWS credentials.
    """
    qs = config.dashboards.quicksight
    if qs is None:
        raise ConfigError(
            "dashboards.quicksight is not configured",
            hint="add dashboards: {quicksight: {aws_account_id: '123456789012', principals: [...]}} to clickstream.yml",
        )
    if client is None:
        client, region = quicksight_client(config, qs)
    else:
        region = qs.region or client.meta.region_name
    if look_up is None:
        look_up = has_credentials(client)
    caller = Caller(client, dry_run, look_up=look_up)
    publisher = Publisher(config, qs, caller, region, poll_seconds=poll_seconds)
    published = publisher.publish(list(dashboards if dashboards is not None else bundled_dashboards()))
    result = PublishResult(caller.calls, checked=caller.checked)
    if dry_run:
        return result
    result.dashboards = published
    folder = dashboards_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    record = {"aws_account_id": qs.aws_account_id, "region": region, "dashboards": published}
    result.record_path = folder / RECORD
    write_atomically(result.record_path, json.dumps(record, indent=2) + "\n")
    return result


def plan_summary(calls: Sequence[PlannedCall]) -> list[str]:
    """One line per planned call: the operation and the resource it names."""
    lines = []
    for call in calls:
        key = next((f"{k}={v}" for k, v in call.params.items() if k.endswith("Id") and k != "AwsAccountId"), "")
        lines.append(f"{call.operation} {key}".rstrip())
    return lines
