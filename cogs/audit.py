"""Posts one audit entry per finished job to the server's audit channel, if it has one."""

from __future__ import annotations

from discord.ext import commands

from bot.jobs.models import Job
from bot.ui.audit import job_entry, moderation_view, post_audit
from bot.ui.context import Services


class Audit(commands.Cog):
    """Listens after the publisher, so the entry can link to the posted result."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]

    async def cog_load(self) -> None:
        """Start listening to the engine."""
        self.services.events.subscribe(self.on_job)

    async def cog_unload(self) -> None:
        """Stop listening."""
        self.services.events.unsubscribe(self.on_job)

    async def on_job(self, job: Job) -> None:
        """A finished job: post who asked for what and how it ended."""
        if not job.finished or job.guild_id is None:
            return
        current = await self.services.store.get_job(job.id) or job  # now with its result message
        await post_audit(self.bot, job.guild_id, job_entry(current), moderation_view(current))


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Audit(bot))
