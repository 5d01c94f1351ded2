"""PROVIDERS=ttapi,mjproxy end to end: when the TT account runs dry the bot keeps serving
from the proxy, and buttons on earlier TT results still go to TT."""

from __future__ import annotations

import pytest

from fakes.e2e.world import World, labels
from fakes.mjproxy import FakeMjProxy

pytestmark = pytest.mark.e2e

SECRET = "proxy-secret-e2e-7777"
NO_CREDITS = {"status": "FAILED", "message": "Insufficient balance", "data": None}


async def test_a_dry_tt_account_fails_over_to_the_proxy(idle_world: World) -> None:
    world = idle_world
    proxy = FakeMjProxy(secret=SECRET, run_seconds=0.3, core_size=20)
    await proxy.start()
    try:
        await world.bot.start(
            PROVIDERS="ttapi,mjproxy", MJPROXY_BASE_URL=proxy.base_url, MJPROXY_SECRET=SECRET
        )
        tt_grid = await world.result(await world.imagine("a harbour at dawn"))
        assert "TT API" in tt_grid.embeds[0]["footer"]["text"]

        world.tt.fail_next("/imagine", 402, NO_CREDITS, times=1000)
        proxy_grid = await world.result(await world.imagine("a harbour at dusk"), within=15.0)
        assert "midjourney-proxy" in proxy_grid.embeds[0]["footer"]["text"]
        assert labels(proxy_grid)[0] == ["U1", "U2", "U3", "U4", "🔄"]
        assert len(proxy.calls_to("/submit/imagine")) == 1

        upscaled = await world.result(await world.click(tt_grid, "U2"), within=15.0)
        assert "TT API" in upscaled.embeds[0]["footer"]["text"]
        assert [body["action"] for body in world.tt_bodies("action")] == ["upsample2"]
        proxy_upscale = await world.result(await world.click(proxy_grid, "U3"), within=15.0)
        assert "midjourney-proxy" in proxy_upscale.embeds[0]["footer"]["text"]
        [sent] = proxy.calls_to("/submit/action")
        assert sent.json["customId"].startswith("MJ::JOB::upsample::3::")
        tt_grids = [job for job in world.tt.jobs.values() if job.action == "imagine"]
        assert len(tt_grids) == 1  # the 402 created nothing at TT: nothing paid twice
        assert proxy_grid.attachments  # the proxy's image, uploaded
    finally:
        await proxy.close()
