"""Every check that runs before a credit is spent, for commands and buttons alike.

Order: server (none: refused), paused, channel, role, ban, follow-up rules, banned words,
prompt lint, mode, then limits and cooldown. Moderators (Manage Server, or OWNER_IDS) skip
the channel, role and limit checks. `check` runs only inside the Gate (bot/jobs/gate.py),
under the member's lock; `recheck` runs right before a queued job's paid call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import LimitReached, NotAllowed, PromptRejected
from bot.jobs.budget import Budgets
from bot.jobs.ledger import DAY, day_start
from bot.jobs.lint import LintError, lint
from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester
from bot.jobs.prices import PriceBook
from bot.jobs.store import Store
from bot.jobs.words import banned_word

PAUSED = "mjbot is paused on this server by its moderators. Please try again later."
SERVER_ONLY = "mjbot works in servers only: use it in a channel of a server it is in."
# The job params key under which the Gate stores what the queue's re-check needs.
CHECKS_PARAM = "_checks"


@dataclass(frozen=True, slots=True)
class Held:
    """Requests checked but not written yet (see bot/jobs/gate.py): they count as jobs."""

    member: int = 0
    member_last: float | None = None
    guild: int = 0
    same_action: bool = False
    member_credits: float = 0.0
    guild_credits: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a queued job must not be sent now; `wait` keeps it queued (a pause) until resume."""

    reason: str
    wait: bool = False


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

    async def check(
        self, new: NewJob, held: Held = Held(), *, batch: Sequence[NewJob] = ()
    ) -> None:
        """Raise a UserFacingError with the reason when the job (and its batch) must not start.

        Called only by the Gate, under the member's lock; `batch` holds the other jobs of the
        same request (🎉 imagine all), which count against the limits together, cooldown once.
        """
        who = new.requester
        if who.guild_id is None:
            raise NotAllowed(SERVER_ONLY)  # fail closed: no server, no settings to apply
        guild = await self._store.guild_settings(who.guild_id)
        if guild.paused:
            raise NotAllowed(PAUSED)
        if not who.is_admin:
            await self._place(who, guild)
        await self._not_banned(who.guild_id, who.user_id)
        if new.parent_id is not None:
            await self._parent(new, held)
        for job in (new, *batch):
            if job.prompt:
                await self._prompt(job.prompt, who.guild_id, lint_it=job.kind is JobKind.IMAGINE)
        if new.mode not in guild.allowed_modes:
            allowed = ", ".join(guild.allowed_modes) or "none"
            raise NotAllowed(f"{new.mode.title()} mode is not enabled here. Allowed: {allowed}.")
        if not who.is_admin:
            await self._limits(who, guild, new, held, 1 + len(batch))

    async def still_allowed(self, who: Requester) -> None:
        """Pause and ban once more, for a request checked moments ago whose job is being
        written now (its attachments took a while to read); raises NotAllowed."""
        if who.guild_id is None:
            raise NotAllowed(SERVER_ONLY)
        if (await self._store.guild_settings(who.guild_id)).paused:
            raise NotAllowed(PAUSED)
        await self._not_banned(who.guild_id, who.user_id)

    async def recheck(self, job: Job) -> Verdict | None:
        """Right before the paid call: pause, ban, channel and role, as they are now."""
        if job.guild_id is None:
            return Verdict(SERVER_ONLY)
        guild = await self._store.guild_settings(job.guild_id)
        if guild.paused:
            return Verdict(PAUSED, wait=True)
        checks = job.params.get(CHECKS_PARAM) or {}  # stored by the Gate when it was made
        roles = frozenset(int(role) for role in checks.get("roles", ()))
        who = Requester(job.user_id, job.guild_id, job.channel_id, None, roles)
        try:
            await self._not_banned(job.guild_id, job.user_id)
            # Jobs written before the roles were stored have no "_checks": their place was
            # checked when they were asked for, so only pause and ban apply to them.
            if checks and not checks.get("admin"):
                await self._place(who, guild)
        except NotAllowed as refusal:
            return Verdict(f"Cancelled before it was sent (nothing was charged): {refusal.text}")
        return None

    async def _not_banned(self, guild_id: int, user_id: int) -> None:
        ban = await self._store.ban_of(guild_id, user_id)
        if ban is not None:
            reason = f" Reason: {ban.reason}" if ban.reason else ""
            raise NotAllowed(f"You are banned from using mjbot on this server.{reason}")

    async def _parent(self, new: NewJob, held: Held) -> None:
        """A follow-up of a result: who may press its buttons, and no paid double clicks."""
        parent = await self._store.get_job(new.parent_id or 0)
        if parent is not None:
            await self.check_button(new.requester, parent)
        if new.kind is not JobKind.ACTION:
            return
        running = await self._store.unfinished_action(new.parent_id or 0, new.action or "")
        if running is not None:
            raise NotAllowed(
                f"That is already under way for this result as job {running.id}"
                f"{_link(running)}; it will be posted when it is done."
            )
        if held.same_action:
            raise NotAllowed("That is already being started for this result (a double click?).")

    async def check_button(self, clicker: Requester, parent: Job) -> None:
        """Who may press a result's buttons: anyone, or only its requester."""
        if clicker.guild_id is None or clicker.is_admin or clicker.user_id == parent.user_id:
            return
        guild = await self._store.guild_settings(clicker.guild_id)
        if guild.buttons_who == "requester":
            raise NotAllowed(f"Only <@{parent.user_id}> can use the buttons of this result.")

    async def _place(self, who: Requester, guild: GuildSettings) -> None:
        allowed = await self._store.allowed_channels(guild.guild_id)
        if allowed and who.channel_id not in allowed and who.parent_channel_id not in allowed:
            channels = " ".join(f"<#{channel}>" for channel in allowed[:10])
            raise NotAllowed(f"mjbot can't be used in this channel. Try {channels}.")
        if guild.required_role_id and guild.required_role_id not in who.role_ids:
            raise NotAllowed(f"You need the <@&{guild.required_role_id}> role to use mjbot here.")

    async def _prompt(self, prompt: str, guild_id: int, *, lint_it: bool) -> None:
        word = banned_word(prompt, await self._store.banned_words(guild_id))
        if word is not None:
            raise PromptRejected(
                f"Your prompt contains the banned word “{word}”. Please rephrase it."
            )
        if lint_it:
            try:
                lint(prompt)
            except LintError as error:
                raise PromptRejected(str(error)) from None

    async def _limits(
        self, who: Requester, guild: GuildSettings, new: NewJob, held: Held, count: int
    ) -> None:
        now = self._clock()
        midnight = day_start(now)
        if guild.concurrent_limit:
            running = await self._store.count_unfinished(who.user_id) + held.member
            if running + count > guild.concurrent_limit:
                raise LimitReached(
                    f"You already have {running} jobs queued or running (the limit here is "
                    f"{guild.concurrent_limit}). Wait for one to finish."
                    if running
                    else f"This starts {count} jobs at once; the limit here is "
                    f"{guild.concurrent_limit}."
                )
        if guild.cooldown_s:
            last = await self._store.last_job_at(who.user_id, who.guild_id)
            if held.member_last is not None:
                last = max(last or held.member_last, held.member_last)
            if last is not None and now < last + guild.cooldown_s:
                raise LimitReached(
                    f"Please wait between jobs ({guild.cooldown_s} s here).",
                    retry_at=last + guild.cooldown_s,
                )
        if guild.daily_limit:
            used = held.member + await self._store.count_jobs(
                since=midnight, guild_id=who.guild_id, user_id=who.user_id
            )
            if used + count > guild.daily_limit:
                raise LimitReached(
                    f"You have used your {guild.daily_limit} jobs for today."
                    if used >= guild.daily_limit
                    else f"This needs {count} jobs and you have {guild.daily_limit - used} "
                    "left today.",
                    retry_at=midnight + DAY,
                )
        if guild.guild_daily_limit:
            used = held.guild + await self._store.count_jobs(since=midnight, guild_id=who.guild_id)
            if used + count > guild.guild_daily_limit:
                raise LimitReached(
                    f"This server has used its {guild.guild_daily_limit} jobs for today.",
                    retry_at=midnight + DAY,
                )
        # Credits (bot/jobs/budget.py), after the job counts; held tickets count too.
        await self._budgets.check(
            new, count=count, held_member=held.member_credits, held_guild=held.guild_credits
        )


def _link(job: Job) -> str:
    """A jump link to the job's progress message, when it has one."""
    if job.guild_id and job.channel_id and job.progress_message_id:
        where = f"{job.guild_id}/{job.channel_id}/{job.progress_message_id}"
        return f" (https://discord.com/channels/{where})"
    return ""
