"""Blends and their children name themselves in the channel (issue 17, item 3)."""

from __future__ import annotations

from dataclasses import replace

from fakes.discord import USER_ID
from fakes.ttapi import make_png
from tests.cogs.conftest import QUICK, Harness

MENTION = f"<@{USER_ID}>"


async def blend(harness: Harness) -> object:
    first = harness.discord.attachment("my cat.png", make_png(2, 2))
    second = harness.discord.attachment("IMG_0042.jpg", make_png(2, 2), content_type="image/jpeg")
    return await harness.command("blend", image1=first, image2=second)


async def test_blend_and_its_upscale_show_the_images_names(harness: Harness) -> None:
    payload = await blend(harness)
    preview = harness.discord.original(payload["id"])
    assert preview is not None
    assert preview.edits[0].changes["content"].startswith("**Blend of my cat and IMG\\_0042** - ")

    grid, _ = await harness.result_of(payload)
    assert grid.content == f"**Blend of my cat and IMG\\_0042** - {MENTION} (fast)"

    click = await harness.click(grid, "U2")
    shown = harness.discord.original(click["id"])
    assert shown is not None
    assert shown.contents[1].startswith("**Blend of my cat and IMG\\_0042** - Image #2 ")
    upscale, _ = await harness.result_of(click)
    assert upscale.content == f"**Blend of my cat and IMG\\_0042** - Image #2 {MENTION}"


async def test_prompt_reported_by_midjourney_is_kept_and_inherited(harness: Harness) -> None:
    harness.tt.next_scenario(replace(QUICK, reported_prompt="two pets on a sofa --v 6"))
    grid, job = await harness.result_of(await blend(harness))
    assert job.result_prompt == "two pets on a sofa --v 6"
    title = "**Blend of my cat and IMG\\_0042: two pets on a sofa --v 6**"
    assert grid.content == f"{title} - {MENTION} (fast)"

    variation, _ = await harness.result_of(await harness.click(grid, "V1"))
    assert variation.content == f"{title} - Variations (Image #1) by {MENTION} (fast)"
