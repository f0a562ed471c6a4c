"""A randomly initialised CamemBERT sentiment classifier saved to a folder, as a fine-tuned one would be: the loading
code of `analytics.sentiment.TransformersAnalyser` runs on it offline (no model hub is reachable here). Its outputs
are noise: it tests loading and plumbing (tiny) and measures CPU cost at the real size (`base`), never accuracy.
Needs the `[sentiment]` extra (transformers) and torch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

needs_transformers = pytest.mark.skipif(
    importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None,
    reason="transformers/torch not installed (extra [sentiment]; `make test` adds them where the CPU torch wheel is "
           "local): the CamemBERT path is not exercised")

LABELS = {0: "negative", 1: "neutral", 2: "positive"}
SIZES = {
    "tiny": {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32},
    # camembert-base: 12 layers of 768, 110 M parameters (its 32k vocabulary is not needed for the speed)
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}
CORPUS = ["Super séance aujourd'hui , merci !", "La machine est en panne , c'est nul .",
          "Je voudrais réserver le cours de yoga demain soir .", "J'ai mal au genou depuis la dernière séance ."]


def random_camembert(folder: Path, size: str = "tiny") -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import CamembertConfig, CamembertForSequenceClassification, PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["<s>", "<pad>", "</s>", "<unk>"]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>", model_max_length=512)
    tokenizer.save_pretrained(folder)
    config = CamembertConfig(vocab_size=tokenizer.vocab_size, max_position_embeddings=514, pad_token_id=1,
                             num_labels=3, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
                             **SIZES[size])
    CamembertForSequenceClassification(config).save_pretrained(folder)
    return folder
