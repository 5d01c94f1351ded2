"""The watcher: progress reported in order, timeouts, fetch failures, cadence on virtual time."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.jobs import polling, watcher
from bot.jobs.polling import deadline
from bot.jobs.states import JobStatus
from bot.provider import JobSnapshot
from bot.provider.models import RemoteStatus
from fakes.ttapi import FakeTTApi, ManualClock, Scenario
from tests.jobs.conftest import ENDLESS, Engine, EngineFactory, new_job, until

S = JobStatus


def running(provider_job_id: str, progress: int) -> JobSnapshot:
    """What a fetch returns for a job in progress."""
    return JobSnapshot(provider_job_id, RemoteStatus.RUNNING, progress=progress)


async def stored_progress(eng: Engine, job_id: int) -> tuple[JobStatus, int | None]:
    """The job's status and progress as stored."""
    row = await eng.store.get_job(job_id)
    assert row is not None
    return row.status, row.progress


# --- progress ---------------------------------------------------------------------------------


async def test_progress_is_reported_rising_then_one_result(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = Scenario(queue_seconds=0.02, run_seconds=0.4)
    eng = await engine()
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, S.SUCCEEDED)
    await asyncio.sleep(0.05)

    reports = eng.events_for(job.id)
    statuses = [report.status for report in reports]
    progress = [report.progress for report in reports if report.status is S.RUNNING]
    assert statuses[0] is S.SUBMITTED
    assert statuses[-1] is S.SUCCEEDED
    assert statuses.count(S.SUCCEEDED) == 1
    assert set(statuses[1:-1]) == {S.RUNNING}
    assert len(progress) >= 2
    assert all(a < b for a, b in itertools.pairwise(progress))  # strictly rising
    assert reports[-1].progress == 100
    assert len(eng.watcher) == 0


async def test_an_older_snapshot_never_lowers_the_progress(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = ENDLESS  # the fake keeps answering progress 0
    eng = await engine()
    job = await eng.service.submit(new_job())
    first = await eng.wait_for(job.id, S.RUNNING)
    assert first.progress == 0
    provider_id = job.provider_job_id
    assert provider_id is not None

    await eng.watcher.apply(job.id, running(provider_id, 60))
    await eng.events.drain()
    assert [report.progress for report in eng.events_for(job.id)][-1] == 60
    reports = len(eng.events_for(job.id))

    await eng.watcher.apply(job.id, running(provider_id, 40))  # older, arriving late
    await eng.watcher.apply(job.id, running(provider_id, 60))  # the same again
    fetches = len(fake.calls_to("/fetch"))
    await until(lambda: len(fake.calls_to("/fetch")) >= fetches + 2)  # live polls say 0 %
    await eng.events.drain()

    assert len(eng.events_for(job.id)) == reports
    assert await stored_progress(eng, job.id) == (S.RUNNING, 60)


async def test_nothing_is_reported_after_the_result(engine: EngineFactory, fake: FakeTTApi) -> None:
    fake.scenario = ENDLESS
    eng = await engine()
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, S.RUNNING)
    provider_id = job.provider_job_id
    assert provider_id is not None
    fake.finish_now(provider_id)
    done = await eng.wait_for(job.id, S.SUCCEEDED)
    reports = len(eng.seen)

    await eng.watcher.apply(job.id, running(provider_id, 80))
    await eng.watcher.apply(job.id, JobSnapshot(provider_id, RemoteStatus.SUCCESS, progress=100))
    await eng.watcher.apply(job.id, JobSnapshot(provider_id, RemoteStatus.FAILED, message="late"))

    assert len(eng.seen) == reports
    row = await eng.store.get_job(job.id)
    assert row is not None
    assert row.status is S.SUCCEEDED
    assert row.images == done.images
    assert row.error is None


async def test_a_provider_failure_is_reported_with_its_message(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = Scenario(queue_seconds=0.0, run_seconds=0.05, outcome="FAILED")
    eng = await engine()
    job = await eng.service.submit(new_job())
    failed = await eng.wait_for(job.id, S.FAILED)
    assert failed.error == fake.scenario.fail_message
    assert eng.count(job.id, S.FAILED) == 1


# --- timeouts -----------------------------------------------------------------------------------


async def test_a_job_past_its_deadline_fails_with_a_clear_reason(
    engine: EngineFactory, fake: FakeTTApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "TIMEOUT_GRACE", 0.0)
    fake.scenario = ENDLESS
    eng = await engine()
    job = await eng.service.submit(new_job(timeout_s=1))
    assert fake.calls_to("/imagine")[0].json["timeout"] == 1  # the provider was told too

    failed = await eng.wait_for(job.id, S.FAILED, within=4)

    assert failed.error is not None
    assert failed.error.startswith("Timed out")
    assert failed.finished_at is not None
    assert job.submitted_at is not None
    assert failed.finished_at >= job.submitted_at + 1
    assert eng.count(job.id, S.FAILED) == 1
    assert len(eng.watcher) == 0
    assert eng.service.in_flight == 0  # the slot is free again


async def test_timeout_on_virtual_time(engine: EngineFactory, fake: FakeTTApi) -> None:
    clock = ManualClock(1_000_000.0)
    fake.clock = clock
    fake.scenario = ENDLESS

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    eng = await engine(scale=1.0, clock=clock, watcher_sleep=virtual_sleep)
    job = await eng.service.submit(new_job(mode="fast"))  # default timeout: 300 s
    failed = await eng.wait_for(job.id, S.FAILED)

    assert job.submitted_at is not None
    given_up_at = deadline(job.submitted_at, 300)
    assert failed.error == "Timed out: Midjourney gave no result within 6 minutes."
    assert failed.finished_at is not None
    assert given_up_at < failed.finished_at <= given_up_at + 30
    assert 10 <= len(fake.calls_to("/fetch")) <= 40  # polled, but not every second


# --- fetch failures -----------------------------------------------------------------------------


async def test_a_burst_of_5xx_on_fetch_is_ridden_out(
    engine: EngineFactory, fake: FakeTTApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    backoffs: list[int] = []

    def quick_backoff(failures: int, *, scale: float = 1.0) -> float:
        backoffs.append(failures)
        return 0.01

    monkeypatch.setattr(watcher, "failure_delay", quick_backoff)
    eng = await engine(attempts=1)  # the client gives up at once: the watcher must retry
    fake.fail_next("/fetch", 502, times=5)
    job = await eng.service.submit(new_job())

    await eng.wait_for(job.id, S.SUCCEEDED)

    assert backoffs == [1, 2, 3, 4, 5]  # one growing back-off per failure, reset by success
    assert len(fake.calls_to("/fetch")) >= 6
    assert S.FAILED not in eng.statuses(job.id)
    assert eng.count(job.id, S.SUCCEEDED) == 1


async def test_no_job_is_lost_when_fetches_fail_for_many(
    engine: EngineFactory, fake: FakeTTApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watcher, "failure_delay", lambda failures, *, scale=1.0: 0.01 * failures)
    eng = await engine(attempts=1)
    fake.fail_next("/fetch", 503, times=12)
    jobs = [await eng.service.submit(new_job(f"job {n}", user=n)) for n in range(4)]

    await until(lambda: all(eng.count(job.id, S.SUCCEEDED) for job in jobs))

    assert not any(S.FAILED in eng.statuses(job.id) for job in jobs)
    assert len(eng.watcher) == 0
    assert eng.service.in_flight == 0


async def test_the_real_backoff_is_scaled(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine(attempts=1, scale=0.005)  # back-off 10, 20, 40 ms
    fake.fail_next("/fetch", 502, times=3)
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, S.SUCCEEDED)
    fetches = fake.calls_to("/fetch")
    assert len(fetches) >= 4
    assert S.FAILED not in eng.statuses(job.id)


# --- cadence on virtual time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue_s", "run_s"),
    [(1.0, 20.0), (5.0, 40.0), (10.0, 60.0)],
)
async def test_a_fast_job_costs_few_fetches_on_virtual_time(
    engine: EngineFactory, fake: FakeTTApi, queue_s: float, run_s: float
) -> None:
    clock = ManualClock(1_000_000.0)
    fake.clock = clock
    fake.scenario = Scenario(queue_seconds=queue_s, run_seconds=run_s)

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    eng = await engine(scale=1.0, clock=clock, watcher_sleep=virtual_sleep)
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, S.SUCCEEDED)

    fetches = fake.calls_to("/fetch")
    finished_at = fake.last_job().created_at + queue_s + run_s
    # A fresh bot (no durations learned yet) on Midjourney's coarse steps; once it has seen
    # a few jobs it needs about five (tests/jobs/test_polling.py, bench/engine.py).
    assert len(fetches) <= 7
    assert eng.watcher.fetches == len(fetches)
    # Seen soon after it finished: the aim margin, the estimate's error from whole-percent
    # progress, and the rounding of distant fetches to a whole second (polling.coalesce).
    assert 0 <= fetches[-1].at - finished_at <= 2.0
    assert all(call.at < finished_at for call in fetches[:-1])


# --- tracking -----------------------------------------------------------------------------------


async def test_track_ignores_jobs_without_a_provider_id_and_duplicates(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = ENDLESS
    eng = await engine()
    job = await eng.service.submit(new_job())
    assert len(eng.watcher) == 1
    eng.watcher.track(job)  # already tracked
    assert len(eng.watcher) == 1

    queued = await eng.store.create_job(new_job("not sent"))
    eng.watcher.track(queued)
    assert len(eng.watcher) == 1
    assert eng.watcher.poke("no-such-job") is False
    assert job.provider_job_id is not None
    assert eng.watcher.poke(job.provider_job_id) is True

    eng.watcher.untrack(job.id)
    assert len(eng.watcher) == 0
    assert eng.watcher.poke(job.provider_job_id) is False


async def test_100_percent_while_running_shows_99_until_the_result(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """The TT docs' own example: ON_QUEUE with progress "100". 100 % means a result."""
    fake.scenario = ENDLESS
    eng = await engine()
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, JobStatus.RUNNING)
    assert job.provider_job_id is not None

    await eng.watcher.apply(job.id, running(job.provider_job_id, 100))
    await eng.events.drain()

    assert await stored_progress(eng, job.id) == (JobStatus.RUNNING, 99)
    assert eng.events_for(job.id)[-1].progress == 99
