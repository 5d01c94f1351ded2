"""Shared wiring: one real job engine (SQLite file, TT API client, watcher, service) per run."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.jobs.durations import META_KEY
from bot.jobs.engine import build_engine
from bot.jobs.events import JobEvents
from bot.jobs.models import Job, Requester
from bot.jobs.service import JobService
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher
from bot.jobs.webhook import HookServer, hook_url, new_secret
from bot.provider import AccountInfo, JobSnapshot, SubmitRequest
from bot.provider.ttapi import TTApiClient
from fakes.ttapi import ManualClock, Scenario

API_KEY = "bench-key"
HOST = "127.0.0.1"
USERS = 20  # requesters the jobs are spread over (the admission queue is fair per user)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Reports:
    """A JobEvents subscriber noting when each job is first reported succeeded."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._changed = asyncio.Event()
        self.succeeded: dict[str, float] = {}  # provider job id -> clock() at the report

    async def __call__(self, job: Job) -> None:
        """Record the first succeeded report of a job."""
        pid = job.provider_job_id
        if job.status is JobStatus.SUCCEEDED and pid and pid not in self.succeeded:
            self.succeeded[pid] = self._clock()
            self._changed.set()

    async def wait_for(self, count: int) -> None:
        """Wait until `count` jobs have been reported succeeded."""
        while len(self.succeeded) < count:
            self._changed.clear()
            await self._changed.wait()


class VirtualTime:
    """A ManualClock that jumps to the earliest wake time whenever the engine sleeps.

    During a run the watcher is the only sleeper, and it sleeps only when no fetch is due or
    in flight, so each jump skips idle time exactly: network time counts as zero. Sleeps are
    held (the clock stands still) until `release`, while jobs are still being submitted.
    """

    def __init__(self) -> None:
        self.clock = ManualClock()
        self._released = asyncio.Event()
        self._moved = asyncio.Event()
        self._wakes: list[float] = []  # wake times of the pending sleepers

    def release(self) -> None:
        """Let time run."""
        self._released.set()

    async def sleep(self, seconds: float) -> None:
        """Return at clock() + seconds, moving the clock there if this is the earliest sleeper."""
        wake = self.clock() + max(seconds, 0.0)
        self._wakes.append(wake)
        try:
            await self._released.wait()
            while self.clock() < wake:
                for _ in range(3):
                    await asyncio.sleep(0)  # whatever is runnable goes first, at the current time
                if wake <= min(self._wakes):
                    self.clock.now = max(self.clock.now, wake)
                    break
                self._moved.clear()
                await self._moved.wait()
        finally:
            self._wakes.remove(wake)
            self._moved.set()


@dataclass
class Engine:
    """The parts of a running engine a benchmark looks at."""

    store: Store
    watcher: Watcher
    service: JobService
    reports: Reports


class SingleFetches:
    """The TT API client without its batch capability: every look is its own fetch."""

    def __init__(self, client: TTApiClient) -> None:
        self.name = client.name
        self._client = client

    async def submit(self, request: SubmitRequest) -> str:
        """Send a paid request."""
        return await self._client.submit(request)

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Look at one job."""
        return await self._client.fetch(job_id)

    async def info(self) -> AccountInfo:
        """The account's balance."""
        return await self._client.info()


@asynccontextmanager
async def running_engine(
    base_url: str,
    db_path: Path,
    *,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
    max_in_progress: int,
    hooks: bool = False,
    batch: bool = True,
    durations: str | None = None,
    workers: int = 1,
    reports: Reports | None = None,
) -> AsyncIterator[Engine]:
    """Open the store, wire the engine to the TT API at `base_url` and start it.

    With `hooks`, a HookServer listens on 127.0.0.1 (free port), its URL goes out as hookUrl
    and the watcher polls only as a safety net. Without `batch` every look is a single
    fetch; `durations` (DurationModel.dumps) is what the engine has learned of past jobs;
    `workers` is the report subscriber's pool (the publisher's is 8).
    """
    async with aiohttp.ClientSession() as session:
        store = await Store.open(db_path, clock)
        await store.migrate()
        if durations is not None:
            await store.set_meta(META_KEY, durations)
        client = TTApiClient(session, API_KEY, base_url)
        provider = client if batch else SingleFetches(client)
        events = JobEvents()
        reports = reports or Reports(clock)
        events.subscribe(reports, workers=workers)
        secret = new_secret()
        servers: list[HookServer] = []

        async def open_hooks(watcher: Watcher) -> str:
            server = HookServer(watcher, secret)
            servers.append(server)
            await server.start(HOST, 0)
            return hook_url(f"http://{HOST}:{server.port}", secret)

        engine = await build_engine(
            store=store,
            provider=provider,
            events=events,
            safety_net=hooks,
            open_hooks=open_hooks if hooks else None,
            max_in_progress=max_in_progress,
            clock=clock,
            sleep=sleep,
        )
        watcher, service = engine.watcher, engine.service
        server = servers[0] if servers else None
        try:
            await service.start()
            yield Engine(store, watcher, service, reports)
        finally:
            await service.stop()
            if server is not None:
                await server.stop()
            await store.close()


async def submit_all(service: JobService, count: int, mode: str, concurrency: int = 64) -> None:
    """Send `count` /imagine jobs through the service, at most `concurrency` at once."""
    limit = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with limit:
            await imagine(service, index, mode)

    await asyncio.gather(*(one(index) for index in range(count)))


async def imagine(service: JobService, index: int, mode: str) -> Job:
    """One /imagine from one of USERS requesters."""
    requester = Requester(user_id=1000 + index % USERS, guild_id=1, channel_id=2)
    return await service.imagine(requester, f"bench job {index} --v 6", mode)


async def poll_until(condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds, checking every millisecond (for state with no event)."""
    while not condition():  # noqa: ASYNC110 - the engine exposes no event for these counts
        await asyncio.sleep(0.001)


def jittered_scenarios(
    rng: random.Random, count: int, queue: tuple[float, float], run: tuple[float, float]
) -> list[Scenario]:
    """`count` successful scenarios with queue and run seconds drawn uniformly from the ranges."""
    return [
        Scenario(queue_seconds=rng.uniform(*queue), run_seconds=rng.uniform(*run))
        for _ in range(count)
    ]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.5 = median); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
