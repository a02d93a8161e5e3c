"""Optional authentication: per-app API keys, or OIDC bearer tokens checked against a JWKS on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clickstream.config import Config
from clickstream.errors import ConfigError
from tests.support.collector import LiveCollector, live_collector
from tests.support.config import make_config
from tests.support.loopback import QuietHandler, serving

SHOP_KEY = "shop-key-0123456789abcdef"
ISSUER = "https://login.example.com/"
AUDIENCE = "clickstream-collector"


def post(live: LiveCollector, headers: dict[str, str], app_id: str = "shop") -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    connection.request("POST", f"/collect?appId={app_id}", body=b"[]", headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, {key.lower(): value for key, value in response.getheaders()}


def test_authentication_is_off_by_default(tmp_path: Path) -> None:
    with live_collector(make_config(tmp_path / "home")) as live:
        assert post(live, {})[0] == 200


# --- API keys ------------------------------------------------------------------------------------


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[LiveCollector]:
    auth = {"mode": "api_key", "api_keys": {"shop": [SHOP_KEY], "uba-app": ["uba-key-0123456789abcdef"]}}
    with live_collector(make_config(tmp_path / "home", ingestion={"auth": auth})) as live:
        yield live


def test_a_configured_api_key_for_the_app_is_accepted(keyed: LiveCollector) -> None:
    assert post(keyed, {"X-Api-Key": SHOP_KEY})[0] == 200


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 401, b"missing X-Api-Key header"),
        ({"X-Api-Key": "not-a-key-of-anyone-at-all"}, 401, b"invalid API key"),
        ({"X-Api-Key": "uba-key-0123456789abcdef"}, 403, b"API key not valid for this appId"),
    ],
    ids=["missing", "wrong", "other-app"],
)
def test_a_request_without_a_valid_key_for_its_app_is_refused(
    keyed: LiveCollector, headers: dict[str, str], status: int, reason: bytes
) -> None:
    assert post(keyed, headers)[:2] == (status, reason)


def test_browsers_may_send_the_key_header_cross_origin(keyed: LiveCollector) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", keyed.port, timeout=10)
    connection.request("OPTIONS", "/collect?appId=shop", headers={"Origin": "https://shop.example.com"})
    allowed = connection.getresponse().getheader("Access-Control-Allow-Headers") or ""
    assert "X-Api-Key" in allowed.split(",")


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"mode": "api_key"}, "mode api_key needs at least one key"),
        ({"mode": "oidc"}, "mode oidc needs an oidc section"),
        ({"mode": "api_key", "api_keys": {"shop": ["short"]}}, "at least 16 characters"),
        ({"mode": "api_key", "api_keys": {"nobody": ["0123456789abcdef0"]}}, "ingestion.auth.api_keys.nobody"),
    ],
)
def test_incomplete_auth_settings_are_a_config_error(tmp_path: Path, auth: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(tmp_path, ingestion={"auth": auth})


# --- OIDC ----------------------------------------------------------------------------------------


@dataclass
class Issuer:
    """An OIDC issuer on loopback: an RSA key pair and its JWKS document, counting fetches."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "key-1"
    fetches: int = 0
    url: str = ""

    def jwks(self) -> bytes:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}).encode()

    def token(self, key: rsa.RSAPrivateKey | None = None, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "device-1", "iat": now, "exp": now + 300, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@contextmanager
def serving_jwks(state: Issuer) -> Iterator[Issuer]:
    """Serve ``state``'s JWKS on a loopback port (setting its ``url``), counting the fetches."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = state.jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Handler) as base:
        state.url = f"{base}/.well-known/jwks.json"
        yield state


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with serving_jwks(Issuer()) as state:
        yield state


def oidc_config(home: Path, jwks_url: str) -> Config:
    oidc = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url, "leeway_seconds": 0}
    return make_config(home, ingestion={"auth": {"mode": "oidc", "oidc": oidc}})


@pytest.fixture
def guarded(tmp_path: Path, issuer: Issuer) -> Iterator[LiveCollector]:
    with live_collector(oidc_config(tmp_path / "home", issuer.url)) as live:
        yield live


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_signed_by_the_issuer_for_our_audience_is_accepted(guarded: LiveCollector, issuer: Issuer) -> None:
    assert post(guarded, bearer(issuer.token()))[0] == 200


def test_the_key_set_is_fetched_once_and_cached(guarded: LiveCollector, issuer: Issuer) -> None:
    for n in range(5):
        assert post(guarded, bearer(issuer.token(sub=f"device-{n}")))[0] == 200
    assert issuer.fetches == 1


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 60}, b"bearer token expired"),
        ({"aud": "someone-else"}, b"invalid bearer token"),
        ({"iss": "https://evil.example.com/"}, b"invalid bearer token"),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)
def test_a_token_with_wrong_claims_gets_401(
    guarded: LiveCollector, issuer: Issuer, claims: dict[str, Any], reason: bytes
) -> None:
    status, body, headers = post(guarded, bearer(issuer.token(**claims)))
    assert (status, body) == (401, reason)
    assert headers["www-authenticate"] == "Bearer"


def test_a_token_signed_by_another_key_under_the_issuers_key_id_gets_401(
    guarded: LiveCollector, issuer: Issuer
) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert post(guarded, bearer(issuer.token(key=forger)))[:2] == (401, b"invalid bearer token")


def test_a_token_with_an_unknown_key_id_gets_401(guarded: LiveCollector, issuer: Issuer) -> None:
    assert post(guarded, bearer(issuer.token(kid="nope")))[:2] == (401, b"invalid bearer token: unknown signing key")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Bearer "}],
    ids=["none", "basic", "garbage", "empty"],
)
def test_requests_without_a_usable_bearer_token_get_401(guarded: LiveCollector, headers: dict[str, str]) -> None:
    assert post(guarded, headers)[0] == 401


def test_an_hs256_token_made_with_the_public_key_as_secret_is_refused(guarded: LiveCollector, issuer: Issuer) -> None:
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    public_pem = issuer.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    signing_input = (
        b64(json.dumps({"alg": "HS256", "kid": issuer.kid}).encode()) + b"." + b64(json.dumps(claims).encode())
    )
    forged = signing_input + b"." + b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    assert post(guarded, bearer(forged.decode()))[:2] == (401, b"invalid bearer token")


def test_an_unreachable_key_set_answers_503_with_retry_after(tmp_path: Path) -> None:
    with live_collector(oidc_config(tmp_path / "home", "http://127.0.0.1:9/jwks.json")) as live:
        status, body, headers = post(live, bearer(Issuer().token()))
    assert (status, body) == (503, b"cannot verify tokens now; retry")
    assert "retry-after" in headers
