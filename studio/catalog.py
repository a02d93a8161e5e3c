"""What a request may name: events, parameters and columns known to the metadata catalog.

Every identifier in generated SQL comes from here, never from the request text: a property is either a
column of the serving events table (from the Python contract, so its name and type are ours) or a custom
parameter the metadata scan found (looked up by value in the parameter map, never spliced as SQL). An
unknown name is a 400 listing what is known, not a query error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from clickstream.config import Config
from clickstream.contract import PROCESSED_TABLES

# fct_events columns the Studio may filter, group or aggregate by, beyond the event_v2 ones.
SESSION_COLUMNS = {
    "event_date": "string",
    "session_source": "string",
    "session_medium": "string",
    "session_campaign": "string",
    "session_channel_group": "string",
    "session_source_category": "string",
    "session_is_engaged": "boolean",
    "session_views": "int",
    "session_engagement_time_msec": "int",
}
_NOT_QUERYABLE = {"custom_parameters", "custom_parameters_json_str", "process_info"}
_USER_NOT_QUERYABLE = {"user_properties", "user_properties_json_str", "process_info", "event_timestamp", "app_id"}
CUSTOM_CATEGORY = "event"  # the metadata scan's category of custom parameters
USER_CATEGORIES = ("user", "user_outer")  # conditions on the user (dim_users), not on the event


def _value_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "double"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return "string"


def event_columns() -> dict[str, str]:
    """Columns of the serving events table by name, with their value type."""
    columns = {
        column.name: _value_type(column.arrow_type)
        for column in PROCESSED_TABLES["event_v2"].columns
        if column.name not in _NOT_QUERYABLE
    }
    columns.update(SESSION_COLUMNS)
    return columns


def user_columns() -> dict[str, str]:
    """Columns of the serving users table (dim_users, user_v2 parity) a condition may test."""
    return {
        column.name: _value_type(column.arrow_type)
        for column in PROCESSED_TABLES["user_v2"].columns
        if column.name not in _USER_NOT_QUERYABLE
    }


class UnknownName(ValueError):
    """A request named an event or property the catalog does not know."""


@dataclass(frozen=True)
class Property:
    """A resolved property: a column, or a custom parameter read from the map, of the events or users table."""

    name: str
    value_type: str
    custom: bool
    of_user: bool = False

    @property
    def map_column(self) -> str:
        return "user_properties" if self.of_user else "custom_parameters"


def _add_kind(kinds: dict[str, str], entry: dict[str, Any]) -> None:
    """Record a parameter's kind. One sent both as a number and as text (the catalog lists it once per value
    type, as the original) is text whatever the order: every value reads as text, and a numeric comparison
    still works with ``dataType`` double."""
    kind = "double" if entry.get("valueType") in ("int", "double", "float", "number") else "string"
    if kinds.get(entry["name"]) != "string":
        kinds[entry["name"]] = kind


@dataclass
class Catalog:
    """The scanned metadata of one home: events per app and custom parameters per app."""

    events: dict[str, set[str]] = field(default_factory=dict)
    custom_parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    user_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=event_columns)
    user_columns: dict[str, str] = field(default_factory=user_columns)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Catalog:
        catalog = cls(document=document)
        for event in document.get("events", []):
            catalog.events.setdefault(event["appId"], set()).add(event["name"])
        for parameter in document.get("eventParameters", []):
            if parameter.get("category") == CUSTOM_CATEGORY and parameter["name"] not in catalog.columns:
                _add_kind(catalog.custom_parameters.setdefault(parameter["appId"], {}), parameter)
        for attribute in document.get("userAttributes", []):
            if attribute.get("category") in USER_CATEGORIES and attribute["name"] not in catalog.user_columns:
                _add_kind(catalog.user_properties.setdefault(attribute["appId"], {}), attribute)
        return catalog

    def event(self, app_id: str, name: str) -> str:
        """``name`` if the app has sent that event, else :class:`UnknownName`."""
        known = self.events.get(app_id, set())
        if name not in known:
            sample = ", ".join(sorted(known)[:20]) or "none yet (run a pipeline cycle)"
            raise UnknownName(f"app {app_id} has no event named {name!r}; known events: {sample}")
        return name

    def property(self, app_id: str, name: str, category: str = CUSTOM_CATEGORY) -> Property:
        """A column of the events table (any category), a custom parameter (category event), or for the
        categories user and user_outer a column or property of the user."""
        if category in USER_CATEGORIES:
            return self._user_property(app_id, name)
        if name in self.columns:
            return Property(name, self.columns[name], custom=False)
        custom = self.custom_parameters.get(app_id, {})
        if name in custom and category in (CUSTOM_CATEGORY, "event_outer", "other"):
            return Property(name, custom[name], custom=True)
        raise UnknownName(
            f"app {app_id} has no property {name!r} in category {category!r}; use an event column "
            f"(e.g. platform, geo_country, page_view_page_title) or a custom parameter the metadata scan found"
            + (f" ({', '.join(sorted(custom)[:20])})" if custom else "")
        )

    def _user_property(self, app_id: str, name: str) -> Property:
        if name in self.user_columns:
            return Property(name, self.user_columns[name], custom=False, of_user=True)
        known = self.user_properties.get(app_id, {})
        if name in known:
            return Property(name, known[name], custom=True, of_user=True)
        raise UnknownName(
            f"app {app_id} has no user attribute {name!r}; use a user column (e.g. user_id, first_traffic_source)"
            + (f" or a user property the metadata scan found ({', '.join(sorted(known)[:20])})" if known else "")
        )


def catalog_file(config: Config) -> Path:
    """Where each pipeline cycle writes the catalog (the metadata stage)."""
    return config.home / "metadata" / "catalog.json"


def load_catalog(path: Path) -> Catalog:
    """The catalog at ``path``; an empty one when no cycle wrote it yet (every event name is then unknown)."""
    if not path.is_file():
        return Catalog()
    return Catalog.from_document(json.loads(path.read_text(encoding="utf-8")))
