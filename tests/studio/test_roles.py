"""Sign-in and the original's role rules: OIDC tokens mapped to roles, and the local single-user mode."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config, StudioConfig
from clickstream.errors import ConfigError
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import AUDIENCE, ISSUER, Issuer
from tests.support.config import make_config
from tests.support.studio import FIXED_JANUARY, LOCAL_URL, PASSWORD, REQUEST_ID

GROUPS = {"Admin": "ClickstreamAdmin", "Operator": "ClickstreamOperator", "Analyst": "ClickstreamAnalyst",
          "AnalystReader": "ClickstreamAnalystReader"}  # fmt: skip
FUNNEL = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": "view_item"}, {"eventName": "purchase"}]}
DISPLAY = {"appId": "shop", "id": "demo#shop#purchase", "displayName": {"en-US": "Order"}}

# (method, path, body, roles allowed): the original's rules for the routes the Studio has
ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("POST", "/api/reporting/funnel", FUNNEL, {"Admin", "Analyst", "AnalystReader"}),
    ("GET", "/api/metadata/events?appId=shop", None, {"Admin", "Analyst", "AnalystReader"}),
    ("PUT", "/api/metadata/display", DISPLAY, {"Admin", "Analyst"}),
    ("GET", "/api/project/demo/shop/dashboard", None, {"Admin", "Analyst", "AnalystReader"}),
    ("GET", "/api/system/info", None, {"Admin", "Operator", "Analyst", "AnalystReader"}),
    ("GET", "/api/app", None, {"Admin", "Operator", "Analyst", "AnalystReader"}),
]


def cognito(*groups: str, **claims: Any) -> dict[str, Any]:
    """A Cognito ID token's claims: its groups (a claim name no keyword argument can spell) and ``claims``."""
    return {"cognito:groups": list(groups), **claims}


def call(client: TestClient, method: str, path: str, body: dict[str, Any] | None, token: str | None) -> int:
    headers = dict(REQUEST_ID)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    # starlette's TestClient.request is typed through httpx's private aliases, which mypy reads as Any
    response: httpx.Response = client.request(method, path, json=body, headers=headers)
    return response.status_code


@pytest.mark.parametrize("role", sorted(GROUPS))
@pytest.mark.parametrize(("method", "path", "body", "roles"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_each_role_is_allowed_or_refused_as_in_the_original(
    oidc_studio: TestClient, issuer: Issuer,
    role: str, method: str, path: str, body: dict[str, Any] | None, roles: set[str],
) -> None:  # fmt: skip
    token = issuer.token(**cognito(GROUPS[role], email="ana@example.com"))
    assert call(oidc_studio, method, path, body, token) == (200 if role in roles else 403)


def test_user_details_name_the_user_and_roles(oidc_studio: TestClient, issuer: Issuer) -> None:
    token = issuer.token(**cognito("ClickstreamAnalyst", "unrelated", email="ana@example.com"))
    response = oidc_studio.get("/api/user/details", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"name": "ana@example.com", "roles": ["Analyst"]}
    assert response.headers["X-Click-Stream-Operator"] == "ana@example.com"


def test_a_user_without_a_mapped_group_is_refused_analyses(oidc_studio: TestClient, issuer: Issuer) -> None:
    token = issuer.token(**cognito("SomethingElse"))
    assert call(oidc_studio, "POST", "/api/reporting/funnel", FUNNEL, token) == 403
    assert call(oidc_studio, "GET", "/api/user/details", None, token) == 200


def test_a_route_no_rule_names_is_refused(oidc_studio: TestClient, issuer: Issuer) -> None:
    from clickstream.studio.auth import allowed

    assert not allowed("GET", "/api/somewhere/else", {"Admin"})
    assert not allowed("DELETE", "/api/system/info", {"Admin"})


@pytest.mark.parametrize(
    ("claims", "status"),
    [({"aud": "someone-else"}, 401), ({"iss": "https://evil.example.com/"}, 401), ({"exp": 1}, 401)],
    ids=["audience", "issuer", "expired"],
)
def test_tokens_with_wrong_claims_are_401(
    oidc_studio: TestClient,
    issuer: Issuer,
    claims: dict[str, Any],
    status: int,
) -> None:
    token = issuer.token(**cognito("ClickstreamAdmin", **claims))
    assert call(oidc_studio, "GET", "/api/metadata/events?appId=shop", None, token) == status


def test_no_token_is_401(oidc_studio: TestClient) -> None:
    assert call(oidc_studio, "GET", "/api/metadata/events?appId=shop", None, None) == 401


def test_groups_map_by_configured_names_and_comma_lists(studio_config: Config, issuer: Issuer) -> None:
    settings = StudioConfig.model_validate({
        "auth": "oidc", "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": issuer.url},
        "roles": {"claim": "groups", "analyst_reader": ["viewers,guests"]},
    })  # fmt: skip
    with TestClient(create_app(studio_config.model_copy(update={"studio": settings}))) as client:
        token = issuer.token(groups=["guests"])
        response = client.get("/api/user/details", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["roles"] == ["AnalystReader"]


# --- local mode ----------------------------------------------------------------------------------------------


def test_local_mode_needs_the_password(studio_config: Config) -> None:
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        assert client.get("/api/metadata/events?appId=shop").status_code == 401
        assert client.post("/auth/login", json={"password": "wrong-password"}).status_code == 401
        assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
        assert client.get("/api/user/details").json() == {"name": "local-admin", "roles": ["Admin"]}
        client.post("/auth/logout")
        assert client.get("/api/metadata/events?appId=shop").status_code == 401


def test_a_copied_session_cookie_stops_working_at_logout(studio_config: Config) -> None:
    app = create_app(studio_config, password=PASSWORD)
    with TestClient(app, base_url=LOCAL_URL) as browser, TestClient(app, base_url=LOCAL_URL) as copier:
        assert browser.post("/auth/login", json={"password": PASSWORD}).status_code == 200
        copied = {"Cookie": f"clickstream_studio_session={browser.cookies['clickstream_studio_session']}"}
        assert copier.get("/api/user/details", headers=copied).status_code == 200  # a client with no cookie jar
        assert browser.post("/auth/logout").status_code == 200
        assert copier.get("/api/user/details", headers=copied).status_code == 401
        assert copier.get("/auth/session", headers=copied).json()["signedIn"] is False


def test_a_forged_session_cookie_is_refused(studio_config: Config) -> None:
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        client.cookies.set("clickstream_studio_session", "99999999999.0123abcd")
        assert client.get("/api/user/details").status_code == 401


def test_local_mode_only_binds_to_loopback(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match=r"studio: auth local .* loopback only"):
        make_config(tmp_path, studio={"host": "0.0.0.0"})


def test_the_cli_refuses_a_public_host_in_local_mode(tmp_path: Any) -> None:
    from clickstream.studio.server import serve

    with pytest.raises(ConfigError, match="binds to loopback only"):
        serve(make_config(tmp_path), host="0.0.0.0", port=0, publish=False)


def test_a_user_name_outside_latin_1_is_sent_percent_encoded(oidc_studio: TestClient, issuer: Issuer) -> None:
    from urllib.parse import unquote

    token = issuer.token(**cognito("ClickstreamAnalyst", email="张伟@example.com"))
    response = oidc_studio.get("/api/user/details", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["name"] == "张伟@example.com"
    operator = response.headers["X-Click-Stream-Operator"]
    assert operator.startswith("UTF-8''") and unquote(operator.removeprefix("UTF-8''")) == "张伟@example.com"


def test_the_api_description_needs_a_sign_in_and_no_page_loads_from_a_cdn(studio_config: Config) -> None:
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
        client.post("/auth/login", json={"password": PASSWORD})
        described = client.get("/openapi.json").json()
        assert "/api/reporting/funnel" in described["paths"] and "/openapi.json" not in described["paths"]


def test_any_signed_in_role_may_read_the_api_description(oidc_studio: TestClient, issuer: Issuer) -> None:
    token = issuer.token(**cognito("SomethingElse"))
    assert oidc_studio.get("/openapi.json", headers={"Authorization": f"Bearer {token}"}).status_code == 200
