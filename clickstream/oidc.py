"""OIDC bearer tokens: RS256 JWTs verified against the issuer's JWKS, ``iss``, ``aud`` and ``exp``.

Shared by the collector (optional auth of collect requests) and the Analytics Studio (analyst logins).
The key set is fetched from ``jwks_url`` off the event loop and cached; an unknown ``kid`` refetches it
(at most once per ``MIN_REFETCH_SECONDS``, so forged kids cannot make us hammer the issuer). While the
issuer cannot be reached the keys we have keep working, but only up to ``jwks_max_age_seconds`` after
they were last fetched: a key the issuer has since revoked must not stay trusted for ever (decision 41).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

from clickstream.config import OidcConfig

MIN_REFETCH_SECONDS = 10.0
DEFAULT_MAX_AGE_SECONDS = 86400.0
logger = logging.getLogger("clickstream.oidc")


class TokenRejected(Exception):
    """Why a token is not accepted: 401 (missing, malformed, bad signature or claims) or 503 (cannot check)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class KeysTooOld(OSError):
    """The keys we hold could not be refreshed for longer than the maximum age: they are not trusted."""


class JwksCache:
    """The issuer's signing keys by ``kid``, fetched from ``url`` and kept for ``ttl`` seconds.

    A failed refresh keeps the keys we have (the issuer may be briefly down) until ``max_age`` seconds
    after the last successful fetch; past that they are not used (:class:`KeysTooOld`) until a fetch works.
    """

    def __init__(
        self,
        url: str,
        ttl: float,
        fetch_timeout: float = 5.0,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.fetch_timeout = fetch_timeout
        self.max_age = max_age
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = float("-inf")  # the last attempt
        self._refreshed = float("-inf")  # the last success
        self._said_too_old = False
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid``; refetches when the cache is stale or lacks it (raises OSError if unreachable)."""
        now = self._clock()
        if kid in self._keys and now - self._fetched < self.ttl and now - self._refreshed <= self.max_age:
            return self._keys[kid]
        async with self._lock:
            now = self._clock()
            since_attempt = now - self._fetched
            too_old = now - self._refreshed > self.max_age
            if since_attempt >= self.ttl or (
                (too_old or kid not in self._keys) and since_attempt >= MIN_REFETCH_SECONDS
            ):
                try:
                    self._keys = await asyncio.to_thread(self._fetch)
                    self._refreshed = self._clock()
                except (OSError, ValueError, jwt.PyJWKError) as error:
                    logger.warning("cannot refresh the JWKS from %s: %s", self.url, error)
                    if not self._keys:
                        raise OSError(f"cannot fetch the JWKS from {self.url}") from None
                self._fetched = self._clock()
                self.fetches += 1
            age = self._clock() - self._refreshed
            if age > self.max_age:
                if not self._said_too_old:  # once per outage, not once per refused token
                    logger.warning(
                        "the JWKS from %s could not be refreshed for %.0f s (more than %.0f s): tokens are refused",
                        self.url, age, self.max_age,
                    )  # fmt: skip
                    self._said_too_old = True
                raise KeysTooOld(f"the JWKS from {self.url} is {age:.0f} s old")
            self._said_too_old = False
            return self._keys.get(kid)

    def _fetch(self) -> dict[str, jwt.PyJWK]:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.fetch_timeout) as response:
            document = json.loads(response.read(1_000_001))
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        return keys


def bearer_token(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value; :class:`TokenRejected` otherwise."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected(401, "missing bearer token")
    return token.strip()


class TokenVerifier:
    """Checks tokens signed RS256 by the configured issuer for the configured audience."""

    def __init__(self, settings: OidcConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.jwks = JwksCache(
            settings.jwks_url, settings.jwks_cache_seconds, max_age=settings.jwks_max_age_seconds, clock=clock
        )

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or :class:`TokenRejected` saying why not."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise TokenRejected(401, "invalid bearer token") from None
        if not isinstance(kid, str):
            raise TokenRejected(401, "invalid bearer token: no key id")
        try:
            key = await self.jwks.key(kid)
        except KeysTooOld:
            raise TokenRejected(503, "cannot verify tokens: the issuer's signing keys could not be refreshed") from None
        except OSError:
            raise TokenRejected(503, "cannot verify tokens now; retry") from None
        if key is None:
            raise TokenRejected(401, "invalid bearer token: unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected(401, "bearer token expired") from None
        except jwt.PyJWTError:
            raise TokenRejected(401, "invalid bearer token") from None
        return claims
