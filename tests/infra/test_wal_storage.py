"""The collectors' write-ahead logs on EFS: the file system, its network and IAM, and the config that points at it.

Read from the templates as CloudFormation would resolve them (WalStorage EFS, the default, or TaskStorage).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from clickstream.config import parse_config
from clickstream.infra.container_config import compose
from clickstream.infra.layers import containers
from clickstream.infra.render import base_config, render
from clickstream.infra.templates_io import ROOT_TEMPLATE, parse_template, template_texts

TEMPLATES = {name: parse_template(text) for name, text in template_texts().items()}
INGESTION = TEMPLATES["ingestion.yaml"]
RESOURCES = INGESTION["Resources"]
TASK = RESOURCES["TaskDefinition"]["Properties"]
COLLECTOR = TASK["ContainerDefinitions"][0]
NETWORK = {
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.0.0.0/16",
    "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"],
    "artifact_bucket": "example-artifacts",
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/clickstream:1",
    "spark_image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/clickstream-spark:1",
}


def _when(node: Any, efs: bool) -> Any:
    """``node`` with each ``Fn::If`` on EfsWal resolved (the EFS choice or task storage)."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"} and node["Fn::If"][0] == "EfsWal":
            return _when(node["Fn::If"][1 if efs else 2], efs)
        return {key: _when(value, efs) for key, value in node.items()}
    if isinstance(node, list):
        return [_when(item, efs) for item in node if item != {"Ref": "AWS::NoValue"}]
    return node


def _wal_layer(efs: bool) -> dict[str, Any]:
    layer = next(env for env in COLLECTOR["Environment"] if env["Name"] == "CLICKSTREAM_CONFIG_OVERRIDES_WAL")
    parsed: dict[str, Any] = json.loads(_when(layer, efs)["Value"])
    return parsed


def test_the_collector_mounts_the_file_system_through_its_access_point_with_tls_and_iam() -> None:
    (volume,) = _when(TASK["Volumes"], efs=True)
    efs = volume["EFSVolumeConfiguration"]
    assert efs["FilesystemId"] == {"Ref": "WalFileSystem"}
    assert efs["TransitEncryption"] == "ENABLED"
    assert efs["AuthorizationConfig"] == {"AccessPointId": {"Ref": "WalAccessPoint"}, "IAM": "ENABLED"}
    (mount,) = _when(COLLECTOR["MountPoints"], efs=True)
    assert mount["SourceVolume"] == volume["Name"] and mount["ReadOnly"] is False
    # The collector's log root is that mount.
    assert _wal_layer(efs=True)["ingestion"]["wal_root"] == mount["ContainerPath"]


def test_with_task_storage_there_is_no_volume_and_no_log_root() -> None:
    assert _when({"v": TASK["Volumes"]}, efs=False) == {"v": {"Ref": "AWS::NoValue"}}
    assert _when({"m": COLLECTOR["MountPoints"]}, efs=False) == {"m": {"Ref": "AWS::NoValue"}}
    assert _wal_layer(efs=False) == {}
    efs_only = {"EfsWal", "EfsWalSecondZone", "EfsWalThirdZone"}
    for name, resource in RESOURCES.items():
        if name.startswith("Wal") and name != "WalMounted":
            assert resource.get("Condition") in efs_only, f"{name} would be made with task storage"


@pytest.mark.parametrize(("storage", "root"), [("EFS", "/mnt/wal"), ("TaskStorage", None)])
def test_the_composed_collector_config_logs_where_the_stack_put_the_storage(
    tmp_path: Path, storage: str, root: str | None
) -> None:
    config = parse_config(
        {"home": str(tmp_path), "ingestion": {"wal_root": "/local/wal", "wal_task_id": "laptop"}, "infra": NETWORK},
        tmp_path,
    )
    base, _ = base_config(config)
    assert "wal_root" not in base.get("ingestion", {}) and "wal_task_id" not in base.get("ingestion", {})
    collector = containers("s3", "redshift", wal_storage=storage)[0]
    merged = compose(yaml.safe_dump(base), *collector.layers)
    assert merged["ingestion"].get("wal_root") == root
    assert "wal_task_id" not in merged["ingestion"]  # each task names itself (its ECS task id)


def test_render_checks_the_containers_with_the_chosen_log_storage(tmp_path: Path) -> None:
    for storage in ("EFS", "TaskStorage"):
        config = parse_config(
            {"home": str(tmp_path), "infra": {**NETWORK, "parameters": {"IngestionWalStorage": storage}}}, tmp_path
        )
        rendered = render(config)
        assert rendered.parameters["IngestionWalStorage"] == storage
    collector = containers("s3", "redshift")[0]
    assert json.loads(dict(collector.layers)["CLICKSTREAM_CONFIG_OVERRIDES_WAL"]) == {
        "ingestion": {"wal_root": "/mnt/wal", "wal_writers": 2, "wal_preallocate": False}
    }
    assert compose(rendered.base_config_text, *collector.layers)["ingestion"]["wal_root"] == "/mnt/wal"


def test_the_file_system_is_encrypted_retained_tls_only_and_sized_by_parameters() -> None:
    resource = RESOURCES["WalFileSystem"]
    properties = resource["Properties"]
    assert properties["Encrypted"] is True
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert properties["PerformanceMode"] == {"Ref": "WalPerformanceMode"}
    assert properties["ThroughputMode"] == {"Ref": "WalThroughputMode"}
    assert {"TransitionToIA": "AFTER_7_DAYS"} in properties["LifecyclePolicies"]
    (deny,) = properties["FileSystemPolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    root = TEMPLATES[ROOT_TEMPLATE]["Parameters"]
    assert root["IngestionWalStorage"]["Default"] == "EFS"
    for child, parent in (
        ("WalPerformanceMode", "IngestionWalPerformanceMode"),
        ("WalThroughputMode", "IngestionWalThroughputMode"),
    ):
        assert INGESTION["Parameters"][child]["AllowedValues"] == root[parent]["AllowedValues"]


def _split_condition(expression: Any, subnets: list[str]) -> bool:
    """Evaluate the zone conditions (Not/Equals/Select/Split/Join over PrivateSubnetIds) for ``subnets``."""

    def value(node: Any) -> Any:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return [value(item) for item in node]
        ((function, argument),) = node.items()
        if function == "Ref":
            assert argument == "PrivateSubnetIds"
            return subnets
        if function == "Fn::Join":
            return argument[0].join(_flat(value(argument[1])))
        if function == "Fn::Split":
            return value(argument[1]).split(argument[0])
        if function == "Fn::Select":
            return value(argument[1])[int(argument[0])]
        if function == "Fn::Equals":
            return value(argument[0]) == value(argument[1])
        if function == "Fn::Not":
            return not value(argument[0])
        if function == "Fn::And":
            return all(value(item) for item in argument)
        if function in ("Condition", "Fn::Condition"):
            return True  # EfsWal
        raise AssertionError(function)

    return bool(value(expression))


def _flat(items: list[Any]) -> list[str]:
    return [part for item in items for part in (item if isinstance(item, list) else [item])]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_there_is_one_mount_target_per_private_subnet(count: int) -> None:
    subnets = [f"subnet-{n}" for n in range(count)]
    conditions = INGESTION["Conditions"]
    made = ["WalMountTargetFirstZone"] + [
        name
        for name, condition in (
            ("WalMountTargetSecondZone", "EfsWalSecondZone"),
            ("WalMountTargetThirdZone", "EfsWalThirdZone"),
        )
        if _split_condition(conditions[condition], subnets)
    ]
    assert len(made) == count
    for index, name in enumerate(made):
        properties = RESOURCES[name]["Properties"]
        assert properties["SubnetId"] == {"Fn::Select": [index, {"Ref": "PrivateSubnetIds"}]}
        assert properties["SecurityGroups"] == [{"Ref": "WalSecurityGroup"}]
        assert properties["FileSystemId"] == {"Ref": "WalFileSystem"}


def test_the_service_starts_only_once_every_mount_target_exists() -> None:
    assert "WalMounted" in RESOURCES["Service"]["DependsOn"]
    waited = json.dumps(RESOURCES["WalMounted"]["Metadata"])
    targets = {name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::EFS::MountTarget"}
    assert targets and all(f'"Ref": "{name}"' in waited for name in targets)


def test_only_the_collector_tasks_reach_the_file_system_over_nfs() -> None:
    group = RESOURCES["WalSecurityGroup"]["Properties"]
    assert group["SecurityGroupIngress"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 2049,
            "ToPort": 2049,
            "SourceSecurityGroupId": {"Ref": "TaskSecurityGroup"},
            "Description": "NFS from the collector tasks only",
        }
    ]
    assert [rule["CidrIp"] for rule in group["SecurityGroupEgress"]] == ["127.0.0.1/32"]
    egress = _when(RESOURCES["TaskSecurityGroup"]["Properties"]["SecurityGroupEgress"], efs=True)
    assert any(rule.get("FromPort") == rule.get("ToPort") == 2049 for rule in egress)
    task_storage = _when(RESOURCES["TaskSecurityGroup"]["Properties"]["SecurityGroupEgress"], efs=False)
    assert not any(rule.get("FromPort") == 2049 for rule in task_storage)


def test_the_task_role_may_mount_and_write_through_the_access_point_only() -> None:
    statements = RESOURCES["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    (wal,) = [s for s in _when(statements, efs=True) if s.get("Sid") == "WalFileSystem"]
    assert sorted(wal["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert wal["Resource"] == {"Fn::GetAtt": ["WalFileSystem", "Arn"]}
    assert wal["Condition"] == {
        "StringEquals": {"elasticfilesystem:AccessPointArn": {"Fn::GetAtt": ["WalAccessPoint", "Arn"]}}
    }
    assert not [s for s in _when(statements, efs=False) if s.get("Sid") == "WalFileSystem"]


def test_the_access_point_acts_as_the_images_user() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    uid = re.search(r"useradd [^\n]*--uid (\d+)", dockerfile)
    assert uid
    access_point = RESOURCES["WalAccessPoint"]["Properties"]
    assert access_point["PosixUser"]["Uid"] == uid[1]
    assert access_point["RootDirectory"]["CreationInfo"]["OwnerUid"] == uid[1]
    assert access_point["FileSystemId"] == {"Ref": "WalFileSystem"}
