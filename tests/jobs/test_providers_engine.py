"""The same engine flow against every provider: a grid, an upscale, a zoom on the upscale.

Each provider speaks its own API (fakes in fakes/, the demo draws for real); the bot's
action names and stored refs must carry the follow-ups through all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.jobs.models import Requester
from bot.jobs.states import JobStatus as S
from bot.provider import Provider
from bot.provider.acedata import AceDataClient
from bot.provider.demo import DemoProvider
from bot.provider.mjproxy import MjProxyClient
from bot.provider.ttapi import TTApiClient
from fakes.acedata import FakeAceData
from fakes.mjproxy import FakeMjProxy
from fakes.ttapi import FakeTTApi
from tests.jobs.conftest import QUICK, new_job, no_sleep
from tests.jobs.pool_world import PoolEngine, account, pool_engine

ALICE = Requester(1, guild_id=10, channel_id=20)
PROVIDERS = ["ttapi", "mjproxy-novicezk", "mjproxy-trueai", "acedata", "demo"]


async def make_client(name: str, stack: AsyncExitStack, http: aiohttp.ClientSession) -> Provider:
    """A real client of `name`, talking to its fake on 127.0.0.1 (the demo needs none)."""
    if name == "ttapi":
        tt = FakeTTApi(api_key="k", scenario=replace(QUICK), max_in_progress=100)
        await tt.start()
        stack.push_async_callback(tt.close)
        return TTApiClient(http, "k", tt.base_url, attempts=1, sleep=no_sleep)
    if name.startswith("mjproxy"):
        proxy = FakeMjProxy(flavour=name.split("-")[1], secret="s", run_seconds=0.1)
        await proxy.start()
        stack.push_async_callback(proxy.close)
        return MjProxyClient(http, proxy.base_url, "s", attempts=1, sleep=no_sleep)
    if name == "acedata":
        ace = FakeAceData(token="t", seconds=0.1)
        await ace.start()
        stack.push_async_callback(ace.close)
        client = AceDataClient(http, "t", ace.base_url, attempts=1, sleep=no_sleep)
        stack.push_async_callback(client.close)
        return client
    demo = DemoProvider(duration=0.1)
    stack.push_async_callback(demo.close)
    return demo


@pytest.fixture(params=PROVIDERS)
async def eng(
    request: pytest.FixtureRequest, tmp_path: Path, http: aiohttp.ClientSession
) -> AsyncIterator[PoolEngine]:
    async with AsyncExitStack() as stack:
        client = await make_client(request.param, stack, http)
        provider = request.param.split("-")[0]
        built = await pool_engine(tmp_path / "db.sqlite", [account(provider, "secret", client)])
        yield built
        await built.stop()


async def test_grid_upscale_and_zoom_through_every_provider(eng: PoolEngine) -> None:
    grid_job = await eng.service.submit(new_job("a lighthouse at dusk"))
    grid = await eng.wait_for(grid_job.id, S.SUCCEEDED)
    assert grid.image_url
    assert {"upsample1", "variation1", "reroll"} <= set(grid.components)
    upscale_job = await eng.service.action(ALICE, grid, "upsample1")
    upscale = await eng.wait_for(upscale_job.id, S.SUCCEEDED)
    assert upscale.image_url
    assert "zoom_out_2" in upscale.components
    assert upscale.account == grid.account
    zoom_job = await eng.service.action(ALICE, upscale, "zoom_out_2")
    zoom = await eng.wait_for(zoom_job.id, S.SUCCEEDED)
    assert "upsample4" in zoom.components
    assert [eng.statuses(job.id).count(S.SUCCEEDED) for job in (grid, upscale, zoom)] == [1, 1, 1]
