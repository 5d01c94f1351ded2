"""The real bot process leaves a server not on ALLOWED_GUILD_IDS as soon as it connects."""

from __future__ import annotations

import pytest

from fakes.discord import GUILD_ID
from fakes.e2e.world import World, until

pytestmark = pytest.mark.e2e


async def test_an_unlisted_server_is_left_on_connect(idle_world: World) -> None:
    world = idle_world
    await world.bot.start(ALLOWED_GUILD_IDS=str(GUILD_ID + 1))

    await until(lambda: world.discord.left_guilds == [GUILD_ID])
    await world.bot.wait_for_log(rf"leaving server .*\({GUILD_ID}\).*ALLOWED_GUILD_IDS")


async def test_a_listed_server_is_kept(idle_world: World) -> None:
    world = idle_world
    await world.bot.start(ALLOWED_GUILD_IDS=str(GUILD_ID))

    await world.result(await world.imagine("a comet over the desert"))
    assert world.discord.left_guilds == []
