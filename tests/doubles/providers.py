"""DOUBLES of the third-party HTTP APIs Jarvis calls, for tests only (none is reachable from the test machines):
Open-Meteo (weather), Twilio (SMS) and Resend (e-mail). Each checks the request as the real API requires it,
records it, and can be told to fail or to stall."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .server import LocalServer


class OpenMeteoDouble(LocalServer):
    """GET /v1/forecast?latitude&longitude&current=temperature_2m,weather_code,wind_speed_10m"""

    def __init__(self) -> None:
        super().__init__([Route("/v1/forecast", self._forecast)])
        self.requests: list[dict[str, str]] = []
        self.delay_s = 0.0
        self.status = 200
        self.current = {"temperature_2m": 11.4, "weather_code": 61, "wind_speed_10m": 14.0}

    @property
    def forecast_url(self) -> str:
        return f"{self.url}/v1/forecast"

    async def _forecast(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append(params)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if "latitude" not in params or "longitude" not in params or "weather_code" not in params.get("current", ""):
            return JSONResponse({"error": True, "reason": "missing parameter"}, 400)
        if self.status != 200:
            return JSONResponse({"error": True, "reason": "unavailable"}, self.status)
        return JSONResponse({"latitude": float(params["latitude"]), "longitude": float(params["longitude"]),
                             "current": {"time": "2026-11-21T12:00", "interval": 900, **self.current}})


class TwilioDouble(LocalServer):
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP basic auth (SID, token), form To/From/Body."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__([Route("/2010-04-01/Accounts/{sid}/Messages.json", self._messages, methods=["POST"])])
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self._ids = itertools.count(1)

    async def _messages(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected or request.path_params["sid"] != self.account_sid:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if not {"To", "From", "Body"} <= set(form) or not form["To"].startswith("+"):
            return JSONResponse({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, 400)
        if self.fail_with:
            return JSONResponse({"code": 20500, "message": f"Error sending to {form['To']}", "status": self.fail_with},
                                self.fail_with)
        sid = f"SM{next(self._ids):032d}"
        self.messages.append({**form, "sid": sid})
        return JSONResponse({"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}, 201)


class ResendDouble(LocalServer):
    """POST /emails, Authorization: Bearer <key>, JSON {from, to: [...], subject, text}."""

    def __init__(self, api_key: str) -> None:
        super().__init__([Route("/emails", self._emails, methods=["POST"])])
        self.api_key = api_key
        self.emails: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self._ids = itertools.count(1)

    async def _emails(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"}, 401)
        body = await request.json()
        if not isinstance(body.get("to"), list) or not body.get("from") or not body.get("subject"):
            return JSONResponse({"statusCode": 422, "name": "validation_error", "message": "Invalid body"}, 422)
        if self.fail_with:
            return JSONResponse({"statusCode": self.fail_with, "name": "internal_server_error",
                                 "message": "Internal error"}, self.fail_with)
        email_id = f"email-{next(self._ids)}"
        self.emails.append({**body, "id": email_id, "idempotency_key": request.headers.get("idempotency-key")})
        return JSONResponse({"id": email_id})
