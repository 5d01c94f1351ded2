"""The real process: a refused TT API key is one warning at start, and the bot still runs."""

from __future__ import annotations

import pytest

from fakes.e2e.world import World

pytestmark = pytest.mark.e2e


async def test_refused_tt_key_is_a_warning_not_a_stop(idle_world: World) -> None:
    await idle_world.bot.start(TT_API_KEY="a-key-that-was-revoked")

    log = idle_world.bot.log
    warnings = [line for line in log.splitlines() if "rejected TT_API_KEY" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0]
    assert "copy the key again from https://ttapi.io" in warnings[0]
    assert "a-key-that-was-revoked" not in log
    assert "Traceback" not in log
    assert idle_world.bot.running
