"""TTS engine benchmark: first-chunk latency and real-time factor for 1, 4 and 15 concurrent streams.

The real Chatterbox multilingual architecture with random weights (or the checkpoint: --ckpt DIR), a fixed budget
of speech tokens per sentence (50 tokens: 2 s of audio at S3's 25 tokens/s) because random weights never say stop.
Each stream is a kiosk speaking `--sentences` sentences one after the other (the pipeline sends a reply sentence by
sentence); all streams start together. Per stream: the first-chunk latency of each sentence and the stream's RTF
(generation wall time / audio seconds; < 1 is faster than real time). Prints one JSON line.

    python bench/tts_engine.py --device cuda [--streams 1,4,15] [--sentences 3] [--tokens 50] [--ckpt DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jarvis_agent.tts_engine.engine import Engine

SENTENCES = ["Salut Marie, content de te voir !", "Ton cours de yoga commence à dix-huit heures.",
             "Il reste trois places, je t'inscris ?", "Julie sera ta coach ce soir.",
             "Pense à bien t'hydrater pendant la séance."]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def stream(engine: Engine, name: str, sentences: int) -> dict[str, float | list[float]]:
    firsts: list[float] = []
    audio_s = 0.0
    started = time.perf_counter()
    for i in range(sentences):
        submitted = time.perf_counter()
        first = None
        async for chunk in engine.submit(SENTENCES[i % len(SENTENCES)], session=name):
            first = first or time.perf_counter() - submitted
            audio_s += len(chunk) / 2 / engine.model.sample_rate
        firsts.append(first or 0.0)
    wall = time.perf_counter() - started
    return {"first_chunk_s": firsts, "rtf": wall / audio_s if audio_s else float("inf")}


async def run(engine: Engine, streams: int, sentences: int) -> dict[str, float]:
    results = await asyncio.gather(*(stream(engine, f"kiosk-{i}", sentences) for i in range(streams)))
    firsts = [f for r in results for f in r["first_chunk_s"]]  # type: ignore[union-attr]
    rtfs = [r["rtf"] for r in results]
    return {"streams": streams, "first_chunk_p50_s": round(statistics.median(firsts), 3),
            "first_chunk_p95_s": round(percentile(firsts, 0.95), 3),
            "first_chunk_first_sentence_max_s": round(max(r["first_chunk_s"][0] for r in results), 3),  # type: ignore[index]
            "rtf_median": round(statistics.median(rtfs), 3), "rtf_worst": round(max(rtfs), 3),  # type: ignore[type-var]
            "all_faster_than_real_time": all(r < 1 for r in rtfs)}  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--streams", default="1,4,15")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=50, help="speech tokens per sentence (25 per second of audio)")
    parser.add_argument("--ckpt", type=Path, help="a Chatterbox checkpoint folder instead of random weights")
    parser.add_argument("--watermark", action="store_true", help="apply the Perth watermark (on in production)")
    args = parser.parse_args()

    from jarvis_agent.tts_engine.chatterbox_model import ChatterboxModel

    loaded = time.perf_counter()
    model = (ChatterboxModel.load(args.ckpt, device=args.device, watermark=args.watermark) if args.ckpt
             else ChatterboxModel.random(device=args.device, watermark=args.watermark))
    load_s = time.perf_counter() - loaded
    with tempfile.TemporaryDirectory() as tmp:
        voices = Path(tmp) / "voices"
        voices.mkdir()
        subprocess.run(["espeak-ng", "-v", "fr-fr", "-w", str(voices / "jarvis_fr.wav"),
                        "Bonjour, je suis Jarvis, ton assistant à la salle de sport. Je suis là pour t'aider."],
                       check=True)
        engine = Engine(model, voices_dir=voices, cache_dir=Path(tmp) / "cache", max_tokens=args.tokens).start()
        try:
            asyncio.run(run(engine, 1, 1))  # warm-up: the voice's conditionals, CUDA kernels
            rows = [asyncio.run(run(engine, int(n), args.sentences)) for n in args.streams.split(",")]
        finally:
            engine.close()
    device = args.device
    if device.startswith("cuda"):
        import torch

        device = torch.cuda.get_device_name(0)
    print(json.dumps({"benchmark": "tts_engine", "model": model.version, "device": device,
                      "machine": platform.machine(), "tokens_per_sentence": args.tokens,
                      "sentences_per_stream": args.sentences, "watermark": args.watermark,
                      "model_load_s": round(load_s, 1), "hooks_after": model.hook_count(), "runs": rows}))


if __name__ == "__main__":
    main()
