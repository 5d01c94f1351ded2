"""The one error path (user_text, report_error) and the image checks members run into."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.errors import LimitReached, NotAllowed, PromptRejected, UserFacingError
from bot.ui.attachments import MAX_IMAGE_BYTES, BadAttachment, check_image
from bot.ui.errors import report_error, user_text

REFERENCE = re.compile(r"reference `([0-9a-f]{8})`")


@app_commands.command(name="imagine", description="Create four images from a prompt")
async def imagine(interaction: discord.Interaction) -> None:
    """A real command for CommandInvokeError to name; never run."""


def raised(error: BaseException) -> BaseException:
    """The error as the bot meets it: raised, so it carries a traceback."""
    try:
        raise error
    except BaseException as caught:
        return caught


# -- user_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        UserFacingError("Plain words."),
        NotAllowed("Not in this channel."),
        PromptRejected("Banned word: gore."),
        LimitReached("Daily limit reached."),
    ],
)
def test_user_facing_text_is_shown_as_is(error: UserFacingError) -> None:
    """A UserFacingError's text reaches the member unchanged."""
    assert user_text(error) == error.text


def test_limit_with_retry_at_shows_a_relative_timestamp() -> None:
    """LimitReached with retry_at adds Discord's relative timestamp."""
    text = user_text(LimitReached("Daily limit reached.", retry_at=1_700_000_123.9))
    assert text.startswith("Daily limit reached.")
    assert "<t:1700000123:R>" in text


def test_command_invoke_error_is_unwrapped() -> None:
    """discord.py wraps command errors; the member still reads the inner text."""
    error = app_commands.CommandInvokeError(imagine, NotAllowed("Not in this channel."))
    assert user_text(error) == "Not in this channel."


def test_wrapped_limit_keeps_its_timestamp() -> None:
    """A wrapped LimitReached still shows when to try again."""
    error = app_commands.CommandInvokeError(imagine, LimitReached("Slow.", retry_at=1_800_000_000))
    assert "<t:1800000000:R>" in user_text(error)


def test_check_failure_shows_its_message() -> None:
    """A failed check's own message reaches the member."""
    assert user_text(app_commands.CheckFailure("Admins only.")) == "Admins only."


def test_cooldown_says_how_long_to_wait() -> None:
    """A cooldown gets the bot's own wording (CommandOnCooldown is also a CheckFailure)."""
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 30.0), 12.4)
    assert user_text(cooldown) == "Slow down: try again in 12 s."


@pytest.mark.parametrize("wrap", [False, True])
def test_unexpected_error_gets_a_logged_reference(
    wrap: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error shows only a reference; the log holds it with the traceback."""
    error: BaseException = raised(RuntimeError("database on fire: secret=hunter2"))
    if wrap:
        error = app_commands.CommandInvokeError(imagine, error)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="bot.ui.errors"):
        text = user_text(error)
    match = REFERENCE.search(text)
    assert match is not None, text
    assert "hunter2" not in text
    assert "RuntimeError" not in text
    [record] = [r for r in caplog.records if r.name == "bot.ui.errors"]
    assert match[1] in record.getMessage()
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert "Traceback (most recent call last)" in caplog.text
    assert "database on fire" in caplog.text


def test_references_differ() -> None:
    """Two unexpected errors get two different references."""
    first = REFERENCE.search(user_text(raised(ValueError("a"))))
    second = REFERENCE.search(user_text(raised(ValueError("b"))))
    assert first is not None
    assert second is not None
    assert first[1] != second[1]


# -- report_error -------------------------------------------------------------------------


@dataclass
class Sent:
    """A stand-in for InteractionResponse and Webhook: records what was sent."""

    done: bool = False
    fail: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def is_done(self) -> bool:
        """Whether the interaction was already answered."""
        return self.done

    async def send_message(self, content: str, **kwargs: Any) -> None:
        """InteractionResponse.send_message."""
        await self._record(content, kwargs)

    async def send(self, content: str, **kwargs: Any) -> None:
        """Webhook.send (the followup)."""
        await self._record(content, kwargs)

    async def _record(self, content: str, kwargs: dict[str, Any]) -> None:
        if self.fail:
            raise discord.HTTPException(SimpleNamespace(status=404, reason="Not Found"), "gone")
        self.calls.append((content, kwargs))


def interaction(
    *, done: bool, fail: bool = False, locale: discord.Locale = discord.Locale.american_english
) -> Any:
    """Only the parts of a discord.Interaction that report_error touches."""
    return SimpleNamespace(
        response=Sent(done=done, fail=fail),
        followup=Sent(fail=fail),
        user=SimpleNamespace(id=42),
        locale=locale,
        guild_locale=None,
    )


async def test_report_error_answers_through_the_response() -> None:
    """Not answered yet: the reason goes in the interaction response, ephemerally."""
    target = interaction(done=False)
    await report_error(target, NotAllowed("Not here."))
    assert target.response.calls == [("Not here.", {"ephemeral": True})]
    assert target.followup.calls == []


async def test_report_error_uses_the_followup_once_answered() -> None:
    """Already deferred or answered: the reason goes in an ephemeral followup."""
    target = interaction(done=True)
    await report_error(target, NotAllowed("Not here."))
    assert target.followup.calls == [("Not here.", {"ephemeral": True})]
    assert target.response.calls == []


@pytest.mark.parametrize("done", [False, True])
async def test_report_error_survives_discord_errors(
    done: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """If Discord refuses the answer too, the failure is logged, never raised."""
    with caplog.at_level(logging.WARNING, logger="bot.ui.errors"):
        await report_error(interaction(done=done, fail=True), NotAllowed("Not here."))
    assert "Not here." in caplog.text


async def test_report_error_hides_unexpected_errors() -> None:
    """An unexpected error is answered with the reference only, still ephemerally."""
    target = interaction(done=False)
    await report_error(target, raised(KeyError("internal")))
    [(content, kwargs)] = target.response.calls
    assert REFERENCE.search(content)
    assert "internal" not in content
    assert kwargs == {"ephemeral": True}


# -- attachments --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> Any:
    """A real ConnectionState from a client that never logs in."""
    return discord.Client(intents=discord.Intents.none())._connection


def attachment(
    state: Any, content_type: str | None = "image/png", size: int = 1024, filename: str = "a.png"
) -> discord.Attachment:
    """A discord.Attachment built from the payload Discord sends."""
    data: dict[str, Any] = {
        "id": "1100000000000000001",
        "filename": filename,
        "size": size,
        "url": f"https://cdn.discordapp.com/attachments/1/2/{filename}",
        "proxy_url": f"https://media.discordapp.net/attachments/1/2/{filename}",
        "width": 512,
        "height": 512,
    }
    if content_type is not None:
        data["content_type"] = content_type
    return discord.Attachment(data=data, state=state)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content_type",
    [
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "image/png; charset=utf-8",
        "image/jpeg;charset=binary",
        "IMAGE/WEBP",
    ],
)
@pytest.mark.parametrize("size", [1, 5_000_000, MAX_IMAGE_BYTES])
def test_images_are_accepted(state: Any, content_type: str, size: int) -> None:
    """PNG, JPEG, WebP and GIF of 1 byte up to exactly 10 MB pass."""
    check_image(attachment(state, content_type, size), "image1")


@pytest.mark.parametrize(
    ("content_type", "size", "words"),
    [
        ("text/plain", 1024, "text/plain"),
        ("text/plain; charset=utf-8", 1024, "text/plain"),
        ("application/pdf", 1024, "application/pdf"),
        ("video/mp4", 1024, "video/mp4"),
        (None, 1024, "unknown type"),
        ("", 1024, "unknown type"),
        ("image/png", 0, "empty"),
        ("image/png", MAX_IMAGE_BYTES + 1, "10 MB"),
        ("image/jpeg", 25 * 1024 * 1024, "25.0 MB"),
    ],
)
def test_bad_attachments_are_refused(
    state: Any, content_type: str | None, size: int, words: str
) -> None:
    """Anything else is refused with a message naming the option and the file."""
    with pytest.raises(BadAttachment) as caught:
        check_image(attachment(state, content_type, size, "holiday.png"), "image3")
    assert isinstance(caught.value, UserFacingError)
    assert "`image3`" in caught.value.text
    assert "holiday.png" in caught.value.text
    assert words in caught.value.text
    assert user_text(caught.value) == caught.value.text
