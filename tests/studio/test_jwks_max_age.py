"""Signing keys the issuer could not refresh for longer than ``jwks_max_age_seconds`` stop being trusted.

clickstream/oidc.py is shared by the Studio and the collector: while the issuer is down the keys held
keep working (a short outage must not sign everyone out), but not for ever, since a key revoked
meanwhile would stay trusted (decision 41).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config, OidcConfig, StudioConfig
from clickstream.oidc import MIN_REFETCH_SECONDS, TokenRejected, TokenVerifier
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import AUDIENCE, ISSUER, Issuer, serving_jwks


@dataclass
class FlakyIssuer(Issuer):
    """An issuer whose JWKS endpoint answers garbage while ``down``."""

    down: bool = False

    def jwks(self) -> bytes:
        return b"<html>502 Bad Gateway</html>" if self.down else super().jwks()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def flaky() -> Iterator[FlakyIssuer]:
    issuer = FlakyIssuer()
    with serving_jwks(issuer):
        yield issuer


def verifier(issuer: Issuer, clock: Clock, max_age: float = 3600.0) -> TokenVerifier:
    settings = OidcConfig(issuer=ISSUER, audience=AUDIENCE, jwks_url=issuer.url, jwks_cache_seconds=300.0,
                          jwks_max_age_seconds=max_age)  # fmt: skip
    return TokenVerifier(settings, clock=clock)


def verify(check: TokenVerifier, token: str) -> int:
    """200 when the token is accepted, else the status it is rejected with."""
    try:
        asyncio.run(check.verify(token))
    except TokenRejected as rejected:
        return rejected.status
    return 200


def test_keys_are_still_trusted_while_the_issuer_is_down_within_the_max_age(flaky: FlakyIssuer) -> None:
    clock, token = Clock(), flaky.token()
    check = verifier(flaky, clock)
    assert verify(check, token) == 200
    flaky.down = True
    try:
        clock.now += 3000  # past the cache's 300 s: refreshed in vain, the held key still serves
        assert verify(check, token) == 200
    finally:
        flaky.down = False


def test_keys_not_refreshed_for_longer_than_the_max_age_are_refused_with_a_logged_reason(
    flaky: FlakyIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    clock, token = Clock(), flaky.token()
    check = verifier(flaky, clock)
    assert verify(check, token) == 200
    flaky.down = True
    try:
        clock.now += 3601
        with caplog.at_level(logging.WARNING, logger="clickstream.oidc"):
            assert verify(check, token) == 503
            assert verify(check, token) == 503
    finally:
        flaky.down = False
    logged = [record.getMessage() for record in caplog.records]
    assert sum("could not be refreshed for 3601 s" in message for message in logged) == 1, logged


def test_keys_are_trusted_again_once_the_issuer_answers(flaky: FlakyIssuer) -> None:
    clock, token = Clock(), flaky.token()
    check = verifier(flaky, clock)
    assert verify(check, token) == 200
    flaky.down = True
    clock.now += 3601
    assert verify(check, token) == 503
    flaky.down = False
    clock.now += MIN_REFETCH_SECONDS  # a refused key set is fetched again, but not on every request
    assert verify(check, token) == 200


def test_the_max_age_defaults_to_a_day() -> None:
    settings = OidcConfig(issuer=ISSUER, audience=AUDIENCE, jwks_url="https://issuer.example/jwks")
    assert settings.jwks_max_age_seconds == 86400


def test_the_studio_answers_503_once_its_keys_are_past_the_max_age(studio_config: Config) -> None:
    issuer = FlakyIssuer()
    with serving_jwks(issuer):
        settings = StudioConfig.model_validate({"auth": "oidc", "host": "0.0.0.0", "oidc": {
            "issuer": ISSUER, "audience": AUDIENCE, "jwks_url": issuer.url,
            "jwks_cache_seconds": 0.2, "jwks_max_age_seconds": 0.5}})  # fmt: skip
        with TestClient(create_app(studio_config.model_copy(update={"studio": settings}))) as client:
            analyst: dict[str, Any] = {"cognito:groups": ["ClickstreamAnalyst"]}
            bearer = {"Authorization": f"Bearer {issuer.token(**analyst)}"}
            assert client.get("/api/user/details", headers=bearer).status_code == 200
            issuer.down = True
            time.sleep(0.6)
            refused = client.get("/api/user/details", headers=bearer)
    assert refused.status_code == 503
    assert "could not be refreshed" in refused.json()["error"]
