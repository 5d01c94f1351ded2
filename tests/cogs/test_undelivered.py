"""Never lose a result: no spend where the bot cannot post, and a post that keeps failing
ends with the requester told how to get the result (/show), not with retries forever."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.jobs.models import Job
from fakes.discord import APP_PERMISSIONS, CHANNEL_ID, GUILD_ID, USER_ID, StoredMessage
from tests.cogs.conftest import Harness
from tests.cogs.test_publisher import publisher_module

PROMPT = "a lighthouse at dusk"
SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES = 1 << 11, 1 << 14, 1 << 15
SEND_IN_THREADS = 1 << 38
AUDIT_CHANNEL = CHANNEL_ID + 7
RESULT_POST = rf"^/channels/{CHANNEL_ID}/messages$"


@pytest.fixture
def quick_retries(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Post retries after 50 ms instead of 30 s."""
    monkeypatch.setattr(publisher_module(harness), "RETRY_DELAY", 0.05)


async def audit_to(harness: Harness, channel_id: int) -> None:
    """The server's audit channel, as /mj-admin audit sets it."""
    harness.discord.add_channel(channel_id, name="mj-log")
    settings = await harness.store.guild_settings(GUILD_ID)
    await harness.store.save_guild_settings(replace(settings, log_channel_id=channel_id))


async def refused_job(harness: Harness, payload: dict[str, object]) -> Job:
    """The job an interaction started, once it is finished and handled."""
    original = harness.discord.original(str(payload["id"]))
    assert original is not None

    async def handled() -> Job | None:
        jobs = await harness.store.jobs_since(GUILD_ID, 0)
        found = [j for j in jobs if j.progress_message_id == original.id and j.posted_at]
        return found[0] if found else None

    return await harness.until(handled, within=10)


async def test_missing_attach_files_is_refused_before_any_spend(harness: Harness) -> None:
    harness.discord.app_permissions = APP_PERMISSIONS & ~ATTACH_FILES & ~EMBED_LINKS

    payload = await harness.imagine(PROMPT)

    answer = harness.private_answer(payload)
    assert answer.startswith("I can't post here: missing Embed Links, Attach Files.")
    assert "Nothing was charged" in answer
    assert harness.tt.calls_to("/imagine") == []
    assert await harness.store.jobs_since(GUILD_ID, 0) == []


async def test_in_a_thread_send_messages_in_threads_is_what_counts(harness: Harness) -> None:
    thread = harness.discord.add_channel(CHANNEL_ID + 3, name="thread")
    thread.update(  # a public thread, as Discord describes one in an interaction
        type=11,
        parent_id=str(CHANNEL_ID),
        owner_id=str(USER_ID),
        message_count=0,
        member_count=1,
        thread_metadata={
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2026-01-01T00:00:00+00:00",
            "locked": False,
        },
    )
    harness.discord.app_permissions = APP_PERMISSIONS & ~SEND_IN_THREADS | SEND_MESSAGES

    payload = harness.discord.slash_command(
        "imagine", {"prompt": PROMPT}, channel_id=CHANNEL_ID + 3
    )
    await harness.run(payload)

    assert harness.private_answer(payload).startswith(
        "I can't post here: missing Send Messages in Threads."
    )
    assert harness.tt.calls_to("/imagine") == []


async def test_a_button_is_refused_where_the_bot_cannot_post(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)
    harness.discord.app_permissions = APP_PERMISSIONS & ~SEND_MESSAGES

    click = await harness.click(grid, "U1")

    assert harness.private_answer(click).startswith("I can't post here: missing Send Messages.")
    assert harness.tt.calls_to("/action") == []


def notes(harness: Harness, channel_id: int) -> list[str]:
    return [m.content for m in harness.discord.posts(channel_id)]


async def test_a_forbidden_post_is_retried_a_bounded_number_of_times_then_explained(
    harness: Harness, quick_retries: None
) -> None:
    await audit_to(harness, AUDIT_CHANNEL)
    harness.discord.inject_error("POST", RESULT_POST, 403, code=50013, times=100)

    payload = await harness.imagine(PROMPT)
    job = await refused_job(harness, payload)

    await harness.until(lambda: harness.discord.followups(payload["id"]))
    [told] = harness.discord.followups(payload["id"])
    assert told.ephemeral
    assert f"`/show {job.id}`" in told.content
    assert len(harness.discord.requests_to("POST", RESULT_POST)) == 2  # not every 30 s forever
    await harness.until(
        lambda: any("could not be posted" in n for n in notes(harness, AUDIT_CHANNEL))
    )
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert f"/show {job.id}" in progress.content  # no longer stuck at a percentage
    # The result is kept: /show posts it in a channel where the bot can post.
    elsewhere = CHANNEL_ID + 5
    harness.discord.add_channel(elsewhere, name="art")
    await harness.run(
        harness.discord.slash_command("show", {"job": str(job.id)}, channel_id=elsewhere)
    )
    [shown] = harness.discord.posts(elsewhere)
    assert shown.attachments[0].data == harness.tt.image_bytes


async def test_a_deleted_channel_after_the_token_expired_is_explained_by_dm(
    harness: Harness, quick_retries: None
) -> None:
    harness.tt.next_scenario(replace(harness.tt.scenario, run_seconds=1.0))
    payload = await harness.imagine(PROMPT)
    await harness.until(lambda: harness.tt.jobs)
    harness.discord.expire_interaction(payload["id"])
    del harness.discord.channels[CHANNEL_ID]

    job = await refused_job(harness, payload)

    def dms() -> list[StoredMessage]:
        channel = harness.discord.dm_channel(USER_ID)
        return harness.discord.posts(channel) if channel else []

    [dm] = await harness.until(dms)
    assert f"`/show {job.id}`" in dm.content
    assert "the channel is gone" in dm.content
    assert harness.discord.followups(payload["id"]) == []
    assert len(harness.discord.requests_to("POST", RESULT_POST)) == 2
