"""The kiosk participant of a room, for the UI events Jarvis sends to the mirror (LiveKit RPC).

The kiosk page registers RPC handlers (see the reference kiosk page); Jarvis calls them on the kiosk participant
with a JSON payload. `jarvis.display_video` shows an exercise video.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from livekit import rtc

logger = logging.getLogger("jarvis.kiosk")

DISPLAY_VIDEO = "jarvis.display_video"


class RpcSender(Protocol):
    """What a room's local participant offers for RPC (livekit.rtc.LocalParticipant)."""

    async def perform_rpc(self, *, destination_identity: str, method: str, payload: str,
                          response_timeout: float | None = None) -> str: ...


class KioskUnavailable(Exception):
    """No kiosk participant in the room, or it did not answer."""


class KioskLink:
    def __init__(self, local_participant: RpcSender, kiosk_identity: str | None, *, timeout_s: float = 3.0) -> None:
        self.local_participant = local_participant
        self.kiosk_identity = kiosk_identity
        self.timeout_s = timeout_s

    async def display_video(self, video: dict[str, Any]) -> str:
        """Ask the kiosk to show this video: {"video_id", "title", "url", "thumbnail_url", "duration_seconds"}."""
        if not self.kiosk_identity:
            raise KioskUnavailable("no kiosk participant in the room")
        payload = json.dumps({key: video.get(key) for key in
                              ("video_id", "title", "url", "thumbnail_url", "duration_seconds")}, ensure_ascii=False)
        try:
            return await self.local_participant.perform_rpc(destination_identity=self.kiosk_identity,
                                                            method=DISPLAY_VIDEO, payload=payload,
                                                            response_timeout=self.timeout_s)
        except rtc.RpcError as exc:
            logger.warning("kiosk RPC %s failed: code %s", DISPLAY_VIDEO, exc.code)
            raise KioskUnavailable(exc.message) from exc
