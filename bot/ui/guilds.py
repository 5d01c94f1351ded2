"""Where the bot works: servers only, and only those on ALLOWED_GUILD_IDS when it is set.

An application is a "Public Bot" by default, so anyone could add it to a server of their own,
where they moderate without limits and spend the owner's credits. The README says to untick
it; leaving unlisted servers is the second line of defence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import discord
from discord import app_commands

log = logging.getLogger(__name__)

# Every command is a server command, installed with the server (never a user app, never DMs);
# set on the tree, so commands added later inherit it.
SERVER_CONTEXTS = app_commands.AppCommandContext(
    guild=True, dm_channel=False, private_channel=False
)
SERVER_INSTALLS = app_commands.AppInstallationType(guild=True, user=False)


async def leave_unlisted(guilds: Iterable[discord.Guild], allowed: frozenset[int]) -> int:
    """Leave every server not on a non-empty allow list; returns how many were left."""
    left = 0
    for guild in list(guilds):
        left += await leave_if_unlisted(guild, allowed)
    return left


async def leave_if_unlisted(guild: discord.Guild, allowed: frozenset[int]) -> bool:
    """Leave `guild` unless the allow list is empty or names it."""
    if not allowed or guild.id in allowed:
        return False
    log.warning("leaving server %s (%d): it is not in ALLOWED_GUILD_IDS", guild.name, guild.id)
    try:
        await guild.leave()
    except discord.HTTPException:
        log.exception("could not leave server %d", guild.id)
        return False
    return True
