"""One exception for everything that can go wrong talking to a provider."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a provider call failed; decides whether to retry, re-queue or tell the user."""

    AUTH = "auth"
    BALANCE = "insufficient_balance"
    BLOCKED = "blocked"
    BANNED_PROMPT = "banned_prompt"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    QUEUE_FULL = "queue_full"
    UNAVAILABLE = "unavailable"
    # A paid submit was sent but no answer came back: the provider may have accepted it.
    UNKNOWN_OUTCOME = "unknown_outcome"

    @property
    def transient(self) -> bool:
        """True when the same call may work later without any change."""
        return self in (ErrorKind.RATE_LIMITED, ErrorKind.QUEUE_FULL, ErrorKind.UNAVAILABLE)


class ProviderError(Exception):
    """A failed provider call, with the provider's own message when it gave one."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{kind.value}: {message}" + (f" (HTTP {status})" if status else ""))
