"""Build the model and the engine from settings, in the engine's process (server or in-process)."""

from __future__ import annotations

import importlib
import logging

from ..settings import Settings
from .emotions import DEFAULT_EMOTION, Emotion
from .engine import Engine
from .model import SpeechModel

logger = logging.getLogger("jarvis.tts_engine")


def fixed_phrases() -> list[tuple[str, Emotion]]:
    """What Jarvis says word for word (no names): fillers, check-in, apologies, goodbyes, greeting openers. The
    pipeline speaks sentence by sentence, so these are served from the cache even inside a longer reply."""
    from ..conversation import CHECK_IN, REPEAT, UNAVAILABLE
    from ..tools.common import FILLERS

    sentences = [*FILLERS, CHECK_IN, REPEAT, UNAVAILABLE, "Au revoir et bonne journée !", "Content de te voir.",
                 "Ça fait plaisir de te revoir !", "Qu'est-ce que je peux faire pour toi ?", "Je suis Jarvis."]
    return [(s.strip(), DEFAULT_EMOTION) for text in sentences for s in _sentences(text)]


def _sentences(text: str) -> list[str]:
    from livekit.agents.tokenize import blingfire

    return blingfire.SentenceTokenizer().tokenize(text)


def device(settings: Settings) -> str:
    if settings.jarvis_tts_device != "auto":
        return settings.jarvis_tts_device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(settings: Settings) -> SpeechModel:
    name = settings.jarvis_tts_model
    if name == "chatterbox":
        from .chatterbox_model import ChatterboxModel

        return ChatterboxModel.load(settings.tts_ckpt_dir, device=device(settings),
                                    watermark=settings.jarvis_tts_watermark)
    if name == "chatterbox-random":
        from .chatterbox_model import ChatterboxModel

        logger.warning("TTS model: Chatterbox with RANDOM weights (benchmarks only: it speaks noise)")
        return ChatterboxModel.random(device=device(settings), watermark=settings.jarvis_tts_watermark)
    module, _, factory = name.partition(":")
    if not factory:
        raise ValueError(f"JARVIS_TTS_MODEL={name!r}: chatterbox, chatterbox-random or module:factory")
    return getattr(importlib.import_module(module), factory)()


def build_engine(settings: Settings, model: SpeechModel | None = None, *, warm: bool = True) -> Engine:
    model = model or load_model(settings)
    engine = Engine(model, voices_dir=settings.tts_voices_dir, cache_dir=settings.jarvis_data_dir / "tts-cache",
                    default_voice=settings.jarvis_tts_voice, max_queue=settings.jarvis_tts_max_queue).start()
    if warm:
        engine.warm_phrases(fixed_phrases())
    return engine
