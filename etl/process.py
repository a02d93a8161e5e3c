"""One input's whole transform, storage-free: raw lines -> enriched chunks, rejects, then its users.

The local runner and the Spark runner both call :func:`process_lines` and write what it yields with the
same writer, which is why their outputs are identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from clickstream.config import Config
from clickstream.contract import EVENT_V2, ITEM_V2, STRING_MAP, RejectReason
from clickstream.etl.arrow_rows import map_column
from clickstream.etl.batch import DEFAULT_CHUNK_EVENTS, Chunk, Origin, event_payload, raw_lines, transform_lines
from clickstream.etl.gc_pause import gc_paused
from clickstream.etl.plugins import (
    REJECT_DETAIL,
    REJECT_REASON,
    EventPlugin,
    PluginFailed,
    PluginSpec,
    run_chain,
    with_column,
)
from clickstream.etl.settings import TransformSettings
from clickstream.etl.users import UserAccumulator


@dataclass(frozen=True)
class EtlJob:
    """Everything a worker needs to process inputs; picklable, the same for every worker of a run."""

    settings: TransformSettings
    plugins: tuple[PluginSpec, ...] = ()
    chunk_events: int = DEFAULT_CHUNK_EVENTS

    @classmethod
    def from_config(cls, config: Config, process_time: datetime | None = None) -> EtlJob:
        etl = config.etl
        settings = TransformSettings(
            project_id=config.project_id,
            app_ids=frozenset(config.app_ids),
            process_time=process_time or datetime.now(UTC),
            job_id=etl.job_id,
            time_shift=etl.time_shift,
            freshness_hours=etl.freshness_hours,
            truncate_strings=etl.truncate_strings,
            ip_privacy=etl.enrichment.ip_privacy,
            ip_hash_salt=etl.enrichment.ip_hash_salt or "",
            payload_limits=config.ingestion.payload_limits,
        )
        plugins = enrichment_plugins(config) + tuple(PluginSpec(plugin.name, plugin.options) for plugin in etl.plugins)
        return cls(settings, plugins, etl.chunk_events)


def enrichment_plugins(config: Config) -> tuple[PluginSpec, ...]:
    """The built-in enrichers ``etl.enrichment`` turns on, in the original's order: user agent, geo, traffic."""
    enrichment = config.etl.enrichment
    specs = []
    if enrichment.user_agent:
        specs.append(PluginSpec("user_agent", {"bots": enrichment.bots}))
    if enrichment.geo:
        database = str(enrichment.geo_database) if enrichment.geo_database else None
        specs.append(PluginSpec("geo_ip", {"database": database}))
    if enrichment.traffic_source:
        rules = str(enrichment.traffic_source_rules_dir) if enrichment.traffic_source_rules_dir else None
        specs.append(PluginSpec("traffic_source", {"rules_dir": rules, "app_ids": tuple(config.app_ids)}))
    return tuple(specs)


@dataclass
class ProcessedChunk:
    """Rows ready to write: enriched events and their items, and the rejects of the same raw records."""

    events: pa.Table
    items: pa.Table
    rejects: list[dict[str, Any]]
    records: int


@dataclass
class InputOutput:
    """A whole input's output in memory (tests and small inputs; runners stream chunks instead)."""

    events: pa.Table
    items: pa.Table
    users: pa.Table
    rejects: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0


def process_lines(
    lines: Iterable[bytes],
    source_file: str,
    source_id: str,
    job: EtlJob,
    plugins: Sequence[EventPlugin],
    users: UserAccumulator,
) -> Iterator[ProcessedChunk]:
    """Transform, run the plugin chain, and fold users chunk by chunk; rows a plugin rejected (and the
    whole chunk if a plugin fails) come back as rejects with the event's original payload."""
    for chunk in transform_lines(lines, source_file, source_id, job.settings, job.chunk_events):
        origin = Origin(source_id, source_file)
        rejects = list(chunk.rejects)
        events = chunk.events
        try:
            events = run_chain(plugins, events)
        except PluginFailed as failed:
            reasons = pa.array([str(RejectReason.PLUGIN_ERROR)] * events.num_rows, pa.string())
            events = events.append_column(REJECT_REASON, reasons).append_column(
                REJECT_DETAIL, pa.array([str(failed)] * events.num_rows, pa.string())
            )
        events = with_raw_user_agent(events)
        items = chunk.items
        if REJECT_REASON in events.column_names:
            rejected_mask = pc.is_valid(events.column(REJECT_REASON))
            if pc.any(rejected_mask).as_py():
                rejected = events.filter(rejected_mask)
                rejects += _plugin_rejects(rejected, chunk, origin, job.settings)
                events = events.filter(pc.invert(rejected_mask))
                gone = pc.is_in(items.column("event_id"), value_set=rejected.column("event_id").unique())
                items = items.filter(pc.invert(gone)) if pc.any(gone).as_py() else items
        users.add(events)
        yield ProcessedChunk(events.select(EVENT_V2.column_names), items, rejects, chunk.records)


def with_raw_user_agent(events: pa.Table) -> pa.Table:
    """``device_ua`` holds at least ``{"string": <User-Agent>}``, as the original writes it unparsed.

    The user-agent enricher fills the whole map; without it (or for rows it left empty) this step does,
    once per distinct user agent.
    """
    device_ua = events.column("device_ua")
    if device_ua.null_count == 0 or events.num_rows == 0:
        return events
    encoded = pc.dictionary_encode(events.column("_ua")).combine_chunks()
    maps = map_column([{"string": agent} for agent in encoded.dictionary.to_pylist()], STRING_MAP)
    raw = pc.take(maps, encoded.indices)
    return with_column(events, "device_ua", pc.if_else(pc.is_null(device_ua), raw, device_ua))


def _plugin_rejects(
    rejected: pa.Table, chunk: Chunk, origin: Origin, settings: TransformSettings
) -> list[dict[str, Any]]:
    found = []
    columns = ("_record_index", "_event_index", REJECT_REASON, REJECT_DETAIL)
    present = [
        rejected.column(name).to_pylist() if name in rejected.column_names else [None] * rejected.num_rows
        for name in columns
    ]
    # Chunk rows are grouped by partition (app and day); rejects keep the input's order.
    for record_index, event_index, reason, detail in sorted(zip(*present, strict=True), key=lambda row: row[:2]):
        line = chunk.lines[record_index]
        record = orjson.loads(line)
        where = Origin(origin.source_id, origin.source_file, record_index, record)
        found.append(where.reject(settings, reason, detail or reason, event_payload(line, event_index), event_index))
    return found


def process_content(
    content: bytes, source_file: str, source_id: str, job: EtlJob, plugins: Sequence[EventPlugin] = ()
) -> InputOutput:
    """A raw file's whole output in memory (bytes in, Arrow tables out)."""
    users = UserAccumulator()
    with gc_paused():
        max_line = job.settings.payload_limits.max_decoded_bytes
        chunks = list(process_lines(raw_lines(content, max_line), source_file, source_id, job, plugins, users))
    return InputOutput(
        events=pa.concat_tables([EVENT_V2.schema.empty_table(), *(chunk.events for chunk in chunks)]),
        items=pa.concat_tables([ITEM_V2.schema.empty_table(), *(chunk.items for chunk in chunks)]),
        users=users.table(job.settings),
        rejects=[reject for chunk in chunks for reject in chunk.rejects],
        records=sum(chunk.records for chunk in chunks),
    )
