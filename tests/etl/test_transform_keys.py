"""The transform's key maps: every reserved SDK key has a place, everything else is a custom parameter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.contract import EVENT_V2
from clickstream.etl import event_slots, transform


def test_every_known_top_level_key_and_attribute_has_a_slot() -> None:
    assert set(event_slots.TOP_SLOTS) == event_slots.TOP_LEVEL_KNOWN
    assert set(event_slots.ATTRIBUTE_SLOTS) == event_slots.ATTRIBUTES_KNOWN


def test_the_transform_columns_are_the_contract_columns_or_transient() -> None:
    contract = set(EVENT_V2.column_names)
    assert all(name in contract or name.startswith("_") for name in event_slots.EVENT_COLUMNS)


def test_unknown_keys_become_custom_parameters_with_their_type() -> None:
    from tests.support.etl import make_job

    job = make_job(("shop",), freshness_hours=None)
    context = transform.RecordContext({"appId": "shop"}, "f", job.settings)
    event = {"event_id": "e", "app_id": "shop", "timestamp": 1, "event_type": "x", "unique_id": "u",
             "color": "red", "attributes": {"size": 3, "_session_id": "s"}}  # fmt: skip
    row = dict(zip(event_slots.EVENT_COLUMNS, transform.transform_event(event, context, job.settings), strict=True))
    assert row["custom_parameters"] == {"color": "red", "size": 3}
    assert row["session_id"] == "s"


# Each column filled from aliases, with the aliases in order of precedence (attribute names, or top-level keys).
ALIASES = {
    "app_install_source": ("_app_install_channel", "_app_install_source", "_install_channel"),
    "session_start_time_msec": ("_session_start_timestamp", "_session_start_time_msec"),
    "device_advertising_id": ("device_unique_id", "advertising_id"),
    "event_value_currency": ("event_value_currency", "currency", "_currency"),
    "traffic_source_source": ("_utm_source",),
    "traffic_source_medium": ("_utm_medium",),
    "traffic_source_campaign": ("_utm_campaign",),
    "traffic_source_content": ("_utm_content",),
    "traffic_source_term": ("_utm_term",),
    "traffic_source_campaign_id": ("_utm_id",),
    "traffic_source_clid_platform": ("_utm_source_platform",),
}
alias_values = st.dictionaries(
    st.sampled_from(sorted({alias for aliases in ALIASES.values() for alias in aliases})),
    st.none() | st.sampled_from(["", "a", "b"]) | st.integers(1, 3),
)


@settings(max_examples=300, deadline=None)
@given(sent=alias_values)
def test_a_column_with_aliases_takes_the_first_alias_sent_with_a_value(sent: dict[str, object]) -> None:
    from tests.support.etl import make_job

    job = make_job(("shop",), freshness_hours=None)
    context = transform.RecordContext({"appId": "shop"}, "f", job.settings)
    top = {key: value for key, value in sent.items() if not key.startswith("_")}
    attributes = {key: value for key, value in sent.items() if key.startswith("_")}
    event = {"event_id": "e", "app_id": "shop", "timestamp": 1, "event_type": "x", "unique_id": "u", **top,
             "attributes": attributes}  # fmt: skip
    row = dict(zip(event_slots.EVENT_COLUMNS, transform.transform_event(event, context, job.settings), strict=True))
    for column, aliases in ALIASES.items():
        present = [sent[alias] for alias in aliases if sent.get(alias) not in (None, "")]
        assert row[column] == (present[0] if present else None), column
