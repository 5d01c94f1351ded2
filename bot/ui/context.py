"""What the UI layer needs from the running bot, without importing the bot class."""

from __future__ import annotations

from typing import Protocol, cast

import aiohttp
import discord

from bot.jobs.events import JobEvents
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.settings import Settings


class Services(Protocol):
    """The attributes MjBot provides to cogs and buttons."""

    settings: Settings
    store: Store
    service: JobService
    events: JobEvents
    http_session: aiohttp.ClientSession


def services(interaction: discord.Interaction) -> Services:
    """The bot behind an interaction, typed as the services it carries."""
    return cast(Services, interaction.client)


async def resolve_mode(
    bot: Services, user_id: int, guild_id: int | None, chosen: str | None
) -> str:
    """The chosen mode, else the member's default, else the server's, else DEFAULT_MODE."""
    if chosen:
        return chosen
    user = await bot.store.user_settings(user_id)
    if user.default_mode:
        return user.default_mode
    if guild_id is not None:
        guild = await bot.store.guild_settings(guild_id)
        if guild.default_mode:
            return guild.default_mode
    return bot.settings.default_mode


def is_owner(interaction: discord.Interaction) -> bool:
    """One of OWNER_IDS: sees owner-wide facts (the TT balance, the last provider error)."""
    return interaction.user.id in services(interaction).settings.owner_ids


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server here, or one of OWNER_IDS: may run /mj-admin and skips channel and limits."""
    if interaction.user.id in services(interaction).settings.owner_ids:
        return True
    return interaction.guild_id is not None and interaction.permissions.manage_guild
