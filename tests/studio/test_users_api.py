"""``/api/user``: user records fix roles, the group mapping decides otherwise, and only an Admin changes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config, StudioConfig
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import Issuer
from tests.studio.test_roles import GROUPS, call, cognito
from tests.support.config import make_config
from tests.support.studio import REQUEST_ID, oidc_config, signed_in

ANA = "ana@example.com"


@pytest.fixture
def config(tmp_path: Path, issuer: Issuer) -> Config:
    return oidc_config(make_config(tmp_path / "home", apps=[{"id": "shop"}]), issuer.url)


@pytest.fixture
def api(config: Config) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as client:
        yield client


def as_user(issuer: Issuer, *groups: str, name: str = ANA) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(**cognito(*groups, email=name))}", **REQUEST_ID}


def roles_of(api: TestClient, headers: dict[str, str]) -> list[str]:
    response = api.get("/api/user/details", headers=headers)
    assert response.status_code == 200, response.text
    roles: list[str] = response.json()["roles"]
    return roles


def test_a_user_record_decides_the_roles_over_the_tokens_groups(api: TestClient, issuer: Issuer) -> None:
    admin = as_user(issuer, "ClickstreamAdmin", name="boss@example.com")
    reader = as_user(issuer, "ClickstreamAnalystReader")
    assert roles_of(api, reader) == ["AnalystReader"]
    created = api.post("/api/user", json={"id": ANA, "name": "Ana", "roles": ["Analyst", "Operator"]}, headers=admin)
    assert created.status_code == 201 and created.json()["operator"] == "boss@example.com"
    assert roles_of(api, reader) == ["Analyst", "Operator"]  # the same token, on its next request


def test_a_role_change_takes_effect_on_the_next_request(api: TestClient, issuer: Issuer) -> None:
    admin = as_user(issuer, "ClickstreamAdmin", name="boss@example.com")
    ana = as_user(issuer)
    api.post("/api/user", json={"id": ANA, "roles": ["AnalystReader"]}, headers=admin)
    assert call(api, "PUT", "/api/metadata/display", {"appId": "shop", "id": "x"}, None) == 401
    assert api.put("/api/metadata/display", json={"appId": "shop", "id": "x"}, headers=ana).status_code == 403
    assert api.put(f"/api/user/{ANA}", json={"roles": ["Analyst"]}, headers=admin).status_code == 200
    # past the role check now: the (empty) catalog has no entry x
    assert api.put("/api/metadata/display", json={"appId": "shop", "id": "x"}, headers=ana).status_code == 404


def test_deleting_the_record_gives_the_roles_back_to_the_tokens_groups(api: TestClient, issuer: Issuer) -> None:
    admin = as_user(issuer, "ClickstreamAdmin", name="boss@example.com")
    api.post("/api/user", json={"id": ANA, "roles": ["Admin"]}, headers=admin)
    assert api.delete(f"/api/user/{ANA}", headers=admin).status_code == 200
    assert roles_of(api, as_user(issuer, "ClickstreamAnalyst")) == ["Analyst"]
    assert api.delete(f"/api/user/{ANA}", headers=admin).status_code == 404


def test_saved_settings_map_other_group_names_and_another_claim(api: TestClient, issuer: Issuer) -> None:
    admin = as_user(issuer, "ClickstreamAdmin", name="boss@example.com")
    assert api.get("/api/user/settings", headers=admin).json() == {
        "roleJsonPath": "$.payload.cognito:groups", "adminRoleNames": "ClickstreamAdmin",
        "operatorRoleNames": "ClickstreamOperator", "analystRoleNames": "ClickstreamAnalyst",
        "analystReaderRoleNames": "ClickstreamAnalystReader",
    }  # fmt: skip
    settings = {
        "roleJsonPath": "$.payload.groups", "adminRoleNames": "ClickstreamAdmin,it-admins",
        "operatorRoleNames": "ops", "analystRoleNames": ["bi", "data"], "analystReaderRoleNames": "",
    }  # fmt: skip
    saved = api.post("/api/user/settings", json=settings, headers=admin)
    assert saved.status_code == 200 and saved.json()["analystRoleNames"] == "bi,data"
    token = issuer.token(groups=["data", "ops"], email="dev@example.com")
    assert roles_of(api, {"Authorization": f"Bearer {token}"}) == ["Analyst", "Operator"]
    # the Admin's own token carries cognito:groups, which the mapping no longer reads
    assert api.get("/api/user", headers=admin).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": ANA, "roles": ["Superuser"]}, "roles"),
        ({"id": "", "roles": ["Admin"]}, "id"),
        ({"id": ANA, "roles": ["Admin"], "email": ANA}, "email"),
    ],
)
def test_a_user_body_that_is_wrong_is_a_400_naming_the_field(api: TestClient, issuer: Issuer,
                                                             body: dict[str, Any], field: str) -> None:  # fmt: skip
    response = api.post("/api/user", json=body, headers=as_user(issuer, "ClickstreamAdmin"))
    assert response.status_code == 400 and response.json()["detail"][0]["loc"][-1] == field


def test_a_json_path_outside_the_payload_is_refused(api: TestClient, issuer: Issuer) -> None:
    settings = {"roleJsonPath": "$.header.kid", "adminRoleNames": "a", "operatorRoleNames": "b",
                "analystRoleNames": "c", "analystReaderRoleNames": "d"}  # fmt: skip
    response = api.post("/api/user/settings", json=settings, headers=as_user(issuer, "ClickstreamAdmin"))
    assert response.status_code == 400 and "payload" in response.json()["detail"][0]["msg"]


def test_a_second_record_of_the_same_id_is_a_409(api: TestClient, issuer: Issuer) -> None:
    admin = as_user(issuer, "ClickstreamAdmin")
    api.post("/api/user", json={"id": "x@example.com", "roles": []}, headers=admin)
    response = api.post("/api/user", json={"id": "x@example.com", "roles": []}, headers=admin)
    assert response.status_code == 409


def test_the_local_user_stays_admin_whatever_the_records_say(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    with signed_in(config) as local:
        assert local.post("/api/user", json={"id": "local-admin", "roles": ["AnalystReader"]},
                          headers=REQUEST_ID).status_code == 201  # fmt: skip
        assert local.get("/api/user/details").json()["roles"] == ["Admin"]


USER_ROUTES: list[tuple[str, str, dict[str, Any] | None, int]] = [
    ("GET", "/api/user", None, 200),
    ("POST", "/api/user", {"id": "new@example.com", "roles": ["Analyst"]}, 201),
    ("PUT", "/api/user/someone@example.com", {"roles": ["Analyst"]}, 404),
    ("DELETE", "/api/user/someone@example.com", None, 404),
    ("GET", "/api/user/settings", None, 200),
]


@pytest.mark.parametrize("role", sorted(GROUPS))
@pytest.mark.parametrize(("method", "path", "body", "ok"), USER_ROUTES, ids=[f"{m} {p}" for m, p, *_ in USER_ROUTES])
def test_only_an_admin_may_call_the_user_routes(api: TestClient, issuer: Issuer, role: str, method: str, path: str,
                                                body: dict[str, Any] | None, ok: int) -> None:  # fmt: skip
    token = issuer.token(**cognito(GROUPS[role], email="someone-else@example.com"))
    assert call(api, method, path, body, token) == (ok if role == "Admin" else 403)


def test_studio_config_is_unchanged_by_saved_settings(config: Config) -> None:
    assert StudioConfig.model_validate({}).roles.admin == ["ClickstreamAdmin"]
    assert config.studio.roles.claim == "cognito:groups"
