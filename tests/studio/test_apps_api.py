"""``/api/app``: apps created, changed and deleted through the Studio, with the original's role rules
(and ``/api/pipeline``'s, which every role may read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from clickstream.state import AppStore, AuditLog, database_url, live_apps, open_engine
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import Issuer
from tests.studio.test_roles import GROUPS, call, cognito
from tests.support.config import make_config
from tests.support.studio import REQUEST_ID, oidc_config, signed_in

NEW_APP = {"projectId": "clickstream_demo", "appId": "blog", "name": "Blog", "description": "the company blog",
           "timezone": "Asia/Tokyo", "corsOrigins": ["https://blog.example.com"]}  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path / "home",
        apps=[{"id": "shop", "timezone": "Europe/Berlin"}],
        studio={"pipeline": {"collector_metrics_url": "http://127.0.0.1:9/metrics"}},  # nothing answers there
    )


@pytest.fixture
def client(config: Config) -> Iterator[TestClient]:
    with signed_in(config) as api:
        yield api


def test_the_config_apps_are_listed_with_their_timezone(client: TestClient) -> None:
    [shop] = client.get("/api/app").json()
    assert (shop["appId"], shop["timezone"], shop["projectId"], shop["deleted"]) == (
        "shop",
        "Europe/Berlin",
        "clickstream_demo",
        False,
    )


def test_a_created_app_is_listed_and_live_for_every_stage(client: TestClient, config: Config) -> None:
    created = client.post("/api/app", json=NEW_APP, headers=REQUEST_ID)
    assert created.status_code == 201, created.text
    assert created.json()["operator"] == "local-admin"
    assert [app["appId"] for app in client.get("/api/app").json()] == ["shop", "blog"]  # config order, then new
    assert client.get("/api/app/blog").json()["corsOrigins"] == ["https://blog.example.com"]
    live = live_apps(config)
    assert live.ids == {"shop", "blog"} and live.origins == ("https://blog.example.com",)
    assert {app.id: app.timezone for app in live.pipeline_config(config).apps}["blog"] == "Asia/Tokyo"


def test_an_app_id_that_exists_is_a_409(client: TestClient) -> None:
    response = client.post("/api/app", json={"appId": "shop"}, headers=REQUEST_ID)
    assert response.status_code == 409 and "exists already" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"appId": "1blog"}, "appId: starts with a letter"),
        ({"appId": "blog app"}, "appId: starts with a letter"),
        ({"appId": "blog", "timezone": "Mars/Olympus"}, "timezone: unknown timezone 'Mars/Olympus'"),
        ({"appId": "blog", "projectId": "other"}, "no project 'other'"),
    ],
)
def test_an_app_the_config_would_refuse_is_refused_with_the_field(client: TestClient, body: dict[str, Any],
                                                                  reason: str) -> None:  # fmt: skip
    response = client.post("/api/app", json=body, headers=REQUEST_ID)
    assert response.status_code in (400, 404) and reason in response.json()["error"], response.text


def test_an_origin_that_is_not_one_is_a_400_naming_the_field(client: TestClient) -> None:
    response = client.post("/api/app", json={"appId": "blog", "corsOrigins": ["javascript:alert(1)"]},
                           headers=REQUEST_ID)  # fmt: skip
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "corsOrigins"]


def test_a_timezone_change_reaches_the_live_list_and_outlasts_the_config(client: TestClient, config: Config) -> None:
    response = client.put("/api/app/shop/timezone", json={"timezone": "America/New_York"}, headers=REQUEST_ID)
    assert response.status_code == 200 and response.json()["timezone"] == "America/New_York"
    assert live_apps(config).find("shop").timezone == "America/New_York"  # type: ignore[union-attr]


def test_an_update_changes_the_given_fields_only(client: TestClient) -> None:
    client.post("/api/app", json=NEW_APP, headers=REQUEST_ID)
    response = client.put("/api/app/blog", json={"name": "Our blog"}, headers=REQUEST_ID)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"], response.json()["timezone"]) == (
        "Our blog", "the company blog", "Asia/Tokyo")  # fmt: skip


def test_an_app_id_cannot_change(client: TestClient) -> None:
    response = client.put("/api/app/shop", json={"appId": "shop2"}, headers=REQUEST_ID)
    assert response.status_code == 400 and "cannot change" in response.json()["error"]


def test_a_deleted_app_is_gone_from_the_collector_but_its_data_is_still_modelled(client: TestClient,
                                                                                 config: Config) -> None:  # fmt: skip
    assert client.delete("/api/app/shop", headers=REQUEST_ID).status_code == 200
    assert client.get("/api/app").json() == [] and client.get("/api/app/shop").status_code == 404
    live = live_apps(config)
    assert live.ids == frozenset() and [app.app_id for app in live.deleted] == ["shop"]
    assert [app.id for app in live.pipeline_config(config).apps] == ["shop"]
    # The Studio's next start seeds clickstream.yml again: a deleted config app stays deleted.
    with signed_in(config) as again:
        assert again.get("/api/app").json() == []


def test_a_deleted_app_can_be_created_again(client: TestClient) -> None:
    client.delete("/api/app/shop", headers=REQUEST_ID)
    response = client.post("/api/app", json={"appId": "shop", "timezone": "UTC"}, headers=REQUEST_ID)
    assert response.status_code == 201 and response.json()["deleted"] is False


def test_an_analysis_of_a_deleted_app_is_a_404(client: TestClient) -> None:
    client.delete("/api/app/shop", headers=REQUEST_ID)
    response = client.get("/api/metadata/events?appId=shop")
    assert response.status_code == 404 and "unknown app 'shop'" in response.json()["error"]


def test_every_change_is_audited_with_its_operator_and_status(client: TestClient, config: Config) -> None:
    client.post("/api/app", json=NEW_APP, headers={"X-Click-Stream-Request-Id": "r-1"})
    client.post("/api/app", json=NEW_APP, headers={"X-Click-Stream-Request-Id": "r-2"})
    client.get("/api/app")
    records = AuditLog(open_engine(database_url(config))).recent()
    assert [(r.operator, r.method, r.path, r.status, r.request_id) for r in records] == [
        ("local-admin", "POST", "/api/app", 409, "r-2"),
        ("local-admin", "POST", "/api/app", 201, "r-1"),
    ]


def test_a_call_refused_before_sign_in_is_audited_without_a_name(config: Config) -> None:
    with TestClient(create_app(config), base_url="http://127.0.0.1:8090") as anonymous:
        assert anonymous.delete("/api/app/shop", headers=REQUEST_ID).status_code == 401
    [record] = AuditLog(open_engine(database_url(config))).recent()
    assert (record.operator, record.status) == ("(not signed in)", 401)


def test_the_store_seeds_only_apps_it_lacks(config: Config) -> None:
    store = AppStore(open_engine(database_url(config)), config.project_id)
    assert store.seed(config.apps) == ["shop"]
    assert store.seed(config.apps) == []


@pytest.fixture
def oidc_client(config: Config, issuer: Issuer) -> Iterator[TestClient]:
    with TestClient(create_app(oidc_config(config, issuer.url))) as api:
        yield api


OPERATORS = {"Admin", "Operator"}
EVERYONE = {"Admin", "Operator", "Analyst", "AnalystReader"}
APP_ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str], int]] = [
    ("GET", "/api/app", None, EVERYONE, 200),
    ("GET", "/api/app/shop", None, EVERYONE, 200),
    ("POST", "/api/app", NEW_APP, OPERATORS, 201),
    ("PUT", "/api/app/shop", {"name": "Shop"}, OPERATORS, 200),
    ("PUT", "/api/app/shop/timezone", {"timezone": "UTC"}, OPERATORS, 200),
    ("DELETE", "/api/app/shop", None, OPERATORS, 200),
    ("GET", "/api/pipeline/clickstream_demo", None, EVERYONE, 200),
]


@pytest.mark.parametrize("role", sorted(GROUPS))
@pytest.mark.parametrize(("method", "path", "body", "roles", "ok"), APP_ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in APP_ROUTES])  # fmt: skip
def test_each_role_may_call_the_app_routes_as_in_the_original(
    oidc_client: TestClient, issuer: Issuer, role: str, method: str, path: str, body: dict[str, Any] | None,
    roles: set[str], ok: int,
) -> None:  # fmt: skip
    token = issuer.token(**cognito(GROUPS[role], email="ops@example.com"))
    assert call(oidc_client, method, path, body, token) == (ok if role in roles else 403)
