"""Errors as RFC 9457 problem details (`application/problem+json`): a stable `code`, a short French `title` a
dashboard can show, never a stack trace, a SQL message or a secret. Every route declares the problems it can answer
(`responses=`), so the OpenAPI schema tells clients — and schemathesis checks — the whole truth."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from jarvis_agent.store import Conflict, InvalidInput, NotFound, StoreError, Unavailable

logger = logging.getLogger("token_server")

MEDIA_TYPE = "application/problem+json"
# Starlette/FastAPI's own HTTP errors: a stable code and a French title instead of the framework's English text.
HTTP_CODES = {400: ("malformed_request", "Requête illisible."), 401: ("unauthorized", "Authentification requise."),
              404: ("not_found", "Introuvable."), 405: ("method_not_allowed", "Méthode non autorisée."),
              413: ("request_too_large", "Requête trop volumineuse.")}


class Problem(BaseModel):
    type: str = Field(description="urn:jarvis:problem:<code>")
    title: str
    status: int
    code: str = Field(description="stable machine reason, e.g. rate_limited, invalid_kiosk_key")
    detail: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="per-field validation errors")


class ProblemError(Exception):
    """Raised by routes and dependencies; rendered by `problem_response`."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status, self.code, self.title, self.detail, self.headers = status, code, title, detail, headers


def problem_response(status: int, code: str, title: str, detail: str | None = None,
                     headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None
                     ) -> JSONResponse:
    body = Problem(type=f"urn:jarvis:problem:{code}", title=title, status=status, code=code, detail=detail,
                   errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers,
                        media_type=MEDIA_TYPE)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the problems a route can answer."""
    described = {400: "Malformed request", 401: "Missing, unknown, revoked or expired credentials",
                 404: "Not found (or another gym's)", 409: "Conflict with the current state",
                 413: "Request body too large", 422: "Invalid parameters", 429: "Rate limited (see Retry-After)",
                 503: "A dependency (database, Redis, LiveKit) is unavailable"}
    schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {s: {"description": described[s], "content": {MEDIA_TYPE: schema}} for s in statuses}


STORE_ERRORS: dict[type[StoreError], tuple[int, str]] = {
    NotFound: (404, "Introuvable."), InvalidInput: (422, "Paramètres invalides."), Conflict: (409, "Conflit."),
    Unavailable: (503, "Service momentanément indisponible."),
}


def install(app: FastAPI) -> None:
    """Problem-details exception handlers, and the `Problem` schema in the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.title, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return problem_response(422, "invalid_request", "Requête invalide.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code, title = HTTP_CODES.get(exc.status_code, ("http_error", "Requête refusée."))
        return problem_response(exc.status_code, code, title, headers=getattr(exc, "headers", None))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        status, title = next((v for t, v in STORE_ERRORS.items() if isinstance(exc, t)), (500, "Erreur interne."))
        if status >= 500:
            logger.warning("data layer: %s (%s)", exc.reason, type(exc).__name__)
            return problem_response(status, exc.reason, title, headers={"Retry-After": "5"} if status == 503 else None)
        return problem_response(status, exc.reason, exc.message)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # validation errors quote the values they refused (names, badges): their text only at debug level
        logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        logger.debug("unhandled error", exc_info=exc)
        return problem_response(500, "internal_error", "Erreur interne.")
