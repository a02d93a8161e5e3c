"""A cap on request bodies: the original's API gateway refuses bodies over 384 KB, and so does the Studio.

An ASGI middleware rather than a check in each route, so that no route can read an unbounded body into
memory first: a declared Content-Length over the cap is refused before anything is read, and a body sent
without one (chunked) is counted as it arrives and refused as soon as it passes the cap.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 384 * 1024


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than {limit // 1024} KB; send a smaller request (fewer steps, values or filters)"
    )


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413 and a reason, the Studio's error shape."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await _send_error(send, 400, "Content-Length is not a number")
            return
        if declared is not None and int(declared) > self.limit:
            await _send_error(send, 413, _too_large(self.limit))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # FastAPI passes an HTTPException from reading the body through
                    raise HTTPException(413, _too_large(self.limit))
            return message

        await self.app(scope, counted, send)


async def _send_error(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"error": reason}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
