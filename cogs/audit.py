"""Posts one audit entry per finished job to the server's audit channel, if it has one."""

from __future__ import annotations

from discord.ext import commands

from bot.jobs.models import Job
from bot.ui.audit import job_entry, moderation_view, post_audit
from bot.ui.context import Services


class Audit(commands.Cog):
    """Hears from the publisher once a result is posted, so the entry can link to it."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]

    @commands.Cog.listener()
    async def on_job_published(self, job: Job) -> None:
        """A finished job: post who asked for what and how it ended."""
        if not job.finished or job.guild_id is None:
            return
        current = await self.services.store.get_job(job.id) or job  # now with its result message
        await post_audit(self.bot, job.guild_id, job_entry(current), moderation_view(current))


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Audit(bot))
