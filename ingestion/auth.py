"""Optional authentication of collect requests: per-app API keys or OIDC bearer tokens.

Off by default (the original collects anonymously unless its load balancer asks for OIDC). A check
returns ``None`` when the request may pass, or an :class:`AuthFailure` the app answers with.

OIDC tokens are RS256 JWTs verified by clickstream/oidc.py (shared with the Analytics Studio) against
the issuer's cached JWKS, ``iss``, ``aud`` and ``exp``. A verified token is
remembered until it expires, so a client sending the same token again costs a dictionary lookup rather
than an RSA verification.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from clickstream.config import AuthConfig, OidcConfig
from clickstream.oidc import TokenRejected, TokenVerifier, bearer_token

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


class OidcBearer:
    """``Authorization: Bearer <JWT>`` signed RS256 by the configured issuer for the configured audience."""

    def __init__(self, settings: OidcConfig, clock: Any = time.time) -> None:
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        self.jwks = self.verifier.jwks
        self.clock = clock
        self._verified: OrderedDict[str, float] = OrderedDict()

    async def check(self, app_id: str, headers: Headers) -> AuthFailure | None:
        try:
            token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        except TokenRejected as rejected:
            return AuthFailure(rejected.status, rejected.reason)
        expires = self._verified.get(token)
        if expires is not None:
            if self.clock() < expires + self.settings.leeway_seconds:
                return None
            del self._verified[token]
        try:
            claims = await self.verifier.verify(token)
        except TokenRejected as rejected:
            return AuthFailure(rejected.status, rejected.reason)
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
