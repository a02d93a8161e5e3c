"""Optional authentication of collect requests: per-app API keys or OIDC bearer tokens.

Off by default (the original collects anonymously unless its load balancer asks for OIDC). A check
returns ``None`` when the request may pass, or an :class:`AuthFailure` the app answers with.

OIDC tokens are RS256 JWTs verified against the issuer's JWKS, ``iss``, ``aud`` and ``exp``. The key
set is fetched from ``jwks_url`` off the event loop and cached; an unknown ``kid`` refetches it (at most
once per ``MIN_REFETCH_SECONDS``, so forged kids cannot make us hammer the issuer). A verified token is
remembered until it expires, so a client sending the same token again costs a dictionary lookup rather
than an RSA verification.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from clickstream.config import AuthConfig, OidcConfig

MIN_REFETCH_SECONDS = 10.0
VERIFIED_TOKENS_KEPT = 10_000


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is refused: 401 (no or bad credentials), 403 (not for this app) or 503 (cannot check)."""

    status: int
    reason: str


Headers = Mapping[bytes, bytes]
"""Request headers by lower-case name, as the ASGI server gives them."""


class Authenticator(Protocol):
    async def check(self, app_id: str, headers: Headers) -> AuthFailure | None: ...


class ApiKeys:
    """``X-Api-Key`` must be one of the keys configured for the request's ``appId``.

    Keys are kept as SHA-256 digests: a lookup compares digests, so response timing reveals nothing
    useful about a key, and a memory dump does not hold the keys themselves.
    """

    def __init__(self, keys: dict[str, list[str]]) -> None:
        self._apps_by_digest: dict[bytes, set[str]] = {}
        for app_id, app_keys in keys.items():
            for key in app_keys:
                self._apps_by_digest.setdefault(_digest(key), set()).add(app_id)

    async def check(self, app_id: str, headers: Headers) -> AuthFailure | None:
        key = headers.get(b"x-api-key")
        if not key:
            return AuthFailure(401, "missing X-Api-Key header")
        apps = self._apps_by_digest.get(hashlib.sha256(key).digest())
        if apps is None:
            return AuthFailure(401, "invalid API key")
        if app_id not in apps:
            return AuthFailure(403, "API key not valid for this appId")
        return None


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class JwksCache:
    """The issuer's signing keys by ``kid``, fetched from ``url`` and kept for ``ttl`` seconds."""

    def __init__(self, url: str, ttl: float, fetch_timeout: float = 5.0) -> None:
        self.url = url
        self.ttl = ttl
        self.fetch_timeout = fetch_timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid``; refetches when the cache is stale or lacks it (raises OSError if unreachable)."""
        now = time.monotonic()
        if kid in self._keys and now - self._fetched < self.ttl:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            stale = now - self._fetched >= self.ttl
            if stale or (kid not in self._keys and now - self._fetched >= MIN_REFETCH_SECONDS):
                try:
                    self._keys = await asyncio.to_thread(self._fetch)
                except (OSError, ValueError, jwt.PyJWKError):
                    if not self._keys:
                        raise OSError(f"cannot fetch the JWKS from {self.url}") from None
                    # keep serving the keys we have; the issuer may be briefly down
                self._fetched = time.monotonic()
                self.fetches += 1
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


class OidcBearer:
    """``Authorization: Bearer <JWT>`` signed RS256 by the configured issuer for the configured audience."""

    def __init__(self, settings: OidcConfig, clock: Any = time.time) -> None:
        self.settings = settings
        self.jwks = JwksCache(settings.jwks_url, settings.jwks_cache_seconds)
        self.clock = clock
        self._verified: OrderedDict[str, float] = OrderedDict()

    async def check(self, app_id: str, headers: Headers) -> AuthFailure | None:
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return AuthFailure(401, "missing bearer token")
        token = token.strip()
        expires = self._verified.get(token)
        if expires is not None:
            if self.clock() < expires + self.settings.leeway_seconds:
                return None
            del self._verified[token]
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return AuthFailure(401, "invalid bearer token")
        if not isinstance(kid, str):
            return AuthFailure(401, "invalid bearer token: no key id")
        try:
            key = await self.jwks.key(kid)
        except OSError:
            return AuthFailure(503, "cannot verify tokens now; retry")
        if key is None:
            return AuthFailure(401, "invalid bearer token: unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            return AuthFailure(401, "bearer token expired")
        except jwt.PyJWTError:
            return AuthFailure(401, "invalid bearer token")
        self._remember(token, float(claims["exp"]))
        return None

    def _remember(self, token: str, expires: float) -> None:
        self._verified[token] = expires
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)


def build_authenticator(settings: AuthConfig) -> Authenticator | None:
    """The configured check, or ``None`` when authentication is off."""
    if settings.mode == "api_key":
        return ApiKeys(settings.api_keys)
    if settings.mode == "oidc":
        assert settings.oidc is not None  # the config validator requires it
        return OidcBearer(settings.oidc)
    return None
