"""The HTTP plumbing the midjourney-proxy and AceData clients share.

The same retry rules as the TT API client, because a resend can spend credits twice:
free calls are retried on transient failures; a paid call only when it provably never
reached the provider (connection refused, connect timeout) or was refused without being
accepted (rate limit, queue full). A timeout or dropped connection after sending is
UNKNOWN_OUTCOME and is never resent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import aiohttp

from bot.provider.errors import ErrorKind, ProviderError

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10, sock_connect=10)
FETCH_TIMEOUT: Final = aiohttp.ClientTimeout(total=15, connect=5, sock_connect=5)
MAX_RETRY_AFTER: Final = 60.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, headers, body text and the body as JSON (None if not JSON)."""

    status: int
    headers: Mapping[str, str]
    text: str
    json: Any

    def retry_after(self) -> float | None:
        """The Retry-After header in seconds, if it is a number."""
        try:
            return max(0.0, float(self.headers.get("Retry-After", "")))
        except ValueError:
            return None


def parse_json(text: str) -> Any:
    """The JSON value of a body, or None when it is empty or not JSON."""
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


class HttpCaller:
    """Sends one request with the retry rules above; `interpret` turns answers into results."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        secrets: Sequence[str],
        *,
        label: str,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.session = session
        self._secrets = [secret for secret in secrets if secret]
        self._label = label
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep

    async def call(
        self,
        method: str,
        url: str,
        interpret: Callable[[Answer], T],
        *,
        paid: bool,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> T:
        """Send, retrying what is safe to retry; raises ProviderError."""
        for attempt in range(1, self._attempts + 1):
            try:
                try:
                    return interpret(await self._once(method, url, headers, body, paid=paid))
                except ProviderError as raw:
                    raise self._scrubbed(raw) from raw.__cause__
            except ProviderError as error:
                if attempt == self._attempts or not retryable(error, paid=paid):
                    raise
                delay = self._delay(attempt, error.retry_after)
                log.info(
                    "%s %s failed (%s); retry %d in %.1fs",
                    self._label,
                    url,
                    error.kind,
                    attempt,
                    delay,
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: Any,
        *,
        paid: bool,
    ) -> Answer:
        timeout = SUBMIT_TIMEOUT if paid else FETCH_TIMEOUT
        try:
            async with self.session.request(
                method, url, json=body, headers=headers, timeout=timeout
            ) as response:
                text = await response.text(errors="replace")
                return Answer(response.status, response.headers, text, parse_json(text))
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Nothing was sent: the connection never opened.
            raise ProviderError(ErrorKind.UNAVAILABLE, f"cannot connect: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = type(exc).__name__ if isinstance(exc, TimeoutError) else str(exc) or repr(exc)
            kind = ErrorKind.UNKNOWN_OUTCOME if paid else ErrorKind.UNAVAILABLE
            raise ProviderError(kind, f"no answer: {reason}") from exc

    def add_secret(self, value: str) -> None:
        """Mask `value` too (the hookUrl's secret path, which a provider may echo)."""
        if value:
            self._secrets.append(value)

    def scrub(self, text: str) -> str:
        """The text with every secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text

    def _scrubbed(self, error: ProviderError) -> ProviderError:
        message = self.scrub(error.message)
        return ProviderError(
            error.kind, message, status=error.status, retry_after=error.retry_after
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
        return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER))


def retryable(error: ProviderError, *, paid: bool) -> bool:
    """Whether the same call may be sent again at once (see the module docstring)."""
    if error.kind in (ErrorKind.RATE_LIMITED, ErrorKind.QUEUE_FULL):
        return True
    return error.kind is ErrorKind.UNAVAILABLE and (not paid or error.status is None)


def http_error(answer: Answer, message: str, *, paid: bool) -> ProviderError:
    """The ProviderError for a non-2xx answer that every provider reads the same way."""
    kinds = {401: ErrorKind.AUTH, 402: ErrorKind.BALANCE, 403: ErrorKind.BLOCKED}
    kinds |= {404: ErrorKind.NOT_FOUND, 429: ErrorKind.RATE_LIMITED}
    if answer.status >= 500:
        kind = ErrorKind.UNKNOWN_OUTCOME if paid else ErrorKind.UNAVAILABLE
        return ProviderError(kind, message, status=answer.status)
    kind = kinds.get(answer.status, ErrorKind.INVALID_REQUEST)
    retry_after = answer.retry_after() if kind is ErrorKind.RATE_LIMITED else None
    return ProviderError(kind, message, status=answer.status, retry_after=retry_after)
