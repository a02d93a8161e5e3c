"""`deploy`, `status` and `destroy` against botocore's Stubber (CloudFormation: every request validated
against the service model) and moto (S3 uploads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from clickstream.errors import ClickstreamError
from clickstream.infra.deploy import deploy, destroy, outputs
from clickstream.infra.package import package
from tests.infra.test_render_package import _config

REGION: Final = "eu-west-1"  # Final keeps the literal S3 accepts as a LocationConstraint
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NOT_FOUND = ("ValidationError", "Stack with id clickstream does not exist")


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="my-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
        cfn = boto3.client("cloudformation", region_name=REGION)
        with Stubber(cfn) as stubber:
            yield cfn, stubber, s3
            stubber.assert_no_pending_responses()


def _stack(status):
    return {"Stacks": [{"StackName": "clickstream", "StackStatus": status, "CreationTime": T0}]}


def _event(n, status, logical="Storage", kind="AWS::CloudFormation::Stack", reason=None):
    event = {
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/clickstream/1",
        "EventId": f"e{n}",
        "StackName": "clickstream",
        "LogicalResourceId": logical,
        "ResourceType": kind,
        "ResourceStatus": status,
        "Timestamp": T0 + timedelta(seconds=n),
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


def _change(action, logical, kind, replacement=None):
    change = {"Action": action, "LogicalResourceId": logical, "ResourceType": kind}
    if replacement:
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


def _expect_change_set(stubber, change_type, status="CREATE_COMPLETE", changes=(), reason=None):
    stubber.add_response(
        "create_change_set",
        {"Id": "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/x/1", "StackId": "s"},
        {
            "StackName": "clickstream",
            "ChangeSetName": "clickstream-20261126-120000",
            "ChangeSetType": change_type,
            "TemplateURL": ANY,
            "Parameters": ANY,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            "IncludeNestedStacks": True,
            "Tags": [{"Key": "clickstream:project", "Value": "clickstream"}],
            "Description": ANY,
        },
    )
    names = {"StackName": "clickstream", "ChangeSetName": "clickstream-20261126-120000"}
    stubber.add_response("describe_change_set", {"Status": "CREATE_IN_PROGRESS", "Changes": []}, names)
    done = {"Status": status, "Changes": list(changes)}
    if reason:
        done["StatusReason"] = reason
    stubber.add_response("describe_change_set", done, names)
    return names


def _run(cfn, s3, tmp_path, dry_run=False, **infra):
    packaged = package(_config(tmp_path, **infra), tmp_path / "build")
    lines: list[str] = []
    result = deploy(
        cfn, s3, packaged, REGION, lines.append, dry_run=dry_run, poll=0, sleep=lambda _: None, now=lambda: T0
    )
    return result, lines, packaged


def test_a_first_deploy_creates_the_stack_and_prints_its_events(aws, tmp_path):
    cfn, stubber, s3 = aws
    stubber.add_client_error("describe_stacks", *NOT_FOUND, expected_params={"StackName": "clickstream"})
    names = _expect_change_set(stubber, "CREATE", changes=[_change("Add", "Storage", "AWS::CloudFormation::Stack")])
    stubber.add_response("execute_change_set", {}, names)
    stubber.add_response("describe_stacks", _stack("CREATE_IN_PROGRESS"), {"StackName": "clickstream"})
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [_event(1, "CREATE_IN_PROGRESS")]}, {"StackName": "clickstream"}
    )
    stubber.add_response("describe_stacks", _stack("CREATE_COMPLETE"), {"StackName": "clickstream"})
    events = [_event(2, "CREATE_COMPLETE"), _event(1, "CREATE_IN_PROGRESS")]
    stubber.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": "clickstream"})

    result, lines, packaged = _run(cfn, s3, tmp_path)

    assert result.executed and result.final_status == "CREATE_COMPLETE"
    assert [line.split()[1] for line in lines if line.startswith("12:00")] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    uploaded = {item["Key"] for item in s3.list_objects_v2(Bucket="my-artifacts")["Contents"]}
    keys = packaged.rendered.keys
    assert {keys.spark_code, keys.spark_entry, keys.base_config, keys.template_key("main.yaml")} <= uploaded
    assert packaged.dbt_bundle_key in uploaded


def test_a_dry_run_prints_the_changes_and_applies_nothing(aws, tmp_path):
    cfn, stubber, s3 = aws
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
    changes = [_change("Modify", "Ingestion", "AWS::CloudFormation::Stack", "Conditional")]
    names = _expect_change_set(stubber, "UPDATE", changes=changes)
    stubber.add_response("delete_change_set", {}, names)

    result, lines, _ = _run(cfn, s3, tmp_path, dry_run=True)

    assert not result.executed
    assert any("Modify" in line and "Ingestion" in line and "may replace" in line for line in lines)
    assert lines[-1] == "dry run: nothing applied"


def test_a_dry_run_prints_the_changes_inside_the_nested_stacks_too(aws, tmp_path):
    cfn, stubber, s3 = aws
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
    nested_id = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/clickstream-Ingestion/2"
    root = _change("Modify", "Ingestion", "AWS::CloudFormation::Stack")
    root["ResourceChange"]["ChangeSetId"] = nested_id
    names = _expect_change_set(stubber, "UPDATE", changes=[root])
    # The nested change set comes in two pages.
    task = _change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True")
    stubber.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "Changes": [task], "NextToken": "page-2"},
        {"ChangeSetName": nested_id},
    )
    stubber.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "Changes": [_change("Modify", "Service", "AWS::ECS::Service", "False")]},
        {"ChangeSetName": nested_id, "NextToken": "page-2"},
    )
    stubber.add_response("delete_change_set", {}, names)

    _, lines, _ = _run(cfn, s3, tmp_path, dry_run=True)

    printed = [line for line in lines if line.startswith("  ")]
    assert printed[0].startswith("  Modify  Ingestion")
    assert printed[1].startswith("    Modify  TaskDefinition") and printed[1].endswith("(REPLACEMENT)")
    assert printed[2].startswith("    Modify  Service")


def test_the_template_url_uses_the_partitions_domain():
    from clickstream.infra.deploy import template_url

    assert template_url("eu-west-1", "b", "k/main.yaml") == "https://b.s3.eu-west-1.amazonaws.com/k/main.yaml"
    assert template_url("cn-north-1", "b", "main.yaml") == "https://b.s3.cn-north-1.amazonaws.com.cn/main.yaml"


def test_an_unchanged_stack_is_reported_and_left_alone(aws, tmp_path):
    cfn, stubber, s3 = aws
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    names = _expect_change_set(stubber, "UPDATE", status="FAILED", reason=reason)
    stubber.add_response("delete_change_set", {}, names)

    result, lines, _ = _run(cfn, s3, tmp_path)

    assert not result.executed and lines[-1] == "clickstream: no changes"


def test_a_rolled_back_update_fails_the_command_with_the_reason_printed(aws, tmp_path):
    cfn, stubber, s3 = aws
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
    names = _expect_change_set(stubber, "UPDATE", changes=[_change("Modify", "Etl", "AWS::CloudFormation::Stack")])
    stubber.add_response("execute_change_set", {}, names)
    stubber.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": "clickstream"})
    failed = _event(1, "UPDATE_FAILED", "Etl", reason="Embedded stack failed: image not found")
    stubber.add_response("describe_stack_events", {"StackEvents": [failed]}, {"StackName": "clickstream"})

    with pytest.raises(ClickstreamError, match="UPDATE_ROLLBACK_COMPLETE"):
        _run(cfn, s3, tmp_path)


def test_deploy_refuses_before_any_call_when_parameters_are_missing(aws, tmp_path):
    cfn, _, s3 = aws
    with pytest.raises(ClickstreamError, match="needs these parameters: ImageUri"):
        _run(cfn, s3, tmp_path, image_uri=None)


def test_a_second_deploy_uploads_only_what_changed(aws, tmp_path):
    cfn, stubber, s3 = aws
    for _ in range(2):
        stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
        names = _expect_change_set(stubber, "UPDATE", changes=[])
        stubber.add_response("delete_change_set", {}, names)
    _run(cfn, s3, tmp_path, dry_run=True)
    _, lines, _ = _run(cfn, s3, tmp_path, dry_run=True)
    assert not any(line.startswith("uploaded") for line in lines)


def test_status_lists_the_outputs(aws):
    cfn, stubber, _ = aws
    described = _stack("UPDATE_COMPLETE")
    described["Stacks"][0]["Outputs"] = [{"OutputKey": "IngestionEndpoint", "OutputValue": "https://x"}]
    stubber.add_response("describe_stacks", described, {"StackName": "clickstream"})
    assert outputs(cfn, "clickstream") == ("UPDATE_COMPLETE", [("IngestionEndpoint", "https://x")])


def test_destroy_deletes_and_waits_until_the_stack_is_gone(aws):
    cfn, stubber, _ = aws
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "clickstream"})
    stubber.add_response("delete_stack", {}, {"StackName": "clickstream"})
    stubber.add_response("describe_stacks", _stack("DELETE_IN_PROGRESS"), {"StackName": "clickstream"})
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [_event(1, "DELETE_IN_PROGRESS")]}, {"StackName": "clickstream"}
    )
    stubber.add_client_error("describe_stacks", *NOT_FOUND, expected_params={"StackName": "clickstream"})
    lines: list[str] = []
    assert destroy(cfn, "clickstream", lines.append, poll=0, sleep=lambda _: None, now=lambda: T0) == "DELETE_COMPLETE"
    assert "DELETE_IN_PROGRESS" in lines[0]
