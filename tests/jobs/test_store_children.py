"""The store behind used buttons, late progress lines and reported prompts (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.models import JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from bot.jobs.store import Store

WHO = Requester(1, guild_id=10, channel_id=20)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "mjbot.db")
    await opened.migrate()
    yield opened
    await opened.close()


async def finish(store: Store, job_id: int, status: JobStatus = JobStatus.SUCCEEDED) -> None:
    for step in (JobStatus.SUBMITTING, JobStatus.SUBMITTED, status):
        assert await store.transition(job_id, step)


async def child(store: Store, parent_id: int, action: str, kind: JobKind = JobKind.ACTION) -> int:
    new = NewJob(kind, "fast", WHO, action=action, parent_id=parent_id)
    return (await store.create_job(new)).id


async def test_succeeded_children_are_the_used_buttons(store: Store) -> None:
    grid = (await store.create_job(NewJob(JobKind.IMAGINE, "fast", WHO, prompt="a cat"))).id
    u2_first, u2_again, v1, failed = (
        await child(store, grid, "upsample2"),
        await child(store, grid, "upsample2"),
        await child(store, grid, "variation1"),
        await child(store, grid, "upsample3"),
    )
    await child(store, grid, "upsample4")  # still queued: not used yet
    for job_id in (u2_first, u2_again, v1):
        await finish(store, job_id)
    await finish(store, failed, JobStatus.FAILED)
    elsewhere = (await store.create_job(NewJob(JobKind.IMAGINE, "fast", WHO))).id
    await finish(store, await child(store, elsewhere, "upsample1"))

    children = await store.succeeded_children(grid)

    assert [job.id for job in children] == [u2_first, u2_again, v1]  # oldest first


async def test_progress_line_attaches_only_to_an_unfinished_job(store: Store) -> None:
    running = (await store.create_job(NewJob(JobKind.IMAGINE, "fast", WHO))).id
    done = (await store.create_job(NewJob(JobKind.IMAGINE, "fast", WHO))).id
    await finish(store, done)

    assert await store.attach_progress_message(running, 555)
    assert not await store.attach_progress_message(done, 556)

    assert (await store.get_job(running)).progress_message_id == 555  # type: ignore[union-attr]
    assert (await store.get_job(done)).progress_message_id is None  # type: ignore[union-attr]


async def test_reported_prompt_is_stored_with_the_result(store: Store) -> None:
    job_id = (await store.create_job(NewJob(JobKind.BLEND, "fast", WHO))).id
    for step in (JobStatus.SUBMITTING, JobStatus.SUBMITTED):
        await store.transition(job_id, step)

    await store.transition(job_id, JobStatus.SUCCEEDED, result_prompt="two pets --v 6")

    job = await store.get_job(job_id)
    assert job is not None
    assert job.result_prompt == "two pets --v 6"
