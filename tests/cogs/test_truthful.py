"""Truthful texts (issue 17, item 6): nothing public comes and goes, no promise unkept."""

from __future__ import annotations

import pytest

import bot.ui.launch
from bot.errors import describe_provider_error
from bot.jobs.service import UNKNOWN_SUBMIT
from bot.provider import ErrorKind, ProviderError
from fakes.discord import CHANNEL_ID, DEFERRED_CHANNEL_MESSAGE, USER_ID, StoredMessage
from tests.cogs.conftest import Harness

PROMPT = "a heron at dawn"


def public_messages(harness: Harness) -> list[StoredMessage]:
    """Every message anyone else could have seen in the channel, deleted ones included."""
    return [m for m in harness.discord.messages_in(CHANNEL_ID, deleted=True) if not m.ephemeral]


async def test_refused_button_leaves_nothing_in_the_channel(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)
    before = public_messages(harness)
    harness.tt.fail_next("/action", 400, {"status": "FAILED", "message": "job expired"})

    click = await harness.click(grid, "U1")

    assert "job expired" in harness.private_answer(click)
    assert public_messages(harness) == before


@pytest.fixture
def slow_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider takes longer than Discord's 3 s allow: the answer cannot wait for it."""
    monkeypatch.setattr(bot.ui.launch, "QUICK_ANSWER", 0.0)


@pytest.mark.usefixtures("slow_provider")
async def test_slow_refusal_is_private_too(harness: Harness) -> None:
    payload = await harness.imagine("a skimpy heron")

    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE
    assert answer.ephemeral  # acknowledged privately while the provider decides
    [followup] = harness.discord.followups(payload["id"])
    assert followup.ephemeral
    assert "banned" in followup.content.lower()
    assert public_messages(harness) == []


@pytest.mark.usefixtures("slow_provider")
async def test_slow_acceptance_posts_the_progress_and_the_result(harness: Harness) -> None:
    payload = await harness.imagine(PROMPT)

    thinking = harness.discord.original(payload["id"])
    assert thinking is not None
    assert thinking.ephemeral
    assert thinking.deleted  # the private "thinking…" is tidied away

    async def progress_then_result() -> bool:
        posts = harness.discord.messages_in(CHANNEL_ID, deleted=True)
        contents = [m.content for m in posts if m.source == "channel"]
        return f"**{PROMPT}** - <@{USER_ID}> (fast)" in contents

    await harness.until(progress_then_result)
    progress, result = public_messages(harness)
    assert progress.contents[0] == f"**{PROMPT}** - <@{USER_ID}> (Waiting to start)"
    await harness.until(lambda: progress.deleted)  # replaced by the result, as usual
    job = await harness.store.job_for_message(result.id)
    assert job is not None
    assert job.progress_message_id == progress.id


def test_unknown_outcome_texts_promise_no_result() -> None:
    """The job is marked failed and no longer watched: the text must not hint otherwise."""
    unknown = describe_provider_error(ProviderError(ErrorKind.UNKNOWN_OUTCOME, "timeout"))
    for text in (unknown, UNKNOWN_SUBMIT):
        assert "will post no result" in text
        assert "appear" not in text
        assert "not sent again" in text
