"""What stands between Whisper and the LLM: silence hallucinations dropped, failures turned into "répète".

Whisper invents text on silence and noise — in French, subtitle credits and YouTube sign-offs ("Sous-titres réalisés
par la communauté d'Amara.org", "Merci d'avoir regardé", a lone "Merci."). `GuardedSTT` wraps the batch STT the
pipeline segments with the VAD: such transcripts come back empty, so no user turn is created and the LLM never sees
them. A recognition that fails (after one quick retry) also comes back empty — the audio stream goes on instead of
dying — and the `recognition_failed` event lets the session ask the member to repeat.
"""

from __future__ import annotations

import logging
import re

from livekit.agents import APIConnectOptions, stt
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer

from . import metrics
from .french import fold

logger = logging.getLogger("jarvis.stt")

# Normalised (lower case, no accents, no punctuation) whole transcripts Whisper produces from silence or noise.
HALLUCINATIONS = (
    r"sous[ -]?titres? (realises|faits?|fait) (par|pour) .*",
    r"sous[ -]?titrage .*",
    r".*amara ?org.*",
    r"merci d ?avoir regarde( cette video| la video)?( et a bientot)?",
    r"merci (de|pour) (votre|ton) (attention|ecoute|visionnage)",
    r"merci( beaucoup| a tous| a vous)?",
    r"(n oubliez pas de |pensez a )?(vous )?abonnez vous.*",
    r"(a la prochaine )?dans une prochaine video",
    r"(\W*|musique|applaudissements|rires)",
)
_HALLUCINATION = re.compile("|".join(f"(?:{p})" for p in HALLUCINATIONS))


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def is_hallucination(text: str) -> bool:
    """True when the whole transcript is one of Whisper's silence inventions (a real sentence that merely contains
    "merci" is kept)."""
    return _HALLUCINATION.fullmatch(normalise(text)) is not None


class GuardedSTT(stt.STT):
    def __init__(self, inner: stt.STT, *, attempt_timeout: float = 5.0) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._inner = inner
        self._recognize_metrics_needed = False  # the wrapped STT reports its own, forwarded below
        self._conn = APIConnectOptions(max_retry=1, retry_interval=0.2, timeout=attempt_timeout)
        inner.on("metrics_collected", lambda m: self.emit("metrics_collected", m))

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def provider(self) -> str:
        return self._inner.provider

    async def _recognize_impl(self, buffer: AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        try:
            event = await self._inner.recognize(buffer, language=language, conn_options=self._conn)
        except Exception as exc:  # the provider is down or refused: never let it kill the audio stream
            logger.warning("speech recognition failed: %s", exc)
            metrics.PROVIDER_ERRORS.labels("stt", "true").inc()
            self.emit("recognition_failed", exc)
            return _empty(language)
        if event.alternatives and is_hallucination(event.alternatives[0].text):
            logger.debug("dropped a Whisper hallucination: %r", event.alternatives[0].text)
            metrics.HALLUCINATIONS_DROPPED.inc()
            return _empty(language)
        return event

    async def aclose(self) -> None:
        await self._inner.aclose()


def _empty(language: NotGivenOr[str]) -> stt.SpeechEvent:
    return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                           alternatives=[stt.SpeechData(language=language or "fr", text="")])
