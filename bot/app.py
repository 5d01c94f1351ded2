"""The Bot subclass: dependencies come in through __init__, setup_hook wires them up."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Final

import aiohttp
import discord
from discord.ext import commands

from bot.jobs.events import JobEvents
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.settings import Settings
from bot.ui.audit import ModButton
from bot.ui.buttons import JobButton
from bot.ui.errors import Tree
from bot.ui.guilds import SERVER_CONTEXTS, SERVER_INSTALLS, leave_if_unlisted, leave_unlisted
from bot.ui.settings_panel import ModeSelect, SettingsButton
from bot.ui.used import RepeatButton

log = logging.getLogger(__name__)

EXTENSIONS: Final = (
    "cogs.generate",
    "cogs.publisher",
    "cogs.audit",
    "cogs.admin",
    "cogs.member",
    "cogs.alerts",
)


class MjBot(commands.Bot):
    """mjbot: slash commands only, no privileged intents."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        service: JobService,
        events: JobEvents,
        http_session: aiohttp.ClientSession,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and role data for checks; not privileged
        super().__init__(
            command_prefix=commands.when_mentioned,  # no text commands; slash commands only
            intents=intents,
            tree_cls=Tree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            allowed_contexts=SERVER_CONTEXTS,
            allowed_installs=SERVER_INSTALLS,
        )
        self.settings = settings
        self.store = store
        self.service = service
        self.events = events
        self.http_session = http_session
        self._extensions = extensions

    async def setup_hook(self) -> None:
        """Migrate, register the buttons, load the cogs, start the engine, sync commands."""
        await self.store.migrate()
        self.add_dynamic_items(JobButton, ModButton, ModeSelect, SettingsButton, RepeatButton)
        for extension in self._extensions:
            try:
                await self.load_extension(extension)
            except commands.ExtensionError:
                log.exception("extension %s failed to load; the rest of the bot runs", extension)
        # After the cogs: recovery reports unposted results, and the publisher must hear them.
        await self.service.start()
        await self.sync_commands()

    async def sync_commands(self) -> bool:
        """Sync the command tree only when it changed: Discord allows 200 creates a day."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        key = f"command_hash:{guild.id if guild else 'global'}"
        digest = command_hash(self.tree, guild)
        if await self.store.get_meta(key) == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return False
        await self.tree.sync(guild=guild)
        await self.store.set_meta(key, digest)
        log.info("commands synced %s", f"to guild {guild.id}" if guild else "globally")
        return True

    async def close(self) -> None:
        """Stop the engine, then disconnect."""
        await self.service.stop()
        await super().close()

    async def on_ready(self) -> None:
        """Log who we are once connected, and leave servers not on ALLOWED_GUILD_IDS."""
        log.info(
            "connected as %s (%s) to %d servers",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )
        await leave_unlisted(self.guilds, self.settings.allowed_guild_ids)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Someone added the bot to a server: stay only if it is allowed."""
        await leave_if_unlisted(guild, self.settings.allowed_guild_ids)


def command_hash(
    tree: discord.app_commands.CommandTree, guild: discord.abc.Snowflake | None
) -> str:
    """A digest of every command's definition as it would be sent to Discord."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
