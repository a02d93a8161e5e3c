"""The configuration layers and commands each deployed container gets, read from the templates themselves.

`render` and the tests check that the base config composed with these layers is valid, and that the
commands are real CLI commands. Reading them from the templates (rather than keeping a second copy of
the JSON in Python) means a template edit is checked the moment it is made. CloudFormation's
``Fn::If``/``Fn::Sub``/``Ref``/``Fn::GetAtt`` are resolved for one choice of sink, warehouse and sign-in,
with example names where only a deployed stack knows the real ones.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from clickstream.infra.templates_io import parse_template, template_texts

OVERRIDES_ENV = "CLICKSTREAM_CONFIG_OVERRIDES"
ENTRY_POINT = ["python", "-m", "clickstream.infra.container_config", "--"]
NO_VALUE = "AWS::NoValue"

# Stand-ins for what only the deployed stack knows; anything else in ${...} becomes "example".
EXAMPLE_NAMES: dict[str, str] = {
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": "123456789012",
    "DataBucket": "example-data",
    "PipelineBucket": "example-pipeline",
    "DataPrefix": "clickstream/",
    "VpcCidr": "10.0.0.0/16",
    "KafkaBootstrapServers": "b-1.example.kafka.eu-west-1.amazonaws.com:9094",
    "KafkaTopic": "clickstream-raw",
    "RawStream": "example-raw",
    "Workgroup": "example",
    "RedshiftDatabase": "dev",
    "AdminSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:example-AbCdEf",
    "CopyRole.Arn": "arn:aws:iam::123456789012:role/example-copy",
    "GlueDatabase": "example",
    "UserPool": "eu-west-1_Example",
    "UserPoolClient": "exampleclientid",
    "OidcIssuer": "https://issuer.example.com",
    "OidcClientId": "example-client",
    "OidcJwksUrl": "https://issuer.example.com/.well-known/jwks.json",
}


@dataclass(frozen=True)
class Container:
    """One deployed container: its template, its config layers (variable, JSON) and its commands."""

    template: str
    layers: tuple[tuple[str, str], ...]
    commands: tuple[tuple[str, ...], ...]


def conditions(sink: str, warehouse: str, sign_in: str, wal_storage: str = "EFS") -> dict[str, bool]:
    """The templates' condition names, true or false for one choice (config spellings: s3, redshift, cognito;
    ``wal_storage`` as the IngestionWalStorage parameter: EFS or TaskStorage)."""
    return {
        "EfsWal": wal_storage == "EFS",
        "S3Sink": sink == "s3",
        "KinesisSink": sink == "kinesis",
        "MskSink": sink == "msk",
        "Redshift": warehouse == "redshift",
        "Athena": warehouse == "athena",
        "Cognito": sign_in == "cognito",
        "Oidc": sign_in == "oidc",
    }


class _Resolver:
    def __init__(self, template: dict[str, Any], truth: dict[str, bool], parameters: dict[str, str]) -> None:
        self.template = template
        self.truth = truth
        self.parameters = parameters

    def name(self, name: str) -> str:
        if name == NO_VALUE:
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name.endswith(".Value") and name[: -len(".Value")] in self.template.get("Resources", {}):
            # An SSM parameter's value (the modeling stack's overrides).
            return str(self.value(self.template["Resources"][name[: -len(".Value")]]["Properties"]["Value"]))
        return EXAMPLE_NAMES.get(name, "example")

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            (key, argument), *_ = node.items()
            if key == "Fn::If":
                condition, when_true, when_false = argument
                return self.value(when_true if self.truth[condition] else when_false)
            if key == "Ref":
                return self.name(str(argument))
            if key == "Fn::GetAtt":
                return self.name(".".join(argument))
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                local = {name: str(self.value(value)) for name, value in variables.items()}
                return re.sub(r"\$\{([^}!]+)\}", lambda match: local.get(match[1]) or self.name(match[1]), text)
        if isinstance(node, dict):
            return {key: self.value(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.value(item) for item in node]
        return node


def resolved_resource(name: str, logical_id: str, sink: str, warehouse: str, sign_in: str = "none") -> Any:
    """A resource of template ``name`` as deployed for one choice (conditions decided, example names filled in),
    e.g. to compare a task role's granted actions with the calls its code makes."""
    template = parse_template(template_texts()[name])
    resource = _Resolver(template, conditions(sink, warehouse, sign_in), {}).value(template["Resources"][logical_id])
    return _without_no_value(resource)


def _without_no_value(node: Any) -> Any:
    """``node`` without the entries an ``Fn::If`` resolved to ``AWS::NoValue`` (as CloudFormation drops them)."""
    if isinstance(node, dict):
        return {key: _without_no_value(value) for key, value in node.items() if value != NO_VALUE}
    if isinstance(node, list):
        return [_without_no_value(item) for item in node if item != NO_VALUE]
    return node


def _commands_in(text: str) -> list[tuple[str, ...]]:
    """Commands the state machine runs through the entry point (its ContainerOverrides)."""
    found = re.findall(r'"Command": \[("python", "-m", "clickstream.infra.container_config", "--", [^\]]*)\]', text)
    return [tuple(part.strip().strip('"') for part in command.split(","))[len(ENTRY_POINT) :] for command in found]


def containers(
    sink: str, warehouse: str, sign_in: str = "none", studio: bool = False, wal_storage: str = "EFS"
) -> list[Container]:
    """The ingestion, modeling (and with ``studio`` the Studio) containers for one choice."""
    texts = template_texts()
    truth = conditions(sink, warehouse, sign_in, wal_storage)
    modeling_template = parse_template(texts["modeling.yaml"])
    modeling_overrides = str(
        _Resolver(modeling_template, truth, {}).value(
            {"Fn::GetAtt": ["RedshiftOverrides" if warehouse == "redshift" else "AthenaOverrides", "Value"]}
        )
    )
    names = ["ingestion.yaml", "modeling.yaml"] + (["studio.yaml"] if studio else [])
    found = []
    for name in names:
        template = modeling_template if name == "modeling.yaml" else parse_template(texts[name])
        resolver = _Resolver(template, truth, {"ModelingConfigOverrides": modeling_overrides})
        definition = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
        layers = tuple(
            (str(env["Name"]), str(resolver.value(env["Value"])))
            for env in definition["Environment"]
            if env["Name"] == OVERRIDES_ENV or str(env["Name"]).startswith(OVERRIDES_ENV + "_")
        )
        # The entry point applies the plain variable first, then the named ones in name order.
        layers = tuple(sorted(layers, key=lambda layer: (layer[0] != OVERRIDES_ENV, layer[0])))
        command = [str(part) for part in definition["Command"]]
        if command[: len(ENTRY_POINT)] != ENTRY_POINT:
            raise ValueError(f"{name}: the container does not start through {' '.join(ENTRY_POINT)}")
        commands = [tuple(command[len(ENTRY_POINT) :]), *_commands_in(texts[name])]
        found.append(Container(name, layers, tuple(dict.fromkeys(commands))))
    return found


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` laid over it; nested mappings merge, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
