"""A restart on the same database: what a crashed process left behind is resumed, not resent.

The crashed process is played by rows written straight into the store (and, where the
provider must know the job, a job created at the fake through the client).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.jobs.events import Subscriber
from bot.jobs.models import Job
from bot.jobs.service import UNKNOWN_SUBMIT
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider.models import ImagineRequest, Mode
from fakes.ttapi import FakeTTApi, Scenario
from tests.jobs.conftest import ENDLESS, Engine, EngineFactory, new_job, until

S = JobStatus
# How a fresh (queued) row is walked to each status through legal transitions.
WALK: dict[JobStatus, list[JobStatus]] = {
    S.QUEUED: [],
    S.SUBMITTING: [S.SUBMITTING],
    S.SUBMITTED: [S.SUBMITTING, S.SUBMITTED],
    S.RUNNING: [S.SUBMITTING, S.SUBMITTED, S.RUNNING],
    S.SUCCEEDED: [S.SUBMITTING, S.SUBMITTED, S.SUCCEEDED],
}


async def left_behind(
    store: Store,
    prompt: str,
    status: JobStatus,
    *,
    user: int = 1,
    provider_job_id: str | None = None,
    submitted_at: float | None = None,
    timeout_s: int = 300,
) -> Job:
    """A row as a crashed process would have left it."""
    job = await store.create_job(new_job(prompt, user=user, timeout_s=timeout_s))
    for step in WALK[status]:
        changes: dict[str, object] = {}
        if step is S.SUBMITTED:
            changes = {
                "provider_job_id": provider_job_id or f"gone-{job.id}",
                "submitted_at": submitted_at or time.time(),
            }
        elif step is S.RUNNING:
            changes = {"progress": 5}
        elif step is S.SUCCEEDED:
            changes = {"progress": 100, "images": ["https://cdn.example/a.png"]}
        assert await store.transition(job.id, step, **changes)
    row = await store.get_job(job.id)
    assert row is not None
    return row


async def created_at_fake(eng: Engine, prompt: str) -> str:
    """A job the provider accepted (and is charging for): its provider id."""
    return await eng.client.submit(ImagineRequest(prompt, Mode.FAST))


async def crashed(engine: EngineFactory) -> Engine:
    """An engine that is never started: only its store and client are used, then closed."""
    return await engine(max_in_progress=1, start=False)


# --- the main scenario --------------------------------------------------------------------------


async def test_restart_resumes_running_requeues_queued_and_never_resends(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.3))
    provider_id = await created_at_fake(before, "was running")
    running = await left_behind(before.store, "was running", S.RUNNING, provider_job_id=provider_id)
    queued_1 = await left_behind(before.store, "queued 1", S.QUEUED, user=1)
    sending = await left_behind(before.store, "was being sent", S.SUBMITTING, user=2)
    queued_2 = await left_behind(before.store, "queued 2", S.QUEUED, user=3)
    queued_3 = await left_behind(before.store, "queued 3", S.QUEUED, user=1)
    await before.stop()
    imagines_before = len(fake.calls_to("/imagine"))

    after = await engine(max_in_progress=1)

    assert len(after.watcher) == 1  # the running job is watched again at once
    # ...and holds the only slot, as the unsent-or-not job does while it is looked for.
    assert after.service.in_flight == 2
    assert [after.service.position(job.id) for job in (queued_1, queued_2, queued_3)] == [0, 1, 2]
    failed = await after.wait_for(sending.id, S.FAILED)
    assert failed.error == UNKNOWN_SUBMIT
    assert "not sent again" in failed.error

    resumed = await after.wait_for(running.id, S.SUCCEEDED)
    assert resumed.provider_job_id == provider_id
    for job in (queued_1, queued_2, queued_3):
        await after.wait_for(job.id, S.SUCCEEDED)

    assert after.submitted_prompts == ["queued 1", "queued 2", "queued 3"]  # original order
    sent = [call.json["prompt"] for call in fake.calls_to("/imagine")[imagines_before:]]
    assert sent == ["queued 1", "queued 2", "queued 3"]  # nothing resent, nothing doubled
    assert "was being sent" not in [call.json["prompt"] for call in fake.calls_to("/imagine")]
    assert after.count(running.id, S.SUCCEEDED) == 1
    assert after.count(sending.id, S.FAILED) == 1
    assert fake.max_concurrent_seen <= 1


async def test_a_job_in_flight_at_stop_is_finished_by_the_next_process(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = Scenario(queue_seconds=0.0, run_seconds=0.3)
    first = await engine(scale=1.0)  # slow polling: it will not see the result
    job = await first.service.submit(new_job("outlives its process"))
    assert job.status is S.SUBMITTED
    await first.stop()

    second = await engine()
    done = await second.wait_for(job.id, S.SUCCEEDED)

    assert done.provider_job_id == job.provider_job_id
    assert len(fake.calls_to("/imagine")) == 1
    assert S.SUCCEEDED not in first.statuses(job.id)
    assert second.count(job.id, S.SUCCEEDED) == 1


async def test_a_job_whose_deadline_passed_while_down_times_out(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    fake.next_scenario(ENDLESS)
    provider_id = await created_at_fake(before, "old")
    old = await left_behind(
        before.store,
        "old",
        S.SUBMITTED,
        provider_job_id=provider_id,
        submitted_at=time.time() - 3600,
    )
    await before.stop()

    after = await engine(scale=1.0)
    failed = await after.wait_for(old.id, S.FAILED, within=2)

    assert failed.error is not None
    assert failed.error.startswith("Timed out")
    assert fake.calls_to("/fetch") == []  # past the deadline: no point asking
    assert after.service.in_flight == 0


# --- results not shown yet ----------------------------------------------------------------------


async def test_unposted_results_are_reported_again_and_posted_once(
    engine: EngineFactory, db_file: Path
) -> None:
    before = await crashed(engine)
    unposted = await left_behind(before.store, "finished, never posted", S.SUCCEEDED)
    claimed = await left_behind(before.store, "claimed by the dead process", S.SUCCEEDED)
    assert await before.store.claim_post(claimed.id)
    posted = await left_behind(before.store, "already posted", S.SUCCEEDED)
    assert await before.store.claim_post(posted.id)
    await before.store.finish_post(posted.id, message_id=555, channel_id=20)
    await before.stop()

    after = await engine(start=False)
    wins: dict[str, list[int]] = {"one": [], "two": []}

    def publisher(name: str) -> Subscriber:
        async def on_change(job: Job) -> None:
            if job.finished and await after.store.claim_post(job.id):
                wins[name].append(job.id)

        return on_change

    after.events.subscribe(publisher("one"))
    after.events.subscribe(publisher("two"))
    await after.service.start()
    await after.events.drain()  # reports reach subscribers without the engine waiting

    assert [job.id for job in after.seen] == [unposted.id, claimed.id]
    assert sorted(wins["one"] + wins["two"]) == [unposted.id, claimed.id]  # each won once

    # Two connections racing for the same post, as two processes would: one wins.
    await after.store.release_post(unposted.id)
    other = await Store.open(db_file)
    try:
        results = await asyncio.gather(
            after.store.claim_post(unposted.id), other.claim_post(unposted.id)
        )
    finally:
        await other.close()
    assert sorted(results) == [False, True]


# --- many jobs in flight ------------------------------------------------------------------------


async def test_fifty_jobs_in_flight_are_all_tracked_after_start(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = ENDLESS
    before = await crashed(engine)
    provider_ids = await asyncio.gather(*(created_at_fake(before, f"job {n}") for n in range(50)))
    for n, provider_id in enumerate(provider_ids):
        status = S.RUNNING if n % 2 else S.SUBMITTED
        await left_behind(before.store, f"job {n}", status, provider_job_id=provider_id)
    await before.stop()
    imagines = len(fake.calls_to("/imagine"))

    after = await engine(max_in_progress=10, scale=1.0)  # the normal cadence would wait 10 s

    assert len(after.watcher) == 50
    assert after.service.in_flight == 50
    # Each is looked at right away: it may have finished while the bot was down.
    await until(
        lambda: {call.query["jobId"] for call in fake.calls_to("/fetch")} >= set(provider_ids),
        within=2,
    )
    assert len(fake.calls_to("/imagine")) == imagines  # over the cap: nothing new is sent
