"""The French lexicon analyser on kiosk-style utterances written for these tests (balanced positive / neutral /
negative, with negations, idioms and irony), and the insight rules."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from analytics.insights import derive
from analytics.sentiment import LexiconAnalyser, Sentiment, load_analyser, looks_french

from .camembert import needs_transformers, random_camembert

HERE = Path(__file__).parent


def labelled(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def accuracy(rows: list[dict[str, str]]) -> float:
    analyser = LexiconAnalyser()
    return sum(analyser.analyse(r["text"]).label == r["label"] for r in rows) / len(rows)


def test_the_labelled_set_is_balanced_and_large_enough() -> None:
    rows = labelled("sentiment_fr.tsv") + labelled("sentiment_fr_holdout.tsv")
    counts = {label: sum(r["label"] == label for r in rows) for label in ("positive", "neutral", "negative")}
    assert len(rows) >= 60 and min(counts.values()) >= 20 and max(counts.values()) - min(counts.values()) <= 1


def test_the_lexicon_analyser_reaches_80_percent() -> None:
    rows = labelled("sentiment_fr.tsv") + labelled("sentiment_fr_holdout.tsv")
    assert accuracy(rows) >= 0.80
    # the held-out part was written after the lexicon rules and never tuned on: it must hold on its own too
    assert accuracy(labelled("sentiment_fr_holdout.tsv")) >= 0.75


@pytest.mark.parametrize("text, label", [
    ("Je suis content.", "positive"), ("Je ne suis pas content.", "negative"),
    ("C'est pas terrible.", "negative"), ("Pas mal du tout !", "positive"),
    ("Bravo, encore une machine en panne.", "negative"), ("C'est très propre.", "positive"),
    ("Génial!", "positive"), ("Merci encore pour votre aide !", "positive"),
    ("Je suis de plus en plus motivée.", "positive"), ("Je ne suis plus content.", "negative"),
])
def test_negation_idioms_and_irony(text: str, label: str) -> None:
    assert LexiconAnalyser().analyse(text).label == label


def test_intensifiers_strengthen() -> None:
    a = LexiconAnalyser()
    assert a.analyse("C'est vraiment génial").score > a.analyse("C'est génial").score > \
        a.analyse("C'est un peu génial").score > 0


def test_emotions_and_the_analyser_name() -> None:
    s = LexiconAnalyser().analyse("J'en ai marre, encore mal au dos et je suis crevé.")
    assert set(s.emotions) >= {"frustration", "pain_injury", "fatigue"}
    assert s.analyser.startswith("lexicon:") and -1 <= s.score <= 1
    assert "motivation" in LexiconAnalyser().analyse("Je suis motivé, objectif dix kilomètres !").emotions


def test_french_detection() -> None:
    assert looks_french("Je voudrais réserver un cours de yoga demain soir")
    assert not looks_french("Hello, I would like to book a yoga class for tomorrow evening please")
    assert looks_french("Merci !")  # too short to tell: analysed


def test_an_unavailable_model_falls_back_to_the_lexicon(caplog) -> None:
    analyser = load_analyser(str(HERE / "no-such-model"))
    assert isinstance(analyser, LexiconAnalyser)
    assert "using the French lexicon analyser" in caplog.text


@needs_transformers
def test_the_transformers_path_loads_a_tiny_random_camembert(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from analytics.sentiment import TransformersAnalyser

    folder = random_camembert(tmp_path / "camembert-tiny")
    analyser = load_analyser(str(folder))
    assert isinstance(analyser, TransformersAnalyser) and analyser.name == f"transformers:{folder}"
    text = "Super séance aujourd'hui , merci !"
    result = analyser.analyse(text)
    # the score is P(positive) - P(negative) of the model's own logits
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModelForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        probs = model(**tokenizer(text, return_tensors="pt")).logits.softmax(-1)[0].tolist()
    assert result.score == pytest.approx(probs[2] - probs[0], abs=1e-3)
    assert result.analyser == analyser.name and "satisfaction" in result.emotions
    # a 1 MB utterance is cut, not fed whole to a 512-token model
    assert -1.0 <= analyser.analyse("super " * 200_000).score <= 1.0


def test_insight_rules() -> None:
    neutral = Sentiment(0.0, "neutral", [], "x")
    negative = Sentiment(-0.6, "negative", ["frustration"], "x")
    today = date(2026, 11, 21)
    danger = derive(["Le câble de la poulie est effiloché, c'est dangereux."], negative, member_name="Léa Martin",
                    churn_level="LOW", today=today)
    assert danger.priority == "urgent" and [n.urgency for n in danger.notifications] == ["critical"]
    assert danger.missions[0].due == today and "Léa Martin" in danger.missions[0].title
    at_risk = derive(["Franchement, c'est nul ici."], negative, member_name="Léa Martin", churn_level="CRITICAL",
                     today=today)
    assert [m.key for m in at_risk.missions] == ["mission:at_risk"] and not at_risk.notifications
    calm = derive(["Je voudrais réserver le yoga."], neutral, member_name=None, churn_level=None, today=today)
    assert (calm.priority, calm.missions, calm.notifications) == ("low", [], [])
    for harmless in ("Ça tombe bien, je voulais réserver.", "Je suis coincé au boulot ce soir.",
                     "Je ne vais pas résilier, rassure-toi.", "Je ne suis pas blessé, juste fatigué.",
                     "Je me sens mal à l'aise avec ce nouvel horaire."):
        assert derive([harmless], neutral, member_name=None, churn_level=None, today=today).notifications == [], \
            harmless
    assert derive(["Je suis tombé du tapis."], negative, member_name=None, churn_level=None,
                  today=today).signals == ["injury"]
    equipment = derive(["Le vélo 4 est en panne."], negative, member_name=None, churn_level=None, today=today)
    assert [m.key for m in equipment.missions] == ["mission:equipment"] and equipment.priority == "medium"
