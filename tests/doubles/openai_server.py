"""DOUBLE of Groq's OpenAI-compatible API (POST /chat/completions streamed, POST /audio/transcriptions), for tests
and benchmarks only.

Groq cannot be reached from the test machines. This local HTTP server stands in for it at the network boundary, so
the real `livekit-plugins-groq` (OpenAI client) code path runs: the test scripts what "the model" answers — tool
calls, text, or a fault (429, 500, a stall, a stream cut short) — and what "Whisper" hears, and the server answers
as OpenAI does, recording every request for assertions. Fixed latencies (time to first token, transcription time)
make it a provider of known speed for the benchmarks.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .server import LocalServer


@dataclass
class ToolCalls:
    """The model calls these tools: [(name, arguments)]."""

    calls: list[tuple[str, dict[str, Any]]]


@dataclass
class Text:
    """The model answers with this text."""

    text: str


@dataclass
class Fault:
    """The provider fails: an HTTP `status` (429, 500…), `stall` seconds before answering anything (a timeout), or
    a stream `truncated` after its first chunk (the connection drops mid-answer)."""

    status: int | None = None
    stall: float = 0.0
    truncated: bool = False


Reply = ToolCalls | Text | Fault
Script = Callable[[dict[str, Any]], Reply]


class OpenAIServerDouble(LocalServer):
    API_KEY = "test-groq-key"

    def __init__(self, model: str = "llama-3.3-70b-versatile", *, ttft: float = 0.0, stt_latency: float = 0.0,
                 default_text: str = "Je n'ai rien de plus à ajouter.") -> None:
        super().__init__([Route("/openai/v1/chat/completions", self._chat, methods=["POST"]),
                          Route("/openai/v1/audio/transcriptions", self._transcribe, methods=["POST"])])
        self.model = model
        self.ttft = ttft
        self.stt_latency = stt_latency
        self.default_text = default_text
        self.replies: list[Reply | Script] = []
        self.model_replies: dict[str, list[Reply]] = {}
        self.requests: list[dict[str, Any]] = []
        self.heard: list[str | Fault | Callable[[int], str]] = []
        self.transcriptions: list[dict[str, Any]] = []
        self._calls = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}/openai/v1"

    def script(self, *replies: Reply | Script) -> None:
        """Queue what the model answers to the next requests, in order."""
        self.replies.extend(replies)

    def script_for(self, model: str, *replies: Reply) -> None:
        """Queue answers for requests to one model only (they go first; other models use `script`)."""
        self.model_replies.setdefault(model, []).extend(replies)

    def hear(self, *texts: str | Fault | Callable[[int], str]) -> None:
        """Queue what "Whisper" transcribes from the next audio segments, in order (a callable gets the audio's
        size in bytes)."""
        self.heard.extend(texts)

    def reset(self) -> None:
        self.replies.clear()
        self.model_replies.clear()
        self.requests.clear()
        self.heard.clear()
        self.transcriptions.clear()

    # -- views on what the agent sent --------------------------------------------------------------------------------
    def tool_names(self, request: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[request].get("tools", [])]

    def system_prompt(self, request: int = -1) -> str:
        return "\n".join(m["content"] for m in self.requests[request]["messages"]
                         if m["role"] in ("system", "developer") and isinstance(m["content"], str))

    def tool_outputs(self, request: int = -1) -> list[str]:
        return [m["content"] for m in self.requests[request]["messages"] if m["role"] == "tool"]

    # -- the endpoint --------------------------------------------------------------------------------------------
    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if request.headers.get("authorization", "") != f"Bearer {self.API_KEY}":
            return JSONResponse({"error": {"message": "Invalid API Key", "type": "invalid_request_error"}}, 401)
        if self.model_replies.get(body.get("model")):
            reply: Reply = self.model_replies[body["model"]].pop(0)
        elif not self.replies:
            reply = Text(self.default_text)
        else:
            step = self.replies.pop(0)
            reply = step(body) if callable(step) else step
        self._calls += 1
        if isinstance(reply, Fault) and (reply.status or reply.stall):
            await asyncio.sleep(reply.stall)
            return _error(reply.status or 504)
        if not body.get("stream"):
            return JSONResponse({"error": {"message": "this double only streams"}}, 400)
        truncated = isinstance(reply, Fault)
        chunks = list(self._chunks(Text("Alors, je") if truncated else reply, f"chatcmpl-{self._calls}"))

        async def stream():
            await asyncio.sleep(self.ttft)
            for chunk in chunks[:2] if truncated else chunks:
                yield f"data: {json.dumps(chunk)}\n\n"
            if truncated:
                raise ConnectionResetError("the double cuts the stream")
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _transcribe(self, request: Request) -> Response:
        body = await request.body()
        language = re.search(rb'name="language"\r\n\r\n([^\r]*)', body)
        model = re.search(rb'name="model"\r\n\r\n([^\r]*)', body)
        self.transcriptions.append({"bytes": len(body), "language": language and language.group(1).decode(),
                                    "model": model and model.group(1).decode()})
        if request.headers.get("authorization", "") != f"Bearer {self.API_KEY}":
            return JSONResponse({"error": {"message": "Invalid API Key", "type": "invalid_request_error"}}, 401)
        await asyncio.sleep(self.stt_latency)
        heard = self.heard.pop(0) if self.heard else ""
        if isinstance(heard, Fault):
            await asyncio.sleep(heard.stall)
            return _error(heard.status or 504)
        return JSONResponse({"text": heard(len(body)) if callable(heard) else heard})

    def _chunks(self, reply: Reply, completion_id: str):
        base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()),
                "model": self.model}
        if isinstance(reply, ToolCalls):
            for index, (name, arguments) in enumerate(reply.calls):
                delta = {"role": "assistant", "content": None, "tool_calls": [{
                    "index": index, "id": f"call_{self._calls}_{index}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}]}
                yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
        else:
            yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None}]}
            for word in reply.text.split(" "):
                yield {**base, "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
            yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield {**base, "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}


def _error(status: int) -> Response:
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    headers = {"retry-after": "1"} if status == 429 else {}
    return JSONResponse({"error": {"message": f"double: HTTP {status}", "type": kind}}, status, headers=headers)
