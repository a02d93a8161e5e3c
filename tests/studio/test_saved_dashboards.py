"""Saved dashboards: create and arrange them, publish analyses onto them, open them with their controls."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from tests.ingestion.test_auth import Issuer
from tests.studio.test_roles import GROUPS, call, cognito
from tests.support.studio import FIXED_JANUARY, REQUEST_ID, explore

BASE = "/api/project/clickstream_demo/shop/dashboard"
FUNNEL = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": "view_item"}, {"eventName": "purchase"}]}
EVENTS = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": "purchase"}], "groupColumn": "WEEK"}
READERS = {"Admin", "Analyst", "AnalystReader"}
WRITERS = {"Admin", "Analyst"}


def create(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post(BASE, json={"name": name, **extra}, headers=REQUEST_ID)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def publish(client: TestClient, kind: str, body: dict[str, Any], dashboard: dict[str, Any], **extra: Any) -> Any:
    sheet = dashboard["sheets"][0]["id"]
    target = {"action": "PUBLISH", "dashboardId": dashboard["id"], "sheetId": sheet}
    return client.post(f"/api/reporting/{kind}", headers=REQUEST_ID, json={**body, **target, **extra})


def test_a_new_dashboard_has_one_sheet_and_is_listed_before_the_rendered_ones(client: TestClient) -> None:
    created = create(client, "Weekly sales", description="what sells")
    assert [sheet["name"] for sheet in created["sheets"]] == ["Sheet 1"] and created["sheets"][0]["visuals"] == []
    listed = client.get(BASE).json()
    assert listed[0]["kind"] == "saved" and any(entry["id"] == created["id"] for entry in listed)
    assert client.get(f"{BASE}/{created['id']}").json()["description"] == "what sells"


def test_a_published_analysis_is_a_visual_that_reruns_to_the_same_rows(client: TestClient) -> None:
    dashboard = create(client, "Conversion")
    published = publish(client, "funnel", FUNNEL, dashboard, chartType="funnel", chartTitle="View to purchase")
    assert published.status_code == 200, published.text
    assert published.json()["rows"] == explore(client, "funnel", FUNNEL)["rows"]
    [visual] = client.get(f"{BASE}/{dashboard['id']}").json()["sheets"][0]["visuals"]
    assert (visual["id"], visual["title"], visual["chartType"], visual["analysis"]) == (
        published.json()["visualId"], "View to purchase", "funnel", "funnel")  # fmt: skip
    assert "action" not in visual["request"] and "dashboardId" not in visual["request"]
    opened = client.get(f"{BASE}/{dashboard['id']}/data").json()
    [answer] = opened["visuals"]
    assert answer["result"]["rows"] == explore(client, "funnel", FUNNEL)["rows"]


def test_the_dashboards_date_range_replaces_each_visuals(client: TestClient) -> None:
    dashboard = create(client, "Second week", controls={"timeScopeType": "FIXED", "timeStart": "2024-01-08",
                                                        "timeEnd": "2024-01-14"})  # fmt: skip
    publish(client, "event", EVENTS, dashboard)
    [answer] = client.get(f"{BASE}/{dashboard['id']}/data").json()["visuals"]
    expected = explore(client, "event", {**EVENTS, "timeStart": "2024-01-08", "timeEnd": "2024-01-14"})
    assert answer["result"]["rows"] == expected["rows"]
    assert answer["result"]["rows"] != explore(client, "event", EVENTS)["rows"]


def test_the_platform_control_keeps_only_those_platforms_events(client: TestClient) -> None:
    dashboard = create(client, "Web only")
    publish(client, "event", EVENTS, dashboard)
    [answer] = client.get(f"{BASE}/{dashboard['id']}/data", params={"platform": "Web"}).json()["visuals"]
    web = {"conditions": [{"category": "event_outer", "property": "platform", "operator": "in", "value": ["Web"]}]}
    assert answer["result"]["rows"] == explore(client, "event", {**EVENTS, "globalEventCondition": web})["rows"]
    assert answer["result"]["rows"] != explore(client, "event", EVENTS)["rows"]  # other platforms bought too


def test_opening_again_is_answered_from_the_cache_until_the_dashboard_changes(client: TestClient) -> None:
    dashboard = create(client, "Cached")
    publish(client, "event", EVENTS, dashboard)
    assert client.get(f"{BASE}/{dashboard['id']}/data").json()["cached"] is False
    assert client.get(f"{BASE}/{dashboard['id']}/data").json()["cached"] is True
    client.put(f"{BASE}/{dashboard['id']}", json={"name": "Renamed"}, headers=REQUEST_ID)
    assert client.get(f"{BASE}/{dashboard['id']}/data").json()["cached"] is False


def test_a_visual_that_fails_does_not_fail_the_others(client: TestClient) -> None:
    dashboard = create(client, "One broken", sheets=[{"name": "Main", "visuals": [
        {"title": "gone", "analysis": "event",
         "request": {**EVENTS, "eventAndConditions": [{"eventName": "no_such_event"}]}},
        {"title": "fine", "analysis": "event", "request": EVENTS},
    ]}])  # fmt: skip
    broken, fine = client.get(f"{BASE}/{dashboard['id']}/data").json()["visuals"]
    assert broken["status"] == 400 and "no_such_event" in broken["error"]
    assert fine["result"]["rows"] == explore(client, "event", EVENTS)["rows"]


def test_visuals_are_rearranged_and_removed_by_saving_the_sheets(client: TestClient) -> None:
    dashboard = create(client, "Arranged")
    first = publish(client, "event", EVENTS, dashboard, chartTitle="first").json()["visualId"]
    second = publish(client, "funnel", FUNNEL, dashboard, chartTitle="second").json()["visualId"]
    sheets = client.get(f"{BASE}/{dashboard['id']}").json()["sheets"]
    sheets[0]["visuals"].reverse()
    sheets.append({"name": "Later", "visuals": [sheets[0]["visuals"].pop()]})
    saved = client.put(f"{BASE}/{dashboard['id']}", json={"sheets": sheets}, headers=REQUEST_ID)
    assert saved.status_code == 200, saved.text
    layout = [[visual["id"] for visual in sheet["visuals"]] for sheet in saved.json()["sheets"]]
    assert layout == [[second], [first]]


def test_a_dashboard_is_deleted(client: TestClient) -> None:
    dashboard = create(client, "Short-lived")
    assert client.delete(f"{BASE}/{dashboard['id']}", headers=REQUEST_ID).status_code == 200
    assert client.get(f"{BASE}/{dashboard['id']}/data").status_code == 404


def test_publishing_needs_a_known_dashboard_and_sheet(client: TestClient) -> None:
    no_ids = client.post("/api/reporting/event", json={**EVENTS, "action": "PUBLISH"}, headers=REQUEST_ID)
    assert no_ids.status_code == 400 and "dashboardId and sheetId" in no_ids.json()["error"]
    unknown = publish(client, "event", EVENTS, {"id": "dash-nope", "sheets": [{"id": "sheet-1"}]})
    assert unknown.status_code == 404
    dashboard = create(client, "Sheets")
    wrong_sheet = client.post("/api/reporting/event", headers=REQUEST_ID, json={
        **EVENTS, "action": "PUBLISH", "dashboardId": dashboard["id"], "sheetId": "sheet-nope"})  # fmt: skip
    assert wrong_sheet.status_code == 404 and "no sheet" in wrong_sheet.json()["error"]


def test_a_visual_whose_request_would_never_run_is_refused_when_saved(client: TestClient) -> None:
    response = client.post(BASE, headers=REQUEST_ID, json={"name": "Bad", "sheets": [{"name": "S", "visuals": [
        {"analysis": "funnel", "request": {"appId": "shop", "eventAndConditions": "not a list"}}]}]})  # fmt: skip
    assert response.status_code == 400 and "eventAndConditions" in response.json()["error"]


def test_incomplete_controls_are_a_400(client: TestClient) -> None:
    response = client.post(BASE, json={"name": "x", "controls": {"timeScopeType": "FIXED"}}, headers=REQUEST_ID)
    assert response.status_code == 400


def test_a_dashboard_of_another_app_is_not_found(client: TestClient, studio_config: Config) -> None:
    dashboard = create(client, "Shop's")
    assert client.get(f"/api/project/clickstream_demo/other/dashboard/{dashboard['id']}/data").status_code == 404


@pytest.mark.parametrize("role", sorted(GROUPS))
@pytest.mark.parametrize(
    ("method", "suffix", "body", "roles", "ok"),
    [
        ("GET", "", None, READERS, 200),
        ("GET", "/{id}/data", None, READERS, 200),
        ("POST", "", {"name": "By role"}, WRITERS, 201),
        ("PUT", "/{id}", {"name": "Renamed"}, WRITERS, 200),
        ("DELETE", "/{id}", None, WRITERS, 200),
    ],
    ids=["list", "open", "create", "update", "delete"],
)
def test_each_role_may_use_the_dashboard_routes_as_in_the_original(
    oidc_studio: TestClient, issuer: Issuer, role: str, method: str, suffix: str, body: dict[str, Any] | None,
    roles: set[str], ok: int,
) -> None:  # fmt: skip
    admin = {"Authorization": f"Bearer {issuer.token(**cognito(GROUPS['Admin'], email='boss@example.com'))}"}
    created = oidc_studio.post(BASE, json={"name": "Roles"}, headers={**admin, **REQUEST_ID}).json()
    token = issuer.token(**cognito(GROUPS[role], email="ana@example.com"))
    assert call(oidc_studio, method, BASE + suffix.format(id=created["id"]), body, token) == (
        ok if role in roles else 403
    )


def test_a_reader_may_run_an_analysis_but_not_publish_it(oidc_studio: TestClient, issuer: Issuer) -> None:
    admin = {"Authorization": f"Bearer {issuer.token(**cognito(GROUPS['Admin'], email='boss@example.com'))}"}
    dashboard = oidc_studio.post(BASE, json={"name": "Readers"}, headers={**admin, **REQUEST_ID}).json()
    reader = issuer.token(**cognito(GROUPS["AnalystReader"], email="ana@example.com"))
    target = {"action": "PUBLISH", "dashboardId": dashboard["id"], "sheetId": dashboard["sheets"][0]["id"]}
    assert call(oidc_studio, "POST", "/api/reporting/event", EVENTS, reader) == 200
    assert call(oidc_studio, "POST", "/api/reporting/event", {**EVENTS, **target}, reader) == 403
