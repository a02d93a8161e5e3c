"""The issuer's OpenID configuration, for the page's sign-in redirect (authorization code with PKCE).

Fetched by the server (issuers do not all allow cross-origin reads of it) and kept for an hour; when the
issuer cannot be reached the page falls back to asking for a pasted token, and the failure is remembered for
a minute so that unauthenticated calls to /auth/config cannot make the server hammer a struggling issuer.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from clickstream.config import StudioConfig

KEEP_SECONDS = 3600.0
RETRY_SECONDS = 60.0  # after a failed fetch: /auth/config needs no sign-in, so it must not hammer the issuer


class Discovery:
    def __init__(self, settings: StudioConfig) -> None:
        self.settings = settings
        self._document: dict[str, Any] | None = None
        self._fetched = float("-inf")
        self._failed = float("-inf")

    @property
    def url(self) -> str | None:
        if self.settings.oidc_discovery_url:
            return self.settings.oidc_discovery_url
        if self.settings.oidc is None:
            return None
        return self.settings.oidc.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def sign_in(self) -> dict[str, str]:
        """What the page needs to send the browser to the issuer: endpoints, client id and scopes."""
        document = self._get()
        if not document or self.settings.oidc is None:
            return {}
        endpoints = {key: document.get(key) for key in ("authorization_endpoint", "token_endpoint")}
        if not all(
            isinstance(value, str) and value.startswith(("https://", "http://")) for value in endpoints.values()
        ):
            return {}
        return {
            "authorizationEndpoint": str(endpoints["authorization_endpoint"]),
            "tokenEndpoint": str(endpoints["token_endpoint"]),
            "clientId": self.settings.oidc.audience,
            "scope": self.settings.oidc_scopes,
        }

    def _get(self) -> dict[str, Any] | None:
        if self._document is not None and time.monotonic() - self._fetched < KEEP_SECONDS:
            return self._document
        url = self.url
        if url is None or time.monotonic() - self._failed < RETRY_SECONDS:
            return self._document  # the last good one (None if there never was one) until the retry is due
        try:
            request = urllib.request.Request(url, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                document = json.loads(response.read(1_000_001))
        except (OSError, ValueError):
            self._failed = time.monotonic()
            return self._document  # keep the last good one; None on a first failure
        if not isinstance(document, dict):
            self._failed = time.monotonic()
            return self._document
        self._document, self._fetched, self._failed = document, time.monotonic(), float("-inf")
        return self._document
