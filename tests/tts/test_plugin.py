"""The Chatterbox LiveKit plugin over an in-process engine with the stand-in model (the DOUBLE of the Chatterbox
weights, tests/doubles/speech_model.py): PCM out, emotion markup read and stripped, errors mapped to APIError, the
FallbackAdapter switch to espeak-ng, and a whole session whose LLM (the Groq DOUBLE) writes emotion markers."""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import uuid4

import pytest
from livekit.agents import APIError, tts

from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.handoff import Spool
from jarvis_agent.pipeline import build_llm
from jarvis_agent.plugins import chatterbox_tts, espeak_tts
from jarvis_agent.session import Providers, Services
from jarvis_agent.settings import Settings
from jarvis_agent.simulator import simulate
from jarvis_agent.tts_engine.emotions import LLM_INSTRUCTIONS, PRESETS, resolve_emotion
from jarvis_agent.tts_engine.engine import Engine

from ..doubles.openai_server import Text
from ..doubles.speech_model import StandInModel

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture
def speech() -> StandInModel:
    return StandInModel()


@pytest.fixture
def engine(speech: StandInModel, tmp_path: Path):
    e = Engine(speech, voices_dir=None, cache_dir=tmp_path).start()
    yield e
    e.close()


def voice(engine: Engine) -> chatterbox_tts.TTS:
    return chatterbox_tts.TTS(client=chatterbox_tts.LocalEngine(engine))


@pytest.mark.parametrize(("text", "spoken", "emotion"), [
    ('<expr type="expression" label="enthusiastic"/> Bravo, record battu !', "Bravo, record battu !",
     "enthusiastic"),
    ('<expr type="expression" label="soft, with genuine care"/> Prends soin de toi.', "Prends soin de toi.",
     "empathetic"),
    ('<expr type="expression" label="Apologetic">Désolé, c\'est complet.', "Désolé, c'est complet.", "apologetic"),
    ('Le cours <expr type="break" label="500ms"/> commence à 18 h.', "Le cours commence à 18 h.", "neutral"),
    ("Aucune balise ici.", "Aucune balise ici.", "neutral"),
    ('<expr type="expression" label="furieux comme un pirate"/> Bon.', "Bon.", "neutral"),
])
def test_markup_picks_the_sentence_emotion_and_never_reaches_the_voice(text, spoken, emotion) -> None:
    normalized = voice_markup().normalize(text)
    assert chatterbox_tts.parse(voice_markup().convert(normalized)) == (spoken, emotion)


def voice_markup() -> tts.TTS.Markup:
    return chatterbox_tts.TTS(client=None).markup  # type: ignore[arg-type]


def test_the_seven_emotions_resolve_to_themselves_and_french_labels_are_understood() -> None:
    assert all(resolve_emotion(name) == name for name in PRESETS)
    assert resolve_emotion("encourageant") == "encouraging" and resolve_emotion(None) == "neutral"
    assert resolve_emotion("really excited and happy") == "enthusiastic"


async def test_synthesis_gives_24khz_pcm_with_the_preset_of_the_marker(engine: Engine, speech: StandInModel) -> None:
    frame = await voice(engine).synthesize('<expr type="expression" label="calm"/> Respire, tout va bien.').collect()
    assert frame.sample_rate == 24_000 and frame.num_channels == 1
    assert abs(frame.duration - len("Respire, tout va bien.") / 15) < 0.1
    assert speech.calls == [("Respire, tout va bien.", PRESETS["calm"])]


@pytest.mark.parametrize(("error", "retryable"), [(MemoryError("CUDA OOM"), False), (RuntimeError("x"), True)])
async def test_engine_errors_become_api_errors(engine: Engine, speech: StandInModel, error, retryable) -> None:
    speech.failures["Boum."] = error
    from livekit.agents import APIConnectOptions

    stream = voice(engine).synthesize("Boum.", conn_options=APIConnectOptions(max_retry=0))
    with pytest.raises(APIError) as caught:
        await stream.collect()
    assert caught.value.retryable is retryable


@needs_espeak
async def test_the_fallback_adapter_switches_to_espeak_when_the_engine_fails(engine: Engine,
                                                                              speech: StandInModel) -> None:
    speech.failures["Salut Marie !"] = MemoryError("CUDA out of memory")
    espeak = espeak_tts.TTS()
    adapter = chatterbox_tts.VoiceFallback([voice(engine), espeak], max_retry_per_tts=0)
    switched = []
    adapter.on("tts_availability_changed", lambda ev: switched.append((ev.tts.provider, ev.available)))
    frame = await adapter.synthesize('<expr type="expression" label="enthusiastic"/> Salut Marie !').collect()
    assert frame.duration > 0.3  # espeak-ng spoke it (resampled to 24 kHz), markers stripped
    assert frame.sample_rate == 24_000
    assert ("chatterbox", False) in switched
    assert adapter.markup.llm_instructions() == LLM_INSTRUCTIONS  # expressive mode stays on behind the adapter
    await adapter.aclose()


@needs_espeak
async def test_a_sentence_of_markers_alone_is_silence_not_a_failure(engine: Engine, speech: StandInModel) -> None:
    """The LLM may write a marker and then call a tool: the marker alone must neither fail the turn nor take the
    voice away (it once made both voices fail, and the session spoke espeak-ng from then on)."""
    adapter = chatterbox_tts.VoiceFallback([voice(engine), espeak_tts.TTS()], max_retry_per_tts=0)
    switched = []
    adapter.on("tts_availability_changed", lambda ev: switched.append((ev.tts.provider, ev.available)))
    marker = '<expr type="expression" label="neutral"/>'
    stream = adapter.stream()
    stream.push_text(marker)
    stream.end_input()
    frames = [event.frame async for event in stream]
    assert sum(f.duration for f in frames) < 0.05 and switched == [] and speech.calls == []
    for alone in (voice(engine), espeak_tts.TTS()):  # synthesize() called directly with the marker
        assert (await alone.synthesize(marker).collect()).duration < 0.05
    assert speech.calls == []
    await adapter.aclose()


@needs_espeak
async def test_a_session_speaks_each_sentence_with_its_emotion_and_keeps_markup_out_of_the_transcript(
        engine: Engine, speech: StandInModel, groq_double, store, redis_url, tmp_path: Path) -> None:
    groq_double.reset()
    groq_double.script(Text('<expr type="expression" label="apologetic"/> Désolé, le yoga de ce soir est complet. '
                            '<expr type="expression" label="encouraging"/> Mais il reste deux places au Pilates '
                            'de dix-huit heures !'))
    import redis

    settings = Settings(_env_file=None, groq_api_key=groq_double.API_KEY, jarvis_llm_base_url=groq_double.base_url,
                        jarvis_weather_enabled=False, jarvis_spool_dir=tmp_path / "spool", jarvis_llm_timeout_s=2.0)
    providers = Providers(vad=None, stt=None, llm=build_llm(settings),
                          tts=chatterbox_tts.VoiceFallback([voice(engine), espeak_tts.TTS()]))
    services = Services(store=store, redis_factory=lambda: redis.Redis.from_url(redis_url),
                        spool=Spool(tmp_path / "spool"))
    meta = JobMetadata(gym_slug="paris-bastille", badge_id=None, kiosk_id="kiosk-test", session_id=uuid4())
    result = await simulate(meta, settings=settings, providers=providers, services=services,
                            inputs=["Il reste de la place au yoga ce soir ?"])
    spoken = {text: preset for text, preset in speech.calls}
    assert spoken["Désolé, le yoga de ce soir est complet."] == PRESETS["apologetic"]
    assert spoken["Mais il reste deux places au Pilates de dix-huit heures !"] == PRESETS["encouraging"]
    assert any(p == PRESETS["neutral"] for t, p in speech.calls if t.startswith("Bonjour et bienvenue"))  # greeting
    replies = [t["text"] for t in result.transcript if t["role"] == "assistant"]
    assert "Désolé, le yoga de ce soir est complet. Mais il reste deux places au Pilates de dix-huit heures !" \
        in replies
    assert not any("<expr" in text or "label=" in text for text in replies)
    # the framework injected the voice's markup guide into the LLM's context
    assert any(LLM_INSTRUCTIONS.splitlines()[0] in str(m.get("content")) for m in groq_double.requests[0]["messages"])


def test_the_configured_voice_is_chatterbox_over_the_hosts_engine_with_espeak_behind(tmp_path: Path) -> None:
    from jarvis_agent.pipeline import build_tts

    chatterbox = build_tts(Settings(_env_file=None, jarvis_tts="chatterbox",
                                    jarvis_tts_engine_url="http://127.0.0.1:8790"))
    assert isinstance(chatterbox, chatterbox_tts.VoiceFallback)
    primary, fallback = chatterbox._tts_instances
    assert isinstance(primary.client, chatterbox_tts.RemoteEngine) and isinstance(fallback, espeak_tts.TTS)
    assert isinstance(build_tts(Settings(_env_file=None)), espeak_tts.TTS)


def test_download_files_offline_says_so_and_does_not_fail(tmp_path: Path, monkeypatch, caplog) -> None:
    from jarvis_agent.settings import get_settings

    monkeypatch.setenv("CHATTERBOX_CKPT_DIR", str(tmp_path / "ckpt"))
    monkeypatch.setenv("JARVIS_TTS", "chatterbox")
    monkeypatch.delenv("JARVIS_TTS_ENGINE_URL", raising=False)
    monkeypatch.delenv("JARVIS_TTS_MODEL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    get_settings.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="jarvis.chatterbox"):
            next(p for p in chatterbox_tts.Plugin.registered_plugins
                 if isinstance(p, chatterbox_tts.ChatterboxPlugin)).download_files()
    finally:
        get_settings.cache_clear()
    assert "not downloaded" in caplog.text and str(tmp_path / "ckpt") in caplog.text
