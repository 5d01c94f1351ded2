"""Owner alerts: DMs to OWNER_IDS and a line in every audit channel, from the engine's notices."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.jobs.alerts import Notice
from bot.ui.audit import post_audit
from bot.ui.budget import alert_text
from bot.ui.context import Services

log = logging.getLogger(__name__)


class OwnerAlerts(commands.Cog):
    """Delivers low-balance and payment alerts; the engine decides when (bot/jobs/alerts.py)."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]
        self._tasks: set[asyncio.Task[Any]] = set()

    async def cog_load(self) -> None:
        """Start listening to the engine's alerts."""
        self.services.service.alerts.subscribe(self.on_notice)

    async def cog_unload(self) -> None:
        """Stop listening; let deliveries under way finish briefly."""
        self.services.service.alerts.unsubscribe(self.on_notice)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def on_notice(self, notice: Notice) -> None:
        """Deliver in the background: the engine never waits on Discord."""
        task = asyncio.create_task(self._deliver(notice))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _deliver(self, notice: Notice) -> None:
        text = alert_text(notice)
        for owner_id in sorted(self.services.settings.owner_ids):
            try:
                user = self.bot.get_user(owner_id) or await self.bot.fetch_user(owner_id)
                await user.send(text, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as error:
                log.warning("alert DM to owner %d failed: %s", owner_id, error)
        for guild_id in await self.services.store.audit_channels():
            await post_audit(self.bot, guild_id, text)
        log.info("alert %s delivered", notice.kind)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("alert delivery failed", exc_info=task.exception())


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(OwnerAlerts(bot))
