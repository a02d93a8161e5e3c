"""The transform's key maps: every reserved SDK key has a place, everything else is a custom parameter."""

from __future__ import annotations

from clickstream.contract import EVENT_V2
from etl import transform


def test_every_known_top_level_key_and_attribute_has_a_slot() -> None:
    assert set(transform._TOP_SLOTS) == transform._TOP_LEVEL_KNOWN
    assert set(transform._ATTRIBUTE_SLOTS) == transform._ATTRIBUTES_KNOWN


def test_the_transform_columns_are_the_contract_columns_or_transient() -> None:
    contract = set(EVENT_V2.column_names)
    assert all(name in contract or name.startswith("_") for name in transform.EVENT_COLUMNS)


def test_unknown_keys_become_custom_parameters_with_their_type() -> None:
    from tests.conftest import make_job

    job = make_job(("shop",), freshness_hours=None)
    context = transform.RecordContext({"appId": "shop"}, "f", job.settings)
    event = {"event_id": "e", "app_id": "shop", "timestamp": 1, "event_type": "x", "unique_id": "u",
             "color": "red", "attributes": {"size": 3, "_session_id": "s"}}  # fmt: skip
    row = dict(zip(transform.EVENT_COLUMNS, transform.transform_event(event, context, job.settings), strict=True))
    assert row["custom_parameters"] == {"color": "red", "size": 3}
    assert row["session_id"] == "s"
