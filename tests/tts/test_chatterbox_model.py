"""The real Chatterbox multilingual architecture behind the engine's model interface: random weights (no model hub
here), or the checkpoint in CHATTERBOX_CKPT_DIR when set. On CPU (slow: the 536 M + 264 M parameter model speaks a
few tokens) wherever chatterbox-tts is installed; on CUDA in the tests marked `gpu`, skipped without a GPU."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from jarvis_agent.tts_engine.emotions import PRESETS
from jarvis_agent.tts_engine.engine import Engine
from jarvis_agent.tts_engine.model import Cancelled


def _chatterbox_missing() -> str | None:
    try:
        import chatterbox.mtl_tts  # noqa: F401
    except Exception as exc:  # ImportError, or torchaudio's extension failing to load
        return f"chatterbox-tts is not importable ({type(exc).__name__}: {exc}); make test installs the extra"
    return None


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


missing = _chatterbox_missing()
DEVICES = [pytest.param("cpu", marks=pytest.mark.slow),
           pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="no CUDA GPU")])]
pytestmark = pytest.mark.skipif(missing is not None, reason=missing or "")


@pytest.fixture(scope="module", params=DEVICES)
def chatterbox(request):
    from jarvis_agent.tts_engine.chatterbox_model import ChatterboxModel

    ckpt = os.environ.get("CHATTERBOX_CKPT_DIR")
    if ckpt:
        return ChatterboxModel.load(Path(ckpt), device=request.param, watermark=True)
    return ChatterboxModel.random(device=request.param)


@pytest.fixture(scope="module")
def reference_wav(tmp_path_factory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng makes the reference recording")
    folder = tmp_path_factory.mktemp("voices")
    subprocess.run(["espeak-ng", "-v", "fr-fr", "-w", str(folder / "jarvis_fr.wav"),
                    "Bonjour, je suis Jarvis, ton assistant à la salle de sport."], check=True)
    return folder / "jarvis_fr.wav"


async def test_the_engine_speaks_with_the_real_architecture_and_caches_the_voice(chatterbox, reference_wav,
                                                                                 tmp_path: Path) -> None:
    builtin = chatterbox.default_voice()
    engine = Engine(chatterbox, voices_dir=reference_wav.parent, cache_dir=tmp_path, max_tokens=4).start()
    try:
        chunks = [c async for c in engine.submit("Salut, ça va ?", session="s", emotion="enthusiastic")]
        again = [c async for c in engine.submit("Très bien.", session="s")]
    finally:
        engine.close()
    assert chunks and again and all(len(c) % 2 == 0 for c in chunks + again)  # 16-bit PCM, 24 kHz
    cached = [name for name in os.listdir(tmp_path) if name.startswith("jarvis_fr-")]
    assert engine.voices.computed == 1 and len(cached) == 1
    assert chatterbox.default_voice() is chatterbox.tts.conds is builtin  # still the checkpoint's, not jarvis_fr's
    voice = chatterbox.load_voice(tmp_path / cached[0])  # the disk cache loads back
    audio = chatterbox.generate("Bonjour.", voice, PRESETS["calm"], max_tokens=3, should_stop=lambda: False)
    assert audio.dtype == np.float32 and audio.ndim == 1


def test_calls_do_not_accumulate_attention_hooks(chatterbox, reference_wav) -> None:
    voice = chatterbox.prepare_voice(reference_wav)
    before = chatterbox.hook_count()
    for _ in range(3):
        chatterbox.generate("Un, deux, trois.", voice, PRESETS["neutral"], max_tokens=2, should_stop=lambda: False)
    assert chatterbox.hook_count() == before  # chatterbox 0.1.7 alone adds three per call (upstream #352)


def test_a_cancelled_request_stops_at_the_next_decoding_step(chatterbox, reference_wav) -> None:
    voice = chatterbox.prepare_voice(reference_wav)
    asked = 0

    def stop_after_three() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    with pytest.raises(Cancelled):
        chatterbox.generate("Une longue phrase qui ne finira jamais.", voice, PRESETS["neutral"], max_tokens=500,
                            should_stop=stop_after_three)
    assert asked == 4  # the step after the cancellation never ran


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="no CUDA GPU")
def test_call_n_plus_100_is_as_fast_as_call_n_on_the_gpu(reference_wav) -> None:
    from jarvis_agent.tts_engine.chatterbox_model import ChatterboxModel

    model = ChatterboxModel.random(device="cuda")
    voice = model.prepare_voice(reference_wav)
    hooks = model.hook_count()

    def timed() -> float:
        started = time.perf_counter()
        model.generate("Bonjour, comment ça va ?", voice, PRESETS["neutral"], max_tokens=30,
                       should_stop=lambda: False)
        return time.perf_counter() - started

    timed()  # warm-up
    first = statistics.median(timed() for _ in range(5))
    for _ in range(100):
        model.generate("Un.", voice, PRESETS["neutral"], max_tokens=2, should_stop=lambda: False)
    later = statistics.median(timed() for _ in range(5))
    assert later < first * 1.3 and model.hook_count() == hooks
