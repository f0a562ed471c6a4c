"""DOUBLE of the LiveKit SFU side of RPC, for tests only: a room's local participant whose `perform_rpc` records
the call (or fails as the SFU reports it), since no LiveKit server runs in the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from livekit import rtc


@dataclass
class RpcCall:
    destination_identity: str
    method: str
    payload: str


@dataclass
class LocalParticipantDouble:
    calls: list[RpcCall] = field(default_factory=list)
    fail_with: rtc.RpcError | None = None

    async def perform_rpc(self, *, destination_identity: str, method: str, payload: str,
                          response_timeout: float | None = None) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(RpcCall(destination_identity, method, payload))
        return "ok"
