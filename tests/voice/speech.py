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
def espeak(text: str, rate: int = 170) -> Clip:
    """`text` spoken in French by espeak-ng, 16 kHz mono, as it comes out (its own leading and trailing silence)."""
    out = subprocess.run(["espeak-ng", "-v", "fr-fr", "-s", str(rate), "--stdout", text], check=True,
                         capture_output=True).stdout
    return resample(read_wav(io.BytesIO(out), text), 16000)


def speech(text: str, rate: int = 170) -> Clip:
    """`text` spoken in French, with 0.3 s of silence after it."""
    return Clip(concat(espeak(text, rate), silence(0.3)).samples, 16000, text)


def voiced(text: str, rate: int = 170) -> Clip:
    """`text` spoken in French, trimmed to the voice (a pause put between two clips is then exactly that long)."""
    clip = espeak(text, rate)
    return Clip(clip.samples[int(clip.speech_start_s * 16000):int(clip.speech_end_s * 16000)], 16000, text)
