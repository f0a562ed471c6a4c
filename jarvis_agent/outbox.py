"""Delivery of the outbox: SMS through Twilio, e-mail through Resend (REST APIs, httpx).

Tools only queue messages (`send_sms_reminder`, `send_email_study`); recipients come from the member row. This step
claims due messages of the configured channels, sends them and records the outcome: sent, queued again after a
backoff (network error, 429, 5xx, rejected credentials), or failed (a refusal such as an invalid number, or too many
attempts). Without credentials a channel is not delivered: its messages stay queued until it is configured.

    python -m jarvis_agent.outbox deliver [--every SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

import httpx
import phonenumbers

from .logs import setup_logging
from .settings import Settings, get_settings
from .store import Store, StoreError

logger = logging.getLogger("jarvis.outbox")


class DeliveryError(Exception):
    """A failed attempt: `retry_limit` is how many attempts the message may have in all (0: fail it now)."""

    def __init__(self, message: str, *, retry_limit: int | None = None) -> None:
        super().__init__(message)
        self.retry_limit = retry_limit


# Provider answers: 408/425/429/5xx and network errors are retried (default attempts); 401/403/404 mean the account
# or credentials are wrong — retried for a long while (an operator will fix them) and logged as errors; other 4xx
# refuse the message itself (bad number…) and fail it at once.
TRANSIENT = {408, 425, 429}
MISCONFIGURED = {401, 403, 404}
MISCONFIGURED_RETRIES = 50


def e164(phone: str, region: str = "FR") -> str:
    """A phone number as Twilio wants it ("06 12 34 56 78", "0033 6…", "+33 (0)6…" -> "+33612345678")."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as exc:
        raise DeliveryError("not a phone number", retry_limit=0) from exc
    if not phonenumbers.is_possible_number(number):
        raise DeliveryError("not a phone number", retry_limit=0)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class OutboxDelivery:
    def __init__(self, store: Store, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.store = store
        self.settings = settings
        self._client = client or httpx.AsyncClient(timeout=10.0)
        self._kicked: asyncio.Task[None] | None = None
        self._again = False

    @property
    def channels(self) -> list[str]:
        return [c for c, ok in (("sms", self.settings.sms_configured), ("email", self.settings.email_configured)) if ok]

    def configured(self, channel: str) -> bool:
        return channel in self.channels

    def kick(self) -> None:
        """Deliver in the background now (after a tool queued a message). A kick during a running delivery makes it
        go round once more, so the new message is not left for the next periodic run."""
        if not self.channels:
            return
        self._again = True
        if self._kicked is None or self._kicked.done():
            self._kicked = asyncio.create_task(self._drain(), name="outbox-delivery")

    async def _drain(self) -> None:
        while self._again:
            self._again = False
            await self.deliver_pending()

    async def deliver_pending(self, limit: int = 5) -> dict[str, int]:
        """One round: claim up to `limit` due messages and deliver them one by one. Small rounds keep every claim far
        inside its 5-minute lease, after which an unfinished message would be claimed again."""
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
                counts[await self._deliver(message)] += 1
            except StoreError as exc:
                # The outcome could not be recorded: the claim lapses and the message is tried again later (SMS may
                # then arrive twice; e-mails carry an idempotency key that Resend deduplicates).
                logger.error("outbox: could not record a %s delivery (%s)", message["channel"], exc.reason)
        return counts

    async def _deliver(self, message: dict[str, Any]) -> str:
        try:
            provider_id = await (self._send_sms(message) if message["channel"] == "sms"
                                 else self._send_email(message))
        except DeliveryError as exc:
            result = await self.store.mark_outbox_message(message["id"], False, error=str(exc),
                                                          max_attempts=exc.retry_limit)
            outcome = "failed" if result["status"] == "failed" else "retry"
            logger.warning("outbox %s attempt %s failed (%s): %s", message["channel"], message["attempts"], outcome,
                           exc)
            return outcome
        await self.store.mark_outbox_message(message["id"], True, provider_id=provider_id)
        return "sent"

    async def _post(self, provider: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{provider} unreachable: {type(exc).__name__}") from exc
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                return {}  # accepted: the message went out even if the body is not what we expect
        # Only the status and the provider's error code are kept: error bodies can quote the recipient.
        try:
            body = response.json()
            code = body.get("code") or body.get("name") or ""
        except ValueError:
            code = ""
        text = f"{provider} HTTP {response.status_code}" + (f" ({code})" if code else "")
        if response.status_code in TRANSIENT or response.status_code >= 500:
            raise DeliveryError(text)
        if response.status_code in MISCONFIGURED:
            logger.error("%s rejected the account or credentials: check the settings", text)
            raise DeliveryError(text, retry_limit=MISCONFIGURED_RETRIES)
        raise DeliveryError(text, retry_limit=0)

    async def _send_sms(self, message: dict[str, Any]) -> str:
        s = self.settings
        body = await self._post(
            "Twilio", f"{s.twilio_api_url}/2010-04-01/Accounts/{s.twilio_account_sid}/Messages.json",
            auth=(s.twilio_account_sid, s.twilio_auth_token.get_secret_value()),
            data={"To": e164(message["recipient"]), "From": s.twilio_from_number, "Body": message["body"]})
        return str(body.get("sid", ""))

    async def _send_email(self, message: dict[str, Any]) -> str:
        s = self.settings
        body = await self._post(
            "Resend", f"{s.resend_api_url}/emails",
            headers={"Authorization": f"Bearer {s.resend_api_key.get_secret_value()}",
                     "Idempotency-Key": f"jarvis-outbox-{message['id']}"},
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
    setup_logging(get_settings().log_level)
    asyncio.run(_run(args.every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
