"""The editor end to end: the real bot on the fake Discord and fake TT API, plus its web server.

The web server is built as bot/runner.py builds it (HookServer + install_editor) on
127.0.0.1, with PUBLIC_BASE_URL pointing at it, so the links the bot hands out open for real.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.jobs.models import Job
from bot.jobs.webhook import HookServer
from bot.web.setup import install_editor
from fakes.discord import FakeDiscord, StoredMessage
from fakes.ttapi import FakeTTApi, make_png
from tests.cogs.conftest import Harness, discord_fake, tt_api  # noqa: F401 - fixtures

PROMPT = "a lighthouse on a cliff at dusk"
IMAGE_SIZE = (320, 240)  # not square: a mask of the wrong orientation must not pass
_LINK = re.compile(r"<(http://127\.0\.0\.1:\d+/edit/[^>]+)>")


def free_port() -> int:
    """A port nobody listens on right now (the bot's settings need it before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Site:
    """The bot (harness) and its web server, restartable together on the same database."""

    def __init__(self, harness: Harness, port: int) -> None:
        self.harness = harness
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.server: HookServer | None = None

    async def start(self, **env: str) -> None:
        """Start the bot, then its web server with the editor, as the runner does."""
        await self.harness.start(PUBLIC_BASE_URL=self.base, **env)
        h = self.harness
        self.server = HookServer(h.watcher, "hook-secret-for-tests")
        await install_editor(
            self.server.app, h.store, h.service, h.session, self.base, clock=h.clock
        )
        await self.server.start("127.0.0.1", self.port)

    async def stop(self) -> None:
        """Stop the web server, then the bot."""
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await self.harness.stop()

    async def restart(self) -> None:
        """A new process on the same database."""
        await self.stop()
        await self.start()

    async def upscale(self, prompt: str = PROMPT) -> tuple[StoredMessage, Job]:
        """/imagine, then U1: the posted upscale and its job."""
        grid, _ = await self.harness.grid(prompt)
        click = await self.harness.click(grid, "U1")
        return await self.harness.result_of(click)

    async def link(self, upscaled: StoredMessage, user_id: int | None = None) -> str:
        """Press 🖌️ Vary (Region) on an upscale and return the link the bot answered with."""
        extra: dict[str, Any] = {} if user_id is None else {"user_id": user_id}
        click = await self.harness.click(upscaled, "Vary (Region)", **extra)
        text = self.harness.private_answer(click)
        found = _LINK.search(text)
        assert found, f"no editor link in {text!r}"
        return found[1]


@pytest.fixture
async def site(
    discord_fake: FakeDiscord,  # noqa: F811 - the fixture imported above
    tt_api: FakeTTApi,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Site]:
    """The running bot with its editor; the fake CDN serves a 320x240 image."""
    tt_api.image_bytes = make_png(*IMAGE_SIZE, rgb=(40, 90, 160))
    running = Site(Harness(discord_fake, tt_api, tmp_path / "data" / "mjbot.db"), free_port())
    await running.start()
    yield running
    await running.stop()
    assert discord_fake.unknown_routes == [], "the bot called routes Discord does not have"


@pytest.fixture
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that keeps cookies like a browser (also for 127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@dataclass
class Opened:
    """An editor page as a browser got it."""

    url: str
    status: int
    html: str
    csrf: str
