"""Builds the whole bot from Settings and runs it until it is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

import aiohttp
import discord

from bot.accounts import provider_pool
from bot.app import MjBot
from bot.jobs.engine import build_engine
from bot.jobs.prices import PriceBook
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.jobs.webhook import HookServer, hook_url, new_secret, warn_if_plain_http
from bot.logs import redact
from bot.provider.pool import ProviderPool
from bot.settings import Settings
from bot.startup import (
    EXIT_LOGIN_REFUSED,
    LOGIN_REFUSED,
    StartupError,
    check_accounts,
    wait_for_discord,
)
from bot.web.setup import install_editor

log = logging.getLogger(__name__)
# The demo draws in seconds and its fetches are local and free: poll it five times as often.
DEMO_POLL_FACTOR = 0.2
_closing: set[asyncio.Task[None]] = set()  # keeps the close task referenced until it is done


async def run(settings: Settings) -> None:
    """Open the session and database, start the bot, and close everything on the way out.

    Raises StartupError (one line, an exit code) when Discord rejects the token.
    """
    await wait_for_discord(settings.discord_token.get())
    store = await Store.open(settings.database_path)
    try:
        await store.migrate()
        async with aiohttp.ClientSession() as session, provider_pool(settings, session) as pool:
            await _run_bot(settings, store, session, pool)
    finally:
        await store.close()


async def _run_bot(
    settings: Settings, store: Store, session: aiohttp.ClientSession, provider: ProviderPool
) -> None:
    # A refused key is a warning, not a stop: the pool rests that account, and the problem
    # becomes the service's last error, which /mj-admin status shows.
    problem = await check_accounts(provider, settings.tt_api_base_url)
    demo_only = settings.providers == ("demo",)
    secret = None
    if settings.webhook_base_url:
        secret = settings.webhook_secret.get() if settings.webhook_secret else None
        secret = secret or await store.meta_or_create("webhook_secret", new_secret)
        # The secret is the callback's only credential: never in logs, errors or Discord.
        redact(secret)
        provider.add_secret(secret)
        warn_if_plain_http(settings.webhook_base_url)
    engine = await build_engine(
        store=store,
        provider=provider,
        scale=settings.poll_interval_scale * (DEMO_POLL_FACTOR if demo_only else 1.0),
        safety_net=settings.webhook_base_url is not None,
        max_in_progress=settings.max_jobs_in_progress,
        hook_url=hook_url(settings.webhook_base_url, secret)
        if settings.webhook_base_url and secret
        else None,
        prices=PriceBook.load(settings.prices_file),
        low_balance_alert=settings.low_balance_alert,
    )
    watcher, service, events = engine.watcher, engine.service, engine.events
    if problem is not None:
        service.last_error = (time.time(), problem)
    server = None
    if secret is not None:
        server = HookServer(watcher, secret, lambda: _status(service), adopt=service.adopt)
        await install_editor(server.app, store, service, session, settings.public_base_url or "")
        await server.start(settings.webhook_host, settings.webhook_port)
    try:
        async with MjBot(settings, store, service, events, session) as bot:
            _close_on_sigterm(bot)
            try:
                await bot.start(settings.discord_token.get())
            except discord.LoginFailure:  # reset between the first check and this login
                raise StartupError(LOGIN_REFUSED, EXIT_LOGIN_REFUSED) from None
    finally:
        if server is not None:
            await server.stop()


def _status(service: JobService) -> dict[str, int]:
    return {"in_flight": service.in_flight, "queued": service.queued}


def _close_on_sigterm(bot: MjBot) -> None:
    """`docker stop` sends SIGTERM: close the bot (watcher, submits in flight) cleanly."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # not available on Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: _closing.add(loop.create_task(bot.close())))
