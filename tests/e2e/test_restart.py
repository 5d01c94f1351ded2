"""kill -9 and restart: no paid result is lost or posted twice, and old buttons keep working."""

from __future__ import annotations

import asyncio

import pytest

from fakes.discord import USER_ID, StoredMessage
from fakes.e2e.world import World, until
from fakes.ttapi import Scenario

pytestmark = pytest.mark.e2e

# Runs until the test lets it finish (finish_now), so the kill lands mid-job on any machine.
HELD_JOB = Scenario(queue_seconds=2.0, run_seconds=100_000.0)


async def test_job_running_during_kill_9_is_posted_once_after_restart(world: World) -> None:
    world.tt.next_scenario(HELD_JOB)
    payload = await world.imagine("a slow glacier")
    progress = await world.progress(payload)
    job = await until(lambda: world.tt.jobs and world.tt.last_job("imagine"))
    await until(lambda: world.fetches(job.job_id))  # so the bot has stored the TT job id

    await world.bot.kill9()
    await world.bot.start()
    assert world.tt.in_progress() == 1  # the job ran on while the bot was down
    world.tt.finish_now(job.job_id)

    result = await world.result(payload, within=10.0)
    assert result.mentions == [USER_ID]
    await world.recorded(result)
    await until(lambda: world.discord.message(progress.id).deleted)
    # Another crash and restart after the post: still one result, and nothing resent.
    await world.bot.restart()
    await asyncio.sleep(0.5)  # recovery runs before the gateway connects; slack for a late one
    assert world.results(payload) == [result]
    assert len(world.tt_bodies("imagine")) == 1


async def test_buttons_of_a_result_posted_before_kill_9_work_after_restart(world: World) -> None:
    grid = await world.result(await world.imagine("a quiet harbour at dawn"))
    parent = world.tt.last_job("imagine")
    await world.recorded(grid)

    await world.bot.restart()

    upscaled = await world.result(await world.click(grid, "U1"))
    assert f"Image #1 <@{USER_ID}>" in upscaled.content
    [body] = world.tt_bodies("action")
    assert body["jobId"] == parent.job_id
    assert body["action"] == "upsample1"


async def test_kill_9_during_a_submit_is_adopted_and_never_resent(world: World) -> None:
    # The TT API takes the job, then the bot dies before reading the answer. It must not be
    # sent again; the restarted bot finds it among the TT API's recent jobs and posts it.
    world.tt.fail_next("/imagine", 504, delay=5.0, accept_first=True)
    await world.imagine("an uncertain mountain")
    await until(lambda: world.tt.jobs)
    # The provider has not answered: nothing public yet, so a refusal could stay private.
    assert world.discord.posts() == []

    await world.bot.restart()

    await world.bot.wait_for_log(r"job \d+ adopted as provider job")

    def posted() -> list[StoredMessage]:
        return [p for p in world.discord.posts() if p.content.startswith("**an uncertain")]

    [result] = await until(posted, within=10.0)
    assert result.mentions == [USER_ID]
    assert result.attachments
    assert len(world.tt_bodies("imagine")) == 1
    assert world.discord.posts() == [result]


async def test_kill_9_between_posting_and_recording_still_posts_once(world: World) -> None:
    # Discord takes the post at once but answers late: the bot dies without the answer.
    world.discord.answer_late("POST", r"^/channels/\d+/messages$", seconds=3.0)
    payload = await world.imagine("a lighthouse at the edge of the world")
    grid = await world.result(payload)

    await world.bot.restart()

    await world.bot.wait_for_log(r"job \d+ posted as message")
    assert world.results(payload) == [grid]  # Discord's nonce check returned the first post
    upscaled = await world.result(await world.click(grid, "U1"))
    assert f"Image #1 <@{USER_ID}>" in upscaled.content


async def test_sigterm_lets_a_submit_in_flight_finish_and_closes_cleanly(world: World) -> None:
    # `docker stop` sends SIGTERM while the TT API is still answering a paid submit.
    world.tt.answer_late("/imagine", seconds=1.0)
    await world.imagine("a calm lake")
    await until(lambda: world.tt.jobs)

    exit_code = await world.bot.stop()

    assert exit_code == 0
    [code] = world.discord.client_close_codes
    assert code != 1006  # the bot closed the gateway itself; it did not just vanish
    assert world.bot.bad_log_lines() == [], "errors while shutting down"
    await world.bot.start()

    def posted() -> StoredMessage | None:
        # The bot stopped before it could show the progress line: the result comes on its own.
        return next((m for m in world.discord.posts() if m.attachments), None)

    result = await until(posted, 10.0)  # the job id was kept: no "not sent again" failure
    assert result.content.startswith("**a calm lake** - ")
    assert result.mentions == [USER_ID]
    assert len(world.tt_bodies("imagine")) == 1
