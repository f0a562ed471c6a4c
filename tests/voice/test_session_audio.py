"""Audio end to end: espeak-ng French speech → the real Silero VAD finds the turn → STT and LLM from the Groq
DOUBLE (the real livekit-plugins-groq code path) → a tool writes to Postgres → the espeak-ng voice answers → the
session and its transcript are in the database and its analytics job is in the real Redis queue."""

from __future__ import annotations

import json
import wave

from rq import Queue

from analytics.queue import PROCESS_SESSION, QUEUE

from ..conftest import sql
from ..doubles.openai_server import Text, ToolCalls
from .speech import needs_espeak, speech

pytestmark = needs_espeak


async def test_a_spoken_request_is_heard_acted_on_answered_and_handed_to_analytics(runner, model, db_url, demo,
                                                                                    redis_conn, tmp_path) -> None:
    said = "La douche des vestiaires est froide depuis lundi."
    model.hear(said)
    model.script(ToolCalls([("log_feedback", {"categorie": "equipement", "message": "Douche froide aux vestiaires",
                                              "ressenti": "negative"})]),
                 Text("C'est noté, je transmets à l'équipe. Merci de me l'avoir dit !"))
    result = await runner.run([speech(said)], badge=demo.member_badge, out=tmp_path / "out")

    assert [t["language"] for t in model.transcriptions] == ["fr"]  # one VAD segment, sent as French
    assert model.transcriptions[0]["model"] == "whisper-large-v3-turbo"
    (n,), = sql(db_url, "select count(*) from member_feedback where member_id = %s and message = %s",
                demo.member, "Douche froide aux vestiaires")
    assert n == 1
    roles = [(t["role"], t["text"]) for t in result.transcript]
    assert roles[0][0] == "assistant" and roles[0][1].startswith(f"Salut {demo.member_first_name} !")
    assert ("user", said) in roles
    assert roles[-1] == ("assistant", "C'est noté, je transmets à l'équipe. Merci de me l'avoir dit !")
    assert result.turns[0].speech_end_to_first_audio_s is not None and not result.turns[0].premature

    with wave.open(str(tmp_path / "out" / "reply.wav")) as w:  # greeting + answer, spoken
        assert w.getnframes() / w.getframerate() > 3.0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["turns"] == 1 and metrics["premature_replies"] == 0

    (status, analytics, transcript, member), = sql(
        db_url, "select status, analytics_status, transcript, member_id from voice_sessions where id = %s",
        result.session_id)
    assert (status, analytics, member) == ("ended", "queued", demo.member)
    assert [t["role"] for t in transcript] == [t["role"] for t in result.transcript]
    (tool, ok), = sql(db_url, "select tool_name, error is null from jarvis_interactions where session_id = %s",
                      result.session_id)
    assert (tool, ok) == ("log_feedback", True)
    jobs = Queue(QUEUE, connection=redis_conn).jobs
    assert [(j.func_name, j.args) for j in jobs] == [(PROCESS_SESSION, (result.session_id,))]
