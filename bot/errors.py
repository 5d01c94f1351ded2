"""Errors whose text is meant for the member who asked: no discord import, no secrets."""

from __future__ import annotations

from bot.provider.errors import ErrorKind, ProviderError

# What a member reads for each provider failure; the provider's own reason is appended.
_PROVIDER_TEXT = {
    ErrorKind.BANNED_PROMPT: "Midjourney refused this prompt: it contains a banned word.",
    ErrorKind.INVALID_REQUEST: "Midjourney refused this request.",
    ErrorKind.AUTH: "The bot's TT API key was refused. Please tell a server admin.",
    ErrorKind.BALANCE: "The bot's TT API balance is used up. Please tell a server admin.",
    ErrorKind.BLOCKED: "The bot's TT API account is blocked. Please tell a server admin.",
    ErrorKind.NOT_FOUND: "Midjourney no longer knows the job this refers to.",
    ErrorKind.RATE_LIMITED: "The TT API is busy right now. Please try again in a minute.",
    ErrorKind.QUEUE_FULL: "The TT API queue is full right now. Please try again in a minute.",
    ErrorKind.UNAVAILABLE: "The TT API cannot be reached right now. Nothing was charged.",
    # The job is marked failed and no longer watched (no provider id to follow): say so,
    # rather than hint that a result may still turn up.
    ErrorKind.UNKNOWN_OUTCOME: (
        "The TT API did not confirm this request, so the bot cannot follow it and will post "
        "no result. It was not sent again, so you are not charged twice; ask again if you "
        "still want it."
    ),
}


class UserFacingError(Exception):
    """An error whose message can be shown to the member as it is."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


class JobRejected(UserFacingError):
    """The provider refused a job; carries the kind and the provider's own reason."""

    def __init__(self, job_id: int, error: ProviderError) -> None:
        self.job_id = job_id
        self.kind = error.kind
        self.reason = error.message
        super().__init__(describe_provider_error(error))


class NotAllowed(UserFacingError):
    """The member may not do this here (channel, role, ban, who may press a button...)."""


class LimitReached(UserFacingError):
    """A limit or cooldown stops this request; `retry_at` is when it may work (unix time)."""

    def __init__(self, text: str, retry_at: float | None = None) -> None:
        self.retry_at = retry_at
        super().__init__(text)


class PromptRejected(UserFacingError):
    """The prompt fails a local check (banned word, malformed parameter) before any spend."""


def describe_provider_error(error: ProviderError) -> str:
    """A human sentence for a provider failure, with the provider's reason when it helps."""
    text = _PROVIDER_TEXT.get(error.kind, "The TT API failed.")
    if error.kind in (ErrorKind.BANNED_PROMPT, ErrorKind.INVALID_REQUEST, ErrorKind.NOT_FOUND):
        text = f"{text} Reason: {error.message}"
    return text
