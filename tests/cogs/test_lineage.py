"""Lineage: derived results reply to their parent, name it, live in its thread; /show lists."""

from __future__ import annotations

from typing import Any

from bot.jobs.models import Job
from fakes.discord import CHANNEL_ID, GUILD_ID, USER_ID, StoredMessage
from tests.cogs.conftest import Harness

PROMPT = "a fox in a snowy birch forest"


async def derived(
    harness: Harness, message: StoredMessage, label: str
) -> tuple[StoredMessage, Job]:
    """Click a button of a posted result and wait for the derived result."""
    return await harness.result_of(await harness.click(message, label))


def posted_in(harness: Harness, job: Job) -> StoredMessage:
    """A job's result message."""
    assert job.result_message_id is not None
    return harness.discord.message(job.result_message_id)


async def test_upscale_replies_to_its_grid_and_names_it(harness: Harness) -> None:
    grid, grid_job = await harness.grid(PROMPT)

    _, upscale_job = await derived(harness, grid, "U2")

    upscale = posted_in(harness, await harness.store.get_job(upscale_job.id) or upscale_job)
    assert upscale.channel_id == CHANNEL_ID
    assert upscale.extra["message_reference"]["message_id"] == str(grid.id)
    assert (
        upscale.embeds[0]["footer"]["text"]
        == f"Job {upscale_job.id} · fast · from job {grid_job.id}"
    )
    # A grid from the command itself has no parent: no reply, no "from".
    assert "message_reference" not in grid.extra
    assert "from job" not in grid.embeds[0]["footer"]["text"]


async def test_a_deleted_parent_does_not_stop_the_result(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)
    click = harness.discord.button_click(grid, grid.custom_id("V1"))
    await harness.run(click)
    grid.deleted = True  # a member deleted the grid while V1 was running

    variation, job = await harness.result_of(click)

    assert variation.channel_id == CHANNEL_ID
    assert "message_reference" not in variation.extra
    assert f"from job {job.parent_id}" in variation.embeds[0]["footer"]["text"]


async def threads(harness: Harness, state: str) -> None:
    """A moderator turns threads on or off."""
    await harness.admin("threads", state=state)


async def test_with_threads_on_follow_ups_go_into_the_grids_thread(harness: Harness) -> None:
    await threads(harness, "on")
    grid, grid_job = await harness.grid(PROMPT)
    stored = await harness.until(lambda: harness.store.get_job(grid_job.id))

    thread_id = await harness.until(
        lambda: _thread_of(harness, grid_job.id)  # started right after the grid was posted
    )
    thread = harness.discord.channels[thread_id]
    assert stored is not None
    assert thread["type"] == 11
    assert thread["parent_id"] == str(CHANNEL_ID)
    assert thread["name"] == PROMPT

    click = await harness.click(grid, "U1")
    upscale = await harness.until(lambda: _posted_child(harness, grid_job.id))
    assert posted_in(harness, upscale).channel_id == thread_id
    assert harness.discord.original(click["id"]) is not None

    # A click inside the thread: its result stays there and replies to the upscale.
    upscaled_message = posted_in(harness, upscale)
    await harness.click(upscaled_message, "Vary (Strong)")
    vary = await harness.until(lambda: _posted_child(harness, upscale.id))
    vary_message = posted_in(harness, vary)
    assert vary_message.channel_id == thread_id
    assert vary_message.extra["message_reference"]["message_id"] == str(upscaled_message.id)
    assert [p.id for p in harness.discord.posts(CHANNEL_ID)] == [grid.id]


async def test_threads_follow_the_channel_allow_list(harness: Harness) -> None:
    await threads(harness, "on")
    assert await harness.store.allow_channel(GUILD_ID, CHANNEL_ID)
    grid, grid_job = await harness.grid(PROMPT)
    thread_id = await harness.until(lambda: _thread_of(harness, grid_job.id))
    await harness.click(grid, "U1")
    upscale = await harness.until(lambda: _posted_child(harness, grid_job.id))
    assert posted_in(harness, upscale).channel_id == thread_id

    # The thread is not on the list, but it belongs to a channel that is.
    await harness.click(posted_in(harness, upscale), "Vary (Subtle)")

    assert await harness.until(lambda: _posted_child(harness, upscale.id))


async def test_with_threads_off_no_thread_is_started(harness: Harness) -> None:
    await threads(harness, "on")
    await threads(harness, "off")
    grid, grid_job = await harness.grid(PROMPT)
    await harness.click(grid, "U1")
    upscale = await harness.until(lambda: _posted_child(harness, grid_job.id))

    assert harness.discord.requests_to("POST", r"/threads$") == []
    assert posted_in(harness, upscale).channel_id == CHANNEL_ID


async def test_show_lists_the_parent_and_the_children(harness: Harness) -> None:
    grid, grid_job = await harness.grid(PROMPT)
    await harness.click(grid, "U1")
    upscale = await harness.until(lambda: _posted_child(harness, grid_job.id))
    await harness.click(grid, "V3")
    await harness.until(lambda: _children_posted(harness, grid_job.id, 2))

    shown = await harness.command("show", job=str(upscale.id))
    about_upscale = _private(harness, shown)
    shown = await harness.command("show", job=str(grid_job.id))
    about_grid = _private(harness, shown)

    jump = f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{grid.id}"
    assert f"Made from job {grid_job.id} (imagine, succeeded): {jump}" in about_upscale
    assert "Nothing made from it yet." in about_upscale
    assert f"job {upscale.id} (Upscale image #1, succeeded)" in about_grid
    assert "(Variations of image #3, succeeded)" in about_grid


def _private(harness: Harness, payload: dict[str, Any]) -> str:
    return "\n".join(m.content for m in harness.discord.followups(payload["id"]) if m.ephemeral)


async def _thread_of(harness: Harness, job_id: int) -> int | None:
    job = await harness.store.get_job(job_id)
    return job.thread_id if job is not None else None


async def _posted_child(harness: Harness, parent_id: int) -> Job | None:
    children = await harness.store.children_of(parent_id)
    return next((c for c in children if c.posted_at is not None and c.user_id == USER_ID), None)


async def _children_posted(harness: Harness, parent_id: int, count: int) -> bool:
    children = await harness.store.children_of(parent_id)
    return len([c for c in children if c.posted_at is not None]) >= count


async def test_a_deleted_thread_sends_follow_ups_back_to_the_channel(harness: Harness) -> None:
    await threads(harness, "on")
    grid, grid_job = await harness.grid(PROMPT)
    thread_id = await harness.until(lambda: _thread_of(harness, grid_job.id))
    del harness.discord.channels[thread_id]  # a moderator deleted the thread

    await harness.click(grid, "U3")
    upscale = await harness.until(lambda: _posted_child(harness, grid_job.id))

    message = posted_in(harness, upscale)
    assert message.channel_id == CHANNEL_ID
    assert message.extra["message_reference"]["message_id"] == str(grid.id)
