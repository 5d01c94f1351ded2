"""The doctor's runs: the full one from the command line, and one server's from Discord."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from discord.http import HTTPClient

from bot.doctor.discord_checks import (
    AllowedChannels,
    check_application,
    check_guilds,
    check_permissions,
    check_token,
)
from bot.doctor.report import EXIT_BAD_SETTINGS, Finding, exit_code, ok, render
from bot.doctor.system_checks import (
    check_database,
    check_provider,
    check_public_url,
    check_settings,
    check_translation,
    settings_failures,
)
from bot.jobs.store import Store
from bot.jobs.webhook import health_proof
from bot.settings import Settings, SettingsError
from bot.ui.context import Services

log = logging.getLogger(__name__)


def main(settings_source: Callable[[], Settings]) -> int:
    """`python -m bot doctor`: print the report; exit 0 (fine), 1 (problems) or 2 (settings)."""
    try:
        settings = settings_source()
    except SettingsError as error:
        print(render(settings_failures(error)), file=sys.stderr)  # noqa: T201
        return EXIT_BAD_SETTINGS
    findings = asyncio.run(collect(settings))
    print(render(findings))  # noqa: T201
    return exit_code(findings)


async def collect(settings: Settings) -> list[Finding]:
    """Every check, as the bot would start: settings, Discord, provider, database, public URL."""
    findings = check_settings(settings)
    async with aiohttp.ClientSession() as session, _store(settings.database_path) as store:
        findings += await _discord(settings, store)
        findings += await check_provider(session, settings)
        findings += await check_database(settings.database_path)
        if settings.translate_url:
            findings.append(await check_translation(session, settings))
        if settings.public_base_url:
            secret = await _secret(settings, store)
            async with _stand_in(settings, secret):
                findings.append(await check_public_url(session, settings.public_base_url, secret))
    return findings


async def collect_for_guild(
    settings: Settings,
    http: HTTPClient,
    session: aiohttp.ClientSession,
    *,
    guild_id: int,
    allowed_channels: AllowedChannels,
    webhook_secret: str | None,
) -> list[Finding]:
    """The checks for one server, from inside the running bot (already logged in)."""
    token, me = await check_token(http, None)
    findings = [ok("Settings", "valid (the bot started with them)"), token]
    findings.append(await check_application(http))
    if me:
        findings += await check_permissions(http, guild_id, int(me["id"]), allowed_channels)
    findings += await check_provider(session, settings)
    findings += await check_database(settings.database_path)
    if settings.translate_url:
        findings.append(await check_translation(session, settings))
    if settings.public_base_url:
        findings.append(await check_public_url(session, settings.public_base_url, webhook_secret))
    return findings


async def guild_report(bot: Services, http: HTTPClient, guild_id: int) -> str:
    """`/mj-admin doctor`: the report for the server it is run in, as text."""
    settings = bot.settings
    secret = settings.webhook_secret.get() if settings.webhook_secret else None
    if settings.public_base_url and secret is None:
        secret = await bot.store.get_meta("webhook_secret")
    findings = await collect_for_guild(
        settings,
        http,
        bot.http_session,
        guild_id=guild_id,
        allowed_channels=bot.store.allowed_channels,
        webhook_secret=secret,
    )
    return render(findings)


async def _discord(settings: Settings, store: Store | None) -> list[Finding]:
    http = HTTPClient(asyncio.get_running_loop())
    try:
        token, me = await check_token(http, settings.discord_token.get())
        if not me:
            return [token]
        findings = [token, await check_application(http)]
        allowed: Collection[int] | None = getattr(settings, "allowed_guild_ids", None)
        guild_findings, guilds = await check_guilds(http, allowed)
        findings += guild_findings
        for guild in guilds:
            findings += await check_permissions(
                http, int(guild["id"]), int(me["id"]), _allowed_channels(store)
            )
        return findings
    finally:
        await http.close()


def _allowed_channels(store: Store | None) -> AllowedChannels:
    async def read(guild_id: int) -> list[int]:
        return await store.allowed_channels(guild_id) if store is not None else []

    return read


@contextlib.asynccontextmanager
async def _store(path: Path) -> AsyncIterator[Store | None]:
    """The database when it exists and opens (the doctor never creates or migrates it)."""
    if not await asyncio.to_thread(path.exists):
        yield None
        return
    try:
        store = await Store.open(path)
    except sqlite3.Error:  # check_database reports it; the other checks go on without it
        yield None
        return
    try:
        yield store
    finally:
        await store.close()


async def _secret(settings: Settings, store: Store | None) -> str | None:
    if settings.webhook_secret:
        return settings.webhook_secret.get()
    with contextlib.suppress(Exception):  # an old or empty database has no stored secret
        return await store.get_meta("webhook_secret") if store is not None else None
    return None


@contextlib.asynccontextmanager
async def _stand_in(settings: Settings, secret: str | None) -> AsyncIterator[None]:
    """When the bot is not running, answer /healthz on WEBHOOK_BIND the way it would."""

    async def health(request: web.Request) -> web.Response:
        nonce = request.query.get("nonce", "")
        body: dict[str, Any] = {"status": "ok", "nonce": nonce}
        if secret:
            body["proof"] = health_proof(secret, nonce)
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        except OSError:
            log.debug("WEBHOOK_BIND is taken: the running bot answers /healthz itself")
        yield
    finally:
        await runner.cleanup()
