"""A result the bot could not post (permissions taken away, channel deleted): never lost.

The job stays in the database, so `/show <id>` serves it anywhere the bot can post. The
requester is told how to get it: through the interaction that started the job while its
token lives (15 minutes, kept in memory only: tokens are never stored), else by DM. The
server's audit channel notes it, and the progress line stops showing a stale percentage.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final

import discord

from bot.jobs.models import Job
from bot.ui.audit import post_audit

log = logging.getLogger(__name__)

TOKEN_LIFETIME: Final = 14 * 60.0  # Discord's 15 minutes, with a margin for a slow answer
_ATTRIBUTE: Final = "_mj_followups"


class Followups:
    """Interactions whose token still lives, by the job they started."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_job: dict[int, tuple[discord.Interaction, float, bool]] = {}

    def remember(
        self, job_id: int, interaction: discord.Interaction, *, shows_progress: bool = True
    ) -> None:
        """Keep the interaction that started a job, for as long as its token lives.

        `shows_progress`: the interaction's own response is the job's progress line.
        """
        now = self._clock()
        for old in [k for k, entry in self._by_job.items() if now - entry[1] > TOKEN_LIFETIME]:
            del self._by_job[old]  # expired tokens are useless: keep memory bounded
        self._by_job[job_id] = (interaction, now, shows_progress)

    def get(self, job_id: int) -> discord.Interaction | None:
        """The job's interaction if its token is still valid."""
        entry = self._by_job.get(job_id)
        if entry is None or self._clock() - entry[1] > TOKEN_LIFETIME:
            return None
        return entry[0]

    def shows_progress(self, job_id: int) -> bool:
        """Whether the job's live interaction response is its progress line."""
        entry = self._by_job.get(job_id)
        return entry is not None and entry[2]

    def forget(self, job_id: int) -> None:
        """The job's outcome is shown: its interaction is no longer needed."""
        self._by_job.pop(job_id, None)


def followups_of(client: discord.Client) -> Followups:
    """The bot's registry of live interactions (created on first use)."""
    found = getattr(client, _ATTRIBUTE, None)
    if found is None:
        found = Followups()
        setattr(client, _ATTRIBUTE, found)
    return found


def reason_of(error: BaseException) -> str:
    """Why a post failed, in words a member understands."""
    if isinstance(error, discord.NotFound):
        return "the channel is gone"
    if isinstance(error, discord.Forbidden):
        return "I am not allowed to post there any more"
    return "Discord kept refusing the post"


async def report_undelivered(client: discord.Client, job: Job, reason: str) -> None:
    """Tell the requester (follow-up, else DM), the audit channel, and fix the progress line."""
    where = f"<#{job.channel_id}>" if job.channel_id else "the channel"
    text = (
        f"Your job {job.id} finished, but I couldn't post it in {where}: {reason}. "
        f"It is kept: use `/show {job.id}` in a channel where I can post to see it."
    )
    interaction = followups_of(client).get(job.id)
    told = interaction is not None and await _follow_up(interaction, text)
    if not told:
        told = await _direct_message(client, job.user_id, text)
    log.warning("job %d not posted (%s); requester told: %s", job.id, reason, told)
    entry = (
        f"⚠️ Job {job.id} of <@{job.user_id}> could not be posted in {where} ({reason}). "
        f"It is kept: `/show {job.id}`."
    )
    await post_audit(client, job.guild_id, entry)
    token = interaction if followups_of(client).shows_progress(job.id) else None
    note = f"Finished, but I couldn't post the result here: `/show {job.id}` shows it."
    await _fix_progress(client, job, token, note)
    followups_of(client).forget(job.id)


async def _follow_up(interaction: discord.Interaction, text: str) -> bool:
    try:
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as error:
        log.info("follow-up for an undelivered result failed: %s", error)
        return False
    return True


async def _direct_message(client: discord.Client, user_id: int, text: str) -> bool:
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        await user.send(text)
    except discord.HTTPException as error:
        log.info("DM about an undelivered result to user %d failed: %s", user_id, error)
        return False
    return True


async def _fix_progress(
    client: discord.Client, job: Job, interaction: discord.Interaction | None, text: str
) -> None:
    """Replace "(73%)" with where to find the result; through the token if it lives."""
    if interaction is not None:
        with contextlib.suppress(discord.HTTPException):
            await interaction.edit_original_response(content=text, view=None)
            return
    if job.progress_message_id and job.channel_id:
        message = client.get_partial_messageable(job.channel_id).get_partial_message(
            job.progress_message_id
        )
        with contextlib.suppress(discord.HTTPException):
            await message.edit(content=text, view=None)
