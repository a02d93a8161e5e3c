"""``GET /api/pipeline/<project>``: is the pipeline running, how fresh is the data, what is being refused.

One document from four sources, each allowed to be missing without failing the others:

* the last cycles and their stages, from the run history in the Studio's database (clickstream/state/runs.py);
* the freshness: the newest event in ``fct_events`` and the lag behind now;
* the records the ETL rejected in the last 24 hours, per reason, with a few samples (``rejected/<reason>/``);
* the collector's counters (requests by status, refusals by reason), read from its ``/metrics``;
* on AWS (``studio.pipeline.stack_name``), the stacks' status from CloudFormation and the state machine's
  last executions from Step Functions.

The lag and the reject rate are flagged in ``alerts`` when over ``studio.pipeline``'s thresholds.
"""

from __future__ import annotations

import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
from prometheus_client.parser import text_string_to_metric_families

from clickstream.config import Config
from clickstream.contract import REJECTED_DIR
from clickstream.state import Cycle, RunHistory, database_url, open_engine
from clickstream.storage import Storage

WINDOW = timedelta(hours=24)
MAX_REJECT_FILES = 500  # newest first: a flood of rejects costs a bounded read
SAMPLES_PER_REASON = 3
SAMPLE_CHARS = 300
_REJECT_COLUMNS = ["reason", "detail", "app_id", "source_file", "payload", "rejected_at"]


def collector_metrics_url(config: Config) -> str:
    if config.studio.pipeline.collector_metrics_url:
        return config.studio.pipeline.collector_metrics_url
    host = config.ingestion.host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{host}:{config.ingestion.port}/metrics"


def collector_counters(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """Requests by status and refusals by reason from the collector's Prometheus text; unreachable is said."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read(2_000_000).decode("utf-8", errors="replace")
    except OSError as error:
        return {"url": url, "reachable": False, "error": str(error)}
    requests: dict[str, float] = {}
    refusals: dict[str, float] = {}
    stored = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "clickstream_http_requests_total":
                requests[sample.labels.get("status", "")] = sample.value
            elif sample.name == "clickstream_refused_requests_total":
                refusals[sample.labels.get("reason", "")] = sample.value
            elif sample.name == "clickstream_stored_records_total":
                stored = sample.value
    return {"url": url, "reachable": True, "requests": requests, "refusals": refusals, "storedRecords": stored}


def rejected_since(storage: Storage, since: datetime) -> dict[str, Any]:
    """Rejected records since ``since``, per reason, with samples, from the newest rejected files."""
    cutoff_ns = int(since.timestamp() * 1e9)
    files = [stored for stored in storage.list_files(REJECTED_DIR, ".parquet") if stored.mtime_ns >= cutoff_ns]
    files.sort(key=lambda stored: stored.mtime_ns, reverse=True)
    counts: Counter[str] = Counter()
    samples: dict[str, list[dict[str, Any]]] = {}
    for stored in files[:MAX_REJECT_FILES]:
        table = pq.read_table(storage.path(stored.path), columns=_REJECT_COLUMNS, filesystem=storage.fs)
        for row in table.to_pylist():
            rejected_at = row["rejected_at"]
            if rejected_at is not None and rejected_at.replace(tzinfo=rejected_at.tzinfo or UTC) < since:
                continue
            counts[row["reason"]] += 1
            kept = samples.setdefault(row["reason"], [])
            if len(kept) < SAMPLES_PER_REASON:
                kept.append({
                    "detail": row["detail"], "appId": row["app_id"], "sourceFile": row["source_file"],
                    "payload": (row["payload"] or "")[:SAMPLE_CHARS],
                })  # fmt: skip
    return {
        "since": since.isoformat(),
        "total": sum(counts.values()),
        "filesRead": min(len(files), MAX_REJECT_FILES),
        "filesSkipped": max(0, len(files) - MAX_REJECT_FILES),
        "byReason": [
            {"reason": reason, "count": count, "samples": samples[reason]} for reason, count in counts.most_common()
        ],
    }


def freshness(newest: str | None, now: datetime) -> dict[str, Any]:
    if newest is None:
        return {"newestEventTime": None, "lagSeconds": None}
    moment = datetime.fromisoformat(newest)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return {"newestEventTime": moment.isoformat(), "lagSeconds": round((now - moment).total_seconds(), 3)}


def events_transformed(cycles: list[Cycle], since: datetime) -> int:
    return sum(
        stage.count_out
        for cycle in cycles
        for stage in cycle.stages
        if stage.stage == "etl" and stage.started_at >= since
    )


def aws_status(config: Config, cloudformation: Any = None, stepfunctions: Any = None) -> dict[str, Any]:
    """The root stack and its nested stacks' status, and the state machine's last ten executions."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    name = config.studio.pipeline.stack_name
    region = config.infra.region
    cloudformation = cloudformation or boto3.client("cloudformation", region_name=region)
    try:
        [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
        stacks = [{"name": stack["StackName"], "status": stack["StackStatus"],
                   "reason": stack.get("StackStatusReason", "")}]  # fmt: skip
        resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        stacks += [
            {"name": resource["LogicalResourceId"], "status": resource["ResourceStatus"],
             "reason": resource.get("ResourceStatusReason", "")}
            for resource in resources if resource["ResourceType"] == "AWS::CloudFormation::Stack"
        ]  # fmt: skip
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        executions: list[dict[str, Any]] = []
        if "StateMachineArn" in outputs:
            stepfunctions = stepfunctions or boto3.client("stepfunctions", region_name=region)
            listed = stepfunctions.list_executions(stateMachineArn=outputs["StateMachineArn"], maxResults=10)
            executions = [
                {"name": run["name"], "status": run["status"], "startedAt": run["startDate"].isoformat(),
                 "endedAt": run["stopDate"].isoformat() if run.get("stopDate") else None}
                for run in listed["executions"]
            ]  # fmt: skip
    except (BotoCoreError, ClientError) as error:
        return {"stackName": name, "error": str(error)}
    return {"stackName": name, "stacks": stacks, "executions": executions}


def aws_alerts(aws: dict[str, Any]) -> list[str]:
    """``stacks`` when a stack failed or rolled back; ``executions`` when the newest run did not succeed."""
    alerts = []
    if "error" in aws or any("FAILED" in s["status"] or "ROLLBACK" in s["status"] for s in aws["stacks"]):
        alerts.append("stacks")
    if aws.get("executions") and aws["executions"][0]["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
        alerts.append("executions")
    return alerts


def pipeline_status(
    config: Config, newest_event: str | None, now: datetime | None = None, cloudformation: Any = None,
    stepfunctions: Any = None,
) -> dict[str, Any]:  # fmt: skip
    now = now or datetime.now(UTC)
    cycles = RunHistory(open_engine(database_url(config)), config.project_id).cycles(limit=50)
    since = now - WINDOW
    rejected = rejected_since(Storage(config.storage_root), since)
    transformed = events_transformed(cycles, since)
    seen = rejected["total"] + transformed
    rejected["rate"] = round(rejected["total"] / seen, 6) if seen else 0.0
    fresh = freshness(newest_event, now)
    thresholds = config.studio.pipeline
    alerts = []
    if cycles and cycles[0].run.status == "failed":
        alerts.append("failed")
    if fresh["lagSeconds"] is not None and fresh["lagSeconds"] > thresholds.max_lag_seconds:
        alerts.append("lag")
    if rejected["rate"] > thresholds.max_reject_rate:
        alerts.append("rejects")
    document: dict[str, Any] = {
        "projectId": config.project_id,
        "cycles": [cycle.public() for cycle in cycles[:10]],
        "freshness": fresh,
        "rejected": rejected,
        "collector": collector_counters(collector_metrics_url(config)),
        "thresholds": {"maxLagSeconds": thresholds.max_lag_seconds, "maxRejectRate": thresholds.max_reject_rate},
        "alerts": alerts,
    }
    if thresholds.stack_name:
        document["aws"] = aws_status(config, cloudformation, stepfunctions)
        alerts += aws_alerts(document["aws"])
    return document
