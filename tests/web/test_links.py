"""The link the bot hands out: for that member and job, 15 minutes, once; pays at most once."""

from __future__ import annotations

import asyncio
import re

import aiohttp

from tests.web.conftest import Site
from tests.web.test_editor_http import open_page, submit


async def test_the_answer_is_private_and_names_the_expiry(site: Site) -> None:
    upscaled, parent = await site.upscale()
    click = await site.harness.click(upscaled, "Vary (Region)")

    text = site.harness.private_answer(click)
    [answer] = site.harness.discord.callbacks_for(click["id"])
    [[button]] = [row["components"] for row in answer.data["components"]]
    found = re.search(r"expires <t:(\d+):R>", text)

    assert found is not None
    now = await site.harness.store.get_job(parent.id)
    assert now is not None
    assert abs(int(found[1]) - (now.finished_at or 0) - 900) < 120  # 15 minutes from now
    assert button["style"] == 5  # a link button
    assert button["url"].startswith(f"{site.base}/edit/v1.")
    assert f"<{button['url']}>" in text  # <...>: Discord shows no preview of it


async def test_two_submits_at_once_pay_once(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)

    results = await asyncio.gather(*(submit(browser_session, site, url, csrf) for _ in range(5)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 403, 403, 403, 403]
    assert len(site.harness.tt_bodies("inpaint")) == 1


async def test_each_click_gets_its_own_link(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    first = await site.link(upscaled)
    second = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, first)
    assert (await submit(browser_session, site, first, csrf))[0] == 200

    status, _, csrf = await open_page(browser_session, second)

    assert first != second
    assert status == 200
    assert (await submit(browser_session, site, second, csrf))[0] == 200
    assert len(site.harness.tt_bodies("inpaint")) == 2


async def test_a_refusal_by_the_tt_api_gives_the_link_back(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    """Nothing was charged, so the member may fix the prompt and send again."""
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)
    refusal = {"status": "FAILED", "message": "[Banned prompt detected] Sorry!", "data": None}
    site.harness.tt.fail_next("/inpaint", 400, refusal)

    status, answer = await submit(browser_session, site, url, csrf)
    again = await submit(browser_session, site, url, csrf, prompt="a blue lantern")

    assert status == 409
    assert "refused" in answer["error"]
    assert again[0] == 200
    bodies = site.harness.tt_bodies("inpaint")
    assert [body["prompt"] for body in bodies] == ["a red lantern", "a blue lantern"]


async def test_an_unconfirmed_send_keeps_the_link_spent(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    """The TT API may have taken it: sending again could charge twice. The job is looked
    for among the TT API's recent jobs instead (bot/jobs/orphans.py)."""
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)
    site.harness.tt.fail_next("/inpaint", 502, times=10, accept_first=True)

    status, _ = await submit(browser_session, site, url, csrf)
    again = await submit(browser_session, site, url, csrf)

    assert status == 200  # taken as far as the member is concerned: it is being looked for
    assert again[0] == 403
    assert "already used" in again[1]["error"]
    assert len(site.harness.tt_bodies("inpaint")) == 1
