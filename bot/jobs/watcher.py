"""ONE loop that watches every job in flight.

It sleeps until the earliest due fetch or until woken (a new job, a hookUrl poke), fetches
what is due (with one batch call when the provider offers it, bot/jobs/batch.py), stores
each change with a conditional update and reports it once, without waiting for Discord
(bot/jobs/events.py). Job durations it sees shape the cadence (bot/jobs/durations.py) and
are kept in the store's meta. Clock and sleep are injectable so tests and benchmarks can
run on virtual time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.jobs.batch import Looker
from bot.jobs.durations import META_KEY, DurationModel
from bot.jobs.events import JobEvents
from bot.jobs.models import Job
from bot.jobs.polling import (
    PollState,
    coalesce,
    deadline,
    estimated_finish,
    failure_delay,
    next_delay,
)
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider import ErrorKind, JobSnapshot, Provider, ProviderError
from bot.provider.models import RemoteStatus

log = logging.getLogger(__name__)

# Fetches sent at once when many jobs fall due together (hundreds in flight after a restart).
FETCH_CONCURRENCY = 16
# With a batch call, jobs due this soon (cadence seconds) join the call instead of waiting.
BATCH_AHEAD = 1.0
SAVE_EVERY = 30.0  # seconds between saves of the learned job durations
SHOWN_MAX = 99  # the provider may say 100 % while still running; 100 % means a result


@dataclass(slots=True)
class _Tracked:
    job_id: int
    provider_job_id: str
    state: PollState
    deadline: float
    due: float
    submitted: float  # clock time (the poll state counts in cadence seconds)
    poked: bool = False  # a callback came in; if a fetch is on the wire, fetch again after it


class Watcher:
    """Tracks every submitted job until it succeeds, fails or times out."""

    def __init__(
        self,
        store: Store,
        provider: Provider,
        events: JobEvents,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        scale: float = 1.0,
        safety_net: bool = False,
    ) -> None:
        self._store = store
        self._provider = provider
        self._events = events
        self._clock = clock
        self._sleep = sleep
        self._scale = scale
        self._safety_net = safety_net
        self._tracked: dict[int, _Tracked] = {}
        self._by_provider_id: dict[str, int] = {}
        self._heap: list[tuple[float, int, int]] = []  # (due, tie-breaker, job id)
        self._counter = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Called with a job id once the provider is done with it (its slot is free again),
        # whether or not the outcome was stored: a cancelled job still held its slot until now.
        self.on_settled: Callable[[int], None] = lambda job_id: None
        self._looker = Looker(provider)
        self._durations = DurationModel()
        self._origin = clock()
        self._saved_at = 0.0

    @property
    def durations(self) -> DurationModel:
        """What the watcher has learned of job durations (saved in the store's meta)."""
        return self._durations

    @property
    def fetches(self) -> int:
        """Single fetches sent so far."""
        return self._looker.single_calls

    @property
    def batch_fetches(self) -> int:
        """Batch (fetch-list) calls sent so far."""
        return self._looker.batch_calls

    def eta(self, job_id: int) -> float | None:
        """Seconds until a running job is expected to finish, if the looks tell."""
        tracked = self._tracked.get(job_id)
        finish = estimated_finish(tracked.state) if tracked is not None else None
        if finish is None:
            return None
        return max(self._origin + finish * self._scale - self._clock(), 0.0)

    def _cadence(self, at: float) -> float:
        """Clock time in cadence seconds: a scaled-down cadence sees a scaled-up job."""
        return (at - self._origin) / self._scale

    def _next(self, tracked: _Tracked, now: float) -> float:
        state = tracked.state
        state.expected = self._durations.expectation(state.mode)
        return next_delay(state, self._cadence(now), scale=self._scale, safety_net=self._safety_net)

    def __len__(self) -> int:
        return len(self._tracked)

    def track(self, job: Job, *, due_now: bool = False) -> None:
        """Start watching a submitted job; the first fetch follows the mode's cadence."""
        if job.provider_job_id is None or job.id in self._tracked:
            return
        now = self._clock()
        state = PollState(started_at=self._cadence(job.submitted_at or now), mode=job.mode)
        tracked = _Tracked(
            job.id,
            job.provider_job_id,
            state,
            deadline(job.submitted_at or now, job.timeout_s),
            0.0,
            job.submitted_at or now,
        )
        due = now if due_now else now + self._next(tracked, now)
        self._tracked[job.id] = tracked
        self._by_provider_id[job.provider_job_id] = job.id
        self._schedule(tracked, due)

    def untrack(self, job_id: int) -> None:
        """Stop watching a job (finished or cancelled)."""
        tracked = self._tracked.pop(job_id, None)
        if tracked is not None:
            self._by_provider_id.pop(tracked.provider_job_id, None)

    def poke(self, provider_job_id: str) -> bool:
        """A callback says this job changed: fetch it now. False if the job is not tracked."""
        job_id = self._by_provider_id.get(provider_job_id)
        if job_id is None:
            return False
        tracked = self._tracked[job_id]
        tracked.poked = True
        self._schedule(tracked, self._clock(), exact=True)
        return True

    def start(self) -> None:
        """Run the loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="job-watcher")
            self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        """Stop the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            await self._save_durations()

    async def _save_durations(self) -> None:
        if self._durations.changed:
            self._durations.changed = False
            self._saved_at = self._clock()
            await self._store.set_meta(META_KEY, self._durations.dumps())

    async def _run(self) -> None:
        # What this account's jobs took before the restart shapes the cadence from now on.
        self._durations = DurationModel.loads(await self._store.get_meta(META_KEY))
        while True:
            due = self._take_due(self._clock())
            if due:
                await self._poll_all(due)
                continue
            self._wake.clear()
            wait = self._heap[0][0] - self._clock() if self._heap else None
            await self._sleep_or_wake(wait)

    def _take_due(self, now: float) -> list[_Tracked]:
        due: dict[int, _Tracked] = {}
        if not self._heap or self._heap[0][0] > now:
            return []
        # A batch call costs the same for one job or fifty: let jobs due soon join it.
        horizon = now + BATCH_AHEAD * self._scale if self._looker.batching else now
        while self._heap and self._heap[0][0] <= horizon and len(due) < 256:
            when, _, job_id = heapq.heappop(self._heap)
            tracked = self._tracked.get(job_id)
            # Skip stale heap entries: untracked jobs, or jobs rescheduled since.
            if tracked is not None and tracked.due == when:
                due[job_id] = tracked
        return list(due.values())

    async def _sleep_or_wake(self, seconds: float | None) -> None:
        waker = asyncio.ensure_future(self._wake.wait())
        timer = (
            asyncio.ensure_future(self._sleep(max(seconds, 0.0))) if seconds is not None else None
        )
        pending: set[asyncio.Future[Any]] = {waker}
        if timer is not None:
            pending.add(timer)
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in pending:
                future.cancel()

    async def _poll_all(self, due: list[_Tracked]) -> None:
        now = self._clock()
        for tracked in [tracked for tracked in due if now > tracked.deadline]:
            await self._give_up(tracked)
        due = [tracked for tracked in due if now <= tracked.deadline]
        for tracked in due:
            tracked.poked = False
        found = await self._looker.look([tracked.provider_job_id for tracked in due])
        for tracked in due:
            snapshot = found.get(tracked.provider_job_id)
            if snapshot is not None and tracked.job_id in self._tracked:
                tracked.state.failures = 0
                await self.apply(tracked.job_id, snapshot)
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def one(tracked: _Tracked) -> None:
            async with limit:
                await self._poll(tracked)

        # Not in the batch answer (or no batch call): each on its own; never a failure.
        alone = [tracked for tracked in due if tracked.provider_job_id not in found]
        await asyncio.gather(*(one(tracked) for tracked in alone))

    async def _poll(self, tracked: _Tracked) -> None:
        try:
            snapshot = await self._looker.fetch(tracked.provider_job_id)
        except ProviderError as error:
            tracked.state.failures += 1
            delay = failure_delay(tracked.state.failures, scale=self._scale)
            log.warning("fetch of job %d failed (%s); again in %.0fs", tracked.job_id, error, delay)
            if error.kind is ErrorKind.AUTH:
                delay = max(delay, 60.0)  # a wrong key will not fix itself in seconds
            self._schedule(tracked, self._clock() + delay)
            return
        except Exception:
            log.exception("unexpected error fetching job %d", tracked.job_id)
            self._schedule(tracked, self._clock() + failure_delay(5, scale=self._scale))
            return
        tracked.state.failures = 0
        await self.apply(tracked.job_id, snapshot)

    async def apply(self, job_id: int, snapshot: JobSnapshot) -> None:
        """Store and report what a fetch returned; schedule the next fetch if unfinished."""
        tracked = self._tracked.get(job_id)
        if snapshot.status is RemoteStatus.SUCCESS:
            if tracked is not None:
                self._durations.learn(tracked.state, self._cadence(self._clock()))
            await self._finish(job_id, JobStatus.SUCCEEDED, _result(snapshot))
            if self._clock() - self._saved_at >= SAVE_EVERY:
                await self._save_durations()
        elif snapshot.status is RemoteStatus.FAILED:
            reason = snapshot.message or "Midjourney reported the job as failed."
            await self._finish(job_id, JobStatus.FAILED, {"error": reason})
        elif tracked is not None:
            now = self._clock()
            running = snapshot.status is RemoteStatus.RUNNING
            tracked.state.observe(self._cadence(now), snapshot.progress, running=running)
            due = now + self._next(tracked, now)
            # An aimed fetch (the job was seen running) stays exact; a poke during it wins.
            aimed = tracked.state.running_since is not None
            due = now if tracked.poked else due
            shown = None if snapshot.progress is None else min(snapshot.progress, SHOWN_MAX)
            if shown is not None and await self._store.record_progress(job_id, shown, due):
                await self._report(job_id)
            self._schedule(tracked, due, exact=aimed or tracked.poked)

    async def _give_up(self, tracked: _Tracked) -> None:
        waited = tracked.deadline - tracked.submitted
        span = f"{round(waited / 60)} minutes" if waited >= 120 else f"{round(waited)} seconds"
        reason = f"Timed out: Midjourney gave no result within {span}."
        log.warning("job %d timed out", tracked.job_id)
        await self._finish(tracked.job_id, JobStatus.FAILED, {"error": reason})

    async def _finish(self, job_id: int, status: JobStatus, changes: dict[str, object]) -> None:
        was_tracked = job_id in self._tracked
        self.untrack(job_id)
        won = await self._store.transition(job_id, status, **changes)
        if was_tracked:
            self.on_settled(job_id)
        if won:
            log.info("job %d %s", job_id, status)
            await self._report(job_id)

    async def _report(self, job_id: int) -> None:
        job = await self._store.get_job(job_id)
        if job is not None:
            await self._events.emit(job)

    def _schedule(self, tracked: _Tracked, due: float, *, exact: bool = False) -> None:
        due = due if exact else coalesce(due, self._clock())
        tracked.due = due
        heapq.heappush(self._heap, (due, next(self._counter), tracked.job_id))
        if self._heap[0][2] == tracked.job_id:
            self._wake.set()


def _result(snapshot: JobSnapshot) -> dict[str, object]:
    return {
        "progress": 100,
        "components": snapshot.components,
        "image_url": snapshot.image_url,
        "alt_image_url": snapshot.alt_image_url,
        "images": snapshot.images,
        "seed": snapshot.seed,
        "prompts": snapshot.prompts,
        # Describe's prompt field is its four prompts, already split above.
        "result_prompt": None if snapshot.prompts else snapshot.prompt,
        "quota": snapshot.quota,
        "refs": dict(snapshot.refs),
    }


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the job watcher stopped", exc_info=task.exception())
