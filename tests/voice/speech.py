"""French test speech made with espeak-ng (the real thing for the VAD: voiced audio with real pauses)."""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache

import pytest

from jarvis_agent.audio import Clip, concat, read_wav, resample, silence

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed "
                                  "(apt-get install espeak-ng): the audio tests synthesise French speech with it")


@lru_cache(maxsize=128)
def speech(text: str, rate: int = 170) -> Clip:
    """`text` spoken in French, 16 kHz mono, with 0.3 s of silence after it."""
    out = subprocess.run(["espeak-ng", "-v", "fr-fr", "-s", str(rate), "--stdout", text], check=True,
                         capture_output=True).stdout
    clip = resample(read_wav(io.BytesIO(out), text), 16000)
    return Clip(concat(clip, silence(0.3)).samples, 16000, text)


def speech_with_pause(first: str, second: str, pause_s: float = 0.4) -> Clip:
    """One utterance with a pause inside ("Je voudrais… réserver le yoga")."""
    a, b = speech(first), speech(second)
    a_voice = Clip(a.samples[:int(a.speech_end_s * 16000)], 16000)
    return Clip(concat(a_voice, silence(pause_s), b).samples, 16000, f"{first} … {second}")
