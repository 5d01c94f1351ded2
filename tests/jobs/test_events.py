"""Job events: handed to subscribers without waiting, in order per job, drained on close."""

from __future__ import annotations

import asyncio

from bot.jobs.events import JobEvents
from bot.jobs.lanes import Lanes
from bot.jobs.models import Job
from bot.jobs.states import JobStatus
from fakes.ttapi import FakeTTApi, Scenario
from tests.jobs.conftest import EngineFactory, new_job, until
from tests.jobs.test_ledger import make_job as ledger_job


async def test_a_slow_subscriber_does_not_delay_another_jobs_report(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """The first job's subscriber hangs (a CDN download, a 429 sleep); the second job is
    still polled, finished and reported to every subscriber, the slow one included."""
    eng = await engine()
    release = asyncio.Event()
    slow_seen: list[tuple[int, JobStatus]] = []

    async def slow(job: Job) -> None:
        slow_seen.append((job.id, job.status))
        if job.status is JobStatus.SUCCEEDED and job.id == first.id:
            await release.wait()

    eng.events.subscribe(slow, workers=2)
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.05))
    first = await eng.service.submit(new_job("first"))
    await until(lambda: (first.id, JobStatus.SUCCEEDED) in slow_seen)

    second = await eng.service.submit(new_job("second", user=2))
    await eng.wait_for(second.id, JobStatus.SUCCEEDED)  # the watcher was not held
    await until(lambda: (second.id, JobStatus.SUCCEEDED) in slow_seen)
    release.set()


async def test_emit_returns_while_the_subscriber_still_works() -> None:
    events = JobEvents()
    started, release = asyncio.Event(), asyncio.Event()

    async def busy(job: Job) -> None:
        started.set()
        await release.wait()

    events.subscribe(busy)
    await events.emit(make_job(1))  # would hang here if emit awaited the subscriber
    await started.wait()
    release.set()
    await events.drain()


async def test_each_jobs_changes_arrive_in_order_while_jobs_overlap() -> None:
    seen: list[tuple[int, int]] = []

    async def record(item: tuple[int, int]) -> None:
        await asyncio.sleep(0.001 * (3 - item[1]))  # later changes are quicker to handle
        seen.append(item)

    lanes: Lanes[tuple[int, int]] = Lanes(record, workers=3)
    for change in range(3):
        for job in range(5):
            lanes.put(job, (job, change))
    await lanes.drain()
    for job in range(5):
        assert [change for j, change in seen if j == job] == [0, 1, 2]
    assert len(seen) == 15


async def test_close_delivers_what_is_queued_within_the_grace() -> None:
    events = JobEvents()
    delivered: list[int] = []

    async def record(job: Job) -> None:
        await asyncio.sleep(0.01)
        delivered.append(job.id)

    events.subscribe(record)
    for job_id in range(1, 4):
        await events.emit(make_job(job_id))
    events.unsubscribe(record)  # as a cog unloads on shutdown: queued events still go out
    await events.close(grace=5)
    assert delivered == [1, 2, 3]


async def test_close_gives_up_on_a_stuck_subscriber_after_the_grace() -> None:
    events = JobEvents()

    async def stuck(job: Job) -> None:
        await asyncio.Event().wait()

    events.subscribe(stuck)
    await events.emit(make_job(1))
    await events.close(grace=0.05)  # returns: shutdown is never held forever


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    events = JobEvents()
    delivered: list[int] = []

    async def broken(job: Job) -> None:
        raise RuntimeError("boom")

    async def record(job: Job) -> None:
        delivered.append(job.id)

    events.subscribe(broken)
    events.subscribe(record)
    await events.emit(make_job(1))
    await events.emit(make_job(2))
    await events.drain()
    assert delivered == [1, 2]


def make_job(job_id: int) -> Job:
    """A running job with only its id set apart."""
    return ledger_job(id=job_id, status=JobStatus.RUNNING, progress=46)
