"""Prometheus metrics of the agent worker, served by the LiveKit AgentServer on JARVIS_METRICS_PORT (/metrics).

Jobs run in child processes: the worker enables prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR),
so every job process writes its samples and the worker's endpoint aggregates them. Labels never carry personal data.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)

ACTIVE_SESSIONS = Gauge("jarvis_active_sessions", "Kiosk sessions running now", multiprocess_mode="livesum")
SESSIONS = Counter("jarvis_sessions", "Kiosk sessions ended, by how they ended", ["end_reason"])
TURN_LATENCY = Histogram("jarvis_turn_latency_seconds", "Per-turn latency by stage: end_of_turn (end of speech to "
                         "turn committed), transcription, llm_ttft, tts_ttfb, e2e (end of speech to first audio)",
                         ["stage"], buckets=LATENCY_BUCKETS)
TOOL_CALLS = Counter("jarvis_tool_calls", "Function tool calls", ["tool"])
TOOL_ERRORS = Counter("jarvis_tool_errors", "Function tool calls that failed (ToolError or fault)", ["tool"])
TOOL_LATENCY = Histogram("jarvis_tool_latency_seconds", "Function tool latency", ["tool"], buckets=LATENCY_BUCKETS)
PROVIDER_ERRORS = Counter("jarvis_provider_errors", "STT / LLM / TTS errors", ["kind", "recoverable"])
FALLBACK_SWITCHES = Counter("jarvis_fallback_switches", "A provider failed over to the next one", ["kind"])
HALLUCINATIONS_DROPPED = Counter("jarvis_stt_hallucinations_dropped", "Whisper silence hallucinations dropped")
SESSION_HANDOFF = Counter("jarvis_session_handoff", "Ends of sessions: persisted / enqueued / left pending / "
                          "spooled / replayed", ["outcome"])
