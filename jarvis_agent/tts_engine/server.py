"""The engine as a local HTTP service, so that every job process of the host shares one model.

- `POST /v1/synthesize` `{text, emotion, voice, session}` answers `200` with a stream of frames: 1 byte kind + 4 bytes
  big-endian length + payload; `a` 16-bit mono PCM (24 kHz) for each piece, then `d` with the request's timings
  (JSON), or `e` with an error `{message, code, retryable}`. While the request waits its turn, an empty `k`
  (keep-alive) every `keepalive_s`, so that a client's read timeout measures a stalled engine, not a busy one;
  clients skip kinds they don't know. Closing the connection cancels the request (queued pieces dropped, the
  running one stopped at its next decoding step). Refusals before any audio are JSON with the same three fields:
  413 or 422 bad input, 503 overloaded or unavailable.
- `GET /healthz` (model, queue, counts; 503 when the generation thread is gone or the device lost), `GET /metrics`
  (Prometheus).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException

from ..asgi import BodyLimitMiddleware
from .emotions import DEFAULT_EMOTION, Emotion
from .engine import MAX_CHARS, Engine
from .model import EngineError

FRAME = struct.Struct(">cI")  # kind (a: audio, d: done, e: error, k: keep-alive), payload length
MAX_BODY = 16_384


class SynthesizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHARS)]
    emotion: Emotion = DEFAULT_EMOTION
    voice: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")] | None = None
    session: Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,64}$")] = Field(default="anonymous")


def frame(kind: bytes, payload: bytes) -> bytes:
    return FRAME.pack(kind, len(payload)) + payload


def refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": "bad_input", "retryable": False}, status_code=status)


def create_app(engine: Engine, *, keepalive_s: float = 2.0) -> FastAPI:
    app = FastAPI(title="Jarvis TTS engine", version="1", docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY,
                       refuse=lambda status, detail: refusal(status, f"request body refused: {detail}"))

    @app.exception_handler(EngineError)
    async def engine_error(_: Request, exc: EngineError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=422 if exc.code == "bad_input" else 503)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return refusal(422, f"invalid request: {where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:  # 404, 405, a streamed body over the cap
        return JSONResponse({"message": f"{exc.status_code}: {exc.detail}", "code": "bad_input", "retryable": False},
                            status_code=exc.status_code)

    @app.post("/v1/synthesize")
    async def synthesize(body: SynthesizeRequest) -> StreamingResponse:
        job = engine.submit(body.text, session=body.session, emotion=body.emotion, voice=body.voice)

        async def frames() -> AsyncIterator[bytes]:
            try:
                async for chunk in job.chunks(idle_s=keepalive_s):
                    yield frame(b"k", b"") if chunk is None else frame(b"a", chunk)
                yield frame(b"d", json.dumps(job.timings.report()).encode())
            except EngineError as exc:
                yield frame(b"e", json.dumps(exc.to_dict()).encode())
            finally:
                job.cancel()  # the client went away (barge-in): stop generating for it

        return StreamingResponse(frames(), media_type="application/octet-stream",
                                 headers={"X-Sample-Rate": str(engine.model.sample_rate), "X-Request-Id": job.id})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        stats = engine.stats()
        return JSONResponse({"status": "ok" if stats["healthy"] else "unavailable", "pid": os.getpid(), **stats},
                            status_code=200 if stats["healthy"] else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
