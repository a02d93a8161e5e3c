"""The OpenID Connect issuer, shared by the collector's and the Studio's authentication."""

from __future__ import annotations

from pydantic import Field

from clickstream.config._base import _Section


class OidcConfig(_Section):
    """Bearer tokens from an OpenID Connect issuer: RS256 JWTs checked against its published keys (JWKS)."""

    issuer: str = Field(min_length=1, description="Expected `iss` claim.")
    audience: str = Field(min_length=1, description="Expected `aud` claim (the client id of the app).")
    jwks_url: str = Field(pattern=r"^https?://", description="Where the issuer publishes its signing keys.")
    jwks_cache_seconds: float = Field(300.0, gt=0, description="How long fetched keys are trusted.")
    jwks_max_age_seconds: float = Field(
        86400.0, gt=0, description="Keys the issuer could not refresh for longer are no longer trusted (503)."
    )
    leeway_seconds: float = Field(30.0, ge=0, description="Clock skew allowed on `exp`, `nbf` and `iat`.")
