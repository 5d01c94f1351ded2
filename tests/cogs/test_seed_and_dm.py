"""The 🌱 seed button (asked once, then cached) and DM copies of results (closed DMs included)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.jobs.models import Job, JobKind, UserSettings
from fakes.discord import (
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    OTHER_USER_ID,
    USER_ID,
    RecordedRequest,
    StoredMessage,
)
from fakes.ttapi import Scenario
from tests.cogs.conftest import Harness, Payload

PROMPT = "a fox in the snow, woodcut"
SEED_TEXT = re.compile(r"--seed (\d+)")


@pytest.fixture
async def grid(harness: Harness) -> tuple[StoredMessage, Job]:
    """A posted /imagine grid and its job."""
    return await harness.grid(PROMPT)


def seed_calls(harness: Harness) -> int:
    """How many seed look-ups the TT API was asked for."""
    return len(harness.tt.calls_to("/seed"))


def seed_in(text: str) -> str:
    """The N of `--seed N` in an answer."""
    match = SEED_TEXT.search(text)
    assert match, f"no --seed N in {text!r}"
    return match[1]


# -- 🌱 seed ----------------------------------------------------------------------------------


async def test_seed_is_fetched_for_the_grid_and_told_to_the_clicker_alone(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid

    click = await harness.click(message, "🌱", user_id=OTHER_USER_ID)

    [call] = harness.tt.calls_to("/seed")
    assert call.json["jobId"] == job.provider_job_id
    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE
    assert answer.ephemeral
    [followup] = harness.discord.followups(click["id"])
    assert followup.ephemeral
    seed = seed_in(followup.content)
    assert seed == harness.tt.last_job("seed").snapshot(harness.tt.clock())["data"]["seed"]
    cached = await harness.store.get_job(job.id)
    assert cached is not None
    assert cached.seed == seed


async def test_seed_job_posts_nothing_in_the_channel(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid

    await harness.click(message, "🌱")

    seed_job = await harness.until(lambda: finished_seed_job(harness, job))
    await harness.until(lambda: seed_job_posted(harness, seed_job.id))
    assert harness.discord.posts(CHANNEL_ID) == [message]
    assert message.edits == []


async def finished_seed_job(harness: Harness, parent: Job) -> Job | None:
    """The finished seed look-up of a grid, once there is one."""
    for job in await harness.store.jobs_since(parent.guild_id or 0, 0):
        if job.kind is JobKind.SEED and job.parent_id == parent.id and job.finished:
            return job
    return None


async def seed_job_posted(harness: Harness, job_id: int) -> bool:
    """The publisher is done with a job (nothing left to post)."""
    job = await harness.store.get_job(job_id)
    return job is not None and job.posted_at is not None


async def test_second_click_answers_at_once_from_the_cache(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, _ = grid
    first = await harness.click(message, "🌱")
    seed = seed_in(harness.discord.followups(first["id"])[0].content)

    again = await harness.click(message, "🌱", user_id=OTHER_USER_ID)

    [answer] = harness.discord.callbacks_for(again["id"])
    assert answer.type == CHANNEL_MESSAGE  # no defer: nothing to wait for
    assert answer.ephemeral
    assert seed_in(answer.data["content"]) == seed
    assert seed_calls(harness) == 1


async def test_click_while_the_seed_is_on_its_way_asks_the_api_once(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, _ = grid
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=0.5))
    first = harness.dispatch(harness.discord.button_click(message, message.custom_id("🌱")))
    await harness.until(lambda: seed_calls(harness) == 1)

    again = await harness.click(message, "🌱", user_id=OTHER_USER_ID)
    await asyncio.gather(*first)

    assert seed_calls(harness) == 1
    assert private_answer(harness, again)  # the seed, or word that it is on its way


def private_answer(harness: Harness, payload: Payload) -> str:
    """The text of an interaction's ephemeral answer (the response, else its followups)."""
    [callback] = harness.discord.callbacks_for(payload["id"])
    assert callback.ephemeral
    if callback.type == CHANNEL_MESSAGE:
        return str(callback.data["content"])
    return "\n".join(message.content for message in harness.discord.followups(payload["id"]))


async def test_cached_seed_survives_a_restart(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, _ = grid
    first = await harness.click(message, "🌱")
    seed = seed_in(harness.discord.followups(first["id"])[0].content)
    await harness.restart()

    again = await harness.click(message, "🌱")

    [answer] = harness.discord.callbacks_for(again["id"])
    assert seed_in(answer.data["content"]) == seed
    assert seed_calls(harness) == 1


async def test_seed_button_is_on_grids_only(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, _ = grid
    upscale, _ = await harness.result_of(await harness.click(message, "U1"))

    assert message.rows()[-1] == [("Seed", "🌱")]
    assert "🌱" not in [emoji for row in upscale.rows() for _, emoji in row]


# -- DM copies --------------------------------------------------------------------------------


async def enable_dm_copies(harness: Harness, user_id: int = USER_ID) -> None:
    """The member turned DM copies on in /settings."""
    await harness.store.save_user_settings(UserSettings(user_id, dm_copy=True))


async def grid_with_copy(harness: Harness, user_id: int = USER_ID) -> Any:
    """A grid, once its DM copy has been attempted (the copy follows the posted result)."""
    posted = await harness.grid(PROMPT)
    await harness.until(lambda: dm_sends(harness, user_id))
    return posted


def dm_sends(harness: Harness, user_id: int = USER_ID) -> list[RecordedRequest]:
    """Every attempt to post in the DM channel with `user_id`, delivered or not."""
    channel = harness.discord.dm_channel(user_id)
    if channel is None:
        return []
    return harness.discord.requests_to("POST", rf"^/channels/{channel}/messages$")


def dm_hints(harness: Harness, payload: Payload) -> list[StoredMessage]:
    """Private messages of an interaction that talk about DMs."""
    return [
        message
        for message in harness.discord.followups(payload["id"])
        if message.ephemeral and "DM" in message.content
    ]


async def test_result_is_also_sent_by_dm_as_an_image_without_buttons(harness: Harness) -> None:
    await enable_dm_copies(harness)

    posted, _ = await grid_with_copy(harness)

    channel = harness.discord.dm_channel(USER_ID)
    assert channel is not None, "no DM channel was opened"
    [copy] = harness.discord.posts(channel)
    [attachment] = copy.attachments
    assert attachment.data == harness.tt.image_bytes
    assert copy.components == []
    assert copy.embeds[0]["image"]["url"] == attachment.url
    assert posted.rows()  # the channel's result keeps its buttons
    assert (await harness.store.user_settings(USER_ID)).dm_copy is True


async def test_the_dm_copy_reuses_the_downloaded_image(harness: Harness) -> None:
    """One download from the TT CDN serves the channel post and the DM copy alike."""
    await enable_dm_copies(harness)

    _, job = await grid_with_copy(harness)

    downloads = [call for call in harness.tt.calls if call.path.startswith("/cdn/")]
    assert job.image_url is not None
    assert [call.path for call in downloads] == [job.image_url.split(harness.tt.base_url)[1]]
    channel = harness.discord.dm_channel(USER_ID)
    assert channel is not None
    [copy] = harness.discord.posts(channel)
    assert copy.attachments[0].data == harness.tt.image_bytes


async def test_no_dm_without_dm_copies(harness: Harness) -> None:
    await harness.grid(PROMPT)
    await asyncio.sleep(0.3)  # the copy would follow the posted result

    assert harness.discord.dm_channel(USER_ID) is None
    assert harness.discord.requests_to("POST", r"^/users/@me/channels$") == []


async def test_only_the_requester_gets_a_copy(harness: Harness) -> None:
    await enable_dm_copies(harness, OTHER_USER_ID)

    await harness.grid(PROMPT)
    await asyncio.sleep(0.3)  # the copy would follow the posted result

    assert harness.discord.dm_channel(OTHER_USER_ID) is None
    assert harness.discord.dm_channel(USER_ID) is None


async def test_closed_dms_turn_copies_off_and_hint_once(harness: Harness) -> None:
    await enable_dm_copies(harness)
    harness.discord.close_dms(USER_ID)

    result, job = await grid_with_copy(harness)  # the DM bounces with 403 / 50007

    assert [request.status for request in dm_sends(harness)] == [403]
    mapped = await harness.store.job_for_message(result.id)
    assert mapped is not None  # the result itself was posted and recorded
    assert mapped.id == job.id
    settings = await harness.store.user_settings(USER_ID)
    assert settings.dm_copy is False

    hinted = await harness.imagine("the next prompt")
    [hint] = dm_hints(harness, hinted)
    assert "DM" in hint.content
    assert "/settings" in hint.content
    await harness.result_of(hinted)
    assert len(dm_sends(harness)) == 1  # copies are off: no second bounce, no error loop

    quiet = await harness.imagine("and the one after")
    assert dm_hints(harness, quiet) == []


async def test_dm_hint_goes_to_the_member_whose_dm_bounced(harness: Harness) -> None:
    await enable_dm_copies(harness)
    harness.discord.close_dms(USER_ID)
    await grid_with_copy(harness)

    others = await harness.imagine("someone else's prompt", user_id=OTHER_USER_ID)
    mine = await harness.imagine("my next prompt")

    assert dm_hints(harness, others) == []
    assert len(dm_hints(harness, mine)) == 1


async def test_turning_copies_on_again_clears_the_pending_hint(harness: Harness) -> None:
    await enable_dm_copies(harness)
    harness.discord.close_dms(USER_ID)
    await harness.grid(PROMPT)
    await harness.until(lambda: dm_sends(harness))  # the copy follows the posted result
    harness.discord.closed_dms.discard(USER_ID)  # the member opened their DMs...
    settings = await harness.command("settings")
    panel = harness.discord.original(settings["id"])
    assert panel is not None
    await harness.click(panel, "📬")  # ...and turned copies back on

    next_one = await harness.imagine("after opening my DMs")
    await harness.result_of(next_one)
    await harness.until(lambda: len(dm_sends(harness)) == 2)  # the copy follows the result

    assert dm_hints(harness, next_one) == []
    assert [request.status for request in dm_sends(harness)] == [403, 200]


async def test_result_buttons_work_while_its_dm_copy_is_on_its_way(harness: Harness) -> None:
    await enable_dm_copies(harness)
    # Discord holds the DM channel back for a second (a 429): the copy is slow to go out,
    # as it is in production when the full-size image is uploaded a second time.
    harness.discord.inject_429("POST", r"^/users/@me/channels$", retry_after=1.0)
    await harness.imagine(PROMPT)

    def posted_grid() -> StoredMessage | None:
        return next((post for post in harness.discord.posts(CHANNEL_ID) if post.attachments), None)

    grid = await harness.until(posted_grid)
    click = await harness.click(grid, "U1")

    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE, answer.data.get("content")
    assert [body["action"] for body in harness.tt_bodies("action")] == ["upsample1"]
