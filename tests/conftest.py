"""Fixtures shared across test folders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import EXTENSIONS, MjBot
from bot.jobs.engine import build_engine
from bot.jobs.store import Store
from bot.provider.ttapi import TTApiClient
from bot.settings import Secret, Settings

BotFactory = Callable[..., Awaitable[MjBot]]


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[BotFactory]:
    """Builds MjBots with every extension loaded; none logs in or calls the TT API."""
    built: list[tuple[MjBot, Store]] = []
    async with aiohttp.ClientSession() as session:

        async def build(**settings: Any) -> MjBot:
            database = tmp_path / f"bot{len(built)}.sqlite"
            config = Settings(
                discord_token=Secret("never.used.token"),
                tt_api_key=Secret("never-used-key"),
                tt_api_base_url="http://127.0.0.1:1",
                database_path=database,
                **settings,
            )
            store = await Store.open(database)
            await store.migrate()
            provider = TTApiClient(session, config.tt_api_key.get(), config.tt_api_base_url)
            engine = await build_engine(store=store, provider=provider)
            bot = MjBot(config, store, engine.service, engine.events, session)
            built.append((bot, store))
            for extension in EXTENSIONS:
                await bot.load_extension(extension)
            return bot

        yield build
        for bot, store in reversed(built):
            for extension in list(bot.extensions):
                await bot.unload_extension(extension)
            await bot.close()
            await store.close()
