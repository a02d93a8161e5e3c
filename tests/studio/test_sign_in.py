"""The local sign-in's guards (decision 41): a back-off on wrong passwords, and the Host check against DNS rebinding."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config, StudioConfig
from clickstream.studio.app import create_app
from clickstream.studio.signin import LoginThrottle
from tests.ingestion.test_auth import AUDIENCE, ISSUER, Issuer
from tests.support.studio import LOCAL_URL, PASSWORD


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, address: str, times: int) -> None:
    for _ in range(times):
        assert throttle.wait_seconds(address) == 0
        throttle.failed(address)


# --- the back-off ----------------------------------------------------------------------------------------------


def test_five_wrong_passwords_are_free_and_the_fifth_closes_sign_in_for_a_second() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    fail(throttle, "10.0.0.1", 4)
    assert throttle.wait_seconds("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.wait_seconds("10.0.0.1") == 1.0


def test_each_further_failure_doubles_the_wait() -> None:
    clock, waits = Clock(), []
    throttle = LoginThrottle(clock)
    fail(throttle, "10.0.0.1", 4)
    for _ in range(4):
        throttle.failed("10.0.0.1")
        waits.append(throttle.wait_seconds("10.0.0.1"))
        clock.now += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 8.0]


def test_the_wait_stops_growing_at_fifteen_minutes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(200):
        throttle.failed("10.0.0.1")
        clock.now += throttle.wait_seconds("10.0.0.1")
    throttle.failed("10.0.0.1")
    assert throttle.wait_seconds("10.0.0.1") == 15 * 60


def test_a_success_forgets_the_failures() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    fail(throttle, "10.0.0.1", 4)
    throttle.succeeded("10.0.0.1")
    fail(throttle, "10.0.0.1", 4)
    assert throttle.wait_seconds("10.0.0.1") == 0


def test_one_address_failing_does_not_slow_another() -> None:
    throttle = LoginThrottle(Clock())
    fail(throttle, "10.0.0.1", 5)
    assert throttle.wait_seconds("10.0.0.1") > 0 and throttle.wait_seconds("10.0.0.2") == 0


def test_the_addresses_remembered_are_capped_forgetting_the_oldest_first() -> None:
    throttle = LoginThrottle(Clock(), max_tracked=100)
    fail(throttle, "10.0.0.1", 5)  # closed for a second
    for number in range(100):
        throttle.failed(f"10.1.0.{number}")
    assert throttle.tracked() == 100
    assert throttle.wait_seconds("10.0.0.1") == 0  # the oldest, forgotten


# --- through the API -------------------------------------------------------------------------------------------


def test_sign_in_is_refused_with_429_and_retry_after_after_five_wrong_passwords(
    studio_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="studio.signin"),
        TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client,
    ):
        statuses = [client.post("/auth/login", json={"password": "wrong-password"}).status_code for _ in range(5)]
        throttled = client.post("/auth/login", json={"password": PASSWORD})  # even the right one: not looked at
    assert statuses == [401] * 5
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "wrong passwords" in throttled.json()["error"] and "clickstream_studio_session" not in throttled.cookies
    messages = [record.getMessage() for record in caplog.records]
    assert sum("failed: wrong password" in message for message in messages) == 5
    assert sum("throttled" in message for message in messages) == 1


def test_after_the_wait_the_right_password_signs_in_and_resets_the_count(studio_config: Config) -> None:
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        for _ in range(5):
            client.post("/auth/login", json={"password": "wrong-password"})
        time.sleep(1.05)
        assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
        statuses = [client.post("/auth/login", json={"password": "wrong-password"}).status_code for _ in range(5)]
    assert statuses == [401] * 5


# --- the Host check --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8090", "LOCALHOST:8090", "127.0.0.1", "127.0.0.1:8090", "127.3.4.5:99", "[::1]",
     "[::1]:8090"],
)  # fmt: skip
def test_local_mode_answers_for_loopback_names_with_or_without_a_port(studio_config: Config, host: str) -> None:
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        assert client.get("/auth/config", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["rebound.example", "rebound.example:8090", "127.0.0.1.rebound.example", "localhost.rebound.example",
             "[::2]:8090", "0.0.0.0:8090", ""],
)  # fmt: skip
def test_local_mode_refuses_another_host_name_with_421(studio_config: Config, host: str) -> None:
    # a page on rebound.example whose name now resolves to 127.0.0.1 sends its own name as the Host
    with TestClient(create_app(studio_config, password=PASSWORD), base_url=LOCAL_URL) as client:
        for method, path in (("POST", "/auth/login"), ("GET", "/api/app"), ("GET", "/")):
            refused = client.request(method, path, json={"password": PASSWORD}, headers={"Host": host})
            assert refused.status_code == 421, (method, path)
            assert "loopback names" in refused.json()["error"] and refused.headers["X-Request-Id"]


def test_names_in_allowed_hosts_are_answered_in_local_mode(studio_config: Config) -> None:
    settings = studio_config.studio.model_copy(update={"allowed_hosts": ["studio.internal", "dev-box:8090"]})
    app = create_app(studio_config.model_copy(update={"studio": settings}), password=PASSWORD)
    with TestClient(app, base_url=LOCAL_URL) as client:
        for host in ("studio.internal", "studio.internal:8090", "dev-box"):
            assert client.get("/auth/config", headers={"Host": host}).status_code == 200
        assert client.get("/auth/config", headers={"Host": "other.internal"}).status_code == 421


def test_oidc_mode_has_no_host_check(studio_config: Config, issuer: Issuer) -> None:
    # behind a load balancer under its own name; tokens, not a loopback cookie, guard it
    settings = StudioConfig.model_validate({
        "auth": "oidc", "host": "0.0.0.0", "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": issuer.url},
    })  # fmt: skip
    with TestClient(create_app(studio_config.model_copy(update={"studio": settings}))) as client:
        assert client.get("/auth/config", headers={"Host": "studio.example.com"}).status_code == 200
