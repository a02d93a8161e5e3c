"""The built-in enrichers run as the first plugins of the chain when etl.enrichment turns them on."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from clickstream.etl.plugins import load_plugins
from clickstream.etl.process import EtlJob, InputOutput, process_content
from tests.support.config import make_config
from tests.support.data import seed_file

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def run(tmp_path: Path, content: bytes, **enrichment: object) -> InputOutput:
    config = make_config(tmp_path, etl={"freshness_hours": None, "enrichment": enrichment})
    job = EtlJob.from_config(config)
    return process_content(content, "raw/f", "f", job, load_plugins(job.plugins))


def record(ua: str, ip: str, **attributes: object) -> bytes:
    event = {"event_id": "e1", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "_page_view",
             "unique_id": "u1", "attributes": attributes}  # fmt: skip
    raw = {"appId": "shop", "ua": ua, "ip": ip, "ingest_time": 1_700_000_000_000, "data": json.dumps([event])}
    return orjson.dumps(raw)


def test_user_agent_and_geo_columns_match_the_originals_expected_rows(tmp_path: Path) -> None:
    [row] = run(tmp_path, record(IPHONE, "70.123.241.83")).events.to_pylist()
    for expected_file in ("test_enrich_UA_v2.json", "test_enrich_ip_v2.json"):
        want = json.loads(seed_file(f"expected/{expected_file}").read_text())
        for column, value in want.items():
            if column in ("ip", "geo_locale", "geo_region", "geo_metro"):
                continue  # not enrichment output, or an intentional difference tested in test_enrich_geo.py
            got = dict(row[column]) if column == "device_ua" else row[column]
            assert got == value, column


def test_the_traffic_source_of_a_web_visit_is_classified_from_its_referrer(tmp_path: Path) -> None:
    content = record(IPHONE, "8.8.8.8", _page_url="https://shop.example.com/", _page_referrer="https://www.google.com/")
    [row] = run(tmp_path, content).events.to_pylist()
    assert (row["traffic_source_source"], row["traffic_source_category"], row["traffic_source_channel_group"]) == (
        "Google",
        "Search",
        "Organic Search",
    )


def test_a_google_cpc_campaign_tagged_in_lower_case_is_paid_search(tmp_path: Path) -> None:
    url = "https://shop.example.com/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    [row] = run(tmp_path, record(IPHONE, "8.8.8.8", _page_url=url)).events.to_pylist()
    assert (row["traffic_source_source"], row["traffic_source_medium"]) == ("google", "cpc")
    assert (row["traffic_source_category"], row["traffic_source_channel_group"]) == ("Search", "Paid Search")


def test_sdk_sent_traffic_attributes_win_over_classification(tmp_path: Path) -> None:
    content = seed_file("original_data_with_traffic_source_v2.json").read_bytes()
    config = make_config(tmp_path, apps=[{"id": "uba-app"}], etl={"freshness_hours": None})
    job = EtlJob.from_config(config)
    output = process_content(content, "raw/f", "f", job, load_plugins(job.plugins))
    row = next(r for r in output.events.to_pylist() if r["event_id"] == "event_id_xxx1_web_session_start")
    assert (row["traffic_source_source"], row["traffic_source_medium"], row["traffic_source_clid"]) == (
        "google",
        "cpc",
        '{"type":"gclid","value":"gclid-1"}',
    )


def test_a_bot_is_rejected_with_reason_bot_by_default(tmp_path: Path) -> None:
    output = run(tmp_path, record(GOOGLEBOT, "66.249.66.1"))
    assert output.events.num_rows == 0
    assert [r["reason"] for r in output.rejects] == ["bot"]


def test_a_bot_is_kept_and_flagged_with_bots_flag(tmp_path: Path) -> None:
    [row] = run(tmp_path, record(GOOGLEBOT, "66.249.66.1"), bots="flag").events.to_pylist()
    assert row["device_ua_device_category"] == "Bot"


def test_ip_truncation_protects_source_ip_but_geo_uses_the_full_address(tmp_path: Path) -> None:
    [row] = run(tmp_path, record(IPHONE, "70.123.241.83"), ip_privacy="truncate").events.to_pylist()
    assert dict(row["process_info"])["source_ip"] == "70.123.241.0"
    assert row["geo_city"] == "Schertz"


def test_switched_off_enrichers_leave_their_columns_null(tmp_path: Path) -> None:
    [row] = run(tmp_path, record(IPHONE, "70.123.241.83"), user_agent=False, geo=False).events.to_pylist()
    assert (row["device_ua_browser"], row["geo_country"]) == (None, None)
    assert dict(row["device_ua"]) == {"string": IPHONE}


def test_pages_are_classified_as_the_classifier_would_each_one_alone(tmp_path: Path) -> None:
    from clickstream.etl.enrich.plugins import TrafficSourceEnricher
    from clickstream.etl.enrich.traffic_source import TrafficSourceInput

    urls = [
        "https://shop.example.com/a", "https://shop.example.com/b?utm_source=news&utm_medium=email",
        "https://shop.example.com/c#utm_source=ignored", "https://shop.example.com/d?gclid=abc",
        "https://other.example.org/e?fbclid=x", "not a url", None,
    ]  # fmt: skip
    referrers = [None, "https://www.google.com/", "https://shop.example.com/"]
    records = [
        record(IPHONE, "8.8.8.8", **({"_page_url": url} if url else {}), **({"_page_referrer": ref} if ref else {}))
        for url in urls
        for ref in referrers
    ]
    output = run(tmp_path, b"\n".join(records), user_agent=False, geo=False)
    classifier = TrafficSourceEnricher().classifier
    for row in output.events.to_pylist():
        attributes = {"_page_url": row["page_view_page_url"], "_page_referrer": row["page_view_page_referrer"],
                      "_latest_referrer": None, "_latest_referrer_host": None}  # fmt: skip
        alone = classifier.classify(TrafficSourceInput.from_attributes(attributes, row["page_view_hostname"]), "shop")
        assert tuple(row[f"traffic_source_{field}"] for field in alone._fields) == tuple(alone)
