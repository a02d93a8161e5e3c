"""Guards of the local sign-in: a back-off on repeated wrong passwords, and a Host check (decision 41).

``studio.auth: local`` listens on loopback only, but a page in the user's browser can still reach it:
through DNS rebinding, a name the attacker controls resolves to 127.0.0.1 and the browser treats the
Studio as that name's server. Such a request carries the attacker's name in ``Host``, so in local mode a
request whose Host is not a loopback name, ``studio.host`` or one of ``studio.allowed_hosts`` is refused
with 421 (Misdirected Request: this server does not answer for that name), before anything else runs.

Password guesses are slowed per client address: after :data:`FREE_FAILURES` failures in a row, each
further failure closes sign-in from that address for twice as long as the one before (1 s, 2 s, 4 s,
... up to :data:`MAX_BACKOFF_SECONDS`); an attempt while it is closed is answered 429 with Retry-After
without checking the password, and a success forgets the address. At most :data:`MAX_TRACKED`
addresses are remembered; past that, the one untouched for longest is forgotten first.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

FREE_FAILURES = 5
MAX_BACKOFF_SECONDS = 15 * 60.0
MAX_TRACKED = 10_000
LOOPBACK_NAMES = frozenset({"localhost"})
logger = logging.getLogger("studio.signin")


@dataclass
class _Record:
    failures: int = 0
    closed_until: float = 0.0


class LoginThrottle:
    """Failed sign-ins per client address, and how long each address must wait."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        free_failures: int = FREE_FAILURES,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._clock = clock
        self.free_failures = free_failures
        self.max_backoff_seconds = max_backoff_seconds
        self.max_tracked = max_tracked
        self._records: OrderedDict[str, _Record] = OrderedDict()  # oldest touched first
        self._lock = threading.Lock()

    def wait_seconds(self, address: str) -> float:
        """How long ``address`` must still wait before it may try a password; 0 when it may now."""
        with self._lock:
            record = self._records.get(address)
            wait = 0.0 if record is None else max(0.0, record.closed_until - self._clock())
        if wait > 0:
            logger.warning("studio sign-in from %s refused: throttled for %.0f s more", address, math.ceil(wait))
        return wait

    def failed(self, address: str) -> None:
        """Count a wrong password from ``address``, closing sign-in from it once past the free failures."""
        with self._lock:
            record = self._records.pop(address, None) or _Record()
            record.failures += 1
            beyond = record.failures - self.free_failures
            if beyond >= 0:
                backoff = min(self.max_backoff_seconds, 2.0 ** min(beyond, 64))
                record.closed_until = self._clock() + backoff
            self._records[address] = record
            while len(self._records) > self.max_tracked:
                self._records.popitem(last=False)
        logger.warning("studio sign-in from %s failed: wrong password (%d in a row)", address, record.failures)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._records.pop(address, None)

    def tracked(self) -> int:
        with self._lock:
            return len(self._records)


def retry_after(wait: float) -> str:
    """A Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))


def host_name(host_header: str) -> str:
    """The name of a Host header without its port: ``[::1]:8090`` is ``::1``, ``localhost:80`` ``localhost``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostCheck:
    """Refuses (421) HTTP requests whose Host is neither a loopback name nor one of ``allowed``."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(host_name(name) for name in allowed)

    def permits(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        name = host_name(host_header)
        return is_loopback(name) or name in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"host"), None)
        if self.permits(host):
            await self.app(scope, receive, send)
            return
        logger.warning("studio request refused: Host %r is not this local Studio's name", (host or "")[:200])
        reason = (
            "this Studio signs in locally and answers only for loopback names (localhost, 127.0.0.1, [::1]), "
            "studio.host and studio.allowed_hosts; the request named another host"
        )
        body = json.dumps({"error": reason}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 421, "headers": headers})
        await send({"type": "http.response.body", "body": body})
