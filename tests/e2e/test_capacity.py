"""More jobs than the TT API's cap: the bot queues the rest and posts every result."""

from __future__ import annotations

import pytest

from fakes.e2e.world import FAST_JOB, World, until
from fakes.ttapi import Scenario

pytestmark = pytest.mark.e2e

# Runs until the test lets it finish (finish_now), so the first ten overlap on any machine.
HELD_JOB = Scenario(queue_seconds=2.0, run_seconds=100_000.0)


async def test_twelve_jobs_at_once_never_more_than_ten_at_the_tt_api(idle_world: World) -> None:
    world = idle_world
    world.tt.scenario = HELD_JOB  # the account allows 100: only the bot holds to 10
    await world.bot.start(MAX_JOBS_IN_PROGRESS="10")

    payloads = [await world.imagine(f"lighthouse number {n}") for n in range(1, 13)]

    def queued() -> list[str]:
        shown = [world.progress_now(payload) for payload in payloads]
        return [m.content for m in shown if m is not None and "Queued" in m.content]

    await until(lambda: len(world.tt.jobs) == 10 and len(queued()) == 2)
    assert world.tt.in_progress() == 10
    world.tt.scenario = FAST_JOB
    for job in list(world.tt.jobs.values()):
        world.tt.finish_now(job.job_id)

    results = [await world.result(payload, within=15.0) for payload in payloads]
    assert len({message.id for message in results}) == 12
    assert world.tt.max_concurrent_seen == 10
    assert len(world.tt_bodies("imagine")) == 12  # no 499 refusal, no resend
