"""The apps allowed to send events (`apps`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from clickstream.config._base import _Section

# App ids may also hold hyphens (the original's fixtures use "uba-app"); they are never SQL identifiers.
_APP_ID_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_-]{0,126}$"


class AppConfig(_Section):
    """An application that may send events, with the timezone its reports use for dates."""

    id: str = Field(pattern=_APP_ID_PATTERN, description="App id sent by the SDK as `appId`.")
    timezone: str = Field("UTC", description="IANA timezone for the app's report dates.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'UTC' or 'Asia/Tokyo'") from None
        return value
