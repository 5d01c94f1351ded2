"""🖌️ Vary (Region) on an upscale: a private answer, never a job, never a public message."""

from __future__ import annotations

from dataclasses import replace

from fakes.discord import CHANNEL_ID, CHANNEL_MESSAGE, GUILD_ID, OTHER_USER_ID
from tests.cogs.conftest import Harness

PROMPT = "a paper boat on a puddle"


async def test_without_a_public_url_the_answer_says_how_to_enable_it(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)
    upscaled, _ = await harness.result_of(await harness.click(grid, "U1"))
    posts_before = list(harness.discord.posts(CHANNEL_ID))

    click = await harness.click(upscaled, "Vary (Region)")

    text = harness.private_answer(click)
    assert "PUBLIC_BASE_URL" in text
    assert "http" not in text  # no link that cannot work
    assert harness.tt_bodies("inpaint") == []
    assert harness.discord.posts(CHANNEL_ID) == posts_before


async def test_the_usual_checks_come_first(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)
    upscaled, _ = await harness.result_of(await harness.click(grid, "U1"))
    guild = await harness.store.guild_settings(GUILD_ID)
    await harness.store.save_guild_settings(replace(guild, buttons_who="requester"))

    click = await harness.click(upscaled, "Vary (Region)", user_id=OTHER_USER_ID)

    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    assert "Only <@" in str(answer.data["content"])
