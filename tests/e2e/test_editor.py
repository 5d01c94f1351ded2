"""Vary (Region) in the real bot process: its own web server serves the editor it links to."""

from __future__ import annotations

import base64
import io
import re

import aiohttp
import pytest
from PIL import Image, ImageDraw

from fakes.discord import CHANNEL_ID, StoredMessage
from fakes.e2e.world import World, free_port, until
from fakes.ttapi import make_png

pytestmark = pytest.mark.e2e

SIZE = (320, 240)


def mask() -> str:
    image = Image.new("L", SIZE, 0)
    ImageDraw.Draw(image).rectangle((100, 80, 220, 170), fill=255)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_a_link_from_the_bot_opens_paints_and_cannot_be_replayed(
    idle_world: World,
) -> None:
    world = idle_world
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world.tt.image_bytes = make_png(*SIZE)
    await world.bot.start(PUBLIC_BASE_URL=base, WEBHOOK_BIND=f"127.0.0.1:{port}")
    grid = await world.result(await world.imagine("a lighthouse at dusk"))
    await world.recorded(grid)
    upscaled = await world.result(await world.click(grid, "U1"))
    await world.recorded(upscaled)

    click = await world.click(upscaled, "Vary (Region)")
    [text] = await until(lambda: world.private_answers(click))
    found = re.search(r"<(http://127\.0\.0\.1:\d+/edit/[^>]+)>", text)
    assert found, text
    url = found[1]

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(url) as page:
            html = await page.text()
            assert page.status == 200
            assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        csrf = re.search(r'data-csrf="([^"]+)"', html)
        assert csrf
        body = {"csrf": csrf[1], "prompt": "a red lantern", "mask": mask()}
        headers = {"Origin": base}
        async with browser.post(url, json=body, headers=headers) as sent:
            assert sent.status == 200

        await world.bot.kill9()  # a crash right after: the used link must stay used
        await world.bot.start(PUBLIC_BASE_URL=base, WEBHOOK_BIND=f"127.0.0.1:{port}")
        async with browser.post(url, json=body, headers=headers) as replay:
            assert replay.status == 403
        async with browser.get(url) as again:
            assert again.status == 403
            assert "already used" in await again.text()

    assert len(world.tt_bodies("inpaint")) == 1

    def vary_result() -> StoredMessage | None:
        return next(
            (
                m
                for m in world.discord.posts(CHANNEL_ID)
                if "Vary (Region) by" in m.content and m.embeds and "from job" in str(m.embeds)
            ),
            None,
        )

    result = await until(vary_result, within=15.0)
    assert result.extra["message_reference"]["message_id"] == str(upscaled.id)
