"""Audio in and out of a session without a LiveKit room: WAV files played into the pipeline like a microphone, and
the agent's speech played out in real time and recorded. Used by the simulator, its tests and the benchmarks."""

from __future__ import annotations

import asyncio
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from livekit import rtc
from livekit.agents import utils
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

FRAME_MS = 20


@dataclass
class Clip:
    """Mono 16-bit audio; `speech_end_s` is where the voice stops (trailing silence excluded)."""

    samples: np.ndarray
    sample_rate: int
    name: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def speech_start_s(self) -> float:
        loud = np.flatnonzero(np.abs(self.samples.astype(np.int32)) > 500)
        return loud[0] / self.sample_rate if len(loud) else 0.0

    @property
    def speech_end_s(self) -> float:
        loud = np.flatnonzero(np.abs(self.samples.astype(np.int32)) > 500)
        return (loud[-1] + 1) / self.sample_rate if len(loud) else 0.0


def read_wav(path: Path | BinaryIO, name: str = "") -> Clip:
    """A PCM 16-bit WAV file (any rate, mono or stereo, mixed down). Raises ValueError with the reason otherwise."""
    name = name or getattr(path, "name", "") or "audio"
    try:
        with wave.open(str(path) if isinstance(path, Path) else path, "rb") as w:
            if w.getsampwidth() != 2:
                raise ValueError(f"{name}: {8 * w.getsampwidth()}-bit audio, expected 16-bit PCM")
            rate, channels = w.getframerate(), w.getnchannels()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{name}: not a PCM WAV file ({exc})") from None
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return Clip(data, rate, name)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(samples.astype(np.int16).tobytes())


def silence(seconds: float, sample_rate: int = 16000) -> Clip:
    return Clip(np.zeros(int(seconds * sample_rate), dtype=np.int16), sample_rate, "silence")


def concat(*clips: Clip) -> Clip:
    rate = clips[0].sample_rate
    if any(c.sample_rate != rate for c in clips):
        raise ValueError("clips to concatenate must share a sample rate")
    return Clip(np.concatenate([c.samples for c in clips]), rate, "+".join(c.name for c in clips))


@dataclass
class Played:
    """One clip fed to the session, with the wall-clock times of its start and of its end of speech."""

    clip: Clip
    started_at: float = 0.0
    speech_ended_at: float = 0.0
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class MicrophoneInput(AudioInput):
    """A microphone that never stops: queued clips are played at real time (or `speed`× faster), silence in between,
    like a kiosk's open mic."""

    def __init__(self, *, sample_rate: int = 16000, speed: float = 1.0) -> None:
        super().__init__(label="jarvis.MicrophoneInput")
        self.sample_rate = sample_rate
        self.speed = speed
        self._ch = utils.aio.Chan[rtc.AudioFrame](maxsize=50)
        self._queue: asyncio.Queue[Played] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._playing: Played | None = None

    async def __anext__(self) -> rtc.AudioFrame:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="microphone")
        return await self._ch.__anext__()

    def play(self, clip: Clip) -> Played:
        if clip.sample_rate != self.sample_rate:
            clip = resample(clip, self.sample_rate)
        item = Played(clip)
        self._queue.put_nowait(item)
        return item

    async def _run(self) -> None:
        per_frame = self.sample_rate * FRAME_MS // 1000
        quiet = np.zeros(per_frame, dtype=np.int16)
        step = FRAME_MS / 1000 / self.speed
        next_at = time.perf_counter()
        current: Played | None = None
        offset = 0
        while not self._ch.closed:
            if current is None and not self._queue.empty():
                current, offset = self._queue.get_nowait(), 0
                current.started_at = time.time()
                self._playing = current
            if current is not None:
                chunk = current.clip.samples[offset:offset + per_frame]
                if offset <= int(current.clip.speech_end_s * self.sample_rate) < offset + per_frame:
                    current.speech_ended_at = time.time() + (
                        (current.clip.speech_end_s * self.sample_rate - offset) / self.sample_rate / self.speed)
                offset += per_frame
                if len(chunk) < per_frame:
                    chunk = np.concatenate([chunk, quiet[:per_frame - len(chunk)]])
                if offset >= len(current.clip.samples):
                    if not current.speech_ended_at:
                        current.speech_ended_at = time.time()
                    current.done.set_result(None)
                    current = self._playing = None
            else:
                chunk = quiet
            await self._ch.send(rtc.AudioFrame(chunk.tobytes(), self.sample_rate, 1, per_frame))
            next_at += step
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def aclose(self) -> None:
        """Stop the microphone; clips not (fully) played are marked done."""
        self._ch.close()
        if self._task is not None:
            self._task.cancel()
        pending = [self._playing] if self._playing else []
        while not self._queue.empty():
            pending.append(self._queue.get_nowait())
        for item in pending:
            if not item.done.done():
                item.done.set_result(None)


def resample(clip: Clip, rate: int) -> Clip:
    resampler = rtc.AudioResampler(clip.sample_rate, rate, num_channels=1)
    frames = resampler.push(rtc.AudioFrame(clip.samples.tobytes(), clip.sample_rate, 1, len(clip.samples)))
    frames += resampler.flush()
    data = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames]) if frames else np.zeros(0, np.int16)
    return Clip(data, rate, clip.name)


@dataclass
class Segment:
    started_at: float
    frames: list[np.ndarray] = field(default_factory=list)
    played_s: float | None = None  # set when interrupted
    interrupted: bool = False


class SpeakerOutput(AudioOutput):
    """The kiosk's speaker: plays the agent's audio out in real time (a virtual clock, `speed`× faster if asked),
    stops at once on `clear_buffer` (barge-in), and keeps what was actually played for reply.wav and the timings."""

    def __init__(self, *, sample_rate: int = 24000, speed: float = 1.0) -> None:
        super().__init__(label="jarvis.SpeakerOutput", capabilities=AudioOutputCapabilities(pause=False),
                         sample_rate=sample_rate)
        self.speed = speed
        self.segments: list[Segment] = []
        self._current: Segment | None = None
        self._pushed_s = 0.0
        self._finish: asyncio.TimerHandle | None = None

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._current is None:
            self._current = Segment(started_at=time.time())
            self.segments.append(self._current)
            self._pushed_s = 0.0
            self.on_playback_started(created_at=self._current.started_at)
        self._current.frames.append(np.frombuffer(frame.data, dtype=np.int16).copy())
        self._pushed_s += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._current is None:
            return
        segment, pushed = self._current, self._pushed_s
        delay = max(0.0, segment.started_at + pushed / self.speed - time.time())

        def finished() -> None:
            if self._current is segment:
                self._current = None
            self._finish = None
            self.on_playback_finished(playback_position=pushed, interrupted=False)

        self._finish = asyncio.get_running_loop().call_later(delay, finished)

    def clear_buffer(self) -> None:
        segment = self._current
        if segment is None:
            return
        if self._finish is not None:
            self._finish.cancel()
            self._finish = None
        played = min(self._pushed_s, (time.time() - segment.started_at) * self.speed)
        segment.played_s, segment.interrupted = played, True
        self._current = None
        self.on_playback_finished(playback_position=played, interrupted=True)

    def recording(self) -> np.ndarray:
        """Everything the speaker played, segments back to back (an interrupted one cut where it stopped)."""
        parts: list[np.ndarray] = []
        for segment in self.segments:
            audio = np.concatenate(segment.frames) if segment.frames else np.zeros(0, np.int16)
            if segment.played_s is not None:
                audio = audio[:int(segment.played_s * self.sample_rate)]
            parts.append(audio)
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    @property
    def sample_rate(self) -> int:
        return self._sample_rate or 24000
