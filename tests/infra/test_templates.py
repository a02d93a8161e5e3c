"""The CloudFormation templates: lint clean, and wired together the way `render` and `package` assume."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from clickstream.infra.templates_io import ROOT_TEMPLATE, TEMPLATE_NAMES, parse_template, template_texts

TEMPLATES = {name: parse_template(text) for name, text in template_texts().items()}
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "infra" / "templates"


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _refs(template: dict[str, Any]) -> set[str]:
    """Every name a template refers to: Ref, GetAtt and ${...} inside Sub strings."""
    names: set[str] = set()
    sections = {key: template.get(key, {}) for key in ("Resources", "Outputs", "Conditions")}
    for node in _walk(sections):
        if not isinstance(node, dict):
            continue
        if "Ref" in node:
            names.add(node["Ref"])
        if "Fn::GetAtt" in node:
            names.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text = sub if isinstance(sub, str) else sub[0]
            names |= {match.split(".")[0] for match in re.findall(r"\$\{([^!}][^}]*)\}", text)}
    return names


@pytest.mark.slow  # cfn-lint loads its whole resource-spec database for every run
def test_cfn_lint_reports_nothing():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), *sorted(str(path) for path in TEMPLATE_DIR.glob("*.yaml"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_ships_every_template_file():
    assert sorted(path.name for path in TEMPLATE_DIR.glob("*.yaml")) == sorted(TEMPLATE_NAMES)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_parameter_is_documented_and_used(name):
    template = TEMPLATES[name]
    used = _refs(template) | {ref for rule in template.get("Rules", {}).values() for ref in _refs({"Resources": rule})}
    for parameter, spec in template["Parameters"].items():
        assert spec.get("Description", "").strip(), f"{name}: {parameter} has no Description"
        assert parameter in used, f"{name}: {parameter} is declared but never used"


def test_the_root_passes_each_nested_stack_exactly_its_parameters():
    root = TEMPLATES[ROOT_TEMPLATE]
    for logical_id, resource in root["Resources"].items():
        assert resource["Type"] == "AWS::CloudFormation::Stack"
        url = resource["Properties"]["TemplateURL"]["Fn::Sub"]
        child_name = url.rsplit("}", 1)[1]
        child = TEMPLATES[child_name]
        required = {key for key, spec in child["Parameters"].items() if "Default" not in spec}
        given = set(resource["Properties"]["Parameters"])
        assert given == set(child["Parameters"]), f"{logical_id} -> {child_name}: {given ^ set(child['Parameters'])}"
        assert required <= given
        for value in resource["Properties"]["Parameters"].values():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                source, attribute = value["Fn::GetAtt"]
                output = attribute.removeprefix("Outputs.")
                source_name = root["Resources"][source]["Properties"]["TemplateURL"]["Fn::Sub"].rsplit("}", 1)[1]
                assert output in TEMPLATES[source_name]["Outputs"], f"{source_name} has no output {output}"


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_role_is_used_by_a_resource(name):
    template = TEMPLATES[name]
    resources = template["Resources"]
    roles = {key for key, value in resources.items() if value["Type"] == "AWS::IAM::Role"}
    referenced = set()
    for key, value in resources.items():
        referenced |= {ref for ref in _refs({"Resources": {key: value}}) if ref != key}
    assert roles <= referenced, f"{name}: roles nobody uses: {roles - referenced}"


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_roles_grant_no_wildcard_actions(name):
    for resource in TEMPLATES[name]["Resources"].values():
        for node in _walk(resource):
            if isinstance(node, dict) and "Action" in node and node.get("Effect") == "Allow":
                actions = node["Action"] if isinstance(node["Action"], list) else [node["Action"]]
                assert not any(str(action).endswith(":*") or action == "*" for action in actions), node


def _alarm_metrics() -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(namespace, metric, ((dimension, value source), ...)) of every metric the alarms read."""
    found = set()
    for resource in TEMPLATES["monitoring.yaml"]["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        metrics = [item["MetricStat"]["Metric"] for item in properties.get("Metrics", []) if "MetricStat" in item]
        for metric in metrics or [properties]:
            dimensions = tuple(sorted((dim["Name"], json.dumps(dim["Value"])) for dim in metric.get("Dimensions", [])))
            found.add((json.dumps(metric["Namespace"]), metric["MetricName"], dimensions))
    return found


def test_every_stage_has_an_alarm_on_a_metric_with_the_right_dimensions():
    ref = json.dumps
    project = ref({"Fn::Sub": "Clickstream/${ProjectId}"})
    lb = ("LoadBalancer", ref({"Ref": "LoadBalancerFullName"}))
    tg = ("TargetGroup", ref({"Ref": "IngestionTargetGroupFullName"}))
    stages = {
        "ingestion 5xx": (ref("AWS/ApplicationELB"), "HTTPCode_Target_5XX_Count", (lb, tg)),
        "healthy collectors": (ref("AWS/ApplicationELB"), "HealthyHostCount", (lb, tg)),
        "ship lag": (ref({"Ref": "ShipLagNamespace"}), "clickstream_ship_lag_seconds", (("job", ref("clickstream")),)),
        "etl failures": (project, "EtlJobRunsFailed", ()),
        "etl not started": (
            ref("AWS/Scheduler"),
            "TargetErrorCount",
            (("ScheduleGroup", ref({"Ref": "ScheduleGroupName"})),),
        ),
        "load failures": (
            ref("AWS/States"),
            "ExecutionsFailed",
            (("StateMachineArn", ref({"Ref": "StateMachineArn"})),),
        ),
        "data freshness": (project, "LoadAndModelSucceeded", ()),
    }
    alarms = _alarm_metrics()
    assert {stage: metric in alarms for stage, metric in stages.items()} == dict.fromkeys(stages, True), alarms


def test_the_etl_failure_metric_is_counted_from_the_failed_job_events():
    resources = TEMPLATES["monitoring.yaml"]["Resources"]
    rule = resources["EtlFailedRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["state"] == ["FAILED", "CANCELLED"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["EtlEventsLogGroup", "Arn"]}
    transform = resources["EtlFailedMetricFilter"]["Properties"]["MetricTransformations"][0]
    alarm = resources["EtlFailedAlarm"]["Properties"]
    assert (transform["MetricNamespace"], transform["MetricName"]) == (alarm["Namespace"], alarm["MetricName"])
    assert "Dimensions" not in transform and "Dimensions" not in alarm


def test_the_freshness_metric_is_written_only_after_load_and_model_succeed():
    machine = TEMPLATES["modeling.yaml"]["Resources"]["StateMachine"]["Properties"]
    definition = json.loads(_sub_text(machine["DefinitionString"]).replace("${ProjectId}", "shop").replace("${", "{"))
    record = definition["States"]["RecordSuccess"]
    assert definition["States"]["Model"]["Next"] == "RecordSuccess" and record["End"]
    assert not [
        name for name, state in definition["States"].items() if state.get("Next") == "RecordSuccess" and name != "Model"
    ]
    datum = record["Parameters"]["MetricData"][0]
    alarm = TEMPLATES["monitoring.yaml"]["Resources"]["DataFreshnessAlarm"]["Properties"]
    assert record["Parameters"]["Namespace"] == alarm["Namespace"]["Fn::Sub"].replace("${ProjectId}", "shop")
    assert datum["MetricName"] == alarm["MetricName"] and "Dimensions" not in datum and "Dimensions" not in alarm
    # The workflow role may write exactly that namespace.
    role = json.dumps(TEMPLATES["modeling.yaml"]["Resources"]["WorkflowRole"])
    assert '"cloudwatch:namespace": {"Fn::Sub": "Clickstream/${ProjectId}"}' in role


def test_the_ship_lag_alarm_reads_the_metric_the_sidecar_publishes():
    ingestion = TEMPLATES["ingestion.yaml"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    agent = next(container for container in ingestion if container["Name"] == "metrics-agent")
    cw_config = next(env for env in agent["Environment"] if env["Name"] == "CW_CONFIG_CONTENT")["Value"]["Fn::Sub"]
    declared = json.loads(cw_config.replace("${MetricsLogGroup}", "g").replace("${ProjectId}", "p"))
    declaration = declared["logs"]["metrics_collected"]["prometheus"]["emf_processor"]["metric_declaration"][0]
    alarm = TEMPLATES["monitoring.yaml"]["Resources"]["ShipLagAlarm"]["Properties"]
    assert any(re.fullmatch(selector, alarm["MetricName"]) for selector in declaration["metric_selectors"])
    assert [dim["Name"] for dim in alarm["Dimensions"]] == declaration["dimensions"][0]
    from clickstream.ingestion import metrics

    assert alarm["MetricName"] in Path(metrics.__file__).read_text()


def test_containers_start_through_the_config_entry_point_and_the_image_has_it():
    dockerfile = (TEMPLATE_DIR.parents[1] / "Dockerfile").read_text()
    assert "COPY infra infra" in dockerfile and "COPY dbt_project dbt_project" in dockerfile
    for name in ("ingestion.yaml", "modeling.yaml", "studio.yaml"):
        definition = TEMPLATES[name]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
        assert definition["Command"][:4] == ["python", "-m", "clickstream.infra.container_config", "--"]
        assert {env["Name"] for env in definition["Environment"]} >= {
            "CLICKSTREAM_BASE_CONFIG",
            "CLICKSTREAM_CONFIG_OVERRIDES",
        }
    assert "/app/dbt_project" in json.dumps(TEMPLATES["modeling.yaml"]["Resources"]["RedshiftOverrides"])


def _sub_text(node: dict[str, Any]) -> str:
    sub = node["Fn::Sub"]
    return sub if isinstance(sub, str) else sub[0]


def test_the_schedule_input_is_a_valid_start_job_run_request():
    target = TEMPLATES["etl.yaml"]["Resources"]["EtlSchedule"]["Properties"]["Target"]
    text = _sub_text(target["Input"])
    examples = {"JobRole.Arn": "arn:aws:iam::123456789012:role/etl-job", "Application.ApplicationId": "00abcdef12345"}
    # What Scheduler puts in its placeholders: an execution id (a UUID) and an ISO time.
    text = text.replace("<aws.scheduler.execution-id>", "d1e2f3a4-1111-2222-3333-444455556666")
    text = text.replace("<aws.scheduler.scheduled-time>", "2026-11-26T01:00:00Z")
    request = json.loads(re.sub(r"\$\{([^}]+)\}", lambda match: examples.get(match[1], "example"), text))
    model = botocore.session.get_session().get_service_model("emr-serverless")
    shape = model.operation_model("StartJobRun").input_shape
    assert shape is not None
    token = shape.members["clientToken"].metadata
    # ParamValidator does not check patterns; the service does.
    assert re.fullmatch(token["pattern"], request["clientToken"]) and len(request["clientToken"]) <= token["max"]
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    arguments = request["jobDriver"]["sparkSubmit"]["entryPointArguments"]
    assert arguments[0] == "--config" and "--root" in arguments
    # The entry point, the code zip and the config are exactly the keys package uploads.
    assert "${SparkEntryKey}" in text and "${BaseConfigKey}" in text
    assert "${SparkCodeKey}" in json.dumps(target["Input"]["Fn::Sub"][1])


def test_the_workflow_definition_is_json_with_a_guard_and_retries():
    machine = TEMPLATES["modeling.yaml"]["Resources"]["StateMachine"]["Properties"]
    definition = json.loads(re.sub(r"\$\{[^}]+\}", "x", _sub_text(machine["DefinitionString"])))
    assert definition["StartAt"] == "CheckOtherRuns"
    commands = []
    for state in ("Load", "Model"):
        task = definition["States"][state]
        assert task["Resource"].endswith(":states:::ecs:runTask.sync")
        assert any("States.TaskFailed" in retry["ErrorEquals"] for retry in task["Retry"])
        commands.append(task["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"][-1])
    assert commands == ["load", "model"]
    assert definition["States"]["Load"]["Next"] == "Model"


def test_the_config_accepts_exactly_the_stack_names_the_template_does():
    from clickstream.config import InfraConfig

    metadata = InfraConfig.model_fields["stack_name"].metadata
    pattern = next(item.pattern for item in metadata if getattr(item, "pattern", None))
    assert pattern == TEMPLATES[ROOT_TEMPLATE]["Parameters"]["ProjectId"]["AllowedPattern"]


def _dockerfile() -> tuple[str, dict[str, str], set[str]]:
    """(USER, ENV, folders chowned to the user) of the repository's Dockerfile."""
    text = (TEMPLATE_DIR.parents[1] / "Dockerfile").read_text().replace("\\\n", " ")
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)[-1]
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", text, re.MULTILINE):
        env.update(re.findall(r"(\w+)=(\S+)", line))
    owned = {path for match in re.findall(rf"chown (?:-R )?{user}\S* ([^&\n]+)", text) for path in match.split()}
    return user, env, owned


def _writable_by_the_image_user(path: str, owned: set[str]) -> bool:
    return path.startswith("/tmp/") or any(path == root or path.startswith(root.rstrip("/") + "/") for root in owned)


def test_the_image_user_can_write_every_path_the_containers_write():
    user, env, owned = _dockerfile()
    assert user != "root"
    # The entry point's composed config: where the image's variable (or the module default) points.
    from clickstream.infra.container_config import DEFAULT_OUT, OUT_ENV

    assert _writable_by_the_image_user(env.get(OUT_ENV, DEFAULT_OUT), owned), env.get(OUT_ENV)
    # home, where the collector keeps its write-ahead log and dbt its artefacts, in every container.
    for name in ("ingestion.yaml", "modeling.yaml", "studio.yaml"):
        for node in _walk(TEMPLATES[name]["Resources"]):
            if isinstance(node, str) and '"home"' in node:
                home = re.search(r'"home": "([^"]+)"', node)
                assert home and _writable_by_the_image_user(home[1], owned), (name, node[:80])
            if isinstance(node, dict) and node.get("Name") == OUT_ENV:
                assert _writable_by_the_image_user(node["Value"], owned), name


# --- The one-run-at-a-time guard, run on a small interpreter of exactly the constructs it uses -------------


def _path(document: Any, context: dict[str, Any], path: str) -> Any:
    root, rest = (context, path[2:]) if path.startswith("$$") else (document, path[1:])
    value = root
    for part in [part for part in rest.split(".") if part]:
        if part.endswith("[*]"):
            value = value[part[:-3]]
            continue
        value = [item[part] for item in value] if isinstance(value, list) else value[part]
    return value


def _intrinsic(text: str, document: Any, context: dict[str, Any]) -> Any:
    match = re.fullmatch(r"(States\.\w+)\((.*)\)", text.strip())
    if not match:
        return int(text) if re.fullmatch(r"-?\d+", text.strip()) else _path(document, context, text.strip())
    name, inner = match[1], match[2]
    depth, args, start = 0, [], 0
    for index, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            args.append(inner[start:index])
            start = index + 1
    values = [_intrinsic(arg, document, context) for arg in [*args, inner[start:]]]
    functions: dict[str, Callable[..., Any]] = {
        "States.ArrayLength": lambda array: len(array),
        "States.ArrayGetItem": lambda array, index: array[index],
        "States.MathAdd": lambda a, b: a + b,
    }
    return functions[name](*values)


def _fill(template: dict[str, Any], document: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {
        key.removesuffix(".$"): _intrinsic(value, document, context) if key.endswith(".$") else value
        for key, value in template.items()
    }


def _guard_outcome(definition: dict[str, Any], me: str, running: list[str]) -> str:
    """Where an execution ``me`` goes when ListExecutions lists ``running`` (newest first)."""
    context = {"Execution": {"Id": me}}
    state_name: str = definition["StartAt"]
    document: dict[str, Any] = {}
    while state_name not in ("Load", "SkipWhileRunning"):
        state = definition["States"][state_name]
        if state["Type"] == "Task":  # CheckOtherRuns: the API's answer, through ResultSelector
            result = _fill(state["ResultSelector"], {"Executions": [{"ExecutionArn": arn} for arn in running]}, context)
        elif state["Type"] == "Pass":
            result = _fill(state["Parameters"], document, context)
        else:
            for choice in state["Choices"]:
                value = _path(document, context, choice["Variable"])
                if ("NumericGreaterThan" in choice and value > choice["NumericGreaterThan"]) or (
                    "StringEqualsPath" in choice and value == _path(document, context, choice["StringEqualsPath"])
                ):
                    state_name = choice["Next"]
                    break
            else:
                state_name = state["Default"]
            continue
        key = state["ResultPath"][2:]
        document = {**document, key: result}
        state_name = state["Next"]
    return state_name


def test_of_simultaneous_runs_exactly_the_oldest_goes_on():
    machine = TEMPLATES["modeling.yaml"]["Resources"]["StateMachine"]["Properties"]
    definition = json.loads(re.sub(r"\$\{[^}]+\}", "x", _sub_text(machine["DefinitionString"])))
    newest_first = ["arn:run-3", "arn:run-2", "arn:run-1"]
    outcomes = {run: _guard_outcome(definition, run, newest_first) for run in newest_first}
    assert outcomes == {"arn:run-3": "SkipWhileRunning", "arn:run-2": "SkipWhileRunning", "arn:run-1": "Load"}
    assert _guard_outcome(definition, "arn:alone", ["arn:alone"]) == "Load"
    # ListExecutions is eventually consistent: a run that does not see itself yet still goes on when alone.
    assert _guard_outcome(definition, "arn:new", []) == "Load"


def test_raw_expiry_comes_after_the_tiering_transition_for_every_allowed_retention():
    rule = next(
        rule
        for rule in TEMPLATES["storage.yaml"]["Resources"]["DataBucket"]["Properties"]["LifecycleConfiguration"][
            "Rules"
        ]
        if rule["Id"] == "raw-expiry"
    )
    transition_days = max(transition["TransitionInDays"] for transition in rule["Transitions"])
    assert TEMPLATES[ROOT_TEMPLATE]["Parameters"]["RawRetentionDays"]["MinValue"] > transition_days


def test_the_retained_redshift_namespace_keeps_its_login_secret():
    resources = TEMPLATES["modeling.yaml"]["Resources"]
    for name in ("Namespace", "AdminSecret"):
        assert resources[name]["DeletionPolicy"] == "Retain" and resources[name]["UpdateReplacePolicy"] == "Retain"


def test_the_studio_is_signed_in_by_itself_with_a_public_client_and_never_holds_the_warehouse_login():
    studio = TEMPLATES["studio.yaml"]
    client = studio["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${DomainName}/"}]
    actions = studio["Resources"]["StudioRule"]["Properties"]["Actions"]
    assert [action["Type"] for action in actions] == ["forward"]
    # it queries the warehouse as itself (tests/infra/test_studio_warehouse.py), never with the admin login
    assert "secretsmanager" not in json.dumps(studio["Resources"])
    assert "Secrets" not in json.dumps(studio["Resources"]["TaskDefinition"])


def test_the_ingestion_service_leaves_its_size_to_the_autoscaling():
    resources = TEMPLATES["ingestion.yaml"]["Resources"]
    assert "DesiredCount" not in resources["Service"]["Properties"]
    assert "RoleARN" not in resources["ScalableTarget"]["Properties"]
