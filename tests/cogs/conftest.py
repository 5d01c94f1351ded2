"""The Discord-front harness: the real MjBot and job engine between two in-process fakes.

Nothing of the product is mocked. The bot logs in against the fake Discord (discord.py's
``Route.BASE`` points at it), its setup_hook migrates the store, loads the cogs and syncs the
commands; interactions enter through discord.py's own ``parse_interaction_create``, as the
gateway would deliver them. Jobs run on the fake TT API in about 0.35 s and the watcher's
cadence is scaled down, so a slash command becomes a posted result well within a second.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.app import MjBot
from bot.jobs.engine import build_engine
from bot.jobs.events import JobEvents
from bot.jobs.models import Job
from bot.jobs.prices import PriceBook
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher
from bot.provider.ttapi import TTApiClient
from bot.settings import Settings, load_settings
from fakes.discord import (
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    MODERATOR_PERMISSIONS,
    USER_ID,
    FakeDiscord,
    StoredMessage,
)
from fakes.ttapi import FakeTTApi, Scenario

# Shaped like a real token (id.timestamp.hmac) so Settings accepts it; the fake checks it.
BOT_TOKEN = "MTE4NjM1MDAwMDAwMDAwMDAwMQ.GfAkEs.fake-token-for-tests-only_0123456789abc"
# A job at the fake TT API: 50 ms queued, then 300 ms of rising progress.
QUICK = Scenario(queue_seconds=0.05, run_seconds=0.3)
Payload = dict[str, Any]


async def until(predicate: Callable[[], Any], within: float = 5.0) -> Any:
    """Wait until `predicate()` (sync or async) is truthy and return its value."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.01)


class Harness:
    """One running bot (rebuilt by `restart`) and the fakes it talks to."""

    settings: Settings
    store: Store
    session: aiohttp.ClientSession
    events: JobEvents
    watcher: Watcher
    service: JobService
    bot: MjBot

    def __init__(
        self,
        discord_fake: FakeDiscord,
        tt: FakeTTApi,
        db_path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.discord = discord_fake
        self.tt = tt
        self.db_path = db_path
        # The engine's clock (store, watcher, service): tests may swap it before a restart.
        self.clock = clock
        self.guild_cached = False
        self.running = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, **env: str) -> None:
        """Build the bot as bot/runner.py does and log it in (login runs setup_hook)."""
        self.settings = load_settings(
            {
                "DISCORD_TOKEN": BOT_TOKEN,
                "TT_API_KEY": self.tt.api_key,
                "TT_API_BASE_URL": self.tt.base_url,
                "DATABASE_PATH": str(self.db_path),
                "POLL_INTERVAL_SCALE": "0.02",
                **env,
            }
        )
        self.store = await Store.open(self.settings.database_path, clock=self.clock)
        self.session = aiohttp.ClientSession()
        client = TTApiClient(self.session, self.settings.tt_api_key.get(), self.tt.base_url)
        engine = await build_engine(
            store=self.store,
            provider=client,
            scale=self.settings.poll_interval_scale,
            max_in_progress=self.settings.max_jobs_in_progress,
            clock=self.clock,
            prices=PriceBook.load(self.settings.prices_file),
            low_balance_alert=self.settings.low_balance_alert,
        )
        self.events, self.watcher, self.service = engine.events, engine.watcher, engine.service
        self.bot = MjBot(self.settings, self.store, self.service, self.events, self.session)
        self.running = True
        try:
            # READY would confirm the application id; login already sets it from
            # GET /oauth2/applications/@me, before setup_hook syncs the commands.
            await self.bot.login(self.settings.discord_token.get())
        except BaseException:
            await self.stop()
            raise
        if self.guild_cached:
            self.cache_guild()

    def cache_guild(self) -> None:
        """Deliver the fake guild's GUILD_CREATE (roles, channels), as the gateway would.

        The bot has the guilds intent, so in production its cache holds every guild's roles
        and channels; channel options (`discord.TextChannel`) and member roles resolve
        through that cache. Kept across restarts once called.
        """
        self.guild_cached = True
        self.bot._connection._add_guild_from_data(self.discord.guild_payload())  # type: ignore[arg-type]

    async def stop(self) -> None:
        """Let dispatched handlers finish, then close the bot, the store and the session."""
        if not self.running:
            return
        self.running = False
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
        await self.bot.close()
        await self.store.close()
        await self.session.close()

    async def restart(self, **env: str) -> None:
        """A new process on the same database: new store, engine and bot."""
        await self.stop()
        await self.start(**env)

    # -- driving ---------------------------------------------------------------------------

    def dispatch(self, payload: Payload) -> set[asyncio.Task[Any]]:
        """Deliver an INTERACTION_CREATE as the gateway would; return the tasks it started."""
        before = asyncio.all_tasks()
        self.bot._connection.parse_interaction_create(payload)
        started = asyncio.all_tasks() - before
        self._tasks |= started
        return started

    async def run(self, payload: Payload, within: float = 5.0) -> Payload:
        """Deliver an interaction and wait until its handler has returned."""
        tasks = self.dispatch(payload)
        assert tasks, "discord.py started no handler for this interaction"
        await asyncio.wait_for(asyncio.gather(*tasks), within)
        return payload

    async def command(self, name: str, *, user_id: int = USER_ID, **options: Any) -> Payload:
        """Run a slash command; options left as None are not sent."""
        given = {key: value for key, value in options.items() if value is not None}
        return await self.run(self.discord.slash_command(name, given, user_id=user_id))

    async def admin(self, name: str, *, user_id: int = USER_ID, **options: Any) -> Payload:
        """Run ``/mj-admin <name>`` as a member with Manage Server; None options not sent."""
        given = {key: value for key, value in options.items() if value is not None}
        payload = self.discord.slash_command(
            f"mj-admin {name}", given, user_id=user_id, permissions=MODERATOR_PERMISSIONS
        )
        return await self.run(payload)

    async def imagine(self, prompt: str, *, user_id: int = USER_ID, **options: Any) -> Payload:
        """Run /imagine."""
        return await self.command("imagine", user_id=user_id, prompt=prompt, **options)

    async def click(self, message: StoredMessage, label: str, *, user_id: int = USER_ID) -> Payload:
        """Click the button showing `label` (or that emoji) on a stored message."""
        custom_id = message.custom_id(label)
        return await self.run(self.discord.button_click(message, custom_id, user_id=user_id))

    def private_answer(self, payload: Payload) -> str:
        """The text of the one ephemeral message an interaction was answered with."""
        callbacks = self.discord.callbacks_for(payload["id"])
        assert len(callbacks) == 1, f"expected one answer, got {callbacks}"
        [answer] = callbacks
        assert answer.type == CHANNEL_MESSAGE, answer
        assert answer.ephemeral, answer
        return str(answer.data.get("content", ""))

    async def until(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` (sync or async) is truthy and return its value."""
        return await until(predicate, within)

    async def result_of(self, payload: Payload, within: float = 5.0) -> tuple[StoredMessage, Job]:
        """The result message posted for the job an interaction started, and that job."""
        original = await self.until(lambda: self.discord.original(payload["id"]), within)

        async def posted() -> tuple[StoredMessage, Job] | None:
            for message in self.discord.posts(CHANNEL_ID):
                job = await self.store.job_for_message(message.id)
                if job is not None and job.progress_message_id == original.id:
                    return message, job
            return None

        return await self.until(posted, within)

    async def grid(self, prompt: str, *, user_id: int = USER_ID) -> tuple[StoredMessage, Job]:
        """Run /imagine and wait for its posted grid."""
        return await self.result_of(await self.imagine(prompt, user_id=user_id))

    def tt_bodies(self, endpoint: str) -> list[dict[str, Any]]:
        """JSON bodies the fake TT API received on /midjourney/v1/<endpoint>."""
        return [call.json for call in self.tt.calls_to(f"/midjourney/v1/{endpoint}")]


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, with every discord.py REST call pointed at it."""
    fake = FakeDiscord(bot_token=BOT_TOKEN)
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    yield fake
    await fake.close()


@pytest.fixture
async def tt_api() -> AsyncIterator[FakeTTApi]:
    """The fake TT API with quick jobs."""
    fake = FakeTTApi(scenario=QUICK, max_in_progress=100)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def harness(
    discord_fake: FakeDiscord, tt_api: FakeTTApi, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The logged-in bot; afterwards, no request may have hit a route Discord lacks."""
    running = Harness(discord_fake, tt_api, tmp_path / "data" / "mjbot.db")
    await running.start()
    yield running
    await running.stop()
    assert discord_fake.unknown_routes == [], "the bot called routes Discord does not have"
