"""The pipeline page on AWS: the stacks' status from CloudFormation and the state machine's last runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from clickstream.config import Config
from clickstream.studio.app import create_app
from clickstream.studio.reader import WarehouseClients
from tests.studio.test_browser import screenshot, sign_in, wait_for
from tests.support.browser import console_errors
from tests.support.pipeline import pipeline_config
from tests.support.studio import PASSWORD, signed_in, studio_server

ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:clickstream-modeling"
STARTED = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    base = pipeline_config(tmp_path, stack_name="clickstream")
    return base.model_copy(update={"infra": base.infra.model_copy(update={"region": "eu-west-1"})})


@pytest.fixture
def stubs() -> Iterator[tuple[Any, Stubber, Any, Stubber]]:
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")  # fmt: skip
    stepfunctions = boto3.client("stepfunctions", region_name="eu-west-1", aws_access_key_id="x",
                                 aws_secret_access_key="x")  # fmt: skip
    with Stubber(cloudformation) as cfn, Stubber(stepfunctions) as sfn:
        yield cloudformation, cfn, stepfunctions, sfn
        cfn.assert_no_pending_responses()
        sfn.assert_no_pending_responses()


def stack(status: str) -> dict[str, Any]:
    return {"StackName": "clickstream", "StackStatus": status, "CreationTime": STARTED,
            "Outputs": [{"OutputKey": "StateMachineArn", "OutputValue": ARN}]}  # fmt: skip


def nested(name: str, status: str) -> dict[str, Any]:
    return {"LogicalResourceId": name, "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": status,
            "LastUpdatedTimestamp": STARTED}  # fmt: skip


def execution(name: str, status: str) -> dict[str, Any]:
    return {"executionArn": f"{ARN}:{name}", "stateMachineArn": ARN, "name": name, "status": status,
            "startDate": STARTED, "stopDate": STARTED}  # fmt: skip


def status(config: Config, cloudformation: Any, stepfunctions: Any) -> dict[str, Any]:
    clients = WarehouseClients(cloudformation=cloudformation, stepfunctions=stepfunctions)
    app = create_app(config, PASSWORD, warehouse_clients=clients)
    with TestClient(app, base_url="http://127.0.0.1:8090") as client:
        assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
        response = client.get(f"/api/pipeline/{config.project_id}")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_the_stacks_and_the_last_state_machine_runs_are_shown(config: Config, stubs: Any) -> None:
    cloudformation, cfn, stepfunctions, sfn = stubs
    cfn.add_response("describe_stacks", {"Stacks": [stack("UPDATE_COMPLETE")]}, {"StackName": "clickstream"})
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": [
        nested("Ingestion", "UPDATE_COMPLETE"), nested("Modeling", "UPDATE_COMPLETE"),
        {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_COMPLETE",
         "LastUpdatedTimestamp": STARTED},
    ]}, {"StackName": "clickstream"})  # fmt: skip
    sfn.add_response("list_executions", {"executions": [execution("run-2", "SUCCEEDED"), execution("run-1", "FAILED")]},
                     {"stateMachineArn": ARN, "maxResults": 10})  # fmt: skip
    aws = status(config, cloudformation, stepfunctions)
    document = aws["aws"]
    assert [(s["name"], s["status"]) for s in document["stacks"]] == [
        ("clickstream", "UPDATE_COMPLETE"),
        ("Ingestion", "UPDATE_COMPLETE"),
        ("Modeling", "UPDATE_COMPLETE"),
    ]
    assert [(e["name"], e["status"]) for e in document["executions"]] == [("run-2", "SUCCEEDED"), ("run-1", "FAILED")]
    assert not {"stacks", "executions"} & set(aws["alerts"])


def test_a_failed_stack_and_a_failed_last_run_are_flagged(config: Config, stubs: Any) -> None:
    cloudformation, cfn, stepfunctions, sfn = stubs
    cfn.add_response("describe_stacks", {"Stacks": [stack("UPDATE_ROLLBACK_COMPLETE")]}, {"StackName": "clickstream"})
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": [nested("Modeling", "UPDATE_FAILED")]},
                     {"StackName": "clickstream"})  # fmt: skip
    sfn.add_response("list_executions", {"executions": [execution("run-3", "TIMED_OUT")]},
                     {"stateMachineArn": ARN, "maxResults": 10})  # fmt: skip
    assert {"stacks", "executions"} <= set(status(config, cloudformation, stepfunctions)["alerts"])


def test_a_stack_that_cannot_be_read_is_said_and_the_rest_still_answers(config: Config, stubs: Any) -> None:
    cloudformation, cfn, stepfunctions, _ = stubs
    cfn.add_client_error("describe_stacks", "ValidationError", "Stack with id clickstream does not exist")
    document = status(config, cloudformation, stepfunctions)
    assert "does not exist" in document["aws"]["error"] and "stacks" in document["alerts"]
    assert "freshness" in document and "rejected" in document


def test_without_a_stack_name_the_page_asks_nothing_of_aws(tmp_path: Path) -> None:
    config = pipeline_config(tmp_path)
    with signed_in(config) as client:
        assert "aws" not in client.get(f"/api/pipeline/{config.project_id}").json()


@pytest.mark.slow
def test_the_pipeline_page_shows_the_stacks_and_runs(config: Config, stubs: Any, browser: Any) -> None:
    cloudformation, cfn, stepfunctions, sfn = stubs
    cfn.add_response("describe_stacks", {"Stacks": [stack("UPDATE_COMPLETE")]}, {"StackName": "clickstream"})
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": [nested("Modeling", "UPDATE_FAILED")]},
                     {"StackName": "clickstream"})  # fmt: skip
    sfn.add_response("list_executions", {"executions": [execution("run-9", "FAILED")]},
                     {"stateMachineArn": ARN, "maxResults": 10})  # fmt: skip
    clients = WarehouseClients(cloudformation=cloudformation, stepfunctions=stepfunctions)
    with studio_server(create_app(config, PASSWORD, warehouse_clients=clients)) as url:
        sign_in(browser, url)
        browser.get(url + "/#pipeline")
        wait_for(browser, "!document.getElementById('pipeline-aws').hidden")
        failed = browser.execute_script(
            "return [...document.querySelectorAll('#pipeline-aws td.status-failed')].map(td => td.textContent)"
        )
        assert failed == ["UPDATE_FAILED", "FAILED"]
        screenshot(browser, "console-pipeline-aws")
        assert console_errors(browser) == []
