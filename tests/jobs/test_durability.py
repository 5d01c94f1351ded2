"""A paid submit survives a database that fails at the worst moment, and power loss."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from tests.jobs.conftest import Engine, EngineFactory, new_job, until


async def test_the_database_is_opened_with_synchronous_full(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        async with store._db.execute("PRAGMA synchronous") as cursor:
            row = await cursor.fetchone()
    finally:
        await store.close()
    assert row is not None
    assert row[0] == 2  # FULL: NORMAL (1) can roll back the last commits on power loss


def fail_id_writes(engine: Engine, times: int) -> Callable[[], int]:
    """The next `times` writes of a provider id raise as a full or broken disk does."""
    real = engine.store.transition
    failed = 0

    async def transition(job_id: int, to: JobStatus, **changes: Any) -> bool:
        nonlocal failed
        if to is JobStatus.SUBMITTED and failed < times:
            failed += 1
            raise sqlite3.OperationalError("disk I/O error")
        return await real(job_id, to, **changes)

    engine.store.transition = transition  # type: ignore[method-assign]
    return lambda: failed


async def succeeded(engine: Engine, job_id: int) -> bool:
    job = await engine.store.get_job(job_id)
    return job is not None and job.status is JobStatus.SUCCEEDED


async def test_a_failed_id_write_is_retried_and_the_job_finishes(engine: EngineFactory) -> None:
    running = await engine()
    failures = fail_id_writes(running, times=2)

    job = await running.service.submit(new_job("a fox in the snow"))

    await until(lambda: succeeded(running, job.id))
    stored = await running.store.get_job(job.id)
    assert stored is not None
    assert stored.provider_job_id in running.fake.jobs
    assert failures() == 2
    assert len(running.provider.submitted) == 1  # never sent twice
    assert running.count(job.id, JobStatus.SUCCEEDED) == 1
    await until(lambda: running.service.in_flight == 0)


async def test_a_job_whose_id_cannot_be_stored_is_watched_and_frees_its_slot(
    engine: EngineFactory,
) -> None:
    running = await engine(max_in_progress=1)
    fail_id_writes(running, times=8)  # more than the quick retries: the background takes over

    first = await running.service.submit(new_job("a fox in the snow"))
    second = await running.service.submit(new_job("an owl at night", user=2))

    # The first job's slot is freed when the provider is done with it, so the second starts.
    await until(lambda: succeeded(running, second.id))
    # And the first is stored after all, fetched again and reported once.
    await until(lambda: succeeded(running, first.id))
    assert len(running.provider.submitted) == 2
    assert running.count(first.id, JobStatus.SUCCEEDED) == 1
    await until(lambda: running.service.in_flight == 0)
