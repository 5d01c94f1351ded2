"""Fixtures for the doctor: a fake Discord with the doctor's routes and a fake TT API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
import pytest

from bot.settings import Settings, load_settings
from fakes.discord_rest import FakeDiscordRest
from fakes.ttapi import FakeTTApi

BOT_TOKEN = "MTE4NjM1MDAwMDAwMDAwMDAwMQ.GfAkEs.fake-token-for-tests-only_0123456789abc"
MakeSettings = Callable[..., Settings]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordRest]:
    """The fake Discord, with discord.py's REST calls pointed at it."""
    async with FakeDiscordRest(bot_token=BOT_TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        yield fake


@pytest.fixture
async def tt() -> AsyncIterator[FakeTTApi]:
    """The fake TT API."""
    async with FakeTTApi(api_key="right-key") as fake:
        yield fake


@pytest.fixture
def make_settings(tmp_path: Path, tt: FakeTTApi) -> MakeSettings:
    """Settings for the fakes; keyword arguments are environment variables."""

    def make(**env: str) -> Settings:
        values = {
            "DISCORD_TOKEN": BOT_TOKEN,
            "TT_API_KEY": "right-key",
            "TT_API_BASE_URL": tt.base_url,
            "DATABASE_PATH": str(tmp_path / "mjbot.db"),
        }
        return load_settings(values | env)

    return make
