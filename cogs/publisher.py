"""Shows what the job engine reports: progress edits, then the result as a new message.

Everything goes through the bot token and the channel endpoints, never the interaction
token, which dies after 15 minutes (relax jobs and queues outlast it). A result is posted
only by the caller that wins the store's post claim, so restarts and races never double-post;
a post that fails is released and tried again a bounded number of times; then the requester
is told to use /show, where the result stays (bot/ui/undelivered.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Final

import discord
from discord.ext import commands, tasks

from bot.jobs.models import Job, JobKind
from bot.jobs.states import JobStatus
from bot.ui.context import Services
from bot.ui.embeds import allowed_mentions, failure_text, preview_text, progress_text
from bot.ui.highlight import highlight_parent
from bot.ui.lineage import progress_place, result_place, start_thread
from bot.ui.results import DEFAULT_UPLOAD_LIMIT, Rendered, render
from bot.ui.undelivered import followups_of, reason_of, report_undelivered

log = logging.getLogger(__name__)

EDIT_INTERVAL: Final = 5.0  # at most one progress edit per message per 5 s
# Jobs handled at once: uploads of different jobs overlap, each job's changes stay in order.
PUBLISH_WORKERS: Final = 8
RETRY_DELAY: Final = 30.0  # doubled after each failed attempt
MAX_ATTEMPTS: Final = 5  # then the requester is told to use /show (bot/ui/undelivered.py)
MAX_ATTEMPTS_REFUSED: Final = 2  # 403 or 404: one more try, in case it was fixed at once


@dataclass(slots=True)
class _Progress:
    channel_id: int
    message_id: int
    job: Job
    shown: str = ""
    edited_at: float = 0.0
    timer: asyncio.Task[None] | None = None


class Publisher(commands.Cog):
    """Subscribes to job changes and keeps Discord in step with them."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.services: Services = bot  # type: ignore[assignment]
        self._progress: dict[int, _Progress] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rendered: dict[int, Rendered] = {}  # posted results awaiting their DM copy
        self._attempts: dict[int, int] = {}  # job id -> failed posts so far
        self._opened: dict[int, int | None] = {}  # editor jobs: job id -> its progress message

    async def cog_load(self) -> None:
        """Start listening to the engine."""
        # Its own bounded pool (bot/jobs/lanes.py): a slow upload holds up only its own job.
        self.services.events.subscribe(self.on_job, workers=PUBLISH_WORKERS)
        self._refresh_queue.start()

    async def cog_unload(self) -> None:
        """Stop listening and cancel pending edits and retries."""
        self.services.events.unsubscribe(self.on_job)
        self._refresh_queue.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def on_job(self, job: Job) -> None:
        """One stored change of a job."""
        if job.finished:
            await self.publish(job)
        elif job.progress_message_id and job.channel_id:
            await self._show_progress(job)
        elif job.kind is JobKind.INPAINT and job.channel_id:
            await self._open_progress(job)

    async def _open_progress(self, job: Job) -> None:
        """A job from the web editor has no interaction to show it: post its progress line."""
        if job.id in self._opened:
            if (message_id := self._opened[job.id]) is not None:
                await self._show_progress(replace(job, progress_message_id=message_id))
            return
        self._opened[job.id] = None  # claimed: events arriving meanwhile post nothing more
        place = await progress_place(self.services.store, job)
        channel = self.bot.get_partial_messageable(place.channel_id, guild_id=job.guild_id)
        try:
            message = await channel.send(
                preview_text(job),
                allowed_mentions=discord.AllowedMentions.none(),
                reference=place.reference,  # type: ignore[arg-type]  # None: not a reply
            )
        except discord.HTTPException as error:
            log.warning("progress line of job %d not posted: %s", job.id, error)
            return
        self._opened[job.id] = message.id
        await self.services.store.set_progress_message(job.id, message.id)
        await self._show_progress(replace(job, progress_message_id=message.id))

    # -- progress -------------------------------------------------------------------------

    async def _show_progress(self, job: Job) -> None:
        entry = self._progress.get(job.id)
        if entry is None:
            # The message already shows the preview (bot/ui/launch.py): don't send it again.
            entry = _Progress(job.channel_id or 0, job.progress_message_id or 0, job)
            entry.shown = preview_text(job)
            self._progress[job.id] = entry
        entry.job = job
        await self._edit_soon(entry)

    async def _edit_soon(self, entry: _Progress, positions: dict[int, int] | None = None) -> None:
        # One refresh passes every position, computed once: per-job look-ups were O(n) each.
        position = (
            positions.get(entry.job.id)
            if positions is not None
            else self.services.service.position(entry.job.id)
        )
        text = self._progress_text(entry.job, position)
        if text == entry.shown or entry.timer is not None:
            return  # unchanged, or a timed edit will pick up the latest text
        wait = entry.edited_at + EDIT_INTERVAL - time.monotonic()
        if wait <= 0:
            await self._edit(entry, text)
        else:
            entry.timer = self._spawn(self._edit_later(entry, wait))

    async def _edit_later(self, entry: _Progress, wait: float) -> None:
        await asyncio.sleep(wait)
        entry.timer = None
        if self._progress.get(entry.job.id) is entry:
            text = self._progress_text(entry.job, self.services.service.position(entry.job.id))
            if text != entry.shown:
                await self._edit(entry, text)

    def _progress_text(self, job: Job, position: int | None) -> str:
        service = self.services.service
        waiting = service.waiting_reason()
        return progress_text(
            job, position, waiting, held=service.payment_hold, eta=service.eta(job.id)
        )

    async def _edit(self, entry: _Progress, text: str) -> None:
        entry.shown, entry.edited_at = text, time.monotonic()
        message = self.bot.get_partial_messageable(entry.channel_id).get_partial_message(
            entry.message_id
        )
        try:
            await message.edit(content=text, allowed_mentions=discord.AllowedMentions.none())
            # Counted from when Discord has it: a slow request must not bunch the next one.
            entry.edited_at = time.monotonic()
        except discord.NotFound:
            self._progress.pop(entry.job.id, None)  # deleted by someone: stop editing it
        except discord.HTTPException as error:
            log.warning("progress edit of job %d failed: %s", entry.job.id, error)

    @tasks.loop(seconds=EDIT_INTERVAL)
    async def _refresh_queue(self) -> None:
        # Queue positions change when other jobs start, which is no event of this job.
        queued = [e for e in self._progress.values() if e.job.status is JobStatus.QUEUED]
        if not queued:
            return
        positions = self.services.service.positions()
        for entry in queued:
            await self._edit_soon(entry, positions)

    # -- results --------------------------------------------------------------------------

    async def publish(self, job: Job) -> None:
        """Post a finished job's outcome once, whoever else is trying."""
        store = self.services.store
        if not await store.claim_post(job.id):
            if job.posted_at is not None:  # settled before it was reported (a refusal)
                self.bot.dispatch("job_published", job)
            return
        self._forget_progress(job.id)
        if job.progress_message_id is None and self._opened.get(job.id):
            job = replace(job, progress_message_id=self._opened[job.id])
        self._opened.pop(job.id, None)
        try:
            message = await self._post(job)
        except Exception as error:
            self._rendered.pop(job.id, None)
            await self._post_failed(job, error)
            return
        self._attempts.pop(job.id, None)
        followups_of(self.bot).forget(job.id)
        # Map the message to its job at once: its buttons must work as soon as it is seen.
        channel_id = message.channel.id if message else job.channel_id
        await store.finish_post(job.id, message.id if message else None, channel_id)
        log.info("job %d posted as message %s", job.id, message.id if message else None)
        # Explicitly after the post (not by extension order): the audit entry links to it.
        self.bot.dispatch("job_published", job)
        if message is not None and job.status is JobStatus.SUCCEEDED:
            await self._after_result(job, message)
        self._rendered.pop(job.id, None)

    async def _after_result(self, job: Job, message: discord.Message) -> None:
        """Tidy-up once the result is safely posted; a failure here never re-posts it."""
        try:
            await start_thread(self.bot.http, self.services.store, job, message)
            await self._delete_progress(job)
            await highlight_parent(self.bot, self.services, job)
            await self._dm_copy(job)
        except Exception:
            log.exception("tidy-up after posting job %d failed", job.id)

    async def _post_failed(self, job: Job, error: Exception) -> None:
        """Try again later, a bounded number of times; then tell the requester to use /show."""
        attempts = self._attempts.get(job.id, 0) + 1
        refused = isinstance(error, (discord.Forbidden, discord.NotFound))
        if attempts < (MAX_ATTEMPTS_REFUSED if refused else MAX_ATTEMPTS):
            self._attempts[job.id] = attempts
            delay = RETRY_DELAY * 2 ** (attempts - 1)
            log.warning(
                "posting job %d failed (%s); retrying in %.0fs",
                job.id,
                error,
                delay,
                exc_info=not isinstance(error, discord.HTTPException),  # a bug: show where
            )
            await self.services.store.release_post(job.id)
            self._spawn(self._retry(job.id, delay))
            return
        self._attempts.pop(job.id, None)
        log.warning("posting job %d failed %d times (%s); giving up", job.id, attempts, error)
        # Shown as well as it can be: the result stays in the store for /show.
        await self.services.store.finish_post(job.id)
        if job.status is JobStatus.SUCCEEDED:
            await report_undelivered(self.bot, job, reason_of(error))

    async def _retry(self, job_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        job = await self.services.store.get_job(job_id)
        if job is not None and job.posted_at is None:
            await self.publish(job)

    async def _post(self, job: Job) -> discord.Message | None:
        if job.channel_id is None or job.kind is JobKind.SEED:
            return None  # a seed is answered to its clicker (bot/ui/buttons.py), not posted
        if job.status is not JobStatus.SUCCEEDED:
            return await self._post_failure(job)
        place = await result_place(self.services.store, job)
        channel = self.bot.get_partial_messageable(place.channel_id, guild_id=job.guild_id)
        used = await self.services.service.used_actions(job.id)  # a re-post after a restart
        limit = self._upload_limit(job.guild_id)
        providers = self.services.service.providers
        rendered = await render(job, self.services.http_session, limit, used, providers=providers)
        self._rendered[job.id] = rendered  # the DM copy reuses the downloaded image
        # A crash after Discord took the post but before it was recorded would post it again
        # on restart; the same nonce (Discord enforces it for a few minutes) prevents that.
        try:
            return await rendered.send(channel, nonce=f"mj{job.id}", reference=place.reference)
        except (discord.NotFound, discord.Forbidden):
            if place.channel_id == job.channel_id:
                raise
        # The parent's thread was deleted or closed to the bot: post where it was asked.
        log.info("job %d: thread %d unavailable, posting in the channel", job.id, place.channel_id)
        place = await result_place(self.services.store, job, thread=False)
        channel = self.bot.get_partial_messageable(place.channel_id, guild_id=job.guild_id)
        rendered = await render(job, self.services.http_session, limit, used)
        return await rendered.send(channel, nonce=f"mj{job.id}", reference=place.reference)

    async def _dm_copy(self, job: Job) -> None:
        """Send the requester a copy (image only: buttons in DMs would skip the server's checks)."""
        store = self.services.store
        settings = await store.user_settings(job.user_id)
        if not settings.dm_copy:
            return
        posted = self._rendered.pop(job.id, None)
        rendered = posted.copy() if posted else await render(job, self.services.http_session)
        rendered.view = None
        try:
            user = self.bot.get_user(job.user_id) or await self.bot.fetch_user(job.user_id)
            await rendered.send(await user.create_dm())
        except discord.Forbidden:
            # DMs closed: stop trying (no error loop) and tell the member once, next time.
            await store.save_user_settings(replace(settings, dm_copy=False, dm_blocked=True))
            log.info("user %d does not accept DMs; DM copies turned off", job.user_id)
        except discord.HTTPException as error:
            log.warning("DM copy of job %d failed: %s", job.id, error)

    async def _post_failure(self, job: Job) -> discord.Message | None:
        """Replace the progress message with the failure, or post it if that is gone."""
        text = failure_text(job)
        mentions = allowed_mentions(job)
        if job.progress_message_id and job.channel_id:
            channel = self.bot.get_partial_messageable(job.channel_id)
            partial = channel.get_partial_message(job.progress_message_id)
            with contextlib.suppress(discord.NotFound):
                return await partial.edit(content=text, view=None, allowed_mentions=mentions)
        channel = self.bot.get_partial_messageable(job.channel_id or 0)
        return await channel.send(text, allowed_mentions=mentions)

    async def _delete_progress(self, job: Job) -> None:
        if job.progress_message_id and job.channel_id:
            channel = self.bot.get_partial_messageable(job.channel_id)
            with contextlib.suppress(discord.HTTPException):
                await channel.get_partial_message(job.progress_message_id).delete()

    def _upload_limit(self, guild_id: int | None) -> int:
        guild = self.bot.get_guild(guild_id) if guild_id else None
        return guild.filesize_limit if guild else DEFAULT_UPLOAD_LIMIT

    def _forget_progress(self, job_id: int) -> None:
        entry = self._progress.pop(job_id, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("publisher task failed", exc_info=task.exception())


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Publisher(bot))
