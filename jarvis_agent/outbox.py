"""Delivery of the outbox: SMS through Twilio, e-mail through Resend (REST APIs, httpx).

Tools only queue messages (`send_sms_reminder`, `send_email_study`); recipients come from the member row. This step
claims queued messages of the configured channels, sends them and records the outcome: sent, queued again for a
retry (network error, 429, 5xx), or failed (a refusal such as an invalid number, or too many attempts). Without
credentials a channel is simply not delivered: its messages stay queued until it is configured.

    python -m jarvis_agent.outbox deliver [--every SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from typing import Any

import httpx

from .settings import Settings, get_settings
from .store import Store, StoreError

logger = logging.getLogger("jarvis.outbox")


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _e164(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone)
    return "+33" + digits[1:] if digits.startswith("0") else digits


class OutboxDelivery:
    def __init__(self, store: Store, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.store = store
        self.settings = settings
        self._client = client or httpx.AsyncClient(timeout=10.0)
        self._kicked: asyncio.Task[dict[str, int]] | None = None

    @property
    def channels(self) -> list[str]:
        return [c for c, ok in (("sms", self.settings.sms_configured), ("email", self.settings.email_configured)) if ok]

    def configured(self, channel: str) -> bool:
        return channel in self.channels

    def kick(self) -> None:
        """Deliver in the background now (after a tool queued a message); one run at a time."""
        if self.channels and (self._kicked is None or self._kicked.done()):
            self._kicked = asyncio.create_task(self.deliver_pending(), name="outbox-delivery")

    async def deliver_pending(self, limit: int = 20) -> dict[str, int]:
        counts = {"sent": 0, "retry": 0, "failed": 0}
        if not self.channels:
            return counts
        try:
            claimed = (await self.store.claim_outbox_messages(self.channels, limit=limit))["messages"]
        except StoreError as exc:
            logger.warning("outbox unavailable: %s", exc.reason)
            return counts
        for message in claimed:
            try:
                provider_id = await (self._send_sms(message) if message["channel"] == "sms"
                                     else self._send_email(message))
            except DeliveryError as exc:
                logger.warning("outbox %s delivery failed (%s): %s", message["channel"],
                               "permanent" if exc.permanent else "will retry", exc)
                result = await self.store.mark_outbox_message(message["id"], False, error=str(exc),
                                                              max_attempts=0 if exc.permanent else None)
                counts["failed" if result["status"] == "failed" else "retry"] += 1
            else:
                await self.store.mark_outbox_message(message["id"], True, provider_id=provider_id)
                counts["sent"] += 1
        return counts

    async def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"network error: {type(exc).__name__}", permanent=False) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"HTTP {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=True)
        return response.json()

    async def _send_sms(self, message: dict[str, Any]) -> str:
        s = self.settings
        body = await self._post(
            f"{s.twilio_api_url}/2010-04-01/Accounts/{s.twilio_account_sid}/Messages.json",
            auth=(s.twilio_account_sid, s.twilio_auth_token.get_secret_value()),
            data={"To": _e164(message["recipient"]), "From": s.twilio_from_number, "Body": message["body"]})
        return str(body.get("sid", ""))

    async def _send_email(self, message: dict[str, Any]) -> str:
        s = self.settings
        body = await self._post(
            f"{s.resend_api_url}/emails",
            headers={"Authorization": f"Bearer {s.resend_api_key.get_secret_value()}"},
            json={"from": s.resend_from, "to": [message["recipient"]], "subject": message["subject"] or "Jarvis",
                  "text": message["body"]})
        return str(body.get("id", ""))

    async def aclose(self) -> None:
        if self._kicked is not None:
            await asyncio.gather(self._kicked, return_exceptions=True)
        await self._client.aclose()


async def _run(every: float | None) -> None:
    from .store import open_store

    settings = get_settings()
    store = await open_store(settings)
    delivery = OutboxDelivery(store, settings)
    if not delivery.channels:
        logger.warning("no channel configured (TWILIO_* for SMS, RESEND_API_KEY for e-mail): nothing to deliver")
    try:
        while True:
            counts = await delivery.deliver_pending()
            logger.info("outbox: %s", counts)
            if every is None:
                break
            await asyncio.sleep(every)
    finally:
        await delivery.aclose()
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent.outbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["deliver"])
    parser.add_argument("--every", type=float, default=None, help="keep delivering, every N seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(args.every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
