"""The shape of a kiosk conversation through the real AgentSession: greeting with and without a badge, goodbye and
walk-away endings, Whisper's hallucinations dropped, barge-in, the filler of a slow tool. Groq is the DOUBLE of
tests/doubles/openai_server.py."""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg
import pytest

from jarvis_agent.audio import MicrophoneInput, SpeakerOutput
from jarvis_agent.conversation import CHECK_IN, goodbye, greeting, is_goodbye
from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.session import KioskSession
from jarvis_agent.simulator import agent_quiet
from jarvis_agent.stt_guard import is_hallucination

from ..conftest import sql
from ..doubles.openai_server import Text, ToolCalls
from .speech import needs_espeak, speech


def said(result_or_transcript) -> list[str]:
    transcript = getattr(result_or_transcript, "transcript", result_or_transcript)
    return [t["text"] for t in transcript if t["role"] == "assistant"]


async def test_greeting_names_the_member_and_welcomes_visitors(runner, model, demo) -> None:
    member = await runner.run(["Bonjour"], badge=demo.member_badge, tts=False)
    assert said(member)[0].startswith(f"Salut {demo.member_first_name} !")
    visitor = await runner.run(["Bonjour"], tts=False)
    assert said(visitor)[0].startswith("Bonjour et bienvenue à ") and "Jarvis" in said(visitor)[0]
    unknown = await runner.run(["Bonjour"], badge="NO-SUCH-BADGE", tts=False)
    assert "Je ne retrouve pas ton badge" in said(unknown)[0]
    assert all("NO-SUCH-BADGE" not in r["content"] for m in model.requests for r in m["messages"]
               if isinstance(r.get("content"), str))


@pytest.mark.parametrize("text", ["Merci, au revoir !", "Ok c'est tout, bonne journée", "À plus Jarvis"])
async def test_a_goodbye_ends_the_session_without_the_llm(runner, model, demo, db_url, text) -> None:
    result = await runner.run([text], badge=demo.member_badge, tts=False)
    assert result.end_reason == "goodbye"
    assert said(result)[-1] == f"À bientôt {demo.member_first_name}, bonne séance !"
    assert model.requests == []
    (reason,), = sql(db_url, "select end_reason from voice_sessions where id = %s", result.session_id)
    assert reason == "goodbye"


def test_goodbye_detection_keeps_requests() -> None:
    assert is_goodbye("Merci beaucoup, bonne soirée !")
    assert not is_goodbye("Réserve-moi le yoga de demain et au revoir")
    assert not is_goodbye("Salut !")  # a hello at the start of a conversation
    assert not is_goodbye("Merci, tu peux m'inscrire au cours de 18 h ?")
    assert not is_goodbye("C'est tout ?")  # a question
    assert is_goodbye("À la prochaine !") and not is_hallucination("À la prochaine !")


async def test_walking_away_gets_a_check_in_then_a_goodbye_and_the_session_ends(runner, model, demo, db_url) -> None:
    kiosk = await runner.start(badge=demo.member_badge, jarvis_idle_checkin_s=1.0, jarvis_idle_goodbye_s=1.0)
    await asyncio.wait_for(kiosk.wait(), timeout=15)
    assert await kiosk.finish() == "enqueued"
    assert kiosk.end_reason == "walked_away"
    assert said(kiosk.recorder.transcript) == [greeting(kiosk.data.context), CHECK_IN, goodbye(kiosk.data.context)]
    (reason, n), = sql(db_url, "select end_reason, jsonb_array_length(transcript) from voice_sessions where id = %s",
                       kiosk.meta.session_id)
    assert (reason, n) == ("walked_away", 3)


def test_whisper_silence_hallucinations_are_recognised() -> None:
    for text in ("Sous-titres réalisés par la communauté d'Amara.org", "Merci d'avoir regardé !", "Merci.",
                 " merci beaucoup", "Sous-titrage ST' 501", "...", "Abonnez-vous !"):
        assert is_hallucination(text), text
    for text in ("Merci, je voudrais réserver", "Bonjour", "Merci d'avoir réservé mon cours ?"):
        assert not is_hallucination(text), text


@needs_espeak
async def test_a_spoken_goodbye_is_answered_recorded_and_ends_the_session(runner, model, demo, db_url) -> None:
    model.hear("Merci, au revoir !")
    result = await runner.run([speech("Merci, au revoir !")], badge=demo.member_badge)
    assert result.end_reason == "goodbye"  # (a preemptive LLM request may have gone out; its answer is dropped)
    assert model.default_text not in said(result)
    assert [(t["role"], t["text"]) for t in result.transcript][-2:] == [
        ("user", "Merci, au revoir !"), ("assistant", f"À bientôt {demo.member_first_name}, bonne séance !")]
    (transcript,), = sql(db_url, "select transcript from voice_sessions where id = %s", result.session_id)
    assert transcript[-2]["text"] == "Merci, au revoir !"


@needs_espeak
async def test_a_hallucinated_transcript_never_reaches_the_llm(runner, model, demo) -> None:
    model.hear("Sous-titres réalisés par la communauté d'Amara.org")
    result = await runner.run([speech("Hum.")], badge=demo.member_badge, tts=False)
    assert len(model.transcriptions) == 1  # the VAD found a segment and Whisper "heard" something
    assert model.requests == []  # … that was dropped before the LLM
    assert [t["role"] for t in result.transcript] == ["assistant"]  # the greeting only


async def _start_audio(runner, badge: str, **settings) -> tuple[KioskSession, MicrophoneInput, SpeakerOutput]:
    s, providers, services = runner.parts(True, True, **settings)
    mic, speaker = MicrophoneInput(), SpeakerOutput()

    def configure(session) -> None:
        session.input.audio, session.output.audio = mic, speaker

    kiosk = KioskSession(JobMetadata(gym_slug="paris-bastille", badge_id=badge), settings=s, providers=providers,
                         services=services)
    await kiosk.start(configure=configure)
    await agent_quiet(kiosk)
    return kiosk, mic, speaker


async def _wait_for(predicate, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {predicate.__doc__ or predicate}"
        await asyncio.sleep(0.01)


@needs_espeak
async def test_barge_in_stops_the_reply_within_300_ms(runner, model, demo) -> None:
    model.hear("Parle-moi des cours collectifs.", "Attends, j'ai une autre question.")
    long_reply = " ".join(["On a du yoga, du pilates, du cross training et du spinning toute la semaine."] * 6)
    model.script(Text(long_reply), Text("Vas-y, je t'écoute."))
    kiosk, mic, speaker = await _start_audio(runner, demo.member_badge)
    try:
        greeting_segments = len(speaker.segments)
        await mic.play(speech("Parle-moi des cours collectifs.")).done
        await _wait_for(lambda: len(speaker.segments) > greeting_segments)
        reply = speaker.segments[greeting_segments]
        await asyncio.sleep(1.5)
        clip = speech("Attends, j'ai une autre question.")
        barge = mic.play(clip)
        await barge.done
        await _wait_for(lambda: reply.interrupted, within=5)
        stopped_at = reply.started_at + reply.played_s
        speech_started_at = barge.started_at + clip.speech_start_s
        assert 0 < stopped_at - speech_started_at <= 0.3, stopped_at - speech_started_at
        await agent_quiet(kiosk)
    finally:
        await kiosk.finish()
        await mic.aclose()
    texts = said(kiosk.recorder.transcript)
    assert texts[-1] == "Vas-y, je t'écoute."
    interrupted = [t for t in kiosk.recorder.transcript if t.get("interrupted")]
    assert interrupted and interrupted[0]["text"].startswith("On a du yoga")


@needs_espeak
async def test_an_action_running_at_barge_in_completes_exactly_once_after_a_filler(runner, model, demo,
                                                                                   db_url) -> None:
    model.hear("La machine à câble est cassée.", "Et sinon, il fait beau ?")
    model.script(ToolCalls([("log_feedback", {"categorie": "equipement", "message": "Poulie vis-à-vis cassée",
                                              "ressenti": "negative"})]),
                 Text("C'est transmis."), Text("Il fait beau, oui !"), Text("Autre chose ?"))
    release = threading.Event()

    def hold_lock() -> None:  # a slow database: the write waits ~2 s for this lock
        with psycopg.connect(db_url) as conn:
            conn.execute("lock table member_feedback in exclusive mode")
            release.wait(20)
    kiosk, mic, _ = await _start_audio(runner, demo.member_badge)
    holder = threading.Thread(target=hold_lock)
    holder.start()
    await asyncio.sleep(0.2)
    try:
        await mic.play(speech("La machine à câble est cassée.")).done
        await _wait_for(lambda: any("Je regarde ça" in t["text"] for t in kiosk.recorder.transcript
                                    if t["role"] == "assistant"), within=6)  # the filler, after ~700 ms
        await mic.play(speech("Et sinon, il fait beau ?")).done  # barge-in while the write is blocked
        release.set()
        await _wait_for(lambda: len(kiosk.data.tool_calls) == 1, within=6)
        await agent_quiet(kiosk)
    finally:
        release.set()
        holder.join()
        await kiosk.finish()
        await mic.aclose()
    (n,), = sql(db_url, "select count(*) from member_feedback where message = %s", "Poulie vis-à-vis cassée")
    assert n == 1
    (call,) = kiosk.data.tool_calls
    assert call.tool_name == "log_feedback" and call.error is None and call.latency_ms > 700
