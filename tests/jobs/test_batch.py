"""Batch looks: one fetch-list call for the jobs due together; single fetches otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.jobs.states import JobStatus
from bot.provider import JobSnapshot
from fakes.ttapi import FakeTTApi, ManualClock, Scenario
from tests.jobs.conftest import BatchingProvider, Engine, EngineFactory, new_job

JOBS = 6


async def virtual_engine(
    engine: EngineFactory, fake: FakeTTApi, **options: object
) -> tuple[Engine, asyncio.Event]:
    """An engine on a manual clock that jumps whenever the watcher sleeps; time stands still
    until every job is submitted (jobs submitted together fall due together)."""
    clock = ManualClock(1_000_000.0)
    fake.clock = clock
    fake.scenario = Scenario(queue_seconds=3.0, run_seconds=45.0)
    released = asyncio.Event()

    async def virtual_sleep(seconds: float) -> None:
        await released.wait()
        clock.advance(seconds)
        await asyncio.sleep(0)

    eng = await engine(
        max_in_progress=JOBS, scale=1.0, clock=clock, watcher_sleep=virtual_sleep, **options
    )
    return eng, released


async def run_jobs(eng: Engine, released: asyncio.Event) -> list[int]:
    """Submit JOBS jobs at once, let time run, and wait until each is reported succeeded."""
    jobs = [await eng.service.submit(new_job(f"job {n}", user=n)) for n in range(JOBS)]
    released.set()
    for job in jobs:
        await eng.wait_for(job.id, JobStatus.SUCCEEDED)
    return [job.id for job in jobs]


async def test_jobs_due_together_share_one_call(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng, released = await virtual_engine(engine, fake, batch=True)
    ids = await run_jobs(eng, released)

    lists = fake.calls_to("/fetch-list")
    assert fake.calls_to("/fetch") == []  # every look was answered by the list
    assert 1 <= len(lists) <= 8  # one call a round for all six, not six
    assert eng.watcher.batch_fetches == len(lists)
    for job_id in ids:
        row = await eng.store.get_job(job_id)
        assert row is not None
        assert row.components  # the list entry carried the whole result: buttons included


async def test_a_refused_batch_call_is_tried_once_then_jobs_are_fetched_alone(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.fetch_list = "refused"  # 404, as a mirror without the endpoint would answer
    eng, released = await virtual_engine(engine, fake, batch=True)
    ids = await run_jobs(eng, released)

    assert len(fake.calls_to("/fetch-list")) == 1  # detected once, remembered
    assert len(fake.calls_to("/fetch")) >= JOBS
    for job_id in ids:
        assert JobStatus.FAILED not in eng.statuses(job_id)


async def test_list_entries_without_the_result_are_completed_by_a_fetch(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.fetch_list = "bare"  # the documented entry shape: no components, images or seed
    eng, released = await virtual_engine(engine, fake, batch=True)
    ids = await run_jobs(eng, released)

    finished_fetches = {call.query["jobId"] for call in fake.calls_to("/fetch")}
    assert len(finished_fetches) == JOBS  # each finished job fetched once for its result
    for job_id in ids:
        row = await eng.store.get_job(job_id)
        assert row is not None
        assert row.components
        assert row.images


class ForgetfulProvider(BatchingProvider):
    """A list that never shows one job (it fell off the page)."""

    hidden: str = ""

    async def fetch_many(self, job_ids: Sequence[str]) -> dict[str, JobSnapshot]:
        """The real answer without the hidden job."""
        found = await super().fetch_many(job_ids)
        self.hidden = self.hidden or job_ids[0]
        found.pop(self.hidden, None)
        return found


async def test_a_job_missing_from_the_list_is_fetched_alone_and_never_failed(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng, released = await virtual_engine(engine, fake, batch=True, start=False)
    forgetful = ForgetfulProvider(eng.client)
    eng.watcher._provider = forgetful
    eng.watcher._looker._provider = eng.watcher._looker._batch = forgetful
    await eng.service.start()
    ids = await run_jobs(eng, released)

    fetched = {call.query["jobId"] for call in fake.calls_to("/fetch")}
    assert fetched == {forgetful.hidden}
    for job_id in ids:
        assert eng.count(job_id, JobStatus.SUCCEEDED) == 1
        assert JobStatus.FAILED not in eng.statuses(job_id)
