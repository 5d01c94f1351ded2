"""Wiring for the job engine tests: real store, real client, real watcher, the fake TT API.

Time is real but short: the fake's jobs last a fraction of a second and the watcher's cadence
is scaled down, so a job goes from submit to result in well under a second. Tests that need
exact cadence use the pure functions in bot/jobs/polling.py or a ManualClock instead.

Fixture names avoid test_store.py's own (`clock`, `db_path`, `store`, `other_store`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest

from bot.jobs.engine import build_engine
from bot.jobs.events import JobEvents
from bot.jobs.models import Job, JobKind, NewJob, Requester
from bot.jobs.service import JobService
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher
from bot.jobs.webhook import HookServer, hook_url
from bot.provider import AccountInfo, JobSnapshot, SubmitRequest
from bot.provider.recent import RecentJob
from bot.provider.ttapi import TTApiClient
from fakes.ttapi import FakeTTApi, Scenario

# A job at the fake: 10 ms in the provider's queue, then 100 ms of rising progress.
QUICK = Scenario(queue_seconds=0.01, run_seconds=0.1)
# A job that will not finish during any test.
ENDLESS = Scenario(queue_seconds=0.0, run_seconds=10_000.0)
HOOK_SECRET = "s3cret-path"

Predicate = Callable[[], object]


async def until(predicate: Predicate, within: float = 5.0, interval: float = 0.01) -> None:
    """Wait until `predicate()` (sync or async) is truthy; fail the test after `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


async def no_sleep(_: float) -> None:
    """The client's retry back-off, made instant."""
    await asyncio.sleep(0)


async def short_sleep(_: float) -> None:
    """The service's admission pause after a 499, made short but still asynchronous."""
    await asyncio.sleep(0.01)


def new_job(prompt: str = "a lighthouse at dusk", user: int = 1, **overrides: object) -> NewJob:
    """An /imagine as the service receives it."""
    values: dict[str, object] = {
        "kind": JobKind.IMAGINE,
        "mode": "fast",
        "requester": Requester(user, guild_id=10, channel_id=20),
        "prompt": prompt,
    }
    values.update(overrides)
    return NewJob(**values)  # type: ignore[arg-type]


class RecordingProvider:
    """The real client, plus the order in which the service asked it to submit.

    Set `gate` to an unset asyncio.Event to hold submits (the job stays SUBMITTING) until
    the test sets it.
    """

    def __init__(self, client: TTApiClient) -> None:
        self.name = client.name
        self._client = client
        self.submitted: list[SubmitRequest] = []
        self.gate: asyncio.Event | None = None

    async def submit(self, request: SubmitRequest) -> str:
        """Note the request (before any await), then send it."""
        self.submitted.append(request)
        if self.gate is not None:
            await self.gate.wait()
        return await self._client.submit(request)

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Fetch through the real client."""
        return await self._client.fetch(job_id)

    async def info(self) -> AccountInfo:
        """Account info through the real client."""
        return await self._client.info()

    async def recent_jobs(self, limit: int = 100) -> list[RecentJob]:
        """The provider's newest jobs through the real client."""
        return await self._client.recent_jobs(limit)


class BatchingProvider(RecordingProvider):
    """The recording provider with the client's batch capability (fetch-list)."""

    async def fetch_many(self, job_ids: Sequence[str]) -> dict[str, JobSnapshot]:
        """Many jobs through the real client's fetch-list."""
        return await self._client.fetch_many(job_ids)


@dataclass
class Engine:
    """One wired job engine and what its subscriber saw."""

    fake: FakeTTApi
    store: Store
    client: TTApiClient
    provider: RecordingProvider
    events: JobEvents
    watcher: Watcher
    service: JobService
    hook: HookServer | None
    seen: list[Job] = field(default_factory=list)
    stopped: bool = False

    @property
    def submitted_prompts(self) -> list[str]:
        """Prompts in the order the service sent them to the provider."""
        return [getattr(request, "prompt", "") for request in self.provider.submitted]

    @property
    def hook_base(self) -> str:
        """http://127.0.0.1:<port> of the hook server."""
        assert self.hook is not None
        return f"http://127.0.0.1:{self.hook.port}"

    def events_for(self, job_id: int) -> list[Job]:
        """Every reported change of one job, in order."""
        return [job for job in self.seen if job.id == job_id]

    def statuses(self, job_id: int) -> list[JobStatus]:
        """The statuses reported for one job, in order."""
        return [job.status for job in self.events_for(job_id)]

    def count(self, job_id: int, status: JobStatus) -> int:
        """How many reports of `status` one job got."""
        return self.statuses(job_id).count(status)

    async def wait_for(self, job_id: int, status: JobStatus, within: float = 5.0) -> Job:
        """The first reported change of `job_id` to `status`, waiting for it."""
        await until(lambda: status in self.statuses(job_id), within)
        return next(job for job in self.events_for(job_id) if job.status is status)

    async def stop(self) -> None:
        """Stop the service, the watcher and the hook server; close the store."""
        if self.stopped:
            return
        self.stopped = True
        await self.service.stop()
        if self.hook is not None:
            await self.hook.stop()
        await self.store.close()


EngineFactory = Callable[..., Awaitable[Engine]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTTApi]:
    """The fake TT API on 127.0.0.1, with quick jobs and room for many at once."""
    api = FakeTTApi(scenario=replace(QUICK), max_in_progress=100)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One aiohttp session for the client and the tests' own requests."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """The engine's SQLite file (shared by engines built in one test, like a restart)."""
    return tmp_path / "data" / "db.sqlite"


@pytest.fixture
async def engine(
    fake: FakeTTApi, http: aiohttp.ClientSession, db_file: Path
) -> AsyncIterator[EngineFactory]:
    """A factory for started engines; everything it built is stopped at teardown.

    `attempts` is the client's own retry count (1: the service or watcher must cope);
    `scale` shrinks the watcher's cadence; `start=False` leaves recovery to the test.
    """
    built: list[Engine] = []

    async def build(
        max_in_progress: int = 10,
        *,
        hook: bool = False,
        attempts: int = 4,
        scale: float = 0.005,
        safety_net: bool = False,
        clock: Callable[[], float] = time.time,
        watcher_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        service_sleep: Callable[[float], Awaitable[None]] = short_sleep,
        start: bool = True,
        batch: bool = False,
    ) -> Engine:
        store = await Store.open(db_file, clock=clock)
        await store.migrate()
        client = TTApiClient(http, "test-key", fake.base_url, attempts=attempts, sleep=no_sleep)
        provider = (BatchingProvider if batch else RecordingProvider)(client)
        events = JobEvents()
        seen: list[Job] = []

        async def recorder(job: Job) -> None:
            seen.append(job)

        events.subscribe(recorder)
        servers: list[HookServer] = []

        async def open_hooks(watcher: Watcher) -> str:
            server = HookServer(watcher, HOOK_SECRET)
            servers.append(server)
            await server.start("127.0.0.1", 0)
            return hook_url(f"http://127.0.0.1:{server.port}", HOOK_SECRET)

        wired = await build_engine(
            store=store,
            provider=provider,
            events=events,
            scale=scale,
            safety_net=safety_net,
            open_hooks=open_hooks if hook else None,
            max_in_progress=max_in_progress,
            clock=clock,
            sleep=service_sleep,
            watcher_sleep=watcher_sleep,
        )
        watcher, service = wired.watcher, wired.service
        server = servers[0] if servers else None
        if server is not None:
            server.adopt = service.adopt
        built_engine = Engine(fake, store, client, provider, events, watcher, service, server, seen)
        built.append(built_engine)
        if start:
            await service.start()
        return built_engine

    yield build
    for built_engine in reversed(built):
        await built_engine.stop()
