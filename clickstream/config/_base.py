"""Shared pieces of every section: the strict frozen base model, common patterns and validators."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_ID_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_]{0,126}$"
_S3_PREFIX_PATTERN = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=/-]*)?$"
_SECRET_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$"


def _checked_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not a URL; write it with its scheme, e.g. http://127.0.0.1:5000")
    return value


# An AWS-compatible endpoint (tests, proxies, other clouds): a URL with its scheme, or None for AWS itself.
EndpointUrl = Annotated[str | None, AfterValidator(_checked_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _slashed(value: str) -> str:
    return value if value.endswith("/") else value + "/"
