"""Chatterbox multilingual (chatterbox-tts 0.1.7) behind the engine's `SpeechModel` interface.

What the adapter adds to `ChatterboxMultilingualTTS.generate`, and why:
- a token budget per piece (`generate` hard-codes 1,000 speech tokens, 40 s) and `language_id="fr"`;
- cancellation: a forward pre-hook on T3's transformer runs before every decoding step and raises `Cancelled` when
  the request was cancelled, so a barge-in stops generation within one step;
- the attention-hook leak of 0.1.7 (upstream issue #352): every multilingual call registers three forward hooks
  (AlignmentStreamAnalyzer) and never removes them, so call N+100 runs 300 more hooks than call N; the hooks a call
  added are removed when it returns;
- the Perth watermark optional (`JARVIS_TTS_WATERMARK`, on by default: Resemble AI's responsible-AI default);
- tqdm progress bars off, and no model hub access unless asked (`HF_HUB_OFFLINE`, set before the import).

`ChatterboxModel.random()` builds the same architecture with random weights (T3(T3Config.multilingual()), S3Gen(),
VoiceEncoder(), a character tokenizer): it speaks noise but costs what the real model costs, which is what the tests
and the benchmark need where the checkpoint cannot be downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .emotions import Preset
from .model import Cancelled

CHECKPOINT_FILES = ("ve.pt", "s3gen.pt", "t3_mtl23ls_v2.safetensors", "grapheme_mtl_merged_expanded_v1.json")
OPTIONAL_FILES = ("conds.pt", "Cangjie5_TC.json")
REPO_ID = "ResembleAI/chatterbox"


def _quiet_imports() -> None:
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tokenizer would try to fetch Cangjie5_TC.json (Chinese only)


def missing_files(ckpt_dir: Path) -> list[str]:
    return [name for name in CHECKPOINT_FILES if not (ckpt_dir / name).is_file()]


def download(ckpt_dir: Path) -> Path:
    """Fetch the multilingual checkpoint from the Hugging Face hub into `ckpt_dir` (needs a network)."""
    from huggingface_hub import snapshot_download

    ckpt_dir.mkdir(parents=True, exist_ok=True)
    snapshot_download(repo_id=REPO_ID, repo_type="model", local_dir=ckpt_dir,
                      allow_patterns=[*CHECKPOINT_FILES, *OPTIONAL_FILES], token=os.getenv("HF_TOKEN"))
    return ckpt_dir


class ChatterboxModel:
    sample_rate = 24_000

    def __init__(self, tts: Any, *, version: str, watermark: bool) -> None:
        import torch

        self._torch = torch
        self.tts = tts
        self.version = version
        self.watermark = watermark
        self._stop: Callable[[], bool] = lambda: False
        self._lock = threading.Lock()  # generate is not thread-safe: one call at a time, whatever the caller does
        tts.t3.tfmr.register_forward_pre_hook(self._before_step)

    # --- construction -------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, ckpt_dir: Path, *, device: str, watermark: bool = True) -> ChatterboxModel:
        _quiet_imports()
        if missing := missing_files(ckpt_dir):
            raise FileNotFoundError(f"Chatterbox checkpoint incomplete in {ckpt_dir}: missing {', '.join(missing)} "
                                    "(python -m jarvis_agent download-files fetches it where a network exists)")
        from chatterbox.mtl_tts import ChatterboxMultilingualTTS

        tts = ChatterboxMultilingualTTS.from_local(ckpt_dir, device)
        fingerprint = hashlib.sha256()
        for name in CHECKPOINT_FILES:
            stat = (ckpt_dir / name).stat()
            fingerprint.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
        return cls(tts, version=f"chatterbox-mtl-{_package_version()}-{fingerprint.hexdigest()[:12]}",
                   watermark=watermark)

    @classmethod
    def random(cls, *, device: str, seed: int = 0, watermark: bool = False) -> ChatterboxModel:
        """The real multilingual architecture with random weights (no checkpoint needed)."""
        _quiet_imports()
        import torch
        from chatterbox.models.s3gen import S3Gen
        from chatterbox.models.t3 import T3
        from chatterbox.models.t3.modules.t3_config import T3Config
        from chatterbox.models.tokenizers import MTLTokenizer
        from chatterbox.models.voice_encoder import VoiceEncoder
        from chatterbox.mtl_tts import ChatterboxMultilingualTTS

        torch.manual_seed(seed)
        t3 = T3(T3Config.multilingual()).to(device).eval()
        s3gen = S3Gen().to(device).eval()
        ve = VoiceEncoder().to(device).eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "grapheme_mtl_merged_expanded_v1.json"
            path.write_text(json.dumps(_character_tokenizer(t3.hp.text_tokens_dict_size)))
            tokenizer = MTLTokenizer(str(path))
        tts = ChatterboxMultilingualTTS(t3, s3gen, ve, tokenizer, device)
        return cls(tts, version=f"chatterbox-mtl-{_package_version()}-random-{seed}", watermark=watermark)

    # --- voices -------------------------------------------------------------------------------------------------
    def prepare_voice(self, wav: Path) -> Any:
        with self._lock:
            builtin = self.tts.conds  # prepare_conditionals replaces it: the built-in voice must stay what it was
            try:
                self.tts.prepare_conditionals(str(wav), exaggeration=0.5)
                return self.tts.conds
            finally:
                self.tts.conds = builtin

    def save_voice(self, voice: Any, path: Path) -> None:
        voice.save(path)

    def load_voice(self, path: Path) -> Any:
        from chatterbox.mtl_tts import Conditionals

        return Conditionals.load(path, map_location="cpu").to(self.tts.device)

    def default_voice(self) -> Any | None:
        return self.tts.conds

    # --- generation ---------------------------------------------------------------------------------------------
    def generate(self, text: str, voice: Any, preset: Preset, *, max_tokens: int,
                 should_stop: Callable[[], bool]) -> np.ndarray:
        import torch.nn.functional as F
        from chatterbox.models.s3tokenizer import SPEECH_VOCAB_SIZE, drop_invalid_tokens
        from chatterbox.models.t3.modules.cond_enc import T3Cond
        from chatterbox.mtl_tts import punc_norm

        torch, tts = self._torch, self.tts
        if voice is None:
            raise ValueError("no voice: configure a reference WAV or use a checkpoint with conds.pt")
        with self._lock, self._stopping(should_stop), self._no_hook_leak(), torch.inference_mode():
            cond = voice.t3
            t3_cond = T3Cond(speaker_emb=cond.speaker_emb, cond_prompt_speech_tokens=cond.cond_prompt_speech_tokens,
                             emotion_adv=preset.exaggeration * torch.ones(1, 1, 1)).to(device=tts.device)
            tokens = tts.tokenizer.text_to_tokens(punc_norm(text), language_id="fr").to(tts.device)
            tokens = torch.cat([tokens, tokens], dim=0)  # two rows for classifier-free guidance
            tokens = F.pad(F.pad(tokens, (1, 0), value=tts.t3.hp.start_text_token), (0, 1),
                           value=tts.t3.hp.stop_text_token)
            speech = tts.t3.inference(t3_cond=t3_cond, text_tokens=tokens, max_new_tokens=max_tokens,
                                      temperature=preset.temperature, cfg_weight=preset.cfg_weight,
                                      repetition_penalty=2.0, min_p=0.05, top_p=1.0)[0]
            speech = drop_invalid_tokens(speech)
            speech = speech[speech < SPEECH_VOCAB_SIZE].to(tts.device)  # S3Gen rejects T3's other special tokens
            if should_stop():
                raise Cancelled()
            if speech.numel() == 0:
                return np.zeros(0, dtype=np.float32)
            wav, _ = tts.s3gen.inference(speech_tokens=speech, ref_dict=voice.gen)
            out = wav.squeeze(0).detach().cpu().numpy().astype(np.float32)
        if self.watermark:
            out = np.asarray(tts.watermarker.apply_watermark(out, sample_rate=self.sample_rate), dtype=np.float32)
        return out

    def _before_step(self, *_: Any) -> None:
        if self._stop():
            raise Cancelled()

    @contextmanager
    def _stopping(self, should_stop: Callable[[], bool]) -> Iterator[None]:
        self._stop = should_stop
        try:
            yield
        finally:
            self._stop = lambda: False

    @contextmanager
    def _no_hook_leak(self) -> Iterator[None]:
        """Remove the attention hooks a multilingual call registers and never removes (chatterbox 0.1.7, #352)."""
        layers = [layer.self_attn for layer in self.tts.t3.tfmr.layers]
        before = [set(module._forward_hooks) for module in layers]
        try:
            yield
        finally:
            for module, keep in zip(layers, before, strict=True):
                for key in [k for k in module._forward_hooks if k not in keep]:
                    del module._forward_hooks[key]

    def hook_count(self) -> int:
        return sum(len(layer.self_attn._forward_hooks) for layer in self.tts.t3.tfmr.layers)


def _package_version() -> str:
    try:
        return metadata.version("chatterbox-tts")
    except metadata.PackageNotFoundError:
        return "unknown"


def _character_tokenizer(vocab_size: int) -> dict[str, Any]:
    """A `tokenizers` JSON with the special tokens MTLTokenizer expects and the characters of French text: the
    stand-in for the checkpoint's grapheme vocabulary when only the architecture is wanted."""
    import unicodedata

    specials = ["[START]", "[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]", "[fr]"]
    chars = sorted({unicodedata.normalize("NFKD", c) for c in "abcdefghijklmnopqrstuvwxyzàâçéèêëîïôûùüÿœæ"}
                   | set("0123456789.,;:!?'\"-()%€ "))
    glyphs = sorted({g for c in chars for g in c})
    vocab = {tok: i for i, tok in enumerate(specials + [g for g in glyphs if g != " "])}
    assert len(vocab) < vocab_size
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in specials],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "",
                  "max_input_chars_per_word": 10_000, "vocab": vocab},
    }
