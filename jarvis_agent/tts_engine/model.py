"""What the engine needs of a speech model, and the errors it maps.

The engine never imports torch: the Chatterbox adapter (`chatterbox_model.py`) and the tests' stand-in both implement
`SpeechModel`. `generate` runs on the engine's one generation thread (Chatterbox is not thread-safe) and must call
`should_stop()` at every decoding step, raising `Cancelled` when it returns True: that is how a barge-in stops a
running generation within one step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .emotions import Preset


class Cancelled(Exception):
    """The request was cancelled (barge-in, client gone) while the model was generating it."""


class EngineError(Exception):
    """A request the engine could not serve. `code`: bad_input, oom, overloaded, internal, unavailable,
    device_lost."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.code, self.retryable = code, retryable

    def to_dict(self) -> dict[str, Any]:
        return {"message": str(self), "code": self.code, "retryable": self.retryable}


# A CUDA error other than an allocation failure (an illegal memory access, a device-side assert) is sticky: every later
# call on that CUDA context fails too, and only a new process recovers.
_DEVICE_LOST = ("CUDA error", "illegal memory access", "device-side assert", "CUBLAS_STATUS_EXECUTION_FAILED")
_OUT_OF_MEMORY = ("CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_ALLOC_FAILED", "CUDA out of memory")


def classify(exc: BaseException) -> EngineError:
    """Map a model failure to an EngineError: OOM and bad input are not worth a retry on the same engine (the plugin
    lets `tts.FallbackAdapter` switch voices instead); a lost device ends the engine; anything else may be
    transient."""
    if isinstance(exc, EngineError):
        return exc
    message = str(exc)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or \
            any(m in message for m in _OUT_OF_MEMORY):
        return EngineError(f"out of memory: {exc}", code="oom", retryable=False)
    if isinstance(exc, RuntimeError) and any(m in message for m in _DEVICE_LOST):
        return EngineError(f"device lost: {exc}", code="device_lost", retryable=False)
    if isinstance(exc, ValueError | TypeError | KeyError):
        return EngineError(f"bad input: {exc}", code="bad_input", retryable=False)
    return EngineError(f"generation failed: {type(exc).__name__}: {exc}", code="internal", retryable=True)


class SpeechModel(Protocol):
    sample_rate: int
    version: str  # identifies weights and code: cached voices and phrases are keyed by it

    def prepare_voice(self, wav: Path) -> Any:
        """Compute a voice's conditionals from a reference recording (slow: done once, then cached on disk)."""

    def save_voice(self, voice: Any, path: Path) -> None: ...

    def load_voice(self, path: Path) -> Any: ...

    def default_voice(self) -> Any | None:
        """The checkpoint's built-in voice (conds.pt), used when no reference WAV is configured."""

    def generate(self, text: str, voice: Any, preset: Preset, *, max_tokens: int,
                 should_stop: Callable[[], bool]) -> np.ndarray:
        """Float32 mono samples at `sample_rate` for one piece of text; raise Cancelled when should_stop()."""
