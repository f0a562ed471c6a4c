"""`POST /v1/kiosk/sessions`: a kiosk scanned a badge; it gets a LiveKit room, a token for that room only, and the
agent `jarvis` dispatched into it with `{gym_slug, badge_id, kiosk_id, session_id}`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends
from livekit import api

from jarvis_agent.dispatch import AGENT_NAME, JobMetadata
from jarvis_agent.settings import Settings

from .deps import Rt, kiosk_key_hash, limit_ip
from .models import KioskSession, KioskSessionRequest
from .problems import ProblemError, responses

logger = logging.getLogger("token_server.kiosk")
router = APIRouter(prefix="/v1/kiosk", tags=["kiosk"], dependencies=[Depends(limit_ip)])


def livekit_missing(settings: Settings) -> list[str]:
    """The LiveKit settings kiosk sessions still need (none: configured)."""
    return [name for name, value in (("LIVEKIT_URL", settings.jarvis_public_livekit_url or settings.livekit_url),
                                     ("LIVEKIT_API_KEY", settings.livekit_api_key),
                                     ("LIVEKIT_API_SECRET", settings.livekit_api_secret)) if not value]


def livekit_credentials(settings: Settings) -> tuple[str, str, str]:
    """(server URL for kiosks, API key, API secret), or 503; which variables is for the operator's log, not for
    whoever calls."""
    if missing := livekit_missing(settings):
        logger.warning("kiosk session refused: set %s (LiveKit Cloud → project → Settings → API keys)",
                       ", ".join(missing))
        raise ProblemError(503, "livekit_not_configured", "LiveKit n'est pas configuré.")
    url = settings.jarvis_public_livekit_url or settings.livekit_url
    assert url and settings.livekit_api_key and settings.livekit_api_secret
    return url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()


def participant_token(api_key: str, api_secret: str, *, room: str, identity: str, meta: JobMetadata,
                      ttl: timedelta) -> str:
    """Join this room only; publish the microphone and data, subscribe; the agent dispatched on room creation."""
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_publish_data=True, can_subscribe=True,
                             can_publish_sources=["microphone"])
    dispatch = api.RoomAgentDispatch(agent_name=AGENT_NAME, metadata=meta.model_dump_json())
    return (api.AccessToken(api_key, api_secret).with_identity(identity).with_name("Borne Jarvis").with_ttl(ttl)
            .with_grants(grants).with_room_config(api.RoomConfiguration(agents=[dispatch])).to_jwt())


@router.post("/sessions", status_code=201, response_model=KioskSession,
             responses=responses(400, 401, 413, 422, 429, 503), summary="Open a kiosk session for a scanned badge")
async def open_session(body: KioskSessionRequest, key_hash: Annotated[str, Depends(kiosk_key_hash)],
                       rt: Rt) -> KioskSession:
    """Unknown or inactive badges (or none) open a visitor session, said so in `visitor` / `visitor_reason`. The
    session row is created as "started" at once, so the dashboard sees it."""
    url, key, secret = livekit_credentials(rt.settings)
    opened = await rt.store.open_kiosk_session(key_hash, uuid4(), body.badge_id)
    if not opened:  # SQL null: PostgREST may hand it back as an empty body
        raise ProblemError(401, "invalid_kiosk_key", "Clé de borne inconnue ou révoquée.",
                           headers={"WWW-Authenticate": "X-Kiosk-Key"})
    session_id = UUID(opened["session_id"])
    meta = JobMetadata(gym_slug=opened["gym_slug"], badge_id=opened["badge_id"], kiosk_id=opened["kiosk_id"],
                       session_id=session_id)
    room, identity = f"jarvis-{session_id}", f"kiosk-{opened['kiosk_id']}"
    ttl = timedelta(seconds=rt.settings.jarvis_token_ttl_s)
    expires_at = (datetime.now(UTC) + ttl).replace(microsecond=0)  # never after the token's own exp (whole seconds)
    token = participant_token(key, secret, room=room, identity=identity, meta=meta, ttl=ttl)
    logger.info("kiosk session %s opened (gym %s, %s)", session_id, meta.gym_slug,
                "visitor" if opened["visitor"] else "member")
    return KioskSession(session_id=session_id, room=room, server_url=url, participant_token=token, identity=identity,
                        expires_at=expires_at, gym_slug=meta.gym_slug, visitor=opened["visitor"],
                        visitor_reason=opened["visitor_reason"])
