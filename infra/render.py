"""`clickstream infra render`: the templates, the base config and the stack parameters, from clickstream.yml.

Three things are derived from the configuration, all offline:

* the **base config**: the user's ``clickstream.yml`` without what the stacks decide (home, data_root,
  the sink, the warehouse engine, dbt's target and project folder). Every container and the Spark job read
  it; the stacks add their resource names on top (:mod:`clickstream.infra.container_config`). Its S3 key carries its
  content hash, so changing a setting makes a new task definition revision (a rolling update) and
  rolling back is deploying the old key again;
* the **artefact keys**: where `deploy` uploads the templates, the base config and the Spark job files,
  each keyed by content hash;
* the **parameters** of the root template, from the ``infra:`` section (plus ``infra.parameters``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clickstream.config import Config, parse_config
from clickstream.errors import ConfigError
from clickstream.infra import layers, spark_bundle
from clickstream.infra.layers import deep_merge  # noqa: F401  (re-exported: older imports use infra.render)
from clickstream.infra.templates_io import ROOT_TEMPLATE, parse_template, template_texts, templates_digest

SINK_TYPES = {"s3": "S3", "kinesis": "Kinesis", "msk": "MSK"}
MSK_PLACEHOLDER_BROKERS = "set-by-the-stack:9094"
MSK_PLACEHOLDER_TOPIC = "set-by-the-stack"
WAREHOUSES = {"redshift": "Redshift", "athena": "Athena"}
DEFAULT_DATA_PREFIX = "clickstream/"
# Set by render itself from the artefacts; never by hand.
ARTEFACT_PARAMETERS = ("TemplateKeyPrefix", "BaseConfigKey", "SparkCodeKey", "SparkEntryKey")
_LOCAL_PATH_KEYS = ("geo_database", "traffic_source_rules_dir")


@dataclass(frozen=True)
class ArtifactKeys:
    """S3 keys (in ``infra.artifact_bucket``) of everything `deploy` uploads."""

    template_prefix: str
    base_config: str
    spark_code: str
    spark_entry: str

    def template_key(self, name: str) -> str:
        return f"{self.template_prefix}{name}"


@dataclass
class Rendered:
    """What render produced: in memory, and written under ``out_dir``."""

    out_dir: Path
    templates: dict[str, str]
    base_config_text: str
    spark_code: bytes
    spark_entry: bytes
    keys: ArtifactKeys
    parameters: dict[str, str]
    missing: list[str]
    warnings: list[str] = field(default_factory=list)


def build_dir(config: Config) -> Path:
    return config.infra.build_dir or config.home / "infra"


def base_config(config: Config) -> tuple[dict[str, Any], list[str]]:
    """The settings every deployed component shares, and warnings about settings that cannot travel."""
    warnings: list[str] = []
    data = config.model_dump(mode="json", by_alias=True, exclude_unset=True)
    for key in ("home", "data_root", "infra"):
        data.pop(key, None)
    ingestion = data.setdefault("ingestion", {})
    kafka_settings = dict((ingestion.get("kafka") or {}).get("settings") or {})
    # The stack decides where the write-ahead logs live (the EFS mount) and each task names its own folder.
    for key in ("host", "port", "sink", "s3", "kinesis", "kafka", "trusted_proxies", "wal_root", "wal_task_id"):
        ingestion.pop(key, None)
    if config.infra.sink == "msk":
        # The stack sets the brokers and the topic; the producer settings are the user's (SASL/SCRAM ones
        # included), over TLS unless they chose otherwise. The two names here are replaced by the stack.
        ingestion["kafka"] = {
            "bootstrap_servers": MSK_PLACEHOLDER_BROKERS,
            "topic": MSK_PLACEHOLDER_TOPIC,
            "settings": {"security.protocol": "SSL", **kafka_settings},
        }
    if not ingestion:
        data.pop("ingestion")
    warehouse = data.get("warehouse", {})
    for key in ("type", "path", "redshift", "athena"):
        warehouse.pop(key, None)
    dbt = data.get("dbt", {})
    for key in ("target", "project_dir"):
        dbt.pop(key, None)
    enrichment = data.get("etl", {}).get("enrichment", {})
    for key in _LOCAL_PATH_KEYS:
        if enrichment.pop(key, None) is not None:
            warnings.append(
                f"etl.enrichment.{key} is a local path the Spark job cannot read; it was left out "
                "(bake the file into the EMR image and set it there, or keep the bundled default)"
            )
    if config.data_root is not None and config.storage_uri.startswith("s3://"):
        warnings.append(
            f"data_root {config.storage_uri}: the stack makes its own data bucket and keeps only this key prefix"
        )
    data = _without_empty(data)
    # Stage the result through the real model: what the containers get must be a valid configuration.
    parse_config(data, Path("/"), "base config for AWS")
    return data, warnings


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Drop mappings left empty by the stripping (a section the user never set)."""
    cleaned = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _without_empty(value)
            if not value:
                continue
        cleaned[key] = value
    return cleaned


def _check_composed(data: dict[str, Any], config: Config) -> None:
    """Every container's config, the base with the layers the templates give it, must be valid."""
    from clickstream.infra.container_config import compose

    infra = config.infra
    base_text = yaml.safe_dump(data, sort_keys=False)
    wal_storage = str(infra.parameters.get("IngestionWalStorage", _root_parameters()["IngestionWalStorage"]["Default"]))
    for container in layers.containers(
        infra.sink, infra.warehouse, infra.sign_in, studio=infra.studio, wal_storage=wal_storage
    ):
        try:
            compose(base_text, *container.layers)
        except ConfigError as error:
            raise ConfigError(
                f"the {container.template} containers would not start: {error.message}",
                hint=error.hint or "fix the setting named above in clickstream.yml",
            ) from None


def data_prefix(config: Config) -> str | None:
    """The key prefix of ``data_root`` when it is already on S3 (the stacks keep it), else None."""
    root = config.storage_uri
    if not root.startswith("s3://"):
        return None
    prefix = root[len("s3://") :].partition("/")[2].strip("/")
    return f"{prefix}/" if prefix else ""


def _root_parameters() -> dict[str, dict[str, Any]]:
    parameters: dict[str, dict[str, Any]] = parse_template(template_texts()[ROOT_TEMPLATE])["Parameters"]
    return parameters


def template_parameters(config: Config, keys: ArtifactKeys) -> tuple[dict[str, str], list[str]]:
    """The root stack's parameters and the names of required ones still unset (deploy refuses those)."""
    infra = config.infra
    declared = _root_parameters()
    values: dict[str, str | int | None] = {
        "ProjectId": infra.stack_name,
        "VpcId": infra.vpc_id,
        "VpcCidr": infra.vpc_cidr,
        "PublicSubnetIds": ",".join(infra.public_subnet_ids) or None,
        "PrivateSubnetIds": ",".join(infra.private_subnet_ids) or None,
        "ArtifactBucket": infra.artifact_bucket,
        "TemplateKeyPrefix": keys.template_prefix,
        "BaseConfigKey": keys.base_config,
        "SparkCodeKey": keys.spark_code,
        "SparkEntryKey": keys.spark_entry,
        "ImageUri": infra.image_uri,
        "SparkImageUri": infra.spark_image_uri,
        "CertificateArn": infra.certificate_arn,
        "DataPrefix": data_prefix(config),
        "SinkType": SINK_TYPES[infra.sink],
        "Warehouse": WAREHOUSES[infra.warehouse],
        "EtlSchedule": infra.etl_schedule,
        "StudioEnabled": "true" if infra.studio else "false",
        "StudioDomainName": infra.studio_domain,
        "SignIn": {"cognito": "Cognito", "oidc": "OIDC", "none": "None"}[infra.sign_in],
        "AlarmEmail": infra.alarm_email,
    }
    for name, value in infra.parameters.items():
        if name not in declared:
            raise ConfigError(
                f"infra.parameters.{name}: not a parameter of the root template",
                hint="allowed: " + ", ".join(sorted(set(declared) - set(ARTEFACT_PARAMETERS))),
            )
        if name in ARTEFACT_PARAMETERS:
            raise ConfigError(f"infra.parameters.{name}: set by render from the artefacts", hint="remove it")
        values[name] = value
    parameters = {name: str(value) for name, value in values.items() if value is not None}
    missing = [name for name, spec in declared.items() if "Default" not in spec and name not in parameters]
    return parameters, missing


def _key(prefix: str, folder: str, stem: str, data: bytes, suffix: str) -> str:
    return f"{prefix}{folder}/{stem}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


def render(config: Config, out_dir: Path | None = None) -> Rendered:
    """Work out everything offline and write templates/, clickstream.base.yml and parameters.json."""
    out = out_dir or build_dir(config)
    base, warnings = base_config(config)
    _check_composed(base, config)
    base_text = (
        "# Base configuration of the AWS deployment, made by `clickstream infra render` from clickstream.yml.\n"
        "# The stacks add home, data_root, the sink, the warehouse and dbt's target\n"
        "# (clickstream.infra.container_config).\n" + yaml.safe_dump(base, sort_keys=False)
    )
    texts = template_texts()
    code = spark_bundle.build_code_zip()
    entry = spark_bundle.entry_point_source()
    prefix = config.infra.artifact_prefix
    keys = ArtifactKeys(
        template_prefix=f"{prefix}templates/{templates_digest(texts)}/",
        base_config=_key(prefix, "config", "clickstream", base_text.encode(), ".yml"),
        spark_code=_key(prefix, "spark", "clickstream", code, ".zip"),
        spark_entry=_key(prefix, "spark", "spark_etl_entry", entry, ".py"),
    )
    parameters, missing = template_parameters(config, keys)
    (out / "templates").mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / "templates" / name).write_text(text, encoding="utf-8")
    (out / "clickstream.base.yml").write_text(base_text, encoding="utf-8")
    listing = [{"ParameterKey": name, "ParameterValue": value} for name, value in parameters.items()]
    (out / "parameters.json").write_text(json.dumps(listing, indent=2) + "\n", encoding="utf-8")
    return Rendered(out, texts, base_text, code, entry, keys, parameters, missing, warnings)
