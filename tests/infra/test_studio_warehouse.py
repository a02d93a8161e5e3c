"""The deployed Studio queries the stack's warehouse: its composed config opens the Redshift or Athena reader,
and its task role grants exactly the calls that reader makes (found by running it on stubbed clients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clickstream.config import Config, parse_config
from clickstream.infra.container_config import compose
from clickstream.infra.layers import containers, resolved_resource
from clickstream.infra.render import render
from clickstream.modeling import dbt_vars
from clickstream.studio.athena_reader import AthenaReader
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.reader import WarehouseClients, WarehouseReader, open_reader
from clickstream.studio.redshift_reader import RedshiftReader
from tests.infra.test_render_package import _config
from tests.studio.remote_stubs import AthenaScript, FakeTime, RedshiftScript

READERS = {"redshift": RedshiftReader, "athena": AthenaReader}
SERVICE = {"redshift": "redshift-data", "athena": "athena"}
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"


def studio_config(tmp_path: Path, warehouse: str) -> Config:
    """The configuration the Studio container composes for ``warehouse`` (base config + the templates' layers)."""
    rendered = render(_config(tmp_path, warehouse=warehouse, studio=True, certificate_arn=CERTIFICATE,
                              studio_domain="studio.example.com"))  # fmt: skip
    studio = next(container for container in containers("s3", warehouse, "cognito", studio=True)
                  if container.template == "studio.yaml")  # fmt: skip
    return parse_config(compose(rendered.base_config_text, *studio.layers), Path("/"))


def granted(warehouse: str) -> dict[str, list[dict[str, Any]]]:
    """The Studio task role's Allow statements for ``warehouse``, by the service of their actions."""
    role = resolved_resource("studio.yaml", "TaskRole", "s3", warehouse, "cognito")
    by_service: dict[str, list[dict[str, Any]]] = {}
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                by_service.setdefault(action.split(":")[0], []).append({**statement, "Action": action})
    return by_service


def exercise(reader: WarehouseReader, script: Any, warehouse: str) -> None:
    """Every path of a reader: a query polled to its end over two pages, and one stopped at the timeout
    (1 s; checked at 0, 0.2, 0.6 and 1.4 s with the default backoff)."""
    table = (["n"], [(1,), (2,), (3,)])
    if warehouse == "redshift":
        script.statement(table, page_rows=2, statuses=("STARTED", "FINISHED"))
        script.statement(statuses=("STARTED",) * 4, cancel=True)
    else:
        script.query(table, page_rows=2, states=("RUNNING", "SUCCEEDED"))
        script.query(states=("RUNNING",) * 4, stop=True)
    assert reader.run("select n from analytics.fct_events", "rows")[1] == [[1], [2], [3]]
    with pytest.raises(QueryTimeout):
        reader.run("select n from analytics.fct_events", "slow")


@pytest.mark.parametrize("warehouse", ["redshift", "athena"])
def test_the_composed_studio_config_opens_the_warehouses_reader(tmp_path: Path, warehouse: str) -> None:
    config = studio_config(tmp_path, warehouse)
    assert config.warehouse.type == warehouse and config.studio.auth == "oidc"
    reader = open_reader(config, WarehouseClients(redshift_data=object(), athena=object()))
    assert isinstance(reader, READERS[warehouse]) and reader.schema == "analytics"
    if isinstance(reader, RedshiftReader):  # its own IAM identity on the stack's workgroup, not the admin secret
        assert reader.api.target == {"WorkgroupName": "example", "Database": "dev"}
    if isinstance(reader, AthenaReader):
        assert reader.workgroup == "example"
        assert reader.output_location == "s3://example-pipeline/temp/athena/studio/"


@pytest.mark.parametrize("warehouse", ["redshift", "athena"])
def test_the_studio_role_grants_exactly_the_calls_its_reader_makes(tmp_path: Path, warehouse: str) -> None:
    config = studio_config(tmp_path, warehouse)
    settings = config.studio.model_copy(update={"query_timeout_seconds": 1.0})
    time = FakeTime()
    if warehouse == "redshift":
        script: Any = RedshiftScript({"WorkgroupName": "example", "Database": "dev"})
        clients = WarehouseClients(redshift_data=script.client, sleep=time.sleep, clock=time.clock)
        assert config.warehouse.redshift is not None
        reader: WarehouseReader = RedshiftReader(config.warehouse.redshift, settings, clients)
    else:
        script = AthenaScript("example", "s3://example-pipeline/temp/athena/studio/")
        clients = WarehouseClients(athena=script.client, sleep=time.sleep, clock=time.clock)
        assert config.warehouse.athena is not None
        reader = AthenaReader(config.warehouse.athena, settings, clients)
    with script.stubber:
        exercise(reader, script, warehouse)
        script.stubber.assert_no_pending_responses()
    calls = {f"{SERVICE[warehouse]}:{operation}" for operation in script.recorder.operations()}
    statements = granted(warehouse)
    assert {statement["Action"] for statement in statements[SERVICE[warehouse]]} == calls
    if warehouse == "redshift":
        assert set(statements) == {"s3", "redshift-data", "redshift-serverless", *PIPELINE_PAGE}
        # the IAM sign-in the Data API makes on the Studio's behalf, on the same workgroup it runs statements on
        login = statements["redshift-serverless"]
        run = next(s for s in statements["redshift-data"] if s["Action"] == "redshift-data:ExecuteStatement")
        assert [s["Action"] for s in login] == ["redshift-serverless:GetCredentials"]
        assert login[0]["Resource"] == run["Resource"] == "example"  # the workgroup ARN from the modeling stack
    else:
        assert set(statements) == {"s3", "athena", "glue", *PIPELINE_PAGE}
        assert {s["Action"] for s in statements["glue"]} <= {"glue:GetDatabase", "glue:GetTable",
                                                             "glue:GetPartition", "glue:GetPartitions"}  # fmt: skip
        assert all(
            not s["Action"].startswith(("glue:Create", "glue:Update", "glue:Delete")) for s in statements["glue"]
        )
        # the only place it may write is where its configured output location puts the results
        writes = [s["Resource"] for s in statements["s3"] if s["Action"] == "s3:PutObject"]
        assert isinstance(reader, AthenaReader) and reader.output_location is not None
        assert writes == ["arn:aws:s3:::" + reader.output_location.removeprefix("s3://") + "*"]


def test_on_redshift_the_studio_signs_in_with_the_role_dbt_grants_read_access_to(tmp_path: Path) -> None:
    rendered = render(_config(tmp_path, warehouse="redshift", studio=True, certificate_arn=CERTIFICATE,
                              studio_domain="studio.example.com"))  # fmt: skip
    modeling = next(container for container in containers("s3", "redshift", "cognito", studio=True)
                    if container.template == "modeling.yaml")  # fmt: skip
    config = parse_config(compose(rendered.base_config_text, *modeling.layers), Path("/"))
    granted_role = dbt_vars(config)["clickstream__reader_role"]
    tags = resolved_resource("studio.yaml", "TaskRole", "s3", "redshift", "cognito")["Properties"]["Tags"]
    assert granted_role == "clickstream_reader"
    assert tags == [{"Key": "RedshiftDbRoles", "Value": granted_role}]
    athena_role = resolved_resource("studio.yaml", "TaskRole", "s3", "athena", "cognito")
    assert "Tags" not in athena_role["Properties"]  # Athena reads through the role's IAM policy alone


# The calls studio/pipeline_status.py makes for the pipeline page on AWS (tests/studio/test_pipeline_aws.py).
PIPELINE_PAGE = {
    "cloudformation": {"cloudformation:DescribeStacks", "cloudformation:ListStackResources"},
    "states": {"states:ListExecutions"},
}


@pytest.mark.parametrize("warehouse", ["redshift", "athena"])
def test_the_studio_role_grants_the_pipeline_page_its_read_calls_only(warehouse: str) -> None:
    statements = granted(warehouse)
    for service, actions in PIPELINE_PAGE.items():
        granted_actions: set[str] = set()
        for statement in statements[service]:
            listed = statement["Action"]
            granted_actions |= set(listed) if isinstance(listed, list) else {listed}
        assert granted_actions == actions
    [runs] = statements["states"]
    assert runs["Resource"] == "example"  # the StateMachineArn parameter: the modeling stack's machine only
