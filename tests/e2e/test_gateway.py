"""The bot rides out what Discord's gateway does to every bot: reconnects and resumes."""

from __future__ import annotations

import pytest

from fakes.discord import USER_ID
from fakes.e2e.world import World, until

pytestmark = pytest.mark.e2e


async def test_reconnect_and_dropped_connection_resume_without_losing_an_interaction(
    world: World,
) -> None:
    session = world.discord.session
    assert session is not None
    assert world.discord.received(1), "no heartbeat was sent"

    await world.discord.request_reconnect()  # op 7, as Discord sends before maintenance
    await until(lambda: session.resumes == 1 and session.connected)
    await world.discord.drop_connection(4000)  # a network blip
    payload = await world.imagine("a bridge in the fog")  # sent while the bot is away

    result = await world.result(payload)
    assert result.mentions == [USER_ID]
    assert session.resumes == 2
    assert session.resumed_on == ["/gateway-resume", "/gateway-resume"]
    assert world.discord.identifies == 1  # resumed each time, never a new session


async def test_invalidated_session_identifies_again_and_keeps_serving(world: World) -> None:
    await world.discord.invalidate_session(resumable=False)

    # discord.py waits 5 s before identifying again (Discord's identify rate limit).
    await until(
        lambda: world.discord.identifies == 2 and world.discord.ready_for_events(), within=15.0
    )
    result = await world.result(await world.imagine("a new day"))
    assert result.mentions == [USER_ID]
