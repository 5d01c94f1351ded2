"""Logging set-up with a last line of defence: known secrets are masked in every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.settings import Secret

MASK = "********"


class RedactSecrets(logging.Filter):
    """Replace the values of secrets wherever they appear in a formatted record."""

    def __init__(self, secrets: Iterable[Secret | None]) -> None:
        super().__init__()
        self._values = [secret.get() for secret in secrets if secret]

    def add(self, value: str) -> None:
        """Mask one more value (a secret known only once the bot runs)."""
        if value and value not in self._values:
            self._values.append(value)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text or ""
        for value in self._values:
            message = message.replace(value, MASK)
            text = text.replace(value, MASK)
        record.msg, record.args = message, None
        record.exc_text = text or None
        if record.exc_text:
            record.exc_info = None  # the masked text above is printed instead
        return True


def redact(value: str) -> None:
    """Mask `value` in every record from now on, on every handler set up here."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactSecrets):
                found.add(value)


def setup_logging(level: str, secrets: Iterable[Secret | None]) -> None:
    """Log to stderr with timestamps; discord.py's chatty loggers stay at INFO or above."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("discord.gateway", "discord.http", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
