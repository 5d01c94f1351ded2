"""Chaos: 50 jobs from 10 members, SIGKILL at random moments, a TT API failing at random.

Nothing paid for may be lost, posted twice or sent twice. Run it with `pytest -m chaos`;
`MJBOT_CHAOS_SEED` repeats a run's random choices (the seed is printed with the figures).
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakes.e2e.fakes import E2EDiscord, FastClock
from fakes.e2e.world import BOT_TOKEN, FAST_JOB, World
from tests.e2e.chaos import ChaosRun, ChaoticTTApi, chaos_seed
from tests.e2e.conftest import WORLD

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


@pytest.fixture
async def chaotic_world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The e2e world with a TT API that fails at random; the bot not started yet."""
    seed = int(os.environ.get("MJBOT_CHAOS_SEED") or chaos_seed())
    request.node.user_properties.append(("seed", seed))
    discord = E2EDiscord(bot_token=BOT_TOKEN, heartbeat_interval_ms=2_000)
    clock = FastClock()
    tt = ChaoticTTApi(random.Random(seed), scenario=FAST_JOB, clock=clock, max_in_progress=100)
    await discord.start()
    await tt.start()
    world = World(discord, tt, clock, tmp_path)  # type: ignore[arg-type]
    world.seed = seed  # type: ignore[attr-defined]
    request.node.stash[WORLD] = world
    try:
        yield world
    finally:
        try:
            await world.bot.stop()
        finally:
            await tt.close()
            await discord.close()


async def test_nothing_is_lost_posted_twice_or_sent_twice(chaotic_world: World) -> None:
    seed = chaotic_world.seed  # type: ignore[attr-defined]
    run = ChaosRun(chaotic_world, random.Random(seed))

    figures = await run.run()

    print(f"\nchaos run, seed {seed}:\n{figures.render()}")  # noqa: T201 - the figures
    assert figures.jobs >= 50
    assert figures.actions >= 10
    assert figures.kills >= 5
    assert figures.lost == 0
    assert figures.posted_twice == 0
    assert figures.duplicate_submissions == 0
    assert chaotic_world.discord.unknown_routes == []
    assert figures.error_lines == [], "tracebacks or ERROR lines in the bot's log"
