"""Adopting orphans: jobs the provider accepted while the bot died before storing their id.

Such a row stays SUBMITTING. It is never sent again (that could charge twice); instead the
bot looks for it. Every hookUrl names the bot's own job id (`.../<secret>/<job id>`), so a
callback tells which row a provider job belongs to; and on restart each orphan is looked for
among the provider's recent jobs, matching action, prompt and time. A match is adopted (its
id stored, the job watched and posted as usual); only when none turns up is it reported lost.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

from bot.jobs.models import Job, JobKind
from bot.jobs.recording import SubmitRecorder
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider import Provider, ProviderError
from bot.provider.recent import ListsRecentJobs, RecentJob

log = logging.getLogger(__name__)

SEARCHES: Final = (0.0, 10.0, 20.0, 30.0, 60.0, 120.0)  # delays between looks at the list
# Two looks 10 s apart without a match: the submit never reached the provider (a request
# sent as the bot died is listed within seconds). Failed looks (provider down) do not count.
LOOKS: Final = 2
EARLY: Final = 300.0  # clock skew allowed between the bot and the provider, seconds
LATE: Final = 600.0  # a submit answered slowly is created late
# A list time without a zone is read as UTC; the TT API may report Beijing time instead.
ZONE_OFFSETS: Final = (0.0, 8 * 3600.0)
_SPACES: Final = re.compile(r"\s+")


def provider_action(job: Job) -> str:
    """The provider's name for what a job asked (imagine, upsample2, blend, ...)."""
    if job.kind is JobKind.ACTION:
        return job.action or ""
    return job.kind.value


def best_match(job: Job, candidates: Sequence[RecentJob], claimed: set[str]) -> str | None:
    """The provider job id that must be this row's, or None; `claimed` ids are taken."""
    free = [c for c in candidates if c.job_id not in claimed]
    for candidate in free:
        if candidate.hook_url and _hook_job_id(candidate.hook_url) == str(job.id):
            return candidate.job_id  # the hookUrl names this row: certain
    fitting = [c for c in free if _same_request(job, c) and _offset(job, c) is not None]
    if not fitting:
        return None
    return min(fitting, key=lambda c: abs(_offset(job, c) or 0.0)).job_id


def _hook_job_id(url: str) -> str | None:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


def _same_request(job: Job, candidate: RecentJob) -> bool:
    if candidate.hook_url and _hook_job_id(candidate.hook_url) not in (None, str(job.id)):
        return False  # the hookUrl names another row
    if candidate.action is None or candidate.action.lower() != provider_action(job).lower():
        return False
    if job.prompt and candidate.prompt:
        return _SPACES.sub(" ", job.prompt.strip()) == _SPACES.sub(" ", candidate.prompt.strip())
    return True


def _offset(job: Job, candidate: RecentJob) -> float | None:
    """Seconds from sending to the provider's creation time, if plausible; 0 if unknown."""
    if candidate.created_at is None:
        return 0.0
    for zone in ZONE_OFFSETS:
        offset = candidate.created_at - zone - job.updated_at
        if -EARLY <= offset <= LATE:
            return offset
    return None


class Orphans:
    """Finds and adopts the rows a dead process left SUBMITTING."""

    def __init__(
        self,
        store: Store,
        provider: Provider,
        recorder: SubmitRecorder,
        *,
        on_lost: Callable[[int], Awaitable[None]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._provider = provider
        self._recorder = recorder
        self._on_lost = on_lost
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, orphans: Iterable[Job]) -> None:
        """Look for these rows in the background; adopt each, or report it lost at the end."""
        pending = list(orphans)
        if pending:
            task = asyncio.create_task(self._search(pending), name="orphan-search")
            self._tasks.add(task)
            task.add_done_callback(self._done)

    async def stop(self) -> None:
        """Stop searching (the rows stay SUBMITTING: the next start looks again)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("the orphan search stopped", exc_info=task.exception())

    async def adopt(self, job_id: int, provider_job_id: str, how: str) -> bool:
        """Store `provider_job_id` as this SUBMITTING row's and watch it; False if not an orphan."""
        job = await self._store.get_job(job_id)
        if job is None or job.status is not JobStatus.SUBMITTING or job.provider_job_id:
            return False
        if await self._store.get_job_by_provider_id(provider_job_id) is not None:
            return False  # already another row's
        log.info("job %d adopted as provider job %s (%s)", job_id, provider_job_id, how)
        await self._recorder.record(job, provider_job_id, job.updated_at)
        return True

    async def _search(self, pending: list[Job]) -> None:
        looks = 0
        for delay in SEARCHES:
            await self._sleep(delay)
            pending = [job for job in pending if await self._still_orphan(job.id)]
            if not pending:
                return
            try:
                recent = await self._recent()
            except ProviderError as error:
                log.warning("recent jobs unavailable (%s); %d orphans wait", error, len(pending))
                continue
            looks += 1
            claimed = {c.job_id for c in recent if await self._known(c.job_id)}
            pending = [job for job in pending if not await self._match(job, recent, claimed)]
            if looks >= LOOKS:
                break
        for job in pending:
            if await self._still_orphan(job.id):
                await self._on_lost(job.id)

    async def _recent(self) -> list[RecentJob]:
        if not isinstance(self._provider, ListsRecentJobs):
            return []
        return await self._provider.recent_jobs(100)

    async def _match(self, job: Job, recent: list[RecentJob], claimed: set[str]) -> bool:
        found = best_match(job, recent, claimed)
        if found is None or not await self.adopt(job.id, found, "found in recent jobs"):
            return False
        claimed.add(found)
        return True

    async def _known(self, provider_job_id: str) -> bool:
        return await self._store.get_job_by_provider_id(provider_job_id) is not None

    async def _still_orphan(self, job_id: int) -> bool:
        job = await self._store.get_job(job_id)
        return job is not None and job.status is JobStatus.SUBMITTING and not job.provider_job_id
