"""Delivery of the outbox through DOUBLES of Twilio and Resend (tests/doubles/providers.py): request shapes, retries,
permanent refusals, concurrent deliverers, and the tools' "sent now" vs "queued" answers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from jarvis_agent.outbox import OutboxDelivery, e164
from jarvis_agent.settings import REPO_ROOT, Settings
from jarvis_agent.store.postgres import PostgresStore

from .conftest import sql
from .doubles.providers import ResendDouble, TwilioDouble
from .test_tools import call

SID, TOKEN, RESEND_KEY = "AC" + "0" * 32, "twilio-test-token", "re_test_key"



@pytest.fixture
def twilio() -> Iterator[TwilioDouble]:
    double = TwilioDouble(SID, TOKEN).start()
    yield double
    double.stop()


@pytest.fixture
def resend() -> Iterator[ResendDouble]:
    double = ResendDouble(RESEND_KEY).start()
    yield double
    double.stop()


@pytest.fixture
def settings(twilio: TwilioDouble, resend: ResendDouble) -> Settings:
    return Settings(_env_file=None, twilio_account_sid=SID, twilio_auth_token=TOKEN,
                    twilio_from_number="+33700000000", twilio_api_url=twilio.url, resend_api_key=RESEND_KEY,
                    resend_from="Énergie Fitness <bonjour@example.com>", resend_api_url=resend.url)


async def test_sms_and_email_are_delivered(store: PostgresStore, db_url: str, demo, settings, twilio,
                                           resend) -> None:
    sms = await store.send_sms_reminder(demo.paris, demo.member, "Ton cours commence dans une heure !", "k1")
    mail = await store.send_email_study(demo.paris, demo.member, "Ton programme", "Voici ton programme.", "k2")
    delivery = OutboxDelivery(store, settings)
    assert await delivery.deliver_pending() == {"sent": 2, "retry": 0, "failed": 0}
    await delivery.aclose()
    (phone, email), = sql(db_url, "select phone, email from gym_members where id = %s", demo.member)
    (text,) = twilio.messages
    assert text["To"] == "+" + "".join(c for c in phone if c.isdigit()) and text["From"] == "+33700000000"
    assert text["Body"] == "Ton cours commence dans une heure !"
    (sent_mail,) = resend.emails
    assert sent_mail["to"] == [email] and sent_mail["subject"] == "Ton programme"
    assert sent_mail["from"] == "Énergie Fitness <bonjour@example.com>" and sent_mail["text"] == "Voici ton programme."
    assert sent_mail["idempotency_key"] == f"jarvis-outbox-{mail['message_id']}"
    rows = dict(sql(db_url, "select id::text, status || ':' || provider_id from outbox_messages where id = any(%s)",
                    [sms["message_id"], mail["message_id"]]))
    assert rows == {sms["message_id"]: f"sent:{text['sid']}", mail["message_id"]: "sent:email-1"}


async def test_without_credentials_messages_stay_queued(store: PostgresStore, db_url: str, demo) -> None:
    queued = await store.send_sms_reminder(demo.paris, demo.member, "Rappel", "k1")
    delivery = OutboxDelivery(store, Settings(_env_file=None))
    assert delivery.channels == [] and await delivery.deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}
    await delivery.aclose()
    assert sql(db_url, "select status, attempts from outbox_messages where id = %s", queued["message_id"]) == [
        ("queued", 0)]


def due_now(url: str) -> None:
    """Skip the backoff wait of queued messages."""
    sql(url, "update outbox_messages set next_attempt_at = now() where status = 'queued'")


async def test_transient_failures_are_retried_with_backoff_then_given_up(store: PostgresStore, db_url: str, demo,
                                                                         settings, twilio) -> None:
    queued = await store.send_sms_reminder(demo.paris, demo.member, "Rappel", "k1")
    delivery = OutboxDelivery(store, settings)
    twilio.fail_with = 503
    assert await delivery.deliver_pending() == {"sent": 0, "retry": 1, "failed": 0}
    (status, attempts, error, wait), = sql(
        db_url, "select status, attempts, last_error, round(extract(epoch from next_attempt_at - now())) "
                "from outbox_messages where id = %s", queued["message_id"])
    assert (status, attempts, error) == ("queued", 1, "Twilio HTTP 503 (20500)") and 25 <= wait <= 30
    assert "06 39" not in error and "+33" not in error  # the body quoted the number: not kept
    twilio.fail_with = None
    assert await delivery.deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    due_now(db_url)
    assert await delivery.deliver_pending() == {"sent": 1, "retry": 0, "failed": 0}
    other = await store.send_sms_reminder(demo.paris, demo.member, "Encore", "k2")
    twilio.fail_with = 500
    outcomes = []
    for _ in range(5):
        outcomes.append(await delivery.deliver_pending())
        due_now(db_url)
    assert [o["retry"] for o in outcomes] == [1, 1, 1, 1, 0] and outcomes[-1]["failed"] == 1
    assert sql(db_url, "select status, attempts from outbox_messages where id = %s", other["message_id"]) == [
        ("failed", 5)]
    await delivery.aclose()


async def test_rejected_credentials_keep_messages_queued(store: PostgresStore, db_url: str, demo, settings,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queued = await store.send_sms_reminder(demo.paris, demo.member, "Rappel", "k1")
    wrong = settings.model_copy(update={"twilio_auth_token": SecretStr("rotated-token")})
    delivery = OutboxDelivery(store, wrong)
    for _ in range(6):
        assert (await delivery.deliver_pending())["failed"] == 0
        due_now(db_url)
    await delivery.aclose()
    assert sql(db_url, "select status, attempts from outbox_messages where id = %s", queued["message_id"]) == [
        ("queued", 6)]
    assert "Twilio HTTP 401 (20003) rejected the account or credentials" in caplog.text
    assert "rotated-token" not in caplog.text


async def test_a_refused_message_fails_at_once(store: PostgresStore, db_url: str, demo, settings, twilio) -> None:
    sql(db_url, "update gym_members set phone = '1234' where id = %s", demo.member)  # not a phone number
    queued = await store.send_sms_reminder(demo.paris, demo.member, "Rappel", "k1")
    delivery = OutboxDelivery(store, settings)
    assert await delivery.deliver_pending() == {"sent": 0, "retry": 0, "failed": 1}
    assert sql(db_url, "select status, last_error from outbox_messages where id = %s", queued["message_id"]) == [
        ("failed", "not a phone number")]
    assert twilio.messages == []
    await delivery.aclose()


@pytest.mark.parametrize(("phone", "expected"), [
    ("06 39 98 12 34", "+33639981234"), ("0033 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"), ("33612345678", "+33612345678"), ("+33 6 39 98 12 34", "+33639981234")])
def test_french_numbers_in_e164(phone: str, expected: str) -> None:
    assert e164(phone) == expected


async def test_an_outcome_that_cannot_be_recorded_does_not_stop_the_round(store: PostgresStore, db_url: str, demo,
                                                                           settings, twilio,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    for i in range(2):
        await store.send_sms_reminder(demo.paris, demo.member, f"Message {i}", f"k{i}")
    sql(db_url, "drop function public.mark_outbox_message(uuid, boolean, text, text, integer)")  # a broken deploy
    delivery = OutboxDelivery(store, settings)
    assert await delivery.deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}
    await delivery.aclose()
    assert sorted(m["Body"] for m in twilio.messages) == ["Message 0", "Message 1"]  # both went out
    assert sql(db_url, "select distinct status from outbox_messages") == [("sending",)]  # claimed, lease to lapse
    assert caplog.text.count("could not record a sms delivery") == 2


async def test_a_kick_during_a_delivery_is_not_lost(store: PostgresStore, db_url: str, demo, settings,
                                                    twilio) -> None:
    delivery = OutboxDelivery(store, settings)
    await store.send_sms_reminder(demo.paris, demo.member, "Premier", "k1")
    delivery.kick()
    await store.send_sms_reminder(demo.paris, demo.member, "Second", "k2")  # queued while the first round runs
    delivery.kick()
    await delivery.aclose()
    assert sorted(m["Body"] for m in twilio.messages) == ["Premier", "Second"]


async def test_concurrent_deliverers_send_each_message_once(store: PostgresStore, db_url: str, demo, settings,
                                                            twilio) -> None:
    members = [r[0] for r in sql(db_url, "select id from gym_members where gym_id = %s and is_active and phone is "
                                         "not null order by badge_id limit 12", demo.paris)]
    for i, member in enumerate(members):
        await store.send_sms_reminder(demo.paris, member, f"Message {i}", f"k{i}")
    deliverers = [OutboxDelivery(store, settings) for _ in range(3)]
    await asyncio.gather(*(d.deliver_pending(limit=5) for d in deliverers))
    await asyncio.gather(*(d.deliver_pending(limit=5) for d in deliverers))
    assert sorted(m["Body"] for m in twilio.messages) == sorted(f"Message {i}" for i in range(12))
    for d in deliverers:
        await d.aclose()


async def test_a_message_stuck_in_sending_is_reclaimed(store: PostgresStore, db_url: str, demo, settings,
                                                        twilio) -> None:
    queued = await store.send_sms_reminder(demo.paris, demo.member, "Rappel", "k1")
    claimed = await store.claim_outbox_messages(["sms"])  # a deliverer that dies right after claiming
    assert [m["id"] for m in claimed["messages"]] == [queued["message_id"]]
    assert (await store.claim_outbox_messages(["sms"]))["messages"] == []
    sql(db_url, "update outbox_messages set claimed_at = now() - interval '10 minutes' where id = %s",
        queued["message_id"])
    delivery = OutboxDelivery(store, settings)
    assert await delivery.deliver_pending() == {"sent": 1, "retry": 0, "failed": 0}
    await delivery.aclose()


async def test_the_sms_tool_sends_now_when_twilio_is_configured(store: PostgresStore, db_url: str, demo, model,
                                                                settings, twilio) -> None:
    delivery = OutboxDelivery(store, settings)
    out = await call(store, model, demo.member_badge, "send_sms_reminder", {"message": "À demain au cours !"},
                     outbox=delivery)
    await delivery.aclose()  # waits for the delivery the tool started
    assert "part maintenant" in out.output
    assert [m["Body"] for m in twilio.messages] == ["À demain au cours !"]
    assert sql(db_url, "select status from outbox_messages where member_id = %s", demo.member) == [("sent",)]


def test_the_delivery_command(ro_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": ro_db_url, "JARVIS_AUTO_MIGRATE": "false"}
    for key in ("TWILIO_ACCOUNT_SID", "RESEND_API_KEY"):
        env.pop(key, None)
    done = subprocess.run([sys.executable, "-m", "jarvis_agent.outbox", "deliver"], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no channel configured" in done.stderr and "TWILIO_" in done.stderr
