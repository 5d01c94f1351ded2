"""Storing the provider's job id right after a paid submit, even when the database hiccups.

The submit is paid for and cannot be taken back, so a failed write must not lose the job:
the write is retried, the job is watched from memory meanwhile, and a background task keeps
trying until the id is stored. If the process dies first, the row stays SUBMITTING and
recovery adopts it from the provider's callback or its recent jobs (bot/jobs/orphans.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, Final

from bot.jobs.events import JobEvents
from bot.jobs.inputs import without_inputs
from bot.jobs.models import Job
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher

log = logging.getLogger(__name__)


async def drop_inputs(store: Store, job_id: int, params: Mapping[str, Any]) -> None:
    """Replace a sent job's input images by their hashes; a failure only costs space."""
    kept = without_inputs(params)
    if kept is None:
        return
    try:
        await store.replace_params(job_id, kept)
    except Exception as error:  # the job itself is safe: only disk space is at stake
        log.warning("job %d: input images not dropped (%s)", job_id, error)


QUICK_RETRIES: Final = (0.05, 0.2, 0.5, 1.0)  # within the submit, before watching from memory
BACKGROUND_RETRY: Final = 5.0


class SubmitRecorder:
    """Stores a submitted job's provider id; never raises, never drops the job."""

    def __init__(
        self,
        store: Store,
        watcher: Watcher,
        events: JobEvents,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._watcher = watcher
        self._events = events
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    async def record(self, job: Job, provider_job_id: str, now: float) -> None:
        """Store the id (retrying), then watch the job; from memory if the store keeps failing."""
        for delay in (*QUICK_RETRIES, None):
            try:
                await self._store_and_track(job.id, provider_job_id, now, again=False)
                return
            except Exception as error:  # a paid job must survive any failure here
                if delay is None:
                    log.error(
                        "job %d: provider id %s not stored (%s); watching it from memory",
                        job.id,
                        provider_job_id,
                        error,
                    )
                    break
                log.warning("job %d: storing provider id failed (%s); retrying", job.id, error)
                await self._sleep(delay)
        in_memory = replace(
            job, status=JobStatus.SUBMITTED, provider_job_id=provider_job_id, submitted_at=now
        )
        self._watcher.track(in_memory)
        task = asyncio.create_task(self._keep_trying(job.id, provider_job_id, now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel the background retries (recovery takes over after a restart)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _store_and_track(
        self, job_id: int, provider_job_id: str, now: float, *, again: bool
    ) -> None:
        changes = {"provider_job_id": provider_job_id, "submitted_at": now}
        won = await self._store.transition(job_id, JobStatus.SUBMITTED, **changes)
        if not won:  # cancelled while sending: still watched, so its slot frees when it ends
            await self._store.attach_provider_job(job_id, provider_job_id, now)
        submitted = await self._store.get_job(job_id)
        if submitted is None:
            return
        log.info("job %d submitted as %s", job_id, provider_job_id)
        await drop_inputs(self._store, job_id, submitted.params)
        # A job watched from memory may have finished already: fetch it again, now stored.
        self._watcher.track(submitted, due_now=again)
        if won:
            await self._events.emit(submitted)

    async def sweep(self) -> int:
        """Drop the inputs of jobs sent before inputs were dropped (older databases)."""
        dropped = last = 0
        while rows := await self._store.sent_with_inputs(after=last):
            for job_id, params in rows:
                await drop_inputs(self._store, job_id, params)
            dropped, last = dropped + len(rows), rows[-1][0]
        if dropped:
            log.info("input images of %d sent jobs dropped from the database", dropped)
        return dropped

    async def _keep_trying(self, job_id: int, provider_job_id: str, now: float) -> None:
        while True:
            await self._sleep(BACKGROUND_RETRY)
            try:
                await self._store_and_track(job_id, provider_job_id, now, again=True)
            except Exception as error:  # keep trying: the job is paid for
                log.warning("job %d: provider id still not stored (%s)", job_id, error)
                continue
            log.info("job %d: provider id %s stored after all", job_id, provider_job_id)
            return
