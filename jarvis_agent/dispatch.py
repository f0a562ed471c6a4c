"""The agent dispatch's metadata, `{gym_slug, badge_id, kiosk_id, session_id}`: written by the token server into the
room configuration (`RoomAgentDispatch`), read back and validated by the worker before a job joins. One model for
both sides, light to import (no LiveKit Agents)."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

AGENT_NAME = "jarvis"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_METADATA = 4096


class InvalidMetadata(ValueError):
    """The job's metadata is not what the token server dispatches; the message is safe to log."""


class JobMetadata(BaseModel):
    """`{gym_slug, badge_id, kiosk_id, session_id}`, as the token server puts it in the agent dispatch."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    gym_slug: str = Field(min_length=1, max_length=63)
    badge_id: str | None = Field(default=None, max_length=64)
    kiosk_id: str | None = Field(default=None, max_length=128)
    session_id: UUID = Field(default_factory=uuid4)

    @field_validator("gym_slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("not a gym slug (lower-case letters, digits and dashes)")
        return value

    @field_validator("badge_id", "kiosk_id", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> Any:
        if isinstance(value, str) and (not value.strip() or any(ord(c) < 32 for c in value)):
            return None if not value.strip() else _raise("control characters")
        return value

    @classmethod
    def parse(cls, raw: str | None) -> JobMetadata:
        if not raw or not raw.strip():
            raise InvalidMetadata("the job has no metadata (expected JSON with gym_slug, badge_id, kiosk_id, "
                                  "session_id)")
        if len(raw) > MAX_METADATA:
            raise InvalidMetadata(f"the job metadata is {len(raw)} bytes (at most {MAX_METADATA})")
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise InvalidMetadata(f"the job metadata is not JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise InvalidMetadata("the job metadata must be a JSON object")
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            fields = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidMetadata(f"invalid job metadata ({fields})") from None


def _raise(message: str) -> Any:
    raise ValueError(message)
