"""DOUBLE of Groq's OpenAI-compatible API (POST /chat/completions, streamed), for tests only.

Groq cannot be reached from the test machines. This local HTTP server stands in for it at the network boundary, so
the real `livekit-plugins-groq` (OpenAI client) code path runs: the test scripts what "the model" answers — tool
calls or text — and the server streams it as OpenAI chat-completion chunks (SSE), recording every request (messages,
tools) for assertions.
"""

from __future__ import annotations

import json
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


Reply = ToolCalls | Text
Script = Callable[[dict[str, Any]], Reply]


class OpenAIServerDouble(LocalServer):
    API_KEY = "test-groq-key"

    def __init__(self, model: str = "llama-3.3-70b-versatile") -> None:
        super().__init__([Route("/openai/v1/chat/completions", self._chat, methods=["POST"])])
        self.model = model
        self.replies: list[Reply | Script] = []
        self.requests: list[dict[str, Any]] = []
        self._calls = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}/openai/v1"

    def script(self, *replies: Reply | Script) -> None:
        """Queue what the model answers to the next requests, in order."""
        self.replies.extend(replies)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

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
        if not self.replies:
            reply: Reply = Text("Je n'ai rien de plus à ajouter.")
        else:
            step = self.replies.pop(0)
            reply = step(body) if callable(step) else step
        self._calls += 1
        chunks = list(self._chunks(reply, f"chatcmpl-{self._calls}"))
        if not body.get("stream"):
            return JSONResponse({"error": {"message": "this double only streams"}}, 400)

        async def stream():
            for chunk in chunks:
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

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
