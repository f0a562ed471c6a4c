"""The seven emotions of the seeds as Chatterbox presets, and how a markup label picks one.

Chatterbox has no emotion input: delivery follows `exaggeration` (emotion intensity, the conditioning's
`emotion_adv`), `cfg_weight` (how tightly the speech follows the voice and text: lower is slower and freer) and
`temperature` (sampling variety). The presets are points on those three dials. The LLM picks one per sentence with
LiveKit's expressive markup, `<expr type="expression" label="…"/>`; a label that is not one of the seven (models drift)
goes through LiveKit's `match_mood` and a mood→emotion table, and anything unrecognised is neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from livekit.agents.tts._mood import AgentMood, match_mood

Emotion = Literal["neutral", "enthusiastic", "empathetic", "apologetic", "encouraging", "confident", "calm"]
EMOTIONS: tuple[Emotion, ...] = get_args(Emotion)
DEFAULT_EMOTION: Emotion = "neutral"


@dataclass(frozen=True)
class Preset:
    exaggeration: float
    cfg_weight: float
    temperature: float


# Chatterbox's defaults are 0.5 / 0.5 / 0.8; its authors advise a lower cfg_weight with a higher exaggeration so
# that expressive speech does not speed up.
PRESETS: dict[Emotion, Preset] = {
    "neutral": Preset(0.5, 0.5, 0.8),
    "enthusiastic": Preset(0.8, 0.35, 0.9),
    "empathetic": Preset(0.45, 0.4, 0.7),
    "apologetic": Preset(0.4, 0.45, 0.7),
    "encouraging": Preset(0.7, 0.4, 0.85),
    "confident": Preset(0.6, 0.6, 0.75),
    "calm": Preset(0.3, 0.5, 0.65),
}

# French labels, for a model that translated the vocabulary despite being told not to.
_ALIASES: dict[str, Emotion] = {
    "neutre": "neutral", "enthousiaste": "enthusiastic", "empathique": "empathetic", "désolé": "apologetic",
    "desole": "apologetic", "encourageant": "encouraging", "confiant": "confident", "calme": "calm",
    "apologetic": "apologetic", "sorry": "apologetic", "regretful": "apologetic",
}

_MOODS: dict[AgentMood, Emotion] = {
    "excited": "enthusiastic", "happy": "enthusiastic", "playful": "enthusiastic", "surprised": "enthusiastic",
    "hopeful": "encouraging", "empathetic": "empathetic", "sad": "empathetic", "anxious": "apologetic",
    "calm": "calm", "curious": "neutral", "angry": "calm",
}


def resolve_emotion(label: str | None) -> Emotion:
    """The emotion a markup label asks for: one of the seven, a known alias, else by LiveKit's mood matching."""
    if not label:
        return DEFAULT_EMOTION
    key = label.strip().lower()
    if key in PRESETS:
        return key  # type: ignore[return-value]
    for word in key.replace(",", " ").split():
        if word in PRESETS:
            return word  # type: ignore[return-value]
        if word in _ALIASES:
            return _ALIASES[word]
    mood = match_mood(key, fallback=None)
    return _MOODS[mood] if mood is not None else DEFAULT_EMOTION


LLM_INSTRUCTIONS = f"""\
You control the emotion of your voice with one XML marker: <expr type="expression" label="EMOTION"/>, self-closing, \
placed at the START of a sentence; it applies to that sentence. The label is a fixed vocabulary, always in English \
even though you speak French: {", ".join(EMOTIONS)}.
- neutral: facts, schedules, answers (the default: most sentences need no marker at all).
- enthusiastic: good news, a booking confirmed, a milestone reached.
- empathetic: the member is tired, injured, discouraged or unhappy.
- apologetic: something failed or is not possible.
- encouraging: motivating the member before or after a workout.
- confident: a clear recommendation.
- calm: reassuring, slowing down.
Use a marker only where the feeling changes, never on every sentence, and never invent other marker types or \
labels. Markers are never read aloud and never shown.
Example: <expr type="expression" label="apologetic"/> Désolé, le cours de yoga est complet. \
<expr type="expression" label="encouraging"/> Mais il reste deux places au Pilates de 18 h !"""
