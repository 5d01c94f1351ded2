"""Doctor checks against Discord's REST API: token, application, servers, channel permissions.

They use discord.py's own HTTP client, so `discord.http.Route.BASE` decides where the calls
go (tests point it at a local fake) and rate limits are honoured as everywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import discord
from discord.http import HTTPClient, Route

from bot.doctor import permissions
from bot.doctor.network import NETWORK_ERRORS, describe
from bot.doctor.report import Finding, fail, ok, warn

AllowedChannels = Callable[[int], Awaitable[list[int]]]
PORTAL = "https://discord.com/developers/applications"
RESET = f"reset the token ({PORTAL} → your app → Bot → Reset Token) and put it in DISCORD_TOKEN"
MAX_CHANNEL_LINES = 8  # past this, one summary line: a long list hides the rest of the report


async def check_token(http: HTTPClient, token: str | None) -> tuple[Finding, Mapping[str, Any]]:
    """Log in with `token` (or, when None, ask who the logged-in client is)."""
    subject = "Discord token"
    try:
        if token is not None:
            me: Mapping[str, Any] = await http.static_login(token)
        else:
            me = await http.request(Route("GET", "/users/@me"))
    except discord.LoginFailure:
        return fail(subject, "rejected by Discord (401)", RESET), {}
    except discord.HTTPException as error:
        return fail(subject, f"Discord answered HTTP {error.status}", "try again later"), {}
    except NETWORK_ERRORS as error:
        fix = "check this machine's network, DNS and firewall"
        return fail(subject, describe(error, Route.BASE), fix), {}
    return ok(subject, f"accepted: this is {me.get('username')} ({me.get('id')})"), me


async def check_application(http: HTTPClient) -> Finding:
    """Warn when the application is public: anyone could add the bot and spend your credits."""
    subject, later = "Application", "run the doctor again later"
    try:
        app = await http.request(Route("GET", "/applications/@me"))
    except discord.HTTPException as error:
        return warn(
            subject, f"could not be read (HTTP {error.status})", "run the doctor again later"
        )
    except NETWORK_ERRORS as error:
        return warn(subject, describe(error, Route.BASE), later)
    if app.get("bot_public"):
        return warn(
            subject,
            "public: anyone with the link can add the bot and spend your TT API credits",
            f"{PORTAL} → your app → Bot → turn off Public Bot (and Installation → "
            "Install Link: None)",
        )
    return ok(subject, "private: only you can add the bot to servers")


async def check_guilds(
    http: HTTPClient, allowed: Collection[int] | None
) -> tuple[list[Finding], list[Mapping[str, Any]]]:
    """The servers the bot is in, against ALLOWED_GUILD_IDS when that is set."""
    guilds: list[Mapping[str, Any]] = list(await http.get_guilds(200))
    if not guilds:
        fix = (
            f"invite it: {PORTAL} → your app → OAuth2 → URL Generator (bot, applications.commands)"
        )
        return [warn("Servers", "the bot is in no server yet", fix)], guilds
    names = ", ".join(str(g.get("name")) for g in guilds[:10])
    findings = [ok("Servers", f"in {len(guilds)}: {names}{' …' if len(guilds) > 10 else ''}")]
    if allowed:
        ids = {int(g["id"]) for g in guilds}
        for guild in guilds:
            if int(guild["id"]) not in allowed:
                findings.append(
                    warn(
                        f"Server {guild.get('name')} ({guild['id']})",
                        "not in ALLOWED_GUILD_IDS",
                        "add its id to ALLOWED_GUILD_IDS, or remove the bot from that server",
                    )
                )
        findings += [
            warn(f"ALLOWED_GUILD_IDS {gid}", "the bot is not in that server", "invite it there")
            for gid in sorted(set(allowed) - ids)
        ]
    return findings, guilds


async def check_permissions(
    http: HTTPClient, guild_id: int, bot_id: int, allowed_channels: AllowedChannels
) -> list[Finding]:
    """The bot's permissions in the server's allowed channels (every channel when none)."""
    try:
        guild = await http.get_guild(guild_id, with_counts=False)
        channels = await http.get_all_guild_channels(guild_id)
        member = await http.get_member(guild_id, bot_id)
    except discord.HTTPException as error:
        fix = "re-invite the bot to that server"
        return [fail(f"Server {guild_id}", f"cannot be read (HTTP {error.status})", fix)]
    base = permissions.base_permissions(guild, member, bot_id)
    allowed = await allowed_channels(guild_id)
    by_id = {int(c["id"]): c for c in channels}
    name = str(guild.get("name"))
    findings = [
        fail(f"{name}: channel {cid}", "is allowed but no longer exists", "/mj-admin channels deny")
        for cid in allowed
        if cid not in by_id
    ]
    checked = (
        [by_id[cid] for cid in allowed if cid in by_id]
        if allowed
        else permissions.text_channels(channels)
    )
    broken = [
        (channel, lacking)
        for channel in checked
        if (
            lacking := permissions.missing(
                permissions.channel_permissions(base, channel, member, guild_id)
            )
        )
    ]
    findings += _channel_findings(name, broken, everywhere=not allowed)
    if not broken:
        scope = "allowed" if allowed else "text"
        findings.append(ok(name, f"can post in all {len(checked)} {scope} channel(s)"))
    return findings


def _channel_findings(
    guild_name: str, broken: list[tuple[Mapping[str, Any], list[str]]], *, everywhere: bool
) -> list[Finding]:
    findings = []
    for channel, lacking in broken[:MAX_CHANNEL_LINES]:
        fix = (
            f"#{channel.get('name')} → Edit Channel → Permissions: allow {', '.join(lacking)} "
            "for the bot's role"
        )
        if everywhere:
            fix += " (or limit mjbot to channels it can post in: /mj-admin channels allow)"
        findings.append(
            fail(f"{guild_name} #{channel.get('name')}", f"missing {', '.join(lacking)}", fix)
        )
    if len(broken) > MAX_CHANNEL_LINES:
        more = len(broken) - MAX_CHANNEL_LINES
        fix = "fix them the same way, or limit mjbot with /mj-admin channels allow"
        findings.append(fail(guild_name, f"{more} more channel(s) lack permissions", fix))
    return findings
