"""Fixtures: the two fakes on 127.0.0.1 in this process, the bot in a subprocess.

After every test the bot is stopped (SIGTERM, then SIGKILL), the fakes are closed, and two
things are checked: the bot called no route Discord lacks, and up to that stop it logged no
traceback or ERROR line the test did not announce with `world.bot.allow_log(...)` (a test
that stops the bot itself has its shutdown checked too). A failing test shows the bot's log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fakes.e2e.fakes import E2EDiscord, FastClock, FlakyTTApi
from fakes.e2e.world import BOT_TOKEN, FAST_JOB, World

WORLD = pytest.StashKey[World]()
LOG_TAIL = 30_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the bot's log to the report of a failing e2e test."""
    report = yield
    world = item.stash.get(WORLD, None)
    if world is not None and report.failed:  # type: ignore[attr-defined]
        report.sections.append(("bot log", world.bot.log[-LOG_TAIL:]))  # type: ignore[attr-defined]
    return report


@pytest.fixture
async def idle_world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The fakes and a bot not started yet (`await world.bot.start(**env)`)."""
    discord = E2EDiscord(bot_token=BOT_TOKEN, heartbeat_interval_ms=2_000)
    clock = FastClock()
    tt = FlakyTTApi(scenario=FAST_JOB, clock=clock, max_in_progress=100)
    await discord.start()
    await tt.start()
    world = World(discord, tt, clock, tmp_path)
    request.node.stash[WORLD] = world
    try:
        yield world
    finally:
        # What the test saw; the shutdown below is the SIGTERM test's business.
        bad = world.bot.bad_log_lines()
        try:
            await world.bot.stop()
        finally:
            await tt.close()
            await discord.close()
    assert discord.unknown_routes == [], "the bot called routes Discord does not have"
    assert bad == [], "unexpected errors in the bot's log:\n" + "\n".join(bad)


@pytest.fixture
async def world(idle_world: World) -> World:
    """The bot running against the fakes, connected and with its commands synced."""
    await idle_world.bot.start()
    return idle_world
