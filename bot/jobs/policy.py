"""Every check that runs before a credit is spent, for commands and buttons alike.

Order: paused, channel, role, ban, banned words, prompt lint, mode, then limits and
cooldown. Moderators (Manage Server, or OWNER_IDS) skip the channel, role and limit checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.errors import LimitReached, NotAllowed, PromptRejected
from bot.jobs.budget import Budgets
from bot.jobs.ledger import DAY, day_start
from bot.jobs.lint import LintError, lint
from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester
from bot.jobs.prices import PriceBook
from bot.jobs.store import Store
from bot.jobs.words import DEFAULT_WORDS, banned_word

PAUSED = "mjbot is paused on this server by its moderators. Please try again later."


class Policy:
    """Decides whether a member may start a job here, now."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        *,
        budgets: Budgets | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._budgets = budgets or Budgets(store, PriceBook(), clock)

    async def check(self, new: NewJob) -> None:
        """Raise a UserFacingError with the reason when the job must not start."""
        who = new.requester
        if who.guild_id is None:
            return  # direct messages: only the owners' own use reaches here
        guild = await self._store.guild_settings(who.guild_id)
        if guild.paused:
            raise NotAllowed(PAUSED)
        if not who.is_admin:
            await self._place(who, guild)
        ban = await self._store.ban_of(who.guild_id, who.user_id)
        if ban is not None:
            reason = f" Reason: {ban.reason}" if ban.reason else ""
            raise NotAllowed(f"You are banned from using mjbot on this server.{reason}")
        if new.prompt:
            await self._prompt(new.prompt, who.guild_id, lint_it=new.kind is JobKind.IMAGINE)
        if new.mode not in guild.allowed_modes:
            allowed = ", ".join(guild.allowed_modes) or "none"
            raise NotAllowed(f"{new.mode.title()} mode is not enabled here. Allowed: {allowed}.")
        if not who.is_admin:
            await self._limits(who, guild, new)

    async def check_button(self, clicker: Requester, parent: Job) -> None:
        """Who may press a result's buttons: anyone, or only its requester."""
        if clicker.guild_id is None or clicker.is_admin or clicker.user_id == parent.user_id:
            return
        guild = await self._store.guild_settings(clicker.guild_id)
        if guild.buttons_who == "requester":
            raise NotAllowed(f"Only <@{parent.user_id}> can use the buttons of this result.")

    async def _place(self, who: Requester, guild: GuildSettings) -> None:
        allowed = await self._store.allowed_channels(guild.guild_id)
        if allowed and who.channel_id not in allowed:
            channels = " ".join(f"<#{channel}>" for channel in allowed[:10])
            raise NotAllowed(f"mjbot can't be used in this channel. Try {channels}.")
        if guild.required_role_id and guild.required_role_id not in who.role_ids:
            raise NotAllowed(f"You need the <@&{guild.required_role_id}> role to use mjbot here.")

    async def _prompt(self, prompt: str, guild_id: int, *, lint_it: bool) -> None:
        word = banned_word(prompt, DEFAULT_WORDS | set(await self._store.words(guild_id)))
        if word is not None:
            raise PromptRejected(
                f"Your prompt contains the banned word “{word}”. Please rephrase it."
            )
        if lint_it:
            try:
                lint(prompt)
            except LintError as error:
                raise PromptRejected(str(error)) from None

    async def _limits(self, who: Requester, guild: GuildSettings, new: NewJob) -> None:
        now = self._clock()
        midnight = day_start(now)
        if guild.concurrent_limit:
            running = await self._store.count_unfinished(who.user_id)
            if running >= guild.concurrent_limit:
                raise LimitReached(
                    f"You already have {running} jobs queued or running (the limit here is "
                    f"{guild.concurrent_limit}). Wait for one to finish."
                )
        if guild.cooldown_s:
            last = await self._store.last_job_at(who.user_id, who.guild_id)
            if last is not None and now < last + guild.cooldown_s:
                raise LimitReached(
                    f"Please wait between jobs ({guild.cooldown_s} s here).",
                    retry_at=last + guild.cooldown_s,
                )
        if guild.daily_limit:
            used = await self._store.count_jobs(
                since=midnight, guild_id=who.guild_id, user_id=who.user_id
            )
            if used >= guild.daily_limit:
                raise LimitReached(
                    f"You have used your {guild.daily_limit} jobs for today.",
                    retry_at=midnight + DAY,
                )
        if guild.guild_daily_limit:
            used = await self._store.count_jobs(since=midnight, guild_id=who.guild_id)
            if used >= guild.guild_daily_limit:
                raise LimitReached(
                    f"This server has used its {guild.guild_daily_limit} jobs for today.",
                    retry_at=midnight + DAY,
                )
        await self._budgets.check(new)  # credits (bot/jobs/budget.py), after the job counts
