"""A request id for every Studio request, and the error answers that carry it instead of an engine's words.

The id is made here (never taken from the client, whose header could be anything), sent back as
``X-Request-Id`` on every answer, and written in the log lines about the request, so an operator finds
the reason of a 500 from the id the user reports (decision 41). An exception no handler turned into an
answer becomes the same 500, logged with its traceback, instead of Starlette's plain-text page.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_RESPONSE_HEADER = "X-Request-Id"
_current: ContextVar[str] = ContextVar("studio_request_id", default="-")
logger = logging.getLogger("studio.app")


def current_request_id() -> str:
    """The id of the request being answered (``-`` outside one); worker threads inherit it with the context."""
    return _current.get()


def safe_text(text: str) -> str:
    """``text`` encodable as UTF-8: a lone surrogate (from a JSON ``\\ud800`` escape) as a backslash escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


class EngineFailed(Exception):
    """The warehouse (DuckDB, Redshift or Athena) failed a query; the reason is logged, not answered."""

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.request_id = request_id


def engine_failed(what: str, error: BaseException) -> EngineFailed:
    """Log ``error`` under the current request id and return what the app raises (a 500 with that id only)."""
    request_id = current_request_id()
    logger.error("studio %s failed in the warehouse (request %s): %s", what, request_id, error)
    return EngineFailed(request_id)


def engine_failed_response(failure: EngineFailed) -> Response:
    body = {
        "error": "the warehouse could not answer; the Studio's log has the reason under this request id",
        "requestId": failure.request_id,
    }
    return Response(json_bytes(body), status_code=500, media_type="application/json")


class RequestIds:
    """Gives each HTTP request an id and answers an unhandled exception with a 500 carrying it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        token = _current.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message).append(REQUEST_ID_RESPONSE_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("studio request %s %s failed (request %s)", scope["method"], scope["path"], request_id)
            if started:  # part of the answer is out: nothing else can be said
                raise
            body = json_bytes({"error": "internal error; the Studio's log has it under this request id",
                               "requestId": request_id})  # fmt: skip
            await send_with_id({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            _current.reset(token)
