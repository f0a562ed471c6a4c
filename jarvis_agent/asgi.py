"""ASGI pieces the project's HTTP services share (the token server, the TTS engine)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[int, str], ASGIApp]  # (status 400 or 413, detail) -> the response in the service's error format


class BodyLimitMiddleware:
    """A body over `max_bytes` is refused: declared (Content-Length) before the app runs, or streamed (chunked) as it
    is read, which raises `HTTPException(413)` for the app's handler. A malformed Content-Length is a 400. Starlette's
    own RequestBodyLimitMiddleware answers in text/plain."""

    def __init__(self, app: ASGIApp, max_bytes: int, refuse: Refusal) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self.refuse(400, "malformed Content-Length")(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_bytes:
            await self.refuse(413, f"at most {self.max_bytes} bytes")(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # FastAPI re-raises an HTTPException met while reading the body
                    raise HTTPException(413, f"at most {self.max_bytes} bytes")
            return message

        await self.app(scope, counted_receive, send)
