"""Every check that runs before a credit is spent, for commands and buttons alike.

Order: paused, channel, role, ban, banned words, prompt lint, mode, then limits and
cooldown. Moderators (Manage Server, or OWNER_IDS) skip the channel, role and limit checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.errors import LimitReached, NotAllowed, PromptRejected
from bot.i18n import t
from bot.jobs.ledger import DAY, day_start
from bot.jobs.lint import LintError, lint
from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester
from bot.jobs.store import Store
from bot.jobs.words import DEFAULT_WORDS, banned_word

PAUSED = t("policy.paused")  # the English text; members read it in their language


class Policy:
    """Decides whether a member may start a job here, now."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def check(self, new: NewJob) -> None:
        """Raise a UserFacingError with the reason when the job must not start."""
        who = new.requester
        if who.guild_id is None:
            return  # direct messages: only the owners' own use reaches here
        guild = await self._store.guild_settings(who.guild_id)
        if guild.paused:
            raise NotAllowed.localised("policy.paused")
        if not who.is_admin:
            await self._place(who, guild)
        ban = await self._store.ban_of(who.guild_id, who.user_id)
        if ban is not None:
            if ban.reason:
                raise NotAllowed.localised("policy.banned_reason", reason=ban.reason)
            raise NotAllowed.localised("policy.banned")
        if new.prompt:
            await self._prompt(new.prompt, who.guild_id, lint_it=new.kind is JobKind.IMAGINE)
        if new.mode not in guild.allowed_modes:
            allowed = ", ".join(guild.allowed_modes) or "none"
            raise NotAllowed.localised("policy.mode", mode=new.mode.title(), allowed=allowed)
        if not who.is_admin:
            await self._limits(who, guild)

    async def check_button(self, clicker: Requester, parent: Job) -> None:
        """Who may press a result's buttons: anyone, or only its requester."""
        if clicker.guild_id is None or clicker.is_admin or clicker.user_id == parent.user_id:
            return
        guild = await self._store.guild_settings(clicker.guild_id)
        if guild.buttons_who == "requester":
            raise NotAllowed.localised("policy.buttons", user=parent.user_id)

    async def _place(self, who: Requester, guild: GuildSettings) -> None:
        allowed = await self._store.allowed_channels(guild.guild_id)
        if allowed and who.channel_id not in allowed:
            channels = " ".join(f"<#{channel}>" for channel in allowed[:10])
            raise NotAllowed.localised("policy.channel", channels=channels)
        if guild.required_role_id and guild.required_role_id not in who.role_ids:
            raise NotAllowed.localised("policy.role", role=guild.required_role_id)

    async def _prompt(self, prompt: str, guild_id: int, *, lint_it: bool) -> None:
        word = banned_word(prompt, DEFAULT_WORDS | set(await self._store.words(guild_id)))
        if word is not None:
            raise PromptRejected.localised("policy.banned_word", word=word)
        if lint_it:
            try:
                lint(prompt)
            except LintError as error:
                raise PromptRejected(str(error)) from None

    async def _limits(self, who: Requester, guild: GuildSettings) -> None:
        now = self._clock()
        midnight = day_start(now)
        if guild.concurrent_limit:
            running = await self._store.count_unfinished(who.user_id)
            if running >= guild.concurrent_limit:
                raise LimitReached.until(
                    None, "policy.concurrent", running=running, limit=guild.concurrent_limit
                )
        if guild.cooldown_s:
            last = await self._store.last_job_at(who.user_id, who.guild_id)
            if last is not None and now < last + guild.cooldown_s:
                raise LimitReached.until(
                    last + guild.cooldown_s, "policy.cooldown", seconds=guild.cooldown_s
                )
        if guild.daily_limit:
            used = await self._store.count_jobs(
                since=midnight, guild_id=who.guild_id, user_id=who.user_id
            )
            if used >= guild.daily_limit:
                raise LimitReached.until(midnight + DAY, "policy.daily", limit=guild.daily_limit)
        if guild.guild_daily_limit:
            used = await self._store.count_jobs(since=midnight, guild_id=who.guild_id)
            if used >= guild.guild_daily_limit:
                raise LimitReached.until(
                    midnight + DAY, "policy.guild_daily", limit=guild.guild_daily_limit
                )
