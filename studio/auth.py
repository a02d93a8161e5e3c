"""Who is calling and what their roles allow: the original's four roles and its route rules (7.4).

Two modes. ``oidc``: a bearer token verified by clickstream/oidc.py; roles come from the user's record in
the Studio's database when one exists, else from the token's group claim mapped by the mapping saved through
``/api/user/settings`` (``studio.roles`` until one is saved), read on every request
(clickstream/state/users.py). ``local``: one user, the Admin, who logs in with a password (given in the
config or printed at start) and gets a cookie naming a server-side session, which logout ends; the config
only allows this mode on loopback. Every /api route is matched against RULES by method and path;
a route no rule names is 403, as in the original.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from clickstream.config import StudioConfig, StudioRolesConfig
from clickstream.oidc import TokenRejected, TokenVerifier, bearer_token
from clickstream.state import RoleMapping, UserStore

ADMIN, OPERATOR, ANALYST, READER = "Admin", "Operator", "Analyst", "AnalystReader"
ALL_ROLES = frozenset({ADMIN, OPERATOR, ANALYST, READER})
ANALYSTS_AND_READERS = frozenset({ADMIN, ANALYST, READER})
ANALYSTS = frozenset({ADMIN, ANALYST})
OPERATORS = frozenset({ADMIN, OPERATOR})
ANY_AUTHENTICATED: frozenset[str] = frozenset()
SESSION_COOKIE = "clickstream_studio_session"
SESSION_SECONDS = 12 * 3600
LOCAL_USER = "local-admin"

# (methods, path pattern, roles allowed); the first match decides. ANY_AUTHENTICATED: any signed-in user.
RULES: list[tuple[frozenset[str], re.Pattern[str], frozenset[str]]] = [
    (frozenset({"GET"}), re.compile(r"^/api/user/details$"), ANY_AUTHENTICATED),
    (frozenset({"GET"}), re.compile(r"^/api/(system/info|pipeline/[^/]+|app|app/[^/]+|project)$"), ALL_ROLES),
    (frozenset({"GET"}), re.compile(r"^/api/project/[^/]+/[^/]+/dashboard(/.*)?$"), ANALYSTS_AND_READERS),
    (frozenset({"GET"}), re.compile(r"^/api/metadata/.*$"), ANALYSTS_AND_READERS),
    (frozenset({"GET", "POST", "PUT", "DELETE"}), re.compile(r"^/api/reporting/.*$"), ANALYSTS_AND_READERS),
    (frozenset({"POST", "PUT", "DELETE"}), re.compile(r"^/api/project/[^/]+/[^/]+/dashboard(/.*)?$"), ANALYSTS),
    (frozenset({"POST", "PUT", "DELETE"}), re.compile(r"^/api/metadata/.*$"), ANALYSTS),
    (frozenset({"GET", "POST", "PUT", "DELETE"}), re.compile(r"^/api/(env|app|pipeline|plugin|project)(/.*)?$"),
     OPERATORS),
    (frozenset({"GET", "POST", "PUT", "DELETE"}), re.compile(r"^/api/user(/.*)?$"), frozenset({ADMIN})),
]  # fmt: skip


def operator_name(request: Request) -> str:
    """The signed-in caller's name, as the role check left it on the request (``X-Click-Stream-Operator``)."""
    return str(request.state.user.name)


def allowed(method: str, path: str, roles: set[str]) -> bool:
    """Whether ``roles`` may call ``method path`` by the first rule that matches; unmatched is refused."""
    for methods, pattern, needed in RULES:
        if method in methods and pattern.match(path):
            return not needed or bool(needed & roles)
    return False


@dataclass(frozen=True)
class User:
    name: str
    roles: frozenset[str]


class Unauthenticated(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def roles_from_claims(claims: dict[str, Any], mapping: StudioRolesConfig | RoleMapping) -> frozenset[str]:
    """The roles whose group lists contain one of the token's groups (a list, or a comma-separated string)."""
    value: Any = claims
    for part in mapping.claim.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    groups = {g.strip() for g in (value.split(",") if isinstance(value, str) else value or []) if isinstance(g, str)}
    by_role = {ADMIN: mapping.admin, OPERATOR: mapping.operator, ANALYST: mapping.analyst,
               READER: mapping.analyst_reader}  # fmt: skip
    found = set()
    for role, names in by_role.items():
        listed = {name.strip() for entry in names for name in entry.split(",") if name.strip()}
        if listed & groups:
            found.add(role)
    return frozenset(found)


class Authenticator:
    """Turns a request's Authorization header or session cookie into a :class:`User`."""

    def __init__(self, settings: StudioConfig, password: str | None = None, users: UserStore | None = None) -> None:
        self.settings = settings
        self.users = users
        self.verifier = TokenVerifier(settings.oidc) if settings.auth == "oidc" and settings.oidc else None
        self.password = settings.local_password or password or secrets.token_urlsafe(12)
        self._sessions: dict[str, float] = {}  # local session id -> when it expires (epoch seconds)
        self._sessions_lock = threading.Lock()

    @property
    def local(self) -> bool:
        return self.settings.auth == "local"

    async def user(self, authorization: str | None, cookie: str | None) -> User:
        if self.local:
            if cookie and self.session_valid(cookie):
                return User(LOCAL_USER, frozenset({ADMIN}))
            raise Unauthenticated(401, "sign in with the Studio password")
        assert self.verifier is not None
        try:
            claims = await self.verifier.verify(bearer_token(authorization or ""))
        except TokenRejected as rejected:
            raise Unauthenticated(rejected.status, rejected.reason) from None
        if not claims.get("sub"):
            raise Unauthenticated(401, "invalid bearer token: no sub claim")
        name = str(claims.get("email") or claims.get("username") or claims["sub"])
        if self.users is None:
            return User(name, roles_from_claims(claims, self.settings.roles))
        return User(name, await asyncio.to_thread(self._roles, name, claims))

    def _roles(self, name: str, claims: dict[str, Any]) -> frozenset[str]:
        """The record's roles, else the token's groups through the saved mapping or ``studio.roles``."""
        assert self.users is not None
        record = self.users.get(name)
        if record is not None:
            return frozenset(record.roles)
        return roles_from_claims(claims, self.users.mapping() or self.settings.roles)

    def login(self, password: str) -> str | None:
        """A new session id when ``password`` is the local user's, else None.

        Sessions live in this process's memory, not in the cookie: logging out deletes the id, so a copied
        cookie stops working at once instead of staying valid until it expires (a restart signs everyone out).
        """
        if not self.local or not hmac.compare_digest(password.encode(), self.password.encode()):
            return None
        session, now = secrets.token_urlsafe(32), time.time()
        with self._sessions_lock:
            self._sessions = {key: expires for key, expires in self._sessions.items() if expires > now}
            self._sessions[session] = now + SESSION_SECONDS
        return session

    def logout(self, cookie: str | None) -> None:
        """End the session ``cookie`` names, if any: the same cookie is refused from now on."""
        if cookie:
            with self._sessions_lock:
                self._sessions.pop(cookie, None)

    def session_valid(self, cookie: str) -> bool:
        with self._sessions_lock:
            expires = self._sessions.get(cookie)
        return expires is not None and expires > time.time()
