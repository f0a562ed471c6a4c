"""The TTS engine with the stand-in model (tests/doubles/speech_model.py, the DOUBLE of the Chatterbox weights):
pieces, fair turns between sessions, cancellation in queue and mid-generation, errors, phrase cache, voices."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from jarvis_agent.tts_engine.emotions import PRESETS
from jarvis_agent.tts_engine.engine import Engine, split_text
from jarvis_agent.tts_engine.model import EngineError

from ..doubles.speech_model import StandInModel

LONG = ("Ton programme de la semaine commence lundi par une séance de jambes, squats et fentes, quarante minutes. "
        "Mardi, c'est cardio sur le rameur puis gainage. Mercredi tu te reposes, et jeudi on attaque le haut du "
        "corps avec développé couché, tractions et rowing. Vendredi, séance complète avec Julie à dix-huit heures.")


@pytest.fixture
def speech() -> StandInModel:
    return StandInModel()


@pytest.fixture
def engine(speech: StandInModel, tmp_path: Path):
    e = Engine(speech, voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache").start()
    yield e
    e.close()


async def collect(job) -> list[bytes]:
    return [chunk async for chunk in job]


def test_text_is_cut_short_first_then_at_clause_or_word_boundaries() -> None:
    pieces = split_text(LONG, first=80, rest=220)
    assert len(pieces[0]) <= 80 and all(len(p) <= 220 for p in pieces) and len(pieces) >= 3
    assert " ".join(pieces).split() == LONG.split()  # nothing lost, nothing added
    assert pieces[0].endswith(",")  # the first clause, not a word cut mid-clause
    assert split_text("Oui.") == ["Oui."]
    assert split_text("a" * 500, first=80, rest=220) == ["a" * 80, "a" * 220, "a" * 200]
    # a mark inside a number is not a boundary: each half would be read as its own number
    price = "L'abonnement premium coûte 49,90 euros par mois et il inclut tous les cours collectifs du club."
    assert all("49,90" in p for p in split_text(price, first=60) if "49" in p)
    times = "Ton cours de yoga commence à 18.30 avec Julie, puis le pilates commence à 19.45 en salle deux, merci."
    assert any("19.45" in p for p in split_text(times, first=80))


async def test_pieces_stream_in_order_each_as_soon_as_generated(engine: Engine, speech: StandInModel) -> None:
    job = engine.submit(LONG, session="kiosk-1")
    chunks = await collect(job)
    pieces = split_text(LONG, first=engine.first_piece_chars, rest=engine.piece_chars)
    assert [text for text, _ in speech.calls] == pieces
    assert len(chunks) == len(pieces)
    # each chunk is its piece's audio: 16-bit PCM whose length follows the piece's text
    for chunk, piece in zip(chunks, pieces, strict=True):
        seconds = len(chunk) / 2 / speech.sample_rate
        assert abs(seconds - len(piece) / 15) < 0.1
    report = job.timings.report()
    assert job.outcome == "ok" and report["first_chunk_s"] <= report["total_s"] and report["audio_s"] > 10


async def test_two_sessions_take_turns_piece_by_piece(engine: Engine, speech: StandInModel) -> None:
    speech.step_s = 0.01
    long_job = engine.submit(LONG, session="kiosk-A")
    await asyncio.sleep(0.05)  # kiosk A's first piece is being generated
    short_job = engine.submit("Le cours de yoga est à dix-huit heures.", session="kiosk-B")
    await asyncio.gather(collect(long_job), collect(short_job))
    order = [text for text, _ in speech.calls]
    # kiosk B waits for the piece already running, not for kiosk A's whole answer
    assert order.index("Le cours de yoga est à dix-huit heures.") == 1
    assert len(order) == len(long_job.pieces) + 1


async def test_cancelling_drops_queued_pieces_and_queued_requests(engine: Engine, speech: StandInModel) -> None:
    speech.step_s = 0.01
    job = engine.submit(LONG, session="kiosk-1")
    waiting = engine.submit("Et le samedi ?", session="kiosk-1")  # queued behind the first answer
    first = await anext(aiter(job))
    assert first
    job.cancel()
    waiting.cancel()
    rest = await collect(job)  # ends at once, without error
    assert waiting.outcome == "cancelled" and await collect(waiting) == []
    await asyncio.sleep(0.3)
    assert len(speech.calls) <= 2 and "Et le samedi ?" not in [t for t, _ in speech.calls]
    assert len(rest) <= 1 and job.outcome == "cancelled"
    assert engine.stats()["queue_depth"] == 0 and engine.counts["cancelled"] == 2


async def test_a_cancel_arriving_as_a_piece_is_delivered_still_ends_the_request(engine: Engine,
                                                                                 speech: StandInModel) -> None:
    """The barge-in lands after the generation thread produced a piece and before it picks the next one: the
    request is no longer queued nor checked by a running generation, and must still end (it once hung)."""
    job = engine.submit(LONG, session="kiosk-1")
    deliver = job._deliver

    def cancel_on_first_chunk(item) -> None:
        deliver(item)
        if isinstance(item, bytes):
            job.cancel()  # from the generation thread, between the piece's delivery and the next pick

    job._deliver = cancel_on_first_chunk  # type: ignore[method-assign]
    chunks = await asyncio.wait_for(collect(job), timeout=5)
    assert len(chunks) == 1 and job.outcome == "cancelled"
    assert engine.counts["cancelled"] == 1 and len(speech.calls) == 1


async def test_a_failure_past_the_model_ends_its_request_and_the_engine_goes_on(engine: Engine,
                                                                                speech: StandInModel) -> None:
    """A model that returns something that is not audio broke the generation thread, and every reader waited."""
    original = speech.generate
    speech.generate = lambda text, *a, **k: "pas de l'audio" if text == "Boum." else original(text, *a, **k)
    with pytest.raises(EngineError):
        await asyncio.wait_for(collect(engine.submit("Boum.", session="kiosk-1")), timeout=5)
    assert await asyncio.wait_for(collect(engine.submit("Bonjour.", session="kiosk-2")), timeout=5)
    assert engine.healthy() and engine.counts["error"] == 1


async def test_a_lost_device_stops_the_engine_and_tells_its_owner(speech: StandInModel, tmp_path: Path) -> None:
    fatal: list[str] = []
    engine = Engine(speech, voices_dir=None, cache_dir=tmp_path,
                    on_fatal=lambda: fatal.append("restart me")).start()
    speech.step_s = 0.01
    speech.failures["Boum."] = RuntimeError("CUDA error: an illegal memory access was encountered")
    waiting = engine.submit(LONG, session="kiosk-2")  # its first piece runs, the rest waits
    lost = engine.submit("Boum.", session="kiosk-1")  # next in turn
    with pytest.raises(EngineError) as caught:
        await asyncio.wait_for(collect(lost), timeout=5)
    assert caught.value.code == "device_lost" and not caught.value.retryable
    with pytest.raises(EngineError) as queued:
        await asyncio.wait_for(collect(waiting), timeout=5)
    assert queued.value.code == "unavailable" and waiting.outcome == "error"
    assert fatal == ["restart me"] and not engine.healthy() and engine.stats()["broken"]
    with pytest.raises(EngineError, match="cannot generate"):
        engine.submit("Et maintenant ?", session="kiosk-3")
    engine.close()


async def test_closing_the_engine_under_a_request_is_an_error_not_a_short_answer(engine: Engine,
                                                                                speech: StandInModel) -> None:
    speech.step_s = 0.02
    job = engine.submit("a" * 75, session="kiosk-1")  # one piece of 2.5 s
    await asyncio.sleep(0.2)
    await asyncio.to_thread(engine.close)
    with pytest.raises(EngineError) as caught:
        await asyncio.wait_for(collect(job), timeout=5)
    assert caught.value.code == "unavailable" and caught.value.retryable and job.outcome == "error"


async def test_cancelling_stops_a_running_generation_within_one_step(engine: Engine, speech: StandInModel) -> None:
    steps = 0
    speech.step_s = 0.02
    original = speech.generate

    def counting(text, voice, preset, *, max_tokens, should_stop):
        def stop() -> bool:
            nonlocal steps
            steps += 1
            return should_stop()
        return original(text, voice, preset, max_tokens=max_tokens, should_stop=stop)

    speech.generate = counting  # type: ignore[method-assign]
    job = engine.submit("a" * 75, session="kiosk-1")  # one piece of 125 steps (2.5 s)
    await asyncio.sleep(0.2)
    job.cancel()
    at_cancel = steps
    assert await collect(job) == []
    assert job.outcome == "cancelled" and speech.calls == []
    assert at_cancel < 125 and steps <= at_cancel + 1


@pytest.mark.parametrize(("error", "code", "retryable"), [
    (MemoryError("CUDA out of memory"), "oom", False),
    (ValueError("bad token"), "bad_input", False),
    (RuntimeError("cudnn hiccup"), "internal", True),
])
async def test_model_failures_become_engine_errors_and_the_engine_goes_on(engine: Engine, speech: StandInModel,
                                                                          error, code, retryable) -> None:
    speech.failures["Boum."] = error
    with pytest.raises(EngineError) as caught:
        await collect(engine.submit("Boum.", session="kiosk-1"))
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert await collect(engine.submit("Ça marche encore.", session="kiosk-1"))


async def test_bad_requests_and_overload_are_refused_up_front(speech: StandInModel, tmp_path: Path) -> None:
    engine = Engine(speech, voices_dir=None, cache_dir=tmp_path, max_queue=2)
    try:
        for text, kwargs in [("", {}), ("x" * 2001, {}), ("Salut", {"voice": "../etc"}),
                             ("Salut", {"emotion": "furious"})]:
            with pytest.raises(EngineError) as caught:
                engine.submit(text, session="s", **kwargs)
            assert caught.value.code == "bad_input" and not caught.value.retryable
        engine.submit("Un.", session="a")
        engine.submit("Deux.", session="b")  # not started: the engine thread is not running
        with pytest.raises(EngineError) as caught:
            engine.submit("Trois.", session="c")
        assert caught.value.code == "overloaded" and not caught.value.retryable
    finally:
        engine.close()


async def test_emotion_presets_reach_the_model(engine: Engine, speech: StandInModel) -> None:
    await collect(engine.submit("Bravo, tu as battu ton record !", session="s", emotion="enthusiastic"))
    await collect(engine.submit("Désolé, le cours est complet.", session="s", emotion="apologetic"))
    assert [preset for _, preset in speech.calls] == [PRESETS["enthusiastic"], PRESETS["apologetic"]]


async def test_fixed_phrases_are_rendered_once_when_idle_then_served_from_memory(engine: Engine,
                                                                                   speech: StandInModel) -> None:
    speech.step_s = 0.005
    phrases = [("Je regarde ça…", "neutral"), ("Une seconde, je vérifie…", "neutral"), ("Au revoir !", "calm")]
    assert engine.warm_phrases(phrases) == 3
    session = engine.submit("Le club ouvre à six heures.", session="kiosk-1")  # a member does not wait
    await collect(session)
    # the member waits for the phrase already running at most, not for the whole warm-up
    assert [text for text, _ in speech.calls].index("Le club ouvre à six heures.") <= 1
    for _ in range(200):
        if engine.cached_phrases() == 3:
            break
        await asyncio.sleep(0.01)
    assert engine.cached_phrases() == 3 and engine.warm_phrases(phrases) == 0  # once per voice/emotion/model
    calls = len(speech.calls)
    hit = engine.submit("  je regarde  ÇA… ", session="kiosk-2")
    assert hit.outcome == "cached"
    audio = b"".join(await collect(hit))
    assert len(audio) > 0 and len(speech.calls) == calls  # no generation
    other_emotion = engine.submit("Je regarde ça…", session="kiosk-2", emotion="enthusiastic")
    await collect(other_emotion)
    assert other_emotion.outcome == "ok" and len(speech.calls) == calls + 1
    assert engine.stats()["requests"]["cached"] == 1


def _wav(path: Path, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (np.sin(np.arange(int(16000 * seconds)) / 7) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.tobytes())
    return path


async def run_engine(tmp_path: Path, *texts: str) -> StandInModel:
    """A fresh engine process over the same voices and cache folders (a restart), speaking `texts`."""
    model = StandInModel()
    engine = Engine(model, voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache").start()
    try:
        for text in texts:
            await collect(engine.submit(text, session="s"))
    finally:
        engine.close()
    return model


async def test_a_voice_is_computed_once_and_then_read_from_the_disk_cache(tmp_path: Path) -> None:
    _wav(tmp_path / "voices" / "jarvis_fr.wav")
    first = await run_engine(tmp_path, "Bonjour.", "Encore.")
    assert first.prepared == 1 and len(list((tmp_path / "cache").glob("jarvis_fr-*-standin-1.pt"))) == 1
    assert (await run_engine(tmp_path, "Bonjour.")).prepared == 0  # same WAV, same model version
    _wav(tmp_path / "voices" / "jarvis_fr.wav", seconds=1.5)  # a new recording is a new voice
    assert (await run_engine(tmp_path, "Bonjour.")).prepared == 1


async def test_without_a_reference_wav_the_builtin_voice_speaks(engine: Engine, speech: StandInModel) -> None:
    assert await collect(engine.submit("Bonjour.", session="s"))
    assert speech.prepared == 0
