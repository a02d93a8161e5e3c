"""The preset dashboards (`dashboards`): offline HTML and the QuickSight publisher's settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from clickstream.config._base import _SECRET_ARN_PATTERN, EndpointUrl, _Section

_QUICKSIGHT_PRINCIPAL_PATTERN = r"^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group)/[A-Za-z0-9_.@+=,/-]+$"


class QuickSightRefreshConfig(_Section):
    """When SPICE datasets are refreshed (``dashboards.quicksight.import_mode: SPICE``)."""

    interval: Literal["HOURLY", "DAILY", "WEEKLY", "MONTHLY"] = Field("DAILY", description="How often.")
    time_of_day: str = Field("03:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM in timezone.")
    timezone: str = Field("UTC", description="IANA timezone of time_of_day.")
    day_of_week: Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] | None = Field(
        None, description="The day of a WEEKLY refresh (required for WEEKLY, refused otherwise)."
    )
    day_of_month: int | Literal["LAST_DAY_OF_MONTH"] | None = Field(
        None, description="The day (1-28 or LAST_DAY_OF_MONTH) of a MONTHLY refresh (required for MONTHLY only)."
    )

    @model_validator(mode="after")
    def _day_fits_interval(self) -> QuickSightRefreshConfig:
        """QuickSight needs the day of a weekly or monthly refresh, and takes none for the others."""
        if self.interval == "WEEKLY" and self.day_of_week is None:
            raise ValueError("a WEEKLY refresh needs day_of_week, e.g. day_of_week: MONDAY")
        if self.interval == "MONTHLY" and self.day_of_month is None:
            raise ValueError("a MONTHLY refresh needs day_of_month: 1 to 28 or LAST_DAY_OF_MONTH")
        if self.day_of_week is not None and self.interval != "WEEKLY":
            raise ValueError("day_of_week is for a WEEKLY refresh; remove it or set interval: WEEKLY")
        if self.day_of_month is not None and self.interval != "MONTHLY":
            raise ValueError("day_of_month is for a MONTHLY refresh; remove it or set interval: MONTHLY")
        if isinstance(self.day_of_month, int) and not 1 <= self.day_of_month <= 28:
            raise ValueError("day_of_month must be 1 to 28 (QuickSight's limit) or LAST_DAY_OF_MONTH")
        return self


class QuickSightConfig(_Section):
    """``clickstream dashboards publish``: where and for whom the dashboards are published."""

    aws_account_id: str = Field(pattern=r"^[0-9]{12}$", description="The AWS account of the QuickSight subscription.")
    region: str | None = Field(None, description="QuickSight region; default: the warehouse's, else the SDK's.")
    endpoint_url: EndpointUrl = Field(None, description="QuickSight-compatible endpoint (tests).")
    principals: list[str] = Field(
        default_factory=list,
        description="QuickSight user/group ARNs given the dashboards, datasets and folder (owners); at least one.",
    )
    viewers: list[str] = Field(default_factory=list, description="QuickSight user/group ARNs that may view only.")
    resource_prefix: str = Field(
        "clickstream", pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,40}$", description="Prefix of every QuickSight resource id."
    )
    folder_name: str = Field("Clickstream", min_length=1, max_length=128, description="Shared folder of dashboards.")
    import_mode: Literal["DIRECT_QUERY", "SPICE"] = Field(
        "DIRECT_QUERY", description="DIRECT_QUERY: each view queries the warehouse; SPICE: imported on a schedule."
    )
    refresh: QuickSightRefreshConfig = Field(
        default_factory=QuickSightRefreshConfig, description="When SPICE datasets are refreshed."
    )
    redshift_host: str | None = Field(
        None, description="Redshift endpoint host for the data source; required with warehouse.type redshift."
    )
    redshift_port: int = Field(5439, ge=1, le=65535, description="Redshift endpoint port.")
    redshift_secret_arn: str | None = Field(
        None,
        pattern=_SECRET_ARN_PATTERN,
        description="Secrets Manager secret with the data source's login; default: warehouse.redshift.secret_arn "
        "(Redshift needs one of the two).",
    )
    vpc_connection_arn: str | None = Field(None, description="QuickSight VPC connection to reach a private Redshift.")
    athena_workgroup: str = Field("primary", min_length=1, description="Athena work group (Athena only).")

    @field_validator("principals", "viewers")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not re.match(_QUICKSIGHT_PRINCIPAL_PATTERN, arn):
                raise ValueError(
                    f"{arn!r} is not a QuickSight principal; write arn:aws:quicksight:<region>:<account>:user/"
                    "default/<name> or ...:group/default/<name>"
                )
        return value

    @model_validator(mode="after")
    def _someone_owns_the_resources(self) -> QuickSightConfig:
        """Resources created with no permissions exist but no user sees them in the QuickSight console."""
        if not self.principals:
            raise ValueError(
                "principals: list at least one QuickSight user or group ARN to own the dashboards, e.g. "
                "principals: [arn:aws:quicksight:us-east-1:123456789012:user/default/admin]"
            )
        return self


class DashboardsConfig(_Section):
    """The preset dashboards: offline HTML (`clickstream dashboards render`) and QuickSight (`... publish`)."""

    render: bool = Field(True, description="`clickstream run` re-renders the offline dashboards (DuckDB only).")
    days: int = Field(90, ge=1, le=3660, description="Days of data (up to the latest) embedded in each HTML file.")
    quicksight: QuickSightConfig | None = Field(None, description="Required by `clickstream dashboards publish`.")
