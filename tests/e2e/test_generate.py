"""A member's view of /imagine, /blend, /describe and the result buttons, end to end."""

from __future__ import annotations

import base64
import time

import pytest

from fakes.discord import USER_ID, StoredMessage
from fakes.e2e.world import LABELS, World, labels, until
from fakes.ttapi import make_png

pytestmark = pytest.mark.e2e

GRID_ROWS = [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"]]
PNG = make_png(3, 2, (10, 200, 30))
OTHER_PNG = make_png(2, 3, (200, 10, 30))


def data_url(kind: str, data: bytes) -> str:
    """The data URL the TT API expects for an uploaded image."""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def assert_result_for_requester(world: World, message: StoredMessage) -> None:
    """Pings the requester (and only them) and shows the TT API's image, uploaded."""
    assert message.mentions == [USER_ID]
    assert f"<@{USER_ID}>" in message.content
    [attachment] = message.attachments
    assert attachment.data == world.tt.image_bytes
    assert [embed["image"]["url"] for embed in message.embeds] == [attachment.url]


def assert_buttons_match(message: StoredMessage, components: list[str]) -> None:
    """One button per component of the TT job, before any extra of the bot's, in the official
    bot's order: the TT API lists Vary (Strong) first, Midjourney shows Vary (Subtle) first."""
    shown = [label for row in labels(message) for label in row]
    expected = [LABELS[component] for component in components]
    assert sorted(shown[: len(expected)]) == sorted(expected)
    assert not set(shown[len(expected) :]) & set(LABELS.values())
    for first, second in [
        ("Vary (Subtle)", "Vary (Strong)"),
        ("Upscale (Subtle)", "Upscale (Creative)"),
    ]:
        if first in shown and second in shown:
            assert shown.index(first) < shown.index(second)


async def test_imagine_shows_progress_then_the_grid_with_its_buttons(world: World) -> None:
    started = time.monotonic()
    payload = await world.imagine("a lighthouse in a storm --ar 3:2", mode="turbo")

    progress = await world.progress(payload, within=3.0)
    assert time.monotonic() - started < 3.0
    assert "a lighthouse in a storm" in progress.content
    assert not progress.ephemeral

    result = await world.result(payload)
    assert result.content.startswith(f"**a lighthouse in a storm --ar 3:2** - <@{USER_ID}>")
    assert_result_for_requester(world, result)
    job = world.tt.last_job("imagine")
    assert job.mode == "turbo"  # the choice option reached the TT API
    components = job.snapshot(world.clock())["data"]["components"]
    assert_buttons_match(result, components)
    assert labels(result)[:2] == GRID_ROWS
    await until(lambda: world.discord.message(progress.id).deleted)  # the progress made way


async def test_u2_v1_and_reroll_start_the_right_jobs(world: World) -> None:
    grid = await world.result(await world.imagine("a red fox in snow"))
    parent = world.tt.last_job("imagine")

    upscale = await world.click(grid, "U2")
    variation = await world.click(grid, "V1")
    reroll = await world.click(grid, "🔄")

    upscaled = await world.result(upscale)
    assert f"Image #2 <@{USER_ID}>" in upscaled.content
    assert_result_for_requester(world, upscaled)
    upscale_job = world.tt.last_job("upsample2")
    assert upscale_job.parent_id == parent.job_id
    components = upscale_job.snapshot(world.clock())["data"]["components"]
    assert "upscale_subtle" in components
    assert_buttons_match(upscaled, components)

    varied = await world.result(variation)
    assert "Variations (Image #1)" in varied.content
    assert labels(varied)[:2] == GRID_ROWS
    rerolled = await world.result(reroll)
    assert labels(rerolled)[:2] == GRID_ROWS
    assert rerolled.id != grid.id

    actions = {body["action"]: body["jobId"] for body in world.tt_bodies("action")}
    assert actions == {
        "upsample2": parent.job_id,
        "variation1": parent.job_id,
        "reroll": parent.job_id,
    }


async def test_blend_two_attachments(world: World) -> None:
    first = world.discord.attachment("first.png", PNG)
    second = world.discord.attachment("second.png", OTHER_PNG)

    payload = await world.command("blend", image1=first, image2=second, dimensions="LANDSCAPE")

    result = await world.result(payload)
    [body] = world.tt_bodies("blend")
    assert body["imgBase64Array"] == [data_url("image/png", PNG), data_url("image/png", OTHER_PNG)]
    assert body["dimensions"] == "LANDSCAPE"
    assert_result_for_requester(world, result)
    assert labels(result)[:2] == GRID_ROWS


async def test_describe_then_imagine_its_first_prompt(world: World) -> None:
    image = world.discord.attachment("cat.png", PNG)

    result = await world.result(await world.command("describe", image=image))

    [body] = world.tt_bodies("describe")
    assert body["base64"] == data_url("image/png", PNG)
    assert result.mentions == [USER_ID]
    picture, embed = result.embeds  # the image large, the four prompts beneath it
    assert picture["image"]["url"] == result.attachments[0].url
    first_prompt = "a fluffy orange cat sitting on a windowsill, soft morning light --ar 1:1"
    assert first_prompt in embed["description"]
    emojis = [emoji for row in result.rows() for _, emoji in row]
    assert emojis == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "🎉", "🔄"]
    assert "Imagine all" in [label for row in result.rows() for label, _ in row]

    grid = await world.result(await world.click(result, "1️⃣"))

    assert [body["prompt"] for body in world.tt_bodies("imagine")] == [first_prompt]
    assert grid.content.startswith(f"**{first_prompt}** - <@{USER_ID}>")
    assert labels(grid)[:2] == GRID_ROWS
