"""The engine: one speech model on one device, shared by every kiosk session of the host.

- **One generation thread.** Chatterbox is neither thread-safe nor batched, so the model runs on a single thread and
  requests wait their turn. Asyncio callers get their audio through a per-request queue.
- **Pieces.** A request is split into pieces: the first short (`first_piece_chars`) so the first audio comes early,
  the rest at clause or word boundaries. Each piece is one `generate` call, its audio sent as soon as it exists.
- **Fair interleaving.** Sessions take turns piece by piece (the one served longest ago goes next, a newcomer first):
  a long answer in one kiosk delays another kiosk's first audio by at most one piece, never by a whole answer.
- **Cancellation.** `Job.cancel()` drops the queued pieces at once, and the running `generate` stops at its next
  decoding step (the model checks `should_stop`).
- **Phrase cache.** Fixed phrases (fillers, goodbyes, apologies, greeting openers without names) are rendered once
  per voice, emotion and model version when the engine is idle, then served from memory without queueing.
- **Voices.** A voice is a reference WAV in `voices_dir`; its conditionals are computed once and cached on disk
  (keyed by the WAV's hash and the model version).
- **Reports.** Queue depth, first-chunk latency, request time and real-time factor as Prometheus metrics, and the
  timings of each request in its final report.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import Counter, Gauge, Histogram

from .emotions import DEFAULT_EMOTION, PRESETS, Emotion
from .model import Cancelled, EngineError, SpeechModel, classify

logger = logging.getLogger("jarvis.tts_engine")

MAX_CHARS = 2000
VOICE_NAME = re.compile(r"^[a-z0-9_]{1,40}$")
PHRASE_SESSION = "\x00phrases"  # never a client session id (they are validated printable)

QUEUE_DEPTH = Gauge("jarvis_tts_queue_depth", "TTS pieces waiting for the model")
FIRST_CHUNK = Histogram("jarvis_tts_first_chunk_seconds", "Submission to first audio of a TTS request",
                        buckets=(0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0))
REQUEST_TIME = Histogram("jarvis_tts_request_seconds", "Submission to last audio of a TTS request",
                         buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0))
RTF = Histogram("jarvis_tts_realtime_factor", "Generation time / audio duration of a TTS request",
                buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0))
REQUESTS = Counter("jarvis_tts_requests", "TTS requests by outcome (ok, cancelled, error, cached)", ["outcome"])


def split_text(text: str, *, first: int = 80, rest: int = 220) -> list[str]:
    """Pieces of at most `first` then `rest` characters, cut after a sentence end, else a clause mark, else a space.
    A mark counts only before a space: "49,90 euros" and "18.30" are never cut."""
    pieces: list[str] = []
    text = " ".join(text.split())
    while text:
        limit = first if not pieces else rest
        if len(text) <= limit:
            pieces.append(text)
            break
        window = text[:limit + 1]
        cut = 0
        for marks in (".!?…", ",;:", " "):
            cut = max((i for i, c in enumerate(window) if c in marks and text[i + 1:i + 2] in ("", " ")), default=0)
            if cut > limit // 3:
                break
        cut = cut + 1 if cut > 0 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    return [p for p in pieces if p]


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def phrase_key(text: str) -> str:
    return " ".join(text.split()).casefold()


_END = object()


@dataclass
class Timings:
    submitted: float = field(default_factory=time.perf_counter)
    started: float | None = None
    first_chunk: float | None = None
    finished: float | None = None
    generate_s: float = 0.0
    audio_s: float = 0.0

    def report(self) -> dict[str, float | None]:
        def since(t: float | None) -> float | None:
            return None if t is None else round(t - self.submitted, 4)
        return {"queued_s": since(self.started), "first_chunk_s": since(self.first_chunk),
                "total_s": since(self.finished), "generate_s": round(self.generate_s, 4),
                "audio_s": round(self.audio_s, 4),
                "rtf": round(self.generate_s / self.audio_s, 4) if self.audio_s else None}


class Job:
    """One request: its pieces, its audio queue (read with `async for chunk in job`), its cancellation."""

    def __init__(self, *, session: str, voice: str, emotion: Emotion, pieces: list[str],
                 loop: asyncio.AbstractEventLoop | None, sink: Callable[[bytes], None] | None = None,
                 on_done: Callable[[], None] | None = None) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.session, self.voice, self.emotion, self.pieces = session, voice, emotion, pieces
        self.next_piece = 0
        self.timings = Timings()
        self._loop = loop
        self._sink = sink  # the phrase cache's collector, instead of a reader
        self.on_done = on_done
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._cancelled = threading.Event()
        self._on_cancel: Callable[[Job], None] | None = None
        self.outcome: str | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        if not self._cancelled.is_set():
            self._cancelled.set()
            if self._on_cancel is not None:
                self._on_cancel(self)

    def _deliver(self, item: Any) -> None:
        if self._sink is not None:
            if isinstance(item, bytes):
                self._sink(item)
            return
        if self._loop is None:
            self._queue.put_nowait(item)
            return
        with contextlib.suppress(RuntimeError):  # the reader's loop is gone: nobody listens any more
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()  # type: ignore[return-value]

    async def chunks(self, *, idle_s: float | None = None) -> AsyncIterator[bytes | None]:
        """The audio, piece by piece; with `idle_s`, also None after every `idle_s` without any (while the request
        waits its turn), which the server turns into keep-alive frames."""
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), idle_s)
            except TimeoutError:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


class VoiceBank:
    """Voices by name: `voices_dir/<name>.wav`, conditionals computed once and cached on disk; without a WAV the
    checkpoint's built-in voice."""

    def __init__(self, model: SpeechModel, *, voices_dir: Path | None, cache_dir: Path) -> None:
        self._model, self._dir, self._cache_dir = model, voices_dir, cache_dir
        self._voices: dict[str, Any] = {}
        self.computed = 0  # conditionals computed from a WAV (not from the disk cache): for tests and logs

    def get(self, name: str) -> Any:
        if name in self._voices:
            return self._voices[name]
        wav = self._dir / f"{name}.wav" if self._dir else None
        if wav is not None and wav.is_file():
            digest = hashlib.sha256(wav.read_bytes()).hexdigest()[:16]
            cached = self._cache_dir / f"{name}-{digest}-{self._model.version}.pt"
            if cached.is_file():
                voice = self._model.load_voice(cached)
            else:
                logger.info("voice %s: computing conditionals from %s (once)", name, wav.name)
                voice = self._model.prepare_voice(wav)
                self.computed += 1
                self._cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
                self._model.save_voice(voice, tmp)
                tmp.replace(cached)
        else:
            voice = self._model.default_voice()
            if voice is None:
                raise EngineError(f"voice {name!r}: no {name}.wav in the voices folder and no built-in voice",
                                  code="bad_input", retryable=False)
            logger.warning("voice %s: no reference WAV, using the checkpoint's built-in voice", name)
        self._voices[name] = voice
        return voice


class Engine:
    def __init__(self, model: SpeechModel, *, voices_dir: Path | None, cache_dir: Path,
                 default_voice: str = "jarvis_fr", max_queue: int = 256, first_piece_chars: int = 80,
                 piece_chars: int = 220, max_tokens: int | None = None,
                 on_fatal: Callable[[], None] | None = None) -> None:
        self.model = model
        self.voices = VoiceBank(model, voices_dir=voices_dir, cache_dir=cache_dir)
        self.default_voice = default_voice
        self.max_queue, self.first_piece_chars, self.piece_chars = max_queue, first_piece_chars, piece_chars
        self._fixed_tokens = max_tokens  # benchmarks: a fixed budget (random weights never say stop)
        self._cond = threading.Condition()
        self._outcome_lock = threading.Lock()
        self.on_fatal = on_fatal
        self.broken: str | None = None  # why the device can no longer be used (a sticky CUDA error)
        self._sessions: dict[str, deque[Job]] = {}
        self._phrases: dict[tuple[str, str, str, str], bytes] = {}
        self._thread: threading.Thread | None = None
        self._running: Job | None = None
        self._served: dict[str, int] = {}  # session -> tick of its last piece (fair turns)
        self._tick = 0
        self._closing = False
        self.counts: dict[str, int] = {"ok": 0, "cancelled": 0, "error": 0, "cached": 0}
        self.generate_calls = 0

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> Engine:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tts-engine", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        with self._cond:
            self._closing = True
        self._fail_queued()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _refusal(self) -> EngineError | None:
        """Why the engine takes no more work (shutting down, device lost), or None."""
        if self._closing:
            return EngineError("the TTS engine is shutting down", code="unavailable", retryable=True)
        if self.broken is not None:
            return EngineError(f"the TTS engine cannot generate any more: {self.broken}", code="unavailable",
                               retryable=False)
        return None

    def _fail_queued(self) -> None:
        error = self._refusal()
        with self._cond:
            jobs = [job for queue in self._sessions.values() for job in queue]
            self._sessions.clear()
            QUEUE_DEPTH.set(0)
            self._cond.notify_all()
        for job in jobs:
            self._finish(job, "error", error)

    def healthy(self) -> bool:
        """The generation thread runs and the device works: /healthz answers 503 otherwise."""
        return self.broken is None and self._thread is not None and self._thread.is_alive()

    # --- requests -----------------------------------------------------------------------------------------------
    def submit(self, text: str, *, session: str, emotion: Emotion = DEFAULT_EMOTION, voice: str | None = None) -> Job:
        """Queue `text` for `session` (call from the reader's event loop). Raises EngineError on bad input, or when
        the queue is full (overloaded: another voice should answer)."""
        voice = voice or self.default_voice
        text = " ".join(text.split())
        if not text:
            raise EngineError("empty text", code="bad_input", retryable=False)
        if len(text) > MAX_CHARS:
            raise EngineError(f"text too long ({len(text)} > {MAX_CHARS} characters)", code="bad_input",
                              retryable=False)
        if not VOICE_NAME.match(voice):
            raise EngineError("voice names are 1-40 characters a-z, 0-9, _", code="bad_input", retryable=False)
        if emotion not in PRESETS:
            raise EngineError(f"unknown emotion {emotion!r}", code="bad_input", retryable=False)
        loop = asyncio.get_running_loop()
        cached = self._phrases.get((voice, emotion, self.model.version, phrase_key(text)))
        if cached is not None:
            job = Job(session=session, voice=voice, emotion=emotion, pieces=[text], loop=None)
            job.timings.started = job.timings.first_chunk = job.timings.finished = time.perf_counter()
            job.timings.audio_s = len(cached) / 2 / self.model.sample_rate
            job.outcome = "cached"
            self._count("cached")
            job._deliver(cached)
            job._deliver(_END)
            return job
        job = Job(session=session, voice=voice, emotion=emotion,
                  pieces=split_text(text, first=self.first_piece_chars, rest=self.piece_chars), loop=loop)
        self._enqueue(job)
        return job

    def warm_phrases(self, phrases: Iterable[tuple[str, Emotion]], *, voice: str | None = None) -> int:
        """Render fixed phrases into the cache, only while no session is waiting. Returns how many were queued."""
        voice = voice or self.default_voice
        queued = 0
        for text, emotion in phrases:
            text = " ".join(text.split())
            key = (voice, emotion, self.model.version, phrase_key(text))
            if key in self._phrases:
                continue
            chunks: list[bytes] = []

            def collect(chunk: bytes, chunks: list[bytes] = chunks) -> None:
                chunks.append(chunk)

            def store(key: tuple[str, str, str, str] = key, chunks: list[bytes] = chunks) -> None:
                self._phrases[key] = b"".join(chunks)

            job = Job(session=PHRASE_SESSION, voice=voice, emotion=emotion, pieces=[text], loop=None, sink=collect,
                      on_done=store)
            self._enqueue(job, check_depth=False)
            queued += 1
        return queued

    def cached_phrases(self) -> int:
        return len(self._phrases)

    def stats(self) -> dict[str, Any]:
        with self._cond:
            depth = self._depth()
            sessions = sum(1 for s in self._sessions if s != PHRASE_SESSION)
        return {"healthy": self.healthy(), "broken": self.broken,
                "queue_depth": depth, "sessions_waiting": sessions, "model_version": self.model.version,
                "sample_rate": self.model.sample_rate, "requests": dict(self.counts),
                "phrases_cached": len(self._phrases), "voices_computed": self.voices.computed,
                "generate_calls": self.generate_calls}

    # --- scheduling ---------------------------------------------------------------------------------------------
    def _enqueue(self, job: Job, *, check_depth: bool = True) -> None:
        with self._cond:
            if (refusal := self._refusal()) is not None:
                raise refusal
            if check_depth and self._depth() >= self.max_queue:
                raise EngineError(f"TTS engine overloaded ({self.max_queue} pieces queued)", code="overloaded",
                                  retryable=False)
            job._on_cancel = self._drop
            self._sessions.setdefault(job.session, deque()).append(job)
            QUEUE_DEPTH.set(self._depth())
            self._cond.notify()

    def _drop(self, job: Job) -> None:
        """A cancelled job leaves the queue at once; if a piece of it is running, that piece stops at its next
        decoding step and the generation thread ends the job when the piece returns."""
        with self._cond:
            queue = self._sessions.get(job.session)
            if queue is not None and job in queue:
                queue.remove(job)
                if not queue:
                    del self._sessions[job.session]
            QUEUE_DEPTH.set(self._depth())
            running = self._running is job
        if not running:
            self._finish(job, "cancelled")

    def _depth(self) -> int:
        return sum(len(j.pieces) - j.next_piece for q in self._sessions.values() for j in q)

    def _next(self) -> tuple[Job, str] | None:
        """The next piece: from the waiting session served longest ago (a session new to the queue first), the
        phrase warm-up only when no session waits. Called with the lock held."""
        waiting = [s for s, q in self._sessions.items() if q and s != PHRASE_SESSION]
        if waiting:
            session = min(waiting, key=lambda s: self._served.get(s, -1))
        elif self._sessions.get(PHRASE_SESSION):
            session = PHRASE_SESSION
        else:
            return None
        queue = self._sessions[session]
        job = queue[0]
        piece = job.pieces[job.next_piece]
        job.next_piece += 1
        if job.next_piece == len(job.pieces):
            queue.popleft()
            if not queue:
                del self._sessions[session]
        self._tick += 1
        self._served[session] = self._tick
        if len(self._served) > 4 * len(self._sessions) + 64:  # forget sessions long gone
            self._served = {s: t for s, t in self._served.items() if s in self._sessions}
        return job, piece

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and not self._sessions:
                    self._cond.wait()
                if self._closing or self.broken is not None:
                    return
                picked = self._next()
                self._running = picked[0] if picked else None
                QUEUE_DEPTH.set(self._depth())
            if picked is not None:
                job = picked[0]
                try:
                    self._generate(*picked)
                except Exception as exc:  # the model's failure, or one past it (a model returning the wrong type)
                    self._fail(job, classify(exc))
                finally:
                    with self._cond:
                        self._running = None
                    # A cancel that came while this piece ran left the job to this thread (`_drop` saw it running),
                    # and it is no longer queued: end it here, whatever point of the piece the cancel reached.
                    if job.cancelled:
                        self._finish(job, "cancelled")

    def _generate(self, job: Job, piece: str) -> None:
        if job.outcome is not None:
            return
        if job.cancelled:
            self._finish(job, "cancelled")
            return
        if job.timings.started is None:
            job.timings.started = time.perf_counter()
        started = time.perf_counter()
        try:
            voice = self.voices.get(job.voice)
            tokens = self._fixed_tokens or min(1000, 60 + 4 * len(piece))
            self.generate_calls += 1
            samples = self.model.generate(piece, voice, PRESETS[job.emotion], max_tokens=tokens,
                                          should_stop=lambda: job.cancelled or self._closing)
        except Cancelled:
            if self._closing and not job.cancelled:  # shut down under it: not an answer that ended well
                self._finish(job, "error", self._refusal())
            else:
                self._finish(job, "cancelled")
            return
        job.timings.generate_s += time.perf_counter() - started
        if job.cancelled:
            self._finish(job, "cancelled")
            return
        job.timings.audio_s += len(samples) / self.model.sample_rate
        if job.timings.first_chunk is None:
            job.timings.first_chunk = time.perf_counter()
        job._deliver(to_pcm16(samples))
        if job.next_piece == len(job.pieces):
            self._finish(job, "ok")

    def _fail(self, job: Job, error: EngineError) -> None:
        logger.warning("TTS request %s failed (%s): %s", job.id, error.code, error)
        if error.code == "device_lost":
            self._break(str(error))
        self._finish(job, "error", error)
        job.cancel()  # drop its remaining pieces

    def _break(self, reason: str) -> None:
        """The device is unusable until the process restarts (a sticky CUDA error): refuse everything, fail what
        waits, and tell the owner (`serve` exits, and the worker's watch starts a fresh engine)."""
        logger.error("TTS engine unusable: %s", reason)
        with self._cond:  # from here `_enqueue` refuses: nothing queues behind the failure of what waits
            self.broken = reason
        self._fail_queued()
        if self.on_fatal is not None:
            self.on_fatal()

    def _finish(self, job: Job, outcome: str, error: EngineError | None = None) -> None:
        with self._outcome_lock:  # the generation thread and a cancelling reader may both get here
            if job.outcome is not None:
                return
            job.outcome = outcome
        job.timings.finished = time.perf_counter()
        if job.session == PHRASE_SESSION:  # a warm-up, not a request: in no count or histogram
            if outcome == "ok" and job.on_done is not None:
                job.on_done()
            return
        self._count(outcome)
        if outcome == "ok":
            report = job.timings.report()
            if report["first_chunk_s"] is not None:
                FIRST_CHUNK.observe(report["first_chunk_s"])
            REQUEST_TIME.observe(report["total_s"] or 0.0)
            if report["rtf"] is not None:
                RTF.observe(report["rtf"])
        job._deliver(error if error is not None else _END)

    def _count(self, outcome: str) -> None:
        with self._outcome_lock:
            self.counts[outcome] += 1
        REQUESTS.labels(outcome).inc()
