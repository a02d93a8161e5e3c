"""The plugin chain: transformers and enrichers that work on chunks of ``event_v2`` rows as Arrow tables.

Like the original's plugin chain (reference section 3.2), plugins run in a configured order after the
core transform. They are found by name in the ``clickstream.etl_plugins`` entry-point group, so a
separate package can ship one; the built-in enrichers are registered there too. A plugin receives the
chunk with the transient columns (``_ua``, ``_ip``, ``_traffic_attributes``, ``_user``) and returns a
table of the same rows and columns; to drop a row it sets ``_reject_reason`` (and ``_reject_detail``),
and the row goes to ``rejected`` with that reason instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from clickstream.errors import ConfigError

PLUGIN_GROUP = "clickstream.etl_plugins"
REJECT_REASON = "_reject_reason"
REJECT_DETAIL = "_reject_detail"
_STRING = pa.string()


@runtime_checkable
class EventPlugin(Protocol):
    """One step of the chain. ``process`` must return the same rows, in the same order."""

    name: str

    def process(self, events: pa.Table) -> pa.Table: ...


@dataclass(frozen=True)
class PluginSpec:
    """A configured plugin: its entry-point name and the keyword options its factory takes."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)


def available_plugins() -> dict[str, Any]:
    """Entry points of the plugin group by name."""
    return {entry.name: entry for entry in entry_points(group=PLUGIN_GROUP)}


def load_plugins(specs: Sequence[PluginSpec]) -> list[EventPlugin]:
    """Instantiate the configured chain; an unknown name or bad options is a config error naming the fix."""
    found = available_plugins()
    chain: list[EventPlugin] = []
    for position, spec in enumerate(specs):
        entry = found.get(spec.name)
        if entry is None:
            known = ", ".join(sorted(found)) or "none installed"
            raise ConfigError(
                f"etl.plugins[{position}].name: no ETL plugin named {spec.name!r}; installed plugins: {known}. "
                f"A plugin package registers itself in the entry-point group {PLUGIN_GROUP!r}."
            )
        try:
            plugin = entry.load()(**dict(spec.options))
        except TypeError as exc:
            raise ConfigError(
                f"etl.plugins[{position}].options: plugin {spec.name!r} rejected its options: {exc}"
            ) from None
        if not isinstance(plugin, EventPlugin):
            raise ConfigError(f"etl.plugins[{position}]: {entry.value} does not provide name and process(events)")
        chain.append(plugin)
    return chain


class PluginFailed(Exception):
    """A plugin raised or broke the chunk's shape; the chunk's events are rejected with ``plugin_error``."""

    def __init__(self, plugin: str, detail: str) -> None:
        super().__init__(f"plugin {plugin!r} failed: {detail}")
        self.plugin = plugin


def run_chain(plugins: Sequence[EventPlugin], events: pa.Table) -> pa.Table:
    """Apply the chain to one chunk, checking each step kept the rows and the columns' types."""
    for plugin in plugins:
        try:
            result = plugin.process(events)
        except Exception as exc:  # a plugin's bug must not lose the chunk: it is rejected with the cause
            raise PluginFailed(plugin.name, f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(result, pa.Table) or result.num_rows != events.num_rows:
            raise PluginFailed(plugin.name, "it must return a pyarrow Table with the same number of rows")
        _check_columns(plugin.name, events.schema, result.schema)
        events = result
    return events


def _check_columns(plugin: str, before: pa.Schema, after: pa.Schema) -> None:
    """Raise :class:`PluginFailed` unless ``after`` has every column of ``before`` with the same type."""
    if after.equals(before):  # the usual case, decided in one C++ call
        return
    types = dict(zip(after.names, after.types, strict=True))
    for name, arrow_type in zip(before.names, before.types, strict=True):
        found = types.get(name)
        if found is None:
            raise PluginFailed(plugin, f"it dropped the column {name}")
        if not found.equals(arrow_type):
            raise PluginFailed(plugin, f"it changed the type of {name} to {found}")


def with_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with column ``name`` replaced (keeping its field metadata) or appended."""
    index = table.schema.get_field_index(name)
    if index < 0:
        return table.append_column(name, values)
    return table.set_column(index, table.schema.field(index), values)


def mark_rejected(events: pa.Table, mask: pa.Array, reason: str, detail: str) -> pa.Table:
    """Set ``_reject_reason``/``_reject_detail`` on the rows of ``mask`` (rows already rejected keep theirs)."""
    count = events.num_rows
    previous = events.column(REJECT_REASON) if REJECT_REASON in events.column_names else pa.nulls(count, _STRING)
    previous_detail = events.column(REJECT_DETAIL) if REJECT_DETAIL in events.column_names else pa.nulls(count, _STRING)
    reasons = pc.coalesce(previous, pc.if_else(mask, pa.scalar(str(reason)), pa.nulls(count, _STRING)))
    details = pc.coalesce(previous_detail, pc.if_else(mask, pa.scalar(detail), pa.nulls(count, _STRING)))
    return with_column(with_column(events, REJECT_REASON, reasons), REJECT_DETAIL, details)
