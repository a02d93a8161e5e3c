"""The issuer's OpenID configuration: fetched for /auth/config, and not re-fetched on every call while down."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from clickstream.config import StudioConfig
from clickstream.studio import discovery as discovery_module
from clickstream.studio.discovery import Discovery
from tests.ingestion.test_auth import AUDIENCE, ISSUER
from tests.support.loopback import QuietHandler, serving


class FlakyIssuer:
    """Serves the discovery document, or a 503 while ``down``; counts the requests it got."""

    def __init__(self) -> None:
        self.down = True
        self.requests = 0
        self.url = ""


@pytest.fixture
def flaky() -> Iterator[FlakyIssuer]:
    state = FlakyIssuer()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps({"authorization_endpoint": "https://idp.example/authorize",
                               "token_endpoint": "https://idp.example/token"}).encode()  # fmt: skip
            self.send_response(503 if state.down else 200)
            self.send_header("Content-Length", "0" if state.down else str(len(body)))
            self.end_headers()
            if not state.down:
                self.wfile.write(body)

    with serving(Handler) as base:
        state.url = f"{base}/.well-known/openid-configuration"
        yield state


def discovery(url: str) -> Discovery:
    return Discovery(StudioConfig.model_validate({
        "auth": "oidc", "host": "0.0.0.0", "oidc_discovery_url": url,
        "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": "https://idp.example/jwks"},
    }))  # fmt: skip


def test_a_down_issuer_is_asked_once_per_retry_period_not_on_every_call(
    flaky: FlakyIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = discovery(flaky.url)
    assert [found.sign_in() for _ in range(5)] == [{}] * 5
    assert flaky.requests == 1

    monkeypatch.setattr(discovery_module, "RETRY_SECONDS", 0.0)  # the retry period has passed
    flaky.down = False
    assert found.sign_in()["authorizationEndpoint"] == "https://idp.example/authorize"
    assert flaky.requests == 2
    found.sign_in()
    assert flaky.requests == 2  # a good document is kept
