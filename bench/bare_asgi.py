"""Baseline (a) of bench/ingestion.py: an ASGI app that reads the body and answers 200, storing nothing.

Served by the same uvicorn stack as the collector (httptools, uvloop, one process per core), it is what
Python can do before any of the collector's work: the collector's cost is the gap to this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]


async def app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
