"""The transform's key maps: every reserved SDK key has a place, everything else is a custom parameter."""

from __future__ import annotations

from clickstream.contract import EVENT_V2
from etl import event_slots, transform


def test_every_known_top_level_key_and_attribute_has_a_slot() -> None:
    assert set(event_slots.TOP_SLOTS) == event_slots.TOP_LEVEL_KNOWN
    assert set(event_slots.ATTRIBUTE_SLOTS) == event_slots.ATTRIBUTES_KNOWN


def test_the_transform_columns_are_the_contract_columns_or_transient() -> None:
    contract = set(EVENT_V2.column_names)
    assert all(name in contract or name.startswith("_") for name in event_slots.EVENT_COLUMNS)


def test_unknown_keys_become_custom_parameters_with_their_type() -> None:
    from tests.conftest import make_job

    job = make_job(("shop",), freshness_hours=None)
    context = transform.RecordContext({"appId": "shop"}, "f", job.settings)
    event = {"event_id": "e", "app_id": "shop", "timestamp": 1, "event_type": "x", "unique_id": "u",
             "color": "red", "attributes": {"size": 3, "_session_id": "s"}}  # fmt: skip
    row = dict(zip(event_slots.EVENT_COLUMNS, transform.transform_event(event, context, job.settings), strict=True))
    assert row["custom_parameters"] == {"color": "red", "size": 3}
    assert row["session_id"] == "s"
