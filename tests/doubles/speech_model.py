"""DOUBLE of the Chatterbox weights (they cannot be downloaded here): a stand-in model behind the engine's
`SpeechModel` interface. Deterministic waveform whose length follows the text (15 characters a second), generated in
decoding "steps" of 40 ms of audio that each take `step_s` and check `should_stop`, like Chatterbox's T3 loop. It
records every call, counts voice computations, and writes one line per load to $JARVIS_STANDIN_LOG (the
one-model-per-host test counts them across processes). `failures` maps a text to the exception generating it raises.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jarvis_agent.tts_engine.emotions import Preset
from jarvis_agent.tts_engine.model import Cancelled

CHARS_PER_S = 15.0
STEP_AUDIO_S = 0.04  # one "speech token"


class StandInModel:
    sample_rate = 24_000
    version = "standin-1"

    def __init__(self, *, step_s: float = 0.002) -> None:
        self.step_s = float(os.environ.get("JARVIS_STANDIN_STEP_S", step_s))
        self.calls: list[tuple[str, Preset]] = []
        self.failures: dict[str, BaseException] = {}
        self.prepared = 0
        if log := os.environ.get("JARVIS_STANDIN_LOG"):
            with open(log, "a") as fh:
                fh.write(f"load {os.getpid()}\n")

    def prepare_voice(self, wav: Path) -> Any:
        self.prepared += 1
        data = wav.read_bytes()
        return {"pitch": 120 + sum(data[-64:]) % 80}

    def save_voice(self, voice: Any, path: Path) -> None:
        path.write_text(json.dumps(voice))

    def load_voice(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def default_voice(self) -> Any | None:
        return {"pitch": 150}

    def generate(self, text: str, voice: Any, preset: Preset, *, max_tokens: int,
                 should_stop: Callable[[], bool]) -> np.ndarray:
        if text in self.failures:
            raise self.failures[text]
        steps = min(max_tokens, math.ceil(len(text) / CHARS_PER_S / STEP_AUDIO_S))
        for _ in range(steps):
            if should_stop():
                raise Cancelled()
            time.sleep(self.step_s)
        self.calls.append((text, preset))
        n = int(steps * STEP_AUDIO_S * self.sample_rate)
        t = np.arange(n, dtype=np.float32) / self.sample_rate
        freq = voice["pitch"] * (1.0 + preset.exaggeration)
        return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def standin() -> StandInModel:
    """JARVIS_TTS_MODEL=tests.doubles.speech_model:standin; JARVIS_STANDIN_LOSE_DEVICE_ON=<text> makes that text
    fail as a GPU that is lost does (a sticky CUDA error)."""
    model = StandInModel()
    if text := os.environ.get("JARVIS_STANDIN_LOSE_DEVICE_ON"):
        model.failures[text] = RuntimeError("CUDA error: an illegal memory access was encountered")
    return model
