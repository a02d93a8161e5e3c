"""The AWS deployment (`infra`): stack, network, images and template parameters."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from clickstream.config._base import _Section

_SUBNET_PATTERN = r"^subnet-[0-9a-f]{8,17}$"


class InfraConfig(_Section):
    """`clickstream infra`: the AWS deployment (docs/deploy-aws.md). Only `render` works without the network
    keys; `deploy` names each one still missing. Any other template parameter goes under ``parameters``."""

    stack_name: str = Field(
        "clickstream", pattern=r"^[a-z][a-z0-9-]{2,19}$", description="Root stack name; prefixes resource names."
    )
    region: str | None = Field(None, description="AWS region; default: the AWS SDK's own lookup.")
    artifact_bucket: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Existing bucket `deploy` uploads the templates, base config and Spark job files to; "
        "required to deploy.",
    )
    artifact_prefix: str = Field("clickstream/artifacts/", description="Key prefix of those uploads.")
    build_dir: Path | None = Field(None, description="Where render and package write; default <home>/infra.")
    vpc_id: str | None = Field(None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="Existing VPC. Required to deploy.")
    vpc_cidr: str | None = Field(
        None, description="CIDR of that VPC (the collector trusts the ALB inside it). Required to deploy."
    )
    public_subnet_ids: list[str] = Field(
        default_factory=list, description="Subnets of the load balancer (2+). Required to deploy."
    )
    private_subnet_ids: list[str] = Field(
        default_factory=list, description="Subnets of tasks, EMR, Redshift (3 zones). Required to deploy."
    )
    image_uri: str | None = Field(
        None, description="The project image in ECR (built from `package`'s image/). Required to deploy."
    )
    spark_image_uri: str | None = Field(
        None, description="The EMR Serverless image (from `package`'s emr-image/). Required to deploy."
    )
    certificate_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:acm:", description="ACM certificate: HTTPS on 443, needed by the Studio."
    )
    sink: Literal["s3", "kinesis", "msk"] = Field(
        "s3",
        description="Where the collectors ship raw records: s3, kinesis (a stream and Firehose to raw/) "
        "or msk (an existing cluster).",
    )
    warehouse: Literal["redshift", "athena"] = Field("redshift", description="Redshift Serverless or Athena.")
    etl_schedule: str = Field("cron(0 1 * * ? *)", min_length=1, description="When the Spark ETL starts.")
    studio: bool = Field(False, description="Run Analytics Studio behind the load balancer.")
    studio_domain: str | None = Field(None, description="Host name of the Studio (covered by the certificate).")
    sign_in: Literal["cognito", "oidc", "none"] = Field(
        "cognito",
        description="Who signs Studio users in: cognito, oidc (Oidc* template parameters under parameters) or none.",
    )
    alarm_email: str | None = Field(None, description="E-mail subscribed to the alarms.")
    parameters: dict[str, str | int] = Field(
        default_factory=dict, description="Any other root template parameter by name, e.g. {IngestionMaxTasks: 20}."
    )

    @field_validator("artifact_prefix")
    @classmethod
    def _prefix_slash(cls, value: str) -> str:
        value = value.lstrip("/")
        return value if not value or value.endswith("/") else value + "/"

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not a CIDR such as 10.0.0.0/16") from None
        return value

    @field_validator("public_subnet_ids", "private_subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        bad = [subnet for subnet in value if not re.match(_SUBNET_PATTERN, subnet)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not a subnet id such as subnet-0123456789abcdef0")
        return value

    @model_validator(mode="after")
    def _studio_needs_https(self) -> InfraConfig:
        if self.studio and (self.certificate_arn is None or not self.studio_domain):
            raise ValueError("studio: true needs certificate_arn and studio_domain (the Studio signs in over HTTPS)")
        return self
