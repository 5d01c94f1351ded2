"""/mj-admin doctor: the server's report, through discord.py, against the doctor's fake REST."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from fakes.discord import CHANNEL_ID
from fakes.discord_rest import FakeDiscordRest
from tests.cogs.conftest import BOT_TOKEN, Harness

ATTACH_FILES = 1 << 15


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordRest]:
    """The harness's Discord, with the routes the doctor reads."""
    async with FakeDiscordRest(bot_token=BOT_TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        yield fake


async def test_doctor_reports_this_servers_missing_permission(harness: Harness) -> None:
    assert isinstance(harness.discord, FakeDiscordRest)
    harness.discord.deny(CHANNEL_ID, ATTACH_FILES)
    harness.tt.fail_next("/info", 401, {"status": "FAILED", "message": "Wrong TT-API-KEY"})

    payload = await harness.admin("doctor")

    [followup] = harness.discord.followups(payload["id"])
    assert followup.ephemeral
    text = followup.content
    assert "✅ Discord token: accepted" in text
    assert "❌ Test Server #general: missing Attach Files" in text
    assert "❌ TT API account: key rejected (401)" in text
    assert "2 problem(s) to fix" in text


async def test_doctor_on_a_healthy_server(harness: Harness) -> None:
    payload = await harness.admin("doctor")

    [followup] = harness.discord.followups(payload["id"])
    assert "❌" not in followup.content
    assert "can post in all 1 text channel(s)" in followup.content
