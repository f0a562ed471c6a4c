"""Sentiment of what members said at the kiosk: a score in [-1, 1], a label, the emotions detected, and the name of
the analyser that produced it.

`LexiconAnalyser` works anywhere: the French adjective lexicon of textblob-fr (Pattern's, PDDL, hand-tagged) plus a
gym vocabulary ("en panne", "résilier", "nickel"), idioms ("pas terrible", "pas mal"), negation ("ne … pas",
"jamais", "plus", "aucun", "sans"), intensifiers ("très", "vraiment", "un peu") and the ironic praise of kiosk
complaints ("Bravo, encore une machine en panne"). `TransformersAnalyser` runs a French sentiment model (a
CamemBERT-family text classifier) from a local path or the Hugging Face cache, offline, when one is configured.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from jarvis_agent.french import fold

logger = logging.getLogger("analytics.sentiment")

POSITIVE, NEGATIVE = 0.15, -0.15

# The gym vocabulary: words and phrases the adjective lexicon does not know (or knows wrong), normalised.
DOMAIN: dict[str, float] = {
    "en panne": -0.6, "hors service": -0.6, "casse": -0.6, "cassee": -0.6, "cassees": -0.6, "sale": -0.6,
    "sales": -0.6, "crade": -0.7, "pue": -0.7, "froide": -0.4, "froid": -0.3, "bonde": -0.4, "bondee": -0.4,
    "bruyant": -0.4, "attente": -0.3, "resilier": -0.7, "resiliation": -0.7, "desabonner": -0.7, "marre": -0.7,
    "decu": -0.6, "decue": -0.6, "decevant": -0.6, "deception": -0.6, "enerve": -0.6, "enervee": -0.6,
    "agace": -0.5, "inadmissible": -0.8, "inacceptable": -0.8, "scandaleux": -0.8, "honte": -0.7, "galere": -0.5,
    "plainte": -0.5, "probleme": -0.4, "problemes": -0.4, "mal": -0.5, "douleur": -0.6, "blesse": -0.6,
    "blessee": -0.6, "nul": -0.7, "nulle": -0.7, "horrible": -0.8, "lent": -0.3, "dangereux": -0.7,
    "dangereuse": -0.7, "fuite": -0.4, "impossible": -0.4, "jamais la": -0.5, "fatigue": -0.2, "fatiguee": -0.2,
    "merci": 0.3, "super": 0.6, "genial": 0.8, "geniale": 0.8, "top": 0.6, "excellent": 0.8, "excellente": 0.8,
    "parfait": 0.7, "parfaite": 0.7, "bravo": 0.6, "content": 0.6, "contente": 0.6, "ravi": 0.7, "ravie": 0.7,
    "adore": 0.7, "aime": 0.5, "sympa": 0.5, "cool": 0.5, "motive": 0.5, "motivee": 0.5, "progres": 0.5,
    "nickel": 0.7, "propre": 0.4, "agreable": 0.6, "efficace": 0.5, "formidable": 0.8, "felicitations": 0.6,
    "au top": 0.7, "plaisir": 0.5, "bien": 0.3, "tres bien": 0.6, "trop bien": 0.7, "rien a redire": 0.6,
    "pas terrible": -0.5, "pas top": -0.5, "pas genial": -0.4, "pas mal": 0.4, "pas de souci": 0.2,
    "pas de probleme": 0.2, "pas trop mal": 0.3, "n importe quoi": -0.6, "en avoir marre": -0.7,
    "insupportable": -0.7, "trop fort": -0.4, "trop forte": -0.4, "ne marche pas": -0.5, "marche pas": -0.5,
    "ne fonctionne pas": -0.5, "fonctionne pas": -0.5, "on etouffe": -0.5, "reviendrai plus": -0.6,
    "reviendrai pas": -0.6, "sans prevenir": -0.4, "personne ne fait rien": -0.5,
}
INTENSIFIERS = {"tres": 1.5, "vraiment": 1.5, "trop": 1.4, "tellement": 1.5, "completement": 1.5, "super": 1.4,
                "hyper": 1.5, "extremement": 1.7, "assez": 0.8, "plutot": 0.9, "peu": 0.6}
NEGATIONS = {"pas", "jamais", "aucun", "aucune", "rien", "sans", "ni"}  # "plus" negates only after "ne"
IRONY = re.compile(r"^(bravo|genial|super|merci|felicitations|top|parfait|formidable|trop bien|magnifique)\b(\s+\w+)?"
                   r"\s+(encore|toujours|de nouveau|une fois de plus)\b")
EMOTIONS = {
    "frustration": re.compile(r"\b(marre|enerve|enervee|agace|agacee|encore|toujours pas|inadmissible|inacceptable|"
                              r"n importe quoi|ras le bol|scandaleux|honte|galere)\b"),
    "motivation": re.compile(r"\b(motive|motivee|objectif|envie de|progresser|progres|determine|determinee|"
                             r"a fond|je veux (reussir|perdre|prendre|courir))\b"),
    "fatigue": re.compile(r"\b(fatigue|fatiguee|creve|crevee|epuise|epuisee|pas dormi|a plat|courbature)s?\b"),
    "pain_injury": re.compile(r"\b(mal (au|a la|aux|a l)|douleur|blesse|blessee|blessure|entorse|tendinite|"
                              r"je me suis fait mal|tombe|tombee|saigne|claque)\b"),
    "satisfaction": re.compile(r"\b(merci|super|genial|top|content|contente|ravi|ravie|adore|nickel|parfait|"
                               r"au top|excellent)\b"),
}
FRENCH_WORDS = {"je", "tu", "il", "elle", "on", "nous", "vous", "le", "la", "les", "un", "une", "des", "de", "du",
                "et", "est", "pas", "que", "qui", "pour", "avec", "mon", "ma", "mes", "ce", "ca", "c", "j", "l", "d",
                "n", "a", "au", "aux", "en", "dans", "sur", "bonjour", "merci", "oui", "non", "salle", "cours"}


def normalise(text: str) -> str:
    text = fold(text.replace("’", "'"))
    return " ".join(re.sub(r"[^a-z0-9!?]+", " ", re.sub(r"([!?])", r" \1 ", text)).split())


@lru_cache(maxsize=1)
def adjective_lexicon() -> dict[str, float]:
    """textblob-fr's French adjective lexicon (Pattern, PDDL): word → polarity, accents removed. Only subjective,
    clearly polar words: "nouveau" (+0.34, subjectivity 0.25) describes, it does not judge."""
    root = ET.fromstring(resources.files("textblob_fr").joinpath("fr-sentiment.xml").read_bytes())
    lexicon: dict[str, list[float]] = {}
    for word in root.iter("word"):
        polarity, subjectivity = float(word.get("polarity", 0)), float(word.get("subjectivity", 0))
        if subjectivity >= 0.5 and abs(polarity) >= 0.2:
            lexicon.setdefault(normalise(word.get("form", "")), []).append(polarity)
    return {w: sum(p) / len(p) for w, p in lexicon.items() if w and " " not in w}


@dataclass
class Sentiment:
    score: float
    label: str
    emotions: list[str] = field(default_factory=list)
    analyser: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def label_of(score: float) -> str:
    return "positive" if score >= POSITIVE else "negative" if score <= NEGATIVE else "neutral"


def emotions_of(text: str) -> list[str]:
    norm = normalise(text)
    return [name for name, pattern in EMOTIONS.items() if pattern.search(norm)]


def looks_french(text: str) -> bool:
    """False for text that is clearly another language (too few French function words)."""
    words = normalise(text).split()
    if len(words) < 4:
        return True
    return sum(w in FRENCH_WORDS for w in words) / len(words) >= 0.12


class Analyser(Protocol):
    name: str

    def analyse(self, text: str) -> Sentiment: ...


class LexiconAnalyser:
    name = "lexicon:textblob-fr+jarvis-gym-v1"

    def __init__(self) -> None:
        self.adjectives = adjective_lexicon()
        self.phrases = [(re.compile(rf"\b{re.escape(k)}\b"), v)
                        for k, v in sorted(DOMAIN.items(), key=lambda kv: -len(kv[0])) if " " in k]

    def analyse(self, text: str) -> Sentiment:
        norm = original = normalise(text)
        scores: list[float] = []
        for pattern, value in self.phrases:  # idioms first ("pas terrible"), then removed from the text
            for _ in pattern.findall(norm):
                scores.append(value)
            norm = pattern.sub(" # ", norm)
        tokens = norm.split()
        for i, token in enumerate(tokens):
            value = DOMAIN.get(token, self.adjectives.get(token))
            if value is None or (token in INTENSIFIERS and i + 1 < len(tokens) and tokens[i + 1] != "#" \
                    and (tokens[i + 1] in DOMAIN or tokens[i + 1] in self.adjectives)):
                continue  # "super" in "super propre" intensifies, it does not count twice
            window = tokens[max(0, i - 3):i]
            for word in reversed(window):
                if word in INTENSIFIERS:
                    value *= INTENSIFIERS[word]
                    break
            # "pas content", "jamais content"; "n'aime pas" (ne … pas: the "ne" comes before the verb)
            if any(w in NEGATIONS or w in ("ne", "n") for w in window) and "#" not in window:
                value *= -0.7  # "pas content" is negative, a little less than "mécontent"
            scores.append(value)
        if not scores:
            return Sentiment(0.0, "neutral", emotions_of(text), self.name)
        total = sum(scores)
        score = total / (abs(total) + 0.5) * min(1.0, abs(total) / 0.5 + 0.5) if total else 0.0  # strong words win
        if "!" in original:
            score *= 1.1
        ironic = IRONY.search(original) and (min(scores) < 0 or re.search(r"\b(toujours|encore) pas\b", original))
        if ironic:  # "Bravo, encore une machine en panne." / "Génial, toujours pas d'eau chaude."
            score = -max(abs(score), 0.4)
        score = max(-1.0, min(1.0, score))
        return Sentiment(round(score, 4), label_of(score), emotions_of(text), self.name)


class TransformersAnalyser:
    """A transformers text-classification pipeline from a local folder or the HF cache (offline)."""

    def __init__(self, model: str) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import pipeline

        self.pipeline = pipeline("text-classification", model=model, tokenizer=model, top_k=None, truncation=True,
                                 device=-1)
        self.name = f"transformers:{model}"

    def analyse(self, text: str) -> Sentiment:
        results = self.pipeline(text[:2000])[0]
        score = 0.0
        for r in results:
            label = str(r["label"]).lower()
            if "pos" in label or label in ("4 stars", "5 stars", "label_2"):
                score += r["score"]
            elif "neg" in label or label in ("1 star", "2 stars", "label_0"):
                score -= r["score"]
        return Sentiment(round(score, 4), label_of(score), emotions_of(text), self.name)


def load_analyser(model: str | None = None) -> Analyser:
    """The configured transformers model when it loads offline; otherwise the lexicon analyser (said so)."""
    if model:
        try:
            return TransformersAnalyser(model)
        except Exception as exc:  # not installed, not in the cache, not a classifier: fall back, loudly
            logger.warning("sentiment model %s unavailable (%s): using the French lexicon analyser", model,
                           type(exc).__name__)
    return LexiconAnalyser()
