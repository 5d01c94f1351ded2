"""With WEBHOOK_BASE_URL set, the TT API's callback brings the result without a poll."""

from __future__ import annotations

import aiohttp
import pytest

from fakes.discord import USER_ID
from fakes.e2e.world import World, free_port, until

pytestmark = pytest.mark.e2e

SECRET = "e2e-callback-secret-0123456789"


async def test_callback_posts_the_result_without_waiting_for_a_poll(idle_world: World) -> None:
    world = idle_world
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Scale 1.0: the polling safety net would first look after 40 s, so a quick result
    # can only come from the callback.
    await world.bot.start(
        WEBHOOK_BASE_URL=base,
        WEBHOOK_BIND=f"127.0.0.1:{port}",
        WEBHOOK_SECRET=SECRET,
        POLL_INTERVAL_SCALE="1.0",
    )
    world.tt.auto_hooks = True

    payload = await world.imagine("a comet over the desert")
    job = await until(lambda: world.tt.jobs and world.tt.last_job("imagine"))
    result = await world.result(payload, within=5.0)
    done = job.created_at + job.scenario.queue_seconds + job.scenario.run_seconds
    assert result.created_at - world.clock.monotonic_at(done) < 3.0

    [body] = world.tt_bodies("imagine")
    # The bot's own job id ends the path, so a callback names its row (bot/jobs/orphans.py).
    assert body["hookUrl"] == f"{base}/ttapi/{SECRET}/1"
    await until(lambda: [delivery.status for delivery in world.tt.hook_log] == [200])
    assert (
        len(world.fetches(job.job_id)) == 1
    )  # the callback is confirmed with one fetch; no polling
    assert result.mentions == [USER_ID]
    async with aiohttp.ClientSession() as session, session.get(f"{base}/healthz") as health:
        assert health.status == 200
        assert (await health.json())["status"] == "ok"


async def test_the_secret_never_leaks_when_the_tt_api_echoes_the_hook_url(
    idle_world: World,
) -> None:
    """An error text echoing hookUrl: the member's answer and the log show no secret."""
    world = idle_world
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await world.bot.start(
        WEBHOOK_BASE_URL=base,
        WEBHOOK_BIND=f"127.0.0.1:{port}",
        WEBHOOK_SECRET=SECRET,
        LOG_LEVEL="DEBUG",
    )
    echo = f"hookUrl {base}/ttapi/{SECRET} is not reachable"
    world.tt.fail_next("/imagine", 400, {"status": "FAILED", "message": echo, "data": {}})

    payload = await world.imagine("a comet over the desert")

    [text] = await until(lambda: world.private_answers(payload))
    assert "is not reachable" in text
    assert SECRET not in text
    await world.bot.wait_for_log(r"WEBHOOK_BASE_URL is http://")  # said once, at start-up
    await world.bot.wait_for_log(r"refused")
    assert SECRET not in world.bot.log
