"""`clickstream infra deploy | status | destroy`: CloudFormation change sets, watched to the end.

A deploy uploads what `package` built (skipping keys already there: they are content-addressed), makes a
change set of the root stack with its nested stacks, prints every change, and then either deletes it
(``--dry-run``) or executes it and prints the stack events until the stack settles. A failed update is
rolled back by CloudFormation; we report it and exit non-zero. The clients are passed in, so tests drive
this module with botocore's Stubber (every call validated against the service model) and moto.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from clickstream.errors import ClickstreamError
from clickstream.infra.package import Packaged

Printer = Callable[[str], None]
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass
class DeployResult:
    stack_name: str
    change_set_name: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    executed: bool = False
    final_status: str | None = None


def check_ready(packaged: Packaged) -> None:
    """Refuse, naming them, when required stack parameters are still unset."""
    rendered = packaged.rendered
    if rendered.missing:
        raise ClickstreamError(
            "the stack needs these parameters: " + ", ".join(rendered.missing),
            hint="set them in the infra: section of clickstream.yml (see docs/deploy-aws.md, Parameters)",
        )


def upload(s3: Any, bucket: str, packaged: Packaged, echo: Printer) -> list[str]:
    """Put every artefact not yet in the bucket; returns the keys written."""
    rendered = packaged.rendered
    files: list[tuple[str, bytes]] = [
        (rendered.keys.template_key(name), text.encode()) for name, text in rendered.templates.items()
    ]
    files += [
        (rendered.keys.base_config, rendered.base_config_text.encode()),
        (rendered.keys.spark_code, rendered.spark_code),
        (rendered.keys.spark_entry, rendered.spark_entry),
        (packaged.dbt_bundle_key, (packaged.out_dir / "artifacts" / Path(packaged.dbt_bundle_key).name).read_bytes()),
    ]
    written = []
    for key, data in files:
        try:
            s3.head_object(Bucket=bucket, Key=key)
            continue
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        written.append(key)
        echo(f"uploaded s3://{bucket}/{key}")
    return written


def stack_status(cfn: Any, stack_name: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def url_suffix(region: str) -> str:
    """The DNS suffix of the region's partition (amazonaws.com, amazonaws.com.cn, ...), from botocore's
    endpoint data, so the template URL works outside the commercial partition too."""
    import re

    import botocore.loaders

    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    for partition in partitions:
        if region in partition.get("regions", {}) or re.match(partition["regionRegex"], region):
            return str(partition["dnsSuffix"])
    return "amazonaws.com"


def template_url(region: str, bucket: str, key: str) -> str:
    return f"https://{bucket}.s3.{region}.{url_suffix(region)}/{key}"


def _wait_change_set(cfn: Any, stack: str, name: str, poll: float, sleep: Callable[[float], None]) -> dict[str, Any]:
    while True:
        described: dict[str, Any] = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        if described["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            return described
        sleep(poll)


def _changes(cfn: Any, stack: str | None, name: str, first: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource change of a change set (all pages); ``stack`` None when ``name`` is a change set ARN."""
    changes = list(first.get("Changes", []))
    token = first.get("NextToken")
    where = {"StackName": stack} if stack else {}
    while token:
        page = cfn.describe_change_set(**where, ChangeSetName=name, NextToken=token)
        changes += page.get("Changes", [])
        token = page.get("NextToken")
    return [change["ResourceChange"] for change in changes if "ResourceChange" in change]


def print_changes(cfn: Any, changes: list[dict[str, Any]], echo: Printer, depth: int = 1) -> int:
    """Print the changes, and under each nested stack the changes of its own change set (made by
    IncludeNestedStacks, named by the change's ChangeSetId); the number of changes printed in all."""
    printed = 0
    for change in changes:
        echo("  " * depth + describe_change(change))
        printed += 1
        nested_id = change.get("ChangeSetId")
        if nested_id:
            nested = cfn.describe_change_set(ChangeSetName=nested_id)
            printed += print_changes(cfn, _changes(cfn, None, nested_id, nested), echo, depth + 1)
    return printed


def describe_change(change: dict[str, Any]) -> str:
    replacement = change.get("Replacement")
    suffix = " (REPLACEMENT)" if replacement == "True" else " (may replace)" if replacement == "Conditional" else ""
    return f"{change['Action']:<7} {change['LogicalResourceId']:<28} {change['ResourceType']}{suffix}"


def watch_events(
    cfn: Any,
    stack_name: str,
    echo: Printer,
    since: datetime,
    poll: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    gone_ok: bool = False,
) -> str:
    """Print the stack's events after ``since`` until it settles; the final status (or DELETE_COMPLETE)."""
    seen: set[str] = set()
    while True:
        status = stack_status(cfn, stack_name)
        if status is None:
            if gone_ok:
                return "DELETE_COMPLETE"
            raise ClickstreamError(f"stack {stack_name} disappeared")
        fresh = []
        for event in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]:
            if event["EventId"] in seen or event["Timestamp"] < since:
                continue
            seen.add(event["EventId"])
            fresh.append(event)
        for event in reversed(fresh):  # the API returns newest first
            reason = f" - {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
            echo(
                f"{event['Timestamp']:%H:%M:%S} {event['ResourceStatus']:<22} "
                f"{event['LogicalResourceId']} ({event['ResourceType']}){reason}"
            )
        if not status.endswith("_IN_PROGRESS"):
            return status
        sleep(poll)


def deploy(
    cfn: Any,
    s3: Any,
    packaged: Packaged,
    region: str,
    echo: Printer,
    dry_run: bool = False,
    poll: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeployResult:
    check_ready(packaged)
    rendered = packaged.rendered
    config_bucket = rendered.parameters["ArtifactBucket"]
    stack = str(packaged.manifest["stack_name"])
    upload(s3, config_bucket, packaged, echo)

    status = stack_status(cfn, stack)
    change_type = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise ClickstreamError(f"stack {stack} is busy ({status})", hint="wait for it: clickstream infra status")
    if status == "ROLLBACK_COMPLETE":
        raise ClickstreamError(
            f"stack {stack} failed its creation and cannot be updated (ROLLBACK_COMPLETE)",
            hint="clickstream infra destroy --yes, then deploy again",
        )
    name = f"clickstream-{now():%Y%m%d-%H%M%S}"
    cfn.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType=change_type,
        TemplateURL=template_url(region, config_bucket, rendered.keys.template_key("main.yaml")),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in rendered.parameters.items()],
        Capabilities=CAPABILITIES,
        IncludeNestedStacks=True,
        Tags=[{"Key": "clickstream:project", "Value": stack}],
        Description=f"clickstream infra deploy ({'dry run' if dry_run else 'apply'})",
    )
    described = _wait_change_set(cfn, stack, name, poll, sleep)
    result = DeployResult(stack, name)
    if described["Status"] == "FAILED":
        reason = str(described.get("StatusReason", ""))
        cfn.delete_change_set(StackName=stack, ChangeSetName=name)
        if any(text in reason for text in _NO_CHANGES):
            echo(f"{stack}: no changes")
            result.final_status = status
            return result
        raise ClickstreamError(f"the change set failed: {reason}", hint="fix the parameter or template named above")
    result.changes = _changes(cfn, stack, name, described)
    echo(f"change set {name} ({change_type}) for stack {stack}: {len(result.changes)} change(s) in the root stack")
    print_changes(cfn, result.changes, echo)
    if dry_run:
        cfn.delete_change_set(StackName=stack, ChangeSetName=name)
        if change_type == "CREATE":
            # A CREATE change set leaves an empty stack in REVIEW_IN_PROGRESS: remove it too.
            cfn.delete_stack(StackName=stack)
        echo("dry run: nothing applied")
        return result
    started = now()
    cfn.execute_change_set(StackName=stack, ChangeSetName=name)
    result.executed = True
    result.final_status = watch_events(cfn, stack, echo, started, poll, sleep)
    if result.final_status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise ClickstreamError(
            f"stack {stack} ended in {result.final_status}",
            hint="the events above name the resource that failed; CloudFormation rolled the change back",
        )
    return result


def outputs(cfn: Any, stack_name: str) -> tuple[str, list[tuple[str, str]]]:
    """(status, [(output key, value)]) of the stack; ClickstreamError when it does not exist."""
    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            raise ClickstreamError(f"no stack {stack_name}", hint="clickstream infra deploy creates it") from None
        raise
    pairs: Iterable[dict[str, str]] = stack.get("Outputs", [])
    return str(stack["StackStatus"]), sorted((item["OutputKey"], item["OutputValue"]) for item in pairs)


def destroy(
    cfn: Any,
    stack_name: str,
    echo: Printer,
    poll: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """Delete the stack (the buckets and the Redshift namespace are retained) and watch it go."""
    if stack_status(cfn, stack_name) is None:
        echo(f"no stack {stack_name}")
        return "DELETE_COMPLETE"
    started = now()
    cfn.delete_stack(StackName=stack_name)
    status = watch_events(cfn, stack_name, echo, started, poll, sleep, gone_ok=True)
    if status != "DELETE_COMPLETE":
        raise ClickstreamError(f"stack {stack_name} ended in {status}", hint="see the events above")
    return status
