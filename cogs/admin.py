"""/mj-admin: the moderators' controls, hidden by default permissions and enforced at run time.

Discord hides the group from members without Manage Server (`default_permissions`), but
server admins can change that in Integrations; `interaction_check` enforces it regardless.
Every answer is ephemeral and every change is posted to the audit channel.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.doctor.run import guild_report
from bot.errors import UserFacingError
from bot.i18n import t
from bot.jobs.ledger import DAY, UsageRow, usage, usage_csv
from bot.jobs.models import GuildSettings
from bot.jobs.moderation import ban_member
from bot.jobs.words import DEFAULT_WORDS
from bot.provider.models import MODES
from bot.ui import budget as budget_ui
from bot.ui.accounts import account_lines
from bot.ui.actions import human_name
from bot.ui.audit import post_audit
from bot.ui.chart import daily_series, draw_usage
from bot.ui.context import Services, is_moderator, is_owner
from bot.ui.locale import locale_of
from cogs.admin_credits import CreditCommands

Choice = app_commands.Choice[str]


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Admin(
    CreditCommands, commands.GroupCog, group_name="mj-admin", group_description="Moderate mjbot"
):
    """Bans, banned words, channels, role, limits, modes, audit log, usage, jobs, pause."""

    words = app_commands.Group(name="words", description="Banned words")
    channels = app_commands.Group(name="channels", description="Channels where mjbot works")
    role = app_commands.Group(name="role", description="A role required to use mjbot")

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]
        self.started = time.time()
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """The cog-wide gate: Manage Server, or one of OWNER_IDS."""
        if not is_moderator(interaction):
            # A CheckFailure, so the tree's error path answers it (other errors escape it).
            text = t("admin.only_moderators", locale_of(interaction))
            raise app_commands.CheckFailure(text)
        return True

    # -- members ----------------------------------------------------------------------------

    @app_commands.command(name="ban", description="Stop a member from using mjbot here")
    @app_commands.describe(user="Who to ban", reason="Why (shown to them)")
    async def ban(
        self, interaction: discord.Interaction, user: discord.User, reason: str = ""
    ) -> None:
        """Ban a member."""
        bot = self.services
        outcome = await ban_member(
            bot.store,
            bot.service,
            _guild(interaction),
            user.id,
            reason=reason,
            by=interaction.user.id,
        )
        added, dropped = outcome.added, outcome.cancelled
        text = (
            f"🔨 {user.mention} is banned from mjbot."
            if added
            else f"{user.mention} was already banned."
        )
        text += f" Reason: {reason}" if reason and added else ""
        text += f" {dropped} queued job(s) cancelled." if dropped else ""
        await self._done(interaction, text, added or bool(dropped))

    @app_commands.command(name="unban", description="Let a banned member use mjbot again")
    @app_commands.describe(user="Who to unban")
    async def unban(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Lift a ban."""
        removed = await self.services.store.unban(_guild(interaction), user.id)
        text = (
            f"{user.mention} may use mjbot again." if removed else f"{user.mention} was not banned."
        )
        await self._done(interaction, text, removed)

    @app_commands.command(name="bans", description="List the members banned from mjbot")
    async def bans(self, interaction: discord.Interaction) -> None:
        """List bans."""
        bans = await self.services.store.bans(_guild(interaction))
        lines = [
            f"<@{b.user_id}> by <@{b.banned_by}> <t:{int(b.created_at)}:R> {b.reason}" for b in bans
        ]
        await _reply(interaction, "\n".join(lines) or "Nobody is banned.")

    # -- words ------------------------------------------------------------------------------

    @words.command(name="add", description="Ban a word or phrase in prompts")
    @app_commands.describe(word="Matched case-insensitively as a whole word")
    async def words_add(
        self, interaction: discord.Interaction, word: app_commands.Range[str, 1, 100]
    ) -> None:
        """Ban a word."""
        word = " ".join(word.lower().split())
        added = await self.services.store.add_word(_guild(interaction), word, interaction.user.id)
        await self._done(interaction, f"“{word}” is {'now' if added else 'already'} banned.", added)

    @words.command(name="remove", description="Allow a banned word again")
    @app_commands.describe(word="The word to allow")
    async def words_remove(self, interaction: discord.Interaction, word: str) -> None:
        """Unban a word."""
        word = " ".join(word.lower().split())
        removed = await self.services.store.remove_word(_guild(interaction), word)
        if not removed and word in DEFAULT_WORDS:
            raise UserFacingError(
                f"“{word}” is on the built-in list: turn it off here with "
                f"/mj-admin words allow-builtin {word}."
            )
        await self._done(
            interaction, f"“{word}” is {'no longer' if removed else 'not'} banned.", removed
        )

    @words.command(name="allow-builtin", description="Turn a built-in banned word off here")
    @app_commands.describe(word="One of the built-in words (see /mj-admin words list)")
    async def words_allow_builtin(self, interaction: discord.Interaction, word: str) -> None:
        """Allow a built-in word in this server (an art server may allow "gore")."""
        word = _builtin(word)
        store = self.services.store
        allowed = await store.allow_builtin(_guild(interaction), word, interaction.user.id)
        text = f"Built-in word “{word}” is {'now' if allowed else 'already'} allowed here."
        await self._done(interaction, text, allowed)

    @words.command(name="forbid-builtin", description="Turn a built-in banned word back on")
    @app_commands.describe(word="A built-in word this server allowed")
    async def words_forbid_builtin(self, interaction: discord.Interaction, word: str) -> None:
        """Undo allow-builtin."""
        word = _builtin(word)
        forbidden = await self.services.store.forbid_builtin(_guild(interaction), word)
        text = f"Built-in word “{word}” is {'banned again' if forbidden else 'already banned'}."
        await self._done(interaction, text, forbidden)

    @words.command(name="list", description="Show the banned words")
    async def words_list(self, interaction: discord.Interaction) -> None:
        """List banned words."""
        own = await self.services.store.words(_guild(interaction))
        off = await self.services.store.allowed_builtins(_guild(interaction))
        text = ", ".join(f"`{word}`" for word in own) or "none yet"
        lines = [
            f"This server's words: {text}",
            f"Plus {len(DEFAULT_WORDS) - len(off)} built-in ones.",
        ]
        if off:
            lines.append("Built-in words allowed here: " + ", ".join(f"`{w}`" for w in off))
        await _reply(interaction, "\n".join(lines))

    # -- channels and role ------------------------------------------------------------------

    @channels.command(name="allow", description="Allow mjbot in a channel (then only listed ones)")
    @app_commands.describe(channel="The channel to allow")
    async def channels_allow(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Add a channel to the allow list."""
        added = await self.services.store.allow_channel(_guild(interaction), channel.id)
        await self._done(
            interaction, f"{channel.mention} is {'now' if added else 'already'} allowed.", added
        )

    @channels.command(name="deny", description="Remove a channel from the allow list")
    @app_commands.describe(channel="The channel to remove")
    async def channels_deny(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Remove a channel from the allow list."""
        removed = await self.services.store.deny_channel(_guild(interaction), channel.id)
        await self._done(
            interaction,
            f"{channel.mention} is {'no longer' if removed else 'not'} on the list.",
            removed,
        )

    @channels.command(name="list", description="Show where mjbot may be used")
    async def channels_list(self, interaction: discord.Interaction) -> None:
        """List allowed channels."""
        allowed = await self.services.store.allowed_channels(_guild(interaction))
        await _reply(
            interaction,
            " ".join(f"<#{c}>" for c in allowed) or "Every channel (the list is empty).",
        )

    @channels.command(name="clear", description="Allow mjbot in every channel again")
    async def channels_clear(self, interaction: discord.Interaction) -> None:
        """Empty the allow list."""
        await self.services.store.clear_channels(_guild(interaction))
        await self._done(interaction, "mjbot may be used in every channel again.", True)

    @role.command(name="set", description="Require a role to use mjbot")
    @app_commands.describe(role="Members need this role")
    async def role_set(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Require a role."""
        await self._update(interaction, required_role_id=role.id)
        await self._done(interaction, f"Members now need {role.mention} to use mjbot.", True)

    @role.command(name="clear", description="Let everyone use mjbot again")
    async def role_clear(self, interaction: discord.Interaction) -> None:
        """Drop the required role."""
        await self._update(interaction, required_role_id=None)
        await self._done(interaction, "No role is required any more.", True)

    # -- settings ---------------------------------------------------------------------------

    @app_commands.command(name="limits", description="Set or show the limits (0 = none)")
    @app_commands.describe(
        daily="Jobs per member per day",
        concurrent="Jobs per member queued or running at once",
        cooldown="Seconds between a member's jobs",
        guild_daily="Jobs per day for the whole server",
    )
    async def limits(
        self,
        interaction: discord.Interaction,
        daily: app_commands.Range[int, 0, 10_000] | None = None,
        concurrent: app_commands.Range[int, 0, 100] | None = None,
        cooldown: app_commands.Range[int, 0, 86_400] | None = None,
        guild_daily: app_commands.Range[int, 0, 1_000_000] | None = None,
    ) -> None:
        """Change the limits, or show them with no options."""
        changes = {
            "daily_limit": daily,
            "concurrent_limit": concurrent,
            "cooldown_s": cooldown,
            "guild_daily_limit": guild_daily,
        }
        changes = {key: value for key, value in changes.items() if value is not None}
        current = (
            await self._update(interaction, **changes)
            if changes
            else await self._settings(interaction)
        )
        text = (
            f"Per member: {_limit(current.daily_limit)} a day, "
            f"{_limit(current.concurrent_limit)} at once, "
            f"cooldown {current.cooldown_s or 'none'}{' s' if current.cooldown_s else ''}. "
            f"Server: {_limit(current.guild_daily_limit)} a day."
        )
        await self._done(interaction, ("Limits updated. " if changes else "") + text, bool(changes))

    @app_commands.command(name="modes", description="Choose the modes members may use")
    @app_commands.describe(allowed='Comma-separated, e.g. "fast,relax"', default="The default mode")
    @app_commands.choices(default=[app_commands.Choice(name=m, value=m) for m in MODES])
    async def modes(self, interaction: discord.Interaction, allowed: str, default: Choice) -> None:
        """Set the allowed modes and the default."""
        chosen = tuple(
            dict.fromkeys(part.strip().lower() for part in allowed.split(",") if part.strip())
        )
        wrong = [mode for mode in chosen if mode not in MODES]
        if wrong or not chosen:
            names = f"{', '.join(MODES[:-1])} and {MODES[-1]}"
            raise UserFacingError(f"Modes are {names}; got “{allowed}”.")
        if default.value not in chosen:
            raise UserFacingError(
                f"The default ({default.value}) must be one of the allowed modes."
            )
        await self._update(interaction, allowed_modes=chosen, default_mode=default.value)
        await self._done(interaction, f"Modes: {', '.join(chosen)}; default {default.value}.", True)

    @app_commands.command(name="buttons", description="Who may press a result's buttons")
    @app_commands.describe(who="anyone, or only the member who asked")
    @app_commands.choices(
        who=[app_commands.Choice(name=n, value=n) for n in ("anyone", "requester")]
    )
    async def buttons(self, interaction: discord.Interaction, who: Choice) -> None:
        """Anyone, or only the member who asked."""
        await self._update(interaction, buttons_who=who.value)
        await self._done(interaction, f"Result buttons: {who.value} may press them.", True)

    @app_commands.command(
        name="translation", description="Turn prompt translation on or off for this server"
    )
    @app_commands.describe(enabled="Off: prompts always go as typed")
    async def translation(self, interaction: discord.Interaction, enabled: bool) -> None:
        """The server-wide switch over the members' own translation choice."""
        locale = locale_of(interaction)
        if not self.services.settings.translate_url:
            raise UserFacingError(t("admin.translation_unavailable", locale))
        await self.services.store.set_translation_disabled(_guild(interaction), not enabled)
        key = "admin.translation_on" if enabled else "admin.translation_off"
        await self._done(interaction, t(key, locale), True)

    @app_commands.command(name="threads", description="Start a thread on each /imagine result")
    @app_commands.describe(state="on: follow-ups of an /imagine go into its thread; off: channel")
    @app_commands.choices(state=[app_commands.Choice(name=n, value=n) for n in ("on", "off")])
    async def threads(self, interaction: discord.Interaction, state: Choice) -> None:
        """Threads for /imagine results, on or off."""
        on = state.value == "on"
        await self._update(interaction, threads=on)
        text = (
            "🧵 Threads on: each /imagine result starts a thread, and its follow-ups go inside it."
            if on
            else "Threads off: follow-ups are posted in the channel, as replies to their parent."
        )
        await self._done(interaction, text, True)

    @app_commands.command(name="log", description="Set the audit channel (no channel = off)")
    @app_commands.describe(channel="Where audit entries go; leave empty to turn the log off")
    async def log(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        """Set or clear the audit channel."""
        await self._update(interaction, log_channel_id=channel.id if channel else None)
        text = f"Audit entries now go to {channel.mention}." if channel else "The audit log is off."
        await self._done(interaction, text, True)

    # -- operations -------------------------------------------------------------------------

    @app_commands.command(name="usage", description="Jobs and credits per member and day")
    @app_commands.describe(days="How many days back (default 7)", user="Only this member")
    async def usage(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 366] = 7,
        user: discord.User | None = None,
    ) -> None:
        """A table of usage, with every job attached as CSV."""
        since = time.time() - days * DAY
        jobs = await self.services.store.jobs_since(
            _guild(interaction), since, user.id if user else None
        )
        rows = usage(jobs)
        lines = [f"{'day':<10} {'user':<20} {'jobs':>5} {'refund':>6} {'credits':>8}"]
        lines += [
            f"{r.day:<10} {r.user_id:<20} {r.jobs:>5} {r.refunded:>6} {_credits(r):>8}"
            + (f" (est. {r.estimate:g}, reported {r.reported:g})" if r.differs else "")
            for r in rows[:40]
        ]
        while len(lines) > 1 and sum(len(line) + 1 for line in lines) > 1850:
            lines.pop()  # whole rows only, so the code block always closes
        total = sum(r.credits for r in rows)
        budgets = self.services.service.budgets
        today = await budgets.members_today(_guild(interaction))
        members = budget_ui.members_table(today, await budgets.get(_guild(interaction)))
        text = (
            f"Last {days} days: {len(jobs)} jobs, about {total:g} credits.\n```\n"
            + "\n".join(lines)
            + "\n```"
        )
        csv_file = discord.File(
            io.BytesIO(usage_csv(jobs).encode()), filename=f"mjbot-usage-{days}d.csv"
        )
        series = daily_series(rows, days, time.time())
        # Drawing takes tens of milliseconds: off the event loop, within the 3 s to answer.
        png = await asyncio.to_thread(
            draw_usage, series, _namer(interaction), days, locale_of(interaction)
        )
        chart = discord.File(io.BytesIO(png), filename=f"mjbot-usage-{days}d.png")
        await interaction.response.send_message(
            text[:2000], files=[csv_file, chart], ephemeral=True
        )
        await _reply(interaction, members)  # its own message: the table above may fill one

    @app_commands.command(name="jobs", description="Jobs running and queued on this server")
    async def jobs(self, interaction: discord.Interaction) -> None:
        """List unfinished jobs."""
        guild = _guild(interaction)
        service = self.services.service
        jobs = [job for job in await self.services.store.unfinished_jobs() if job.guild_id == guild]
        lines = []
        positions = service.positions()
        for job in jobs[:30]:
            position = positions.get(job.id)
            state = (
                f"queued #{position + 1}"
                if position is not None
                else f"{job.status} {job.progress or 0}%"
            )
            lines.append(
                f"`{job.id}` <@{job.user_id}> {human_name(job.action) if job.action else job.kind}"
                f" · {state} · "
                f"{job.prompt[:60]}"
            )
        head = f"{service.in_flight} in flight and {service.queued} queued in all."
        await _reply(interaction, head + "\n" + ("\n".join(lines) or "Nothing running here."))

    @app_commands.command(name="cancel", description="Stop tracking a job; its requester is told")
    @app_commands.describe(job="The job id shown in /mj-admin jobs or under a result")
    async def cancel(self, interaction: discord.Interaction, job: str) -> None:
        """Cancel a job."""
        found = await self.services.store.find_job(job)
        if found is None or found.guild_id != interaction.guild_id:
            raise UserFacingError(f"No job “{job}” on this server.")
        reason = f"Cancelled by a moderator (<@{interaction.user.id}>)."
        cancelled = await self.services.service.cancel(found.id, reason)
        text = (
            f"Job {found.id} cancelled." if cancelled else f"Job {found.id} had already finished."
        )
        await self._done(interaction, text, cancelled)

    @app_commands.command(name="pause", description="Stop all use of mjbot here (kill switch)")
    async def pause(self, interaction: discord.Interaction) -> None:
        """Pause the bot on this server."""
        await self._update(interaction, paused=True)
        reason = "Cancelled: mjbot was paused by a moderator. Nothing was charged."
        dropped = await self.services.service.cancel_queued(_guild(interaction), reason)
        waiting = f" {dropped} queued job(s) were cancelled." if dropped else ""
        text = f"⏸️ mjbot is paused here: nothing more is sent to the TT API.{waiting}"
        await self._done(interaction, text, True)

    @app_commands.command(name="resume", description="Let members use mjbot again")
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume after a pause."""
        await self._update(interaction, paused=False)
        waiting = self.services.service.resume(_guild(interaction))
        held = f" {waiting} job(s) held back by the pause are queued again." if waiting else ""
        lifted = await self.services.service.resume_payments()
        if lifted:
            held += " The hold after the TT API's 402 (balance used up) is lifted too."
        await self._done(interaction, f"▶️ mjbot is running again.{held}", True)

    @app_commands.command(name="status", description="Accounts, balance, jobs, last error, uptime")
    async def status(self, interaction: discord.Interaction) -> None:
        """Health at a glance."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = self.services.service
        # The balance and the last error are the owner's account, shared by every server:
        # another server's moderators have no business seeing them.
        owner = is_owner(interaction)
        last = service.last_error
        last_text = f"<t:{int(last[0])}:R>: {last[1][:300]}" if last else "none"
        lines = [
            *account_lines(await service.accounts(), owner=owner),
            f"Jobs: {service.in_flight} in flight, {service.queued} queued"
            + (" · ⛔ held: balance used up (402)" if service.payment_hold else ""),
            *await self._spend_lines(interaction),
            # The database holds every server's jobs: an owner-wide fact.
            f"Database: {_megabytes(await self.services.store.database_size())}" if owner else "",
            f"Last error: {last_text}" if owner else "",
            f"Up since <t:{int(self.started)}:R> · mjbot {__version__}",
        ]
        lines = [line for line in lines if line]
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="doctor", description="Check the bot's setup for this server")
    async def doctor(self, interaction: discord.Interaction) -> None:
        """Token, app, permissions here, TT API, database, public URL: one line each."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await guild_report(self.services, self.bot.http, _guild(interaction))
        if len(text) <= 2000:
            await interaction.followup.send(text, ephemeral=True)
        else:  # a long report is attached whole rather than cut
            report = discord.File(io.BytesIO(text.encode()), filename="mjbot-doctor.txt")
            await interaction.followup.send(text[:1900] + "\n…", file=report, ephemeral=True)

    # -- helpers ----------------------------------------------------------------------------

    async def _settings(self, interaction: discord.Interaction) -> GuildSettings:
        return await self.services.store.guild_settings(_guild(interaction))

    async def _update(self, interaction: discord.Interaction, **changes: object) -> GuildSettings:
        updated = replace(await self._settings(interaction), **changes)  # type: ignore[arg-type]
        await self.services.store.save_guild_settings(updated)
        return updated

    async def _done(self, interaction: discord.Interaction, text: str, changed: bool) -> None:
        await _reply(interaction, text)
        if changed:
            command = interaction.command.qualified_name if interaction.command else "mj-admin"
            entry = f"🛠️ <@{interaction.user.id}> /{command}: {text}"
            await post_audit(self.bot, interaction.guild_id, entry)


def _guild(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserFacingError("/mj-admin works in a server only.")
    return interaction.guild_id


def _namer(interaction: discord.Interaction) -> Callable[[int], str]:
    """Member names for the chart's legend, from the cache (no extra requests)."""

    def name(user_id: int) -> str:
        member = interaction.guild.get_member(user_id) if interaction.guild else None
        user = member or interaction.client.get_user(user_id)
        return user.display_name if user else f"user …{str(user_id)[-4:]}"

    return name


def _builtin(word: str) -> str:
    word = " ".join(word.lower().split())
    if word not in DEFAULT_WORDS:
        listed = ", ".join(sorted(DEFAULT_WORDS))
        raise UserFacingError(f"“{word}” is not a built-in word. The built-in ones: {listed}.")
    return word


def _credits(row: UsageRow) -> str:
    return ("~" if row.estimated else "") + f"{row.credits:g}"


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def _limit(value: int) -> str:
    return str(value) if value else "no limit"


async def _reply(interaction: discord.Interaction, text: str) -> None:
    mentions = discord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.followup.send(text[:2000], ephemeral=True, allowed_mentions=mentions)
    else:
        await interaction.response.send_message(
            text[:2000], ephemeral=True, allowed_mentions=mentions
        )


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Admin(bot))
