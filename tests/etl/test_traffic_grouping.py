"""The traffic-source enricher classifies once per group of rows, and every row gets its own classification.

Rows are grouped in Arrow on what classification reads (the page URL only by scheme, host and query); the
result must be what classifying each row on its own gives, with null and empty text kept apart.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.contract import EVENT_V2
from clickstream.etl.arrow_rows import build_table
from clickstream.etl.batch import TRANSIENT_COLUMNS
from clickstream.etl.enrich.plugins import _TRAFFIC_READ, _TRAFFIC_WRITE, TrafficSourceEnricher

ENRICHER = TrafficSourceEnricher(app_ids=("a", "b"))
# Few values per field, so that rows often differ in a single field (grouping must still tell them apart).
URLS = [None, "", "https://shop.example/p/1", "https://shop.example/p/2?utm_source=news", "shop.example/p/3"]
REFERRERS = [None, "", "https://www.google.com/search?q=shoes", "https://shop.example/"]
traffic_rows = st.lists(
    st.fixed_dictionaries(
        {
            "app_id": st.sampled_from(["a", "b"]),
            "page_view_page_url": st.sampled_from(URLS),
            "page_view_page_referrer": st.sampled_from(REFERRERS),
            "page_view_latest_referrer": st.sampled_from([None, "https://t.co/x"]),
            "page_view_latest_referrer_host": st.sampled_from([None, ""]),
            "page_view_hostname": st.sampled_from([None, "shop.example"]),
            "_traffic_attributes": st.sampled_from([None, '{"_utm_source":"mail"}']),
        }
    ),
    min_size=1,
    max_size=60,
)


def events(rows: list[dict[str, Any]]) -> Any:
    names = [*EVENT_V2.column_names, *TRANSIENT_COLUMNS]
    return build_table(EVENT_V2, names, [tuple(row.get(name) for name in names) for row in rows], TRANSIENT_COLUMNS)


@settings(max_examples=200, deadline=None)
@given(rows=traffic_rows)
def test_each_row_gets_the_classification_of_its_own_values(rows: list[dict[str, Any]]) -> None:
    enriched = ENRICHER.process(events(rows)).select(list(_TRAFFIC_WRITE)).to_pylist()
    for row, got in zip(rows, enriched, strict=True):
        expected = ENRICHER._classify(tuple(row[name] for name in _TRAFFIC_READ))
        assert got == dict(zip(_TRAFFIC_WRITE, expected, strict=True))
