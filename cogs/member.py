"""Member commands: /settings, /info, /show and /help."""

from __future__ import annotations

import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed, UserFacingError
from bot.jobs.ledger import day_start
from bot.jobs.models import GuildSettings
from bot.jobs.states import JobStatus
from bot.provider import ProviderError
from bot.ui.actions import human_name
from bot.ui.budget import PAYMENT_HOLD, budget_text, info_lines
from bot.ui.context import Services, is_moderator, is_owner
from bot.ui.lineage import family_lines
from bot.ui.results import render
from bot.ui.settings_panel import handle_modal, panel


class Member(commands.Cog):
    """What every member can use besides making images."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]

    @app_commands.command(
        name="settings", description="Your default mode, prompt suffix and DM copies"
    )
    async def settings(self, interaction: discord.Interaction) -> None:
        """Show the settings panel."""
        store = self.services.store
        user = await store.user_settings(interaction.user.id)
        guild = await store.guild_settings(interaction.guild_id or 0)
        text, view = panel(user, guild)
        await interaction.response.send_message(text, view=view, ephemeral=True)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """The /settings suffix modal, handled here so it survives restarts."""
        await handle_modal(interaction)

    @app_commands.command(name="info", description="Your jobs today, your queue and your settings")
    async def info(self, interaction: discord.Interaction) -> None:
        """Ephemeral overview of the member's use."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines = await self._usage_lines(interaction)
        if interaction.guild_id is not None:
            budgets = self.services.service.budgets
            lines += info_lines(await budgets.status(interaction.guild_id, interaction.user.id))
        lines += await self._queue_lines(interaction.user.id)
        if self.services.service.payment_hold:
            lines.append(PAYMENT_HOLD)
        user = await self.services.store.user_settings(interaction.user.id)
        lines.append(
            f"Default mode: {user.default_mode or 'server default'} · "
            f"suffix: {f'`{user.prompt_suffix}`' if user.prompt_suffix else 'none'} · "
            f"DM copy: {'on' if user.dm_copy else 'off'}"
        )
        if is_owner(interaction):  # the owner's account, shared by every server
            try:
                balance = (await self.services.service.account()).balance
                lines.append(f"Account balance: {balance:g} credits" if balance is not None else "")
            except ProviderError as error:
                lines.append(f"Account balance: unavailable ({error.message})")
        await interaction.followup.send("\n".join(filter(None, lines)), ephemeral=True)

    async def _usage_lines(self, interaction: discord.Interaction) -> list[str]:
        store = self.services.store
        guild = await store.guild_settings(interaction.guild_id or 0)
        today = await store.count_jobs(
            since=day_start(time.time()), guild_id=interaction.guild_id, user_id=interaction.user.id
        )
        running = await store.count_unfinished(interaction.user.id)
        daily = f"of {guild.daily_limit}" if guild.daily_limit else "(no daily limit)"
        at_once = f"of {guild.concurrent_limit}" if guild.concurrent_limit else "(no limit)"
        cooldown = f" · cooldown {guild.cooldown_s} s" if guild.cooldown_s else ""
        return [
            f"**Today:** {today} jobs {daily} · {running} queued or running {at_once}{cooldown}"
        ]

    async def _queue_lines(self, user_id: int) -> list[str]:
        service = self.services.service
        lines = []
        positions = service.positions()
        for job in await self.services.store.unfinished_jobs():
            if job.user_id != user_id:
                continue
            position = positions.get(job.id)
            if position is not None:
                state = f"queued, {position} ahead" if position else "queued, next up"
                if waiting := service.waiting_reason():
                    state = f"{state}, {waiting}"
            elif job.status is JobStatus.RUNNING:
                state = f"running, {job.progress or 0}%"
            else:
                state = "starting"
            what = human_name(job.action) if job.action else job.kind
            lines.append(f"Job {job.id} ({what}): {state}")
        return lines or ["Nothing queued or running."]

    @app_commands.command(name="show", description="Post a past job here, with working buttons")
    @app_commands.describe(job="The job id shown under a result, or the TT API job id")
    async def show(self, interaction: discord.Interaction, job: str) -> None:
        """Re-post a finished job in this channel."""
        found = await self.services.store.find_job(job)
        if found is None or (
            found.guild_id != interaction.guild_id and not is_owner(interaction)
        ):  # another server's job is unknown here: its prompt and credits are theirs
            raise UserFacingError(f"I know no job “{job}” on this server.")
        if found.user_id != interaction.user.id and not is_moderator(interaction):
            raise NotAllowed("You can show your own jobs only.")
        if found.status is not JobStatus.SUCCEEDED or not found.image_url:
            raise UserFacingError(f"Job {found.id} has no result to show ({found.status}).")
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel_id = interaction.channel_id or 0
        channel = self.bot.get_partial_messageable(channel_id, guild_id=interaction.guild_id)
        used = await self.services.service.used_actions(found.id)
        providers = self.services.service.providers
        rendered = await render(found, self.services.http_session, used=used, providers=providers)
        message = await rendered.send(channel)
        await self.services.store.map_message(message.id, found.id, channel_id)
        family = "\n".join(await family_lines(self.services.store, found))
        await interaction.followup.send(
            f"Job {found.id} posted: {message.jump_url}\n{family}"[:2000],
            ephemeral=True,
            suppress_embeds=True,
        )

    @app_commands.command(name="help", description="How to use mjbot on this server")
    async def help(self, interaction: discord.Interaction) -> None:
        """Commands (as registered), buttons, modes and this server's limits."""
        guild = await self.services.store.guild_settings(interaction.guild_id or 0)
        embed = discord.Embed(title="mjbot help", colour=discord.Colour(0x5865F2))
        _add_fields(embed, "Commands", _commands(self.bot, admin=False))
        if is_moderator(interaction):
            _add_fields(embed, "Moderators", _commands(self.bot, admin=True))
        embed.add_field(
            name="Buttons",
            value=(
                "U1–U4 upscale one image · V1–V4 vary it · 🔄 reroll · 🌱 seed\n"
                "After an upscale: Upscale (Subtle/Creative), Vary (Subtle/Strong), "
                "🖌️ Vary (Region), Zoom Out, ⬅️➡️⬆️⬇️ pan\n"
                "/describe: 1️⃣–4️⃣ imagine a prompt · 🎉 all four\n"
                "A blurple button was already used; an upscale asks before running again."
            ),
            inline=False,
        )
        default = guild.default_mode or self.services.settings.default_mode
        embed.add_field(
            name="Modes",
            value=f"{', '.join(guild.allowed_modes)} (default {default})",
            inline=False,
        )
        budget = await self.services.service.budgets.get(guild.guild_id)
        limits = _limits(guild) + (f"\nCredits: {budget_text(budget)}" if budget.any else "")
        embed.add_field(name="Limits here", value=limits, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


def _add_fields(embed: discord.Embed, name: str, lines: list[str]) -> None:
    """Whole lines packed into fields of at most 1024 characters (Discord's field limit)."""
    values = [""]
    for line in lines:
        if values[-1] and len(values[-1]) + len(line) + 1 > 1024:
            values.append("")
        values[-1] = f"{values[-1]}\n{line}" if values[-1] else line[:1024]
    for number, value in enumerate(values):
        title = name if number == 0 else f"{name} (continued)"
        embed.add_field(name=title, value=value or "none", inline=False)


def _commands(bot: commands.Bot, *, admin: bool) -> list[str]:
    """Every registered command, derived from the tree (never a hard-coded list)."""
    lines = []
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        top = command.root_parent.name if command.root_parent else command.name
        if (top == "mj-admin") == admin:
            lines.append(f"`/{command.qualified_name}` {command.description}")
    return lines


def _limits(guild: GuildSettings) -> str:
    values = {
        "jobs a day each": guild.daily_limit,
        "jobs at once each": guild.concurrent_limit,
        "seconds between jobs": guild.cooldown_s,
        "jobs a day for the server": guild.guild_daily_limit,
    }
    parts = [f"{value} {name}" for name, value in values.items() if value]
    return " · ".join(parts) or "No limits."


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Member(bot))
