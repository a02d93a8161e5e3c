"""The metadata catalog API: scanned events and parameters, with display names kept in the Studio's database."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clickstream.config import Config
from tests.support.studio import REQUEST_ID, signed_in

VIEW_ID = "demo#shop#view_item"


def test_events_come_with_their_counts(client: TestClient) -> None:
    events = {event["name"]: event for event in client.get("/api/metadata/events?appId=shop").json()}
    assert set(events) == {"_page_view", "add_to_cart", "purchase", "view_item"}
    assert events["view_item"]["summary"]["latestCount"] == 6


def test_parameters_come_with_their_value_lists(client: TestClient) -> None:
    parameters = {p["name"]: p for p in client.get("/api/metadata/event_parameters?appId=shop").json()}
    values = [entry["value"] for entry in parameters["product"]["summary"]["valueEnum"]]
    assert values == ["p1", "p2", "p3"]
    assert parameters["product"]["metadataSource"] == "Custom"


def test_one_event_lists_the_parameters_seen_with_it(client: TestClient) -> None:
    event = client.get("/api/metadata/event/view_item?appId=shop").json()
    assert [parameter["name"] for parameter in event["associatedParameters"]] == ["product"]


def test_path_nodes_are_the_scanned_page_titles(client: TestClient) -> None:
    nodes = client.get("/api/metadata/pathNodes?appId=shop").json()
    assert {entry["value"] for entry in nodes["pageTitles"]} == {"Home", "Cart"}


def test_user_attributes_are_listed(client: TestClient) -> None:
    assert [a["name"] for a in client.get("/api/metadata/user_attributes?appId=shop").json()] == ["tier", "_user_id"]


def test_a_display_name_is_saved_and_survives_a_restart(client: TestClient, studio_config: Config) -> None:
    body = {"appId": "shop", "id": VIEW_ID, "displayName": {"en-US": "Product viewed"},
            "description": {"en-US": "A product page was shown"}}  # fmt: skip
    saved = client.put("/api/metadata/display", json=body, headers=REQUEST_ID)
    assert saved.status_code == 200, saved.text
    assert saved.json()["updated_by"] == "local-admin"
    with signed_in(studio_config) as restarted:  # a new server process reads the same SQLite database
        events = {e["name"]: e for e in restarted.get("/api/metadata/events?appId=shop").json()}
    assert events["view_item"]["displayName"] == {"en-US": "Product viewed"}
    assert events["view_item"]["description"] == {"en-US": "A product page was shown"}
    assert (studio_config.home / "studio" / "studio.db").is_file()


def test_saving_twice_keeps_the_last_save(client: TestClient) -> None:
    for name in ("First", "Second"):
        body = {"appId": "shop", "id": "demo#shop#purchase", "displayName": {"en-US": name}}
        assert client.put("/api/metadata/display", json=body, headers=REQUEST_ID).status_code == 200
    events = {e["name"]: e for e in client.get("/api/metadata/events?appId=shop").json()}
    assert events["purchase"]["displayName"] == {"en-US": "Second"}


def test_search_matches_names_and_display_names(client: TestClient) -> None:
    body = {"appId": "shop", "id": "demo#shop#add_to_cart", "displayName": {"en-US": "Basket addition"}}
    client.put("/api/metadata/display", json=body, headers=REQUEST_ID)
    assert [e["name"] for e in client.get("/api/metadata/events?appId=shop&q=basket").json()] == ["add_to_cart"]
    assert [e["name"] for e in client.get("/api/metadata/events?appId=shop&q=_PAGE").json()] == ["_page_view"]


def test_an_unknown_entry_cannot_be_renamed(client: TestClient) -> None:
    body = {"appId": "shop", "id": "demo#shop#nothing", "displayName": {"en-US": "x"}}
    response = client.put("/api/metadata/display", json=body, headers=REQUEST_ID)
    assert response.status_code == 404


def test_a_change_without_the_request_id_header_is_refused(client: TestClient) -> None:
    body = {"appId": "shop", "id": VIEW_ID, "displayName": {"en-US": "x"}}
    response = client.put("/api/metadata/display", json=body)
    assert response.status_code == 400
    assert "X-Click-Stream-Request-Id" in response.json()["error"]


def test_an_unknown_app_is_404(client: TestClient) -> None:
    assert client.get("/api/metadata/events?appId=nope").status_code == 404


def test_the_postgresql_upsert_is_one_statement_on_the_id() -> None:
    from datetime import UTC, datetime

    from sqlalchemy.dialects import postgresql

    from clickstream.studio.store import upsert

    values = {"id": VIEW_ID, "project_id": "demo", "app_id": "shop", "display_name": {"en-US": "x"},
              "description": {}, "updated_at": datetime.now(UTC), "updated_by": "ana"}  # fmt: skip
    sql = str(upsert("postgresql", values).compile(dialect=postgresql.dialect()))
    assert "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name" in sql
