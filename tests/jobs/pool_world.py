"""An engine wired to a provider pool, for the failover and per-provider engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.jobs.engine import build_engine
from bot.jobs.events import JobEvents
from bot.jobs.models import Job
from bot.jobs.service import JobService
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider import Provider
from bot.provider.pool import Account, ProviderPool, account_key, mask
from tests.jobs.conftest import until


def account(provider: str, secret: str, client: Provider, cap: int = 10) -> Account:
    """One pool account, keyed and labelled as the bot does it."""
    return Account(provider, account_key(provider, secret), mask(secret), client, cap)


@dataclass
class PoolEngine:
    """Store, pool, watcher and service, and every event the subscriber saw."""

    store: Store
    pool: ProviderPool
    service: JobService
    seen: list[Job] = field(default_factory=list)
    stopped: bool = False

    def statuses(self, job_id: int) -> list[JobStatus]:
        """Statuses reported for one job, in order."""
        return [job.status for job in self.seen if job.id == job_id]

    async def wait_for(self, job_id: int, status: JobStatus, within: float = 10.0) -> Job:
        """The job once it was reported in `status`."""
        await until(lambda: status in self.statuses(job_id), within)
        job = await self.store.get_job(job_id)
        assert job is not None
        return job

    async def stop(self) -> None:
        """Stop the engine and close the store (once)."""
        if self.stopped:
            return
        self.stopped = True
        await self.service.stop()
        await self.store.close()


async def pool_engine(
    db_file: Path,
    accounts: list[Account],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    scale: float = 0.005,
) -> PoolEngine:
    """A started engine over `accounts`, in failover order."""
    store = await Store.open(db_file)
    await store.migrate()
    pool = ProviderPool(accounts)
    events = JobEvents()
    seen: list[Job] = []

    async def record(job: Job) -> None:
        seen.append(job)

    events.subscribe(record)
    engine = await build_engine(
        store=store,
        provider=pool,
        events=events,
        scale=scale,
        sleep=sleep,
        watcher_sleep=asyncio.sleep,
    )
    service = engine.service
    await service.start()
    return PoolEngine(store, pool, service, seen)
