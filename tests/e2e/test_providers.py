"""Each provider alone, end to end: a grid from /imagine, then U1 on it, in the real bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.acedata import FakeAceData
from fakes.e2e.world import World, labels
from fakes.mjproxy import FakeMjProxy

pytestmark = pytest.mark.e2e

SECRET = "provider-secret-e2e-4242"


@pytest.fixture(params=["mjproxy-novicezk", "mjproxy-trueai", "acedata"])
async def started(request: pytest.FixtureRequest, idle_world: World) -> AsyncIterator[World]:
    """The bot with only this provider configured (no TT API key at all)."""
    name = str(request.param)
    if name == "acedata":
        fake: FakeAceData | FakeMjProxy = FakeAceData(token=SECRET, seconds=0.3)
        env = {"ACEDATA_TOKEN": SECRET}
    else:
        fake = FakeMjProxy(flavour=name.split("-")[1], secret=SECRET, run_seconds=0.3)
        env = {"MJPROXY_SECRET": SECRET}
    base = await fake.start()
    env |= {"ACEDATA_BASE_URL": base} if name == "acedata" else {"MJPROXY_BASE_URL": base}
    try:
        await idle_world.bot.start(PROVIDERS=name.split("-", maxsplit=1)[0], TT_API_KEY="", **env)
        yield idle_world
    finally:
        await idle_world.bot.stop()
        await fake.close()


async def test_a_grid_and_its_upscale(started: World) -> None:
    world = started
    grid = await world.result(await world.imagine("a lighthouse in a storm"), within=15.0)
    assert labels(grid)[:2] == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"]]
    assert grid.attachments  # the provider's image, uploaded

    upscaled = await world.result(await world.click(grid, "U1"), within=15.0)
    shown = [label for row in labels(upscaled) for label in row]
    assert {"Vary (Strong)", "Zoom Out 2x", "⬅️"} <= set(shown)
    assert world.tt.calls == []  # the TT API was never asked
