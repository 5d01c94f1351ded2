"""JobService against the fake TT API: the cap, re-queues, rejections, cancel, follow-ups."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import JobRejected
from bot.jobs.models import JobKind, Requester
from bot.jobs.service import UNCONFIRMED, InvalidAction
from bot.jobs.states import JobStatus
from bot.provider import ErrorKind
from fakes.ttapi import UPSAMPLE_COMPONENTS, FakeTTApi, Scenario
from tests.jobs.conftest import ENDLESS, EngineFactory, new_job, until

S = JobStatus
ALICE = Requester(1, guild_id=10, channel_id=20)


# --- the cap ------------------------------------------------------------------------------


async def test_the_cap_is_never_exceeded(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine(max_in_progress=3)
    in_flight_seen: list[int] = []

    async def count_slots(_: object) -> None:
        in_flight_seen.append(eng.service.in_flight)

    eng.events.subscribe(count_slots)
    jobs = [await eng.service.submit(new_job(f"job {n}", user=n % 4)) for n in range(12)]
    await until(lambda: all(eng.count(job.id, S.SUCCEEDED) for job in jobs), within=10)

    assert fake.max_concurrent_seen == 3  # the cap is used, and never exceeded
    assert max(in_flight_seen) <= 3
    assert len(fake.calls_to("/imagine")) == 12
    for job in jobs:
        assert eng.count(job.id, S.SUCCEEDED) == 1
        assert S.FAILED not in eng.statuses(job.id)
    assert eng.service.in_flight == 0
    assert eng.service.queued == 0


# --- refusals without acceptance: back in line ----------------------------------------------


async def test_queue_full_puts_the_job_back_and_it_later_succeeds(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.fail_next("/imagine", 499)
    eng = await engine(attempts=1)  # the client does not retry: the service must

    job = await eng.service.submit(new_job("a patient cat"))

    assert job.status is S.QUEUED
    done = await eng.wait_for(job.id, S.SUCCEEDED)
    statuses = eng.statuses(job.id)
    assert statuses[0] is S.QUEUED  # the refusal was reported as "waiting", not as a failure
    assert S.FAILED not in statuses
    assert statuses.count(S.SUCCEEDED) == 1
    assert done.images
    imagines = fake.calls_to("/imagine")
    assert [call.json["prompt"] for call in imagines] == ["a patient cat"] * 2


async def test_refusals_pause_admission_with_growing_or_requested_delays(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    pauses: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(0.01)

    fake.fail_next("/imagine", 499, times=2)
    eng = await engine(attempts=1, service_sleep=recorded_sleep)
    first = await eng.service.submit(new_job("first"))
    await eng.wait_for(first.id, S.SUCCEEDED)
    assert pauses == [2.0, 4.0]  # doubling while the provider keeps refusing

    fake.fail_next("/imagine", 429, headers={"Retry-After": "7"})
    second = await eng.service.submit(new_job("second"))
    await eng.wait_for(second.id, S.SUCCEEDED)
    assert pauses == [2.0, 4.0, 7.0]  # success reset the doubling; Retry-After is honoured
    assert S.FAILED not in eng.statuses(first.id) + eng.statuses(second.id)


async def test_a_refused_job_keeps_its_place_and_admission_pauses(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    release = asyncio.Event()

    async def held_sleep(_: float) -> None:
        await release.wait()

    fake.fail_next("/imagine", 499)
    eng = await engine(max_in_progress=1, attempts=1, service_sleep=held_sleep)
    eng.provider.gate = asyncio.Event()  # hold the first submit until "second" is queued
    sending = asyncio.create_task(eng.service.submit(new_job("first")))
    await until(lambda: eng.submitted_prompts == ["first"])
    second = await eng.service.submit(new_job("second", user=2))
    eng.provider.gate.set()
    first = await sending

    assert (first.status, second.status) == (S.QUEUED, S.QUEUED)
    assert eng.service.position(first.id) == 0  # back at the front, not behind "second"
    assert eng.service.position(second.id) == 1
    assert eng.service.in_flight == 0
    await asyncio.sleep(0.05)
    assert len(fake.calls_to("/imagine")) == 1  # paused: nothing is sent meanwhile

    release.set()
    await eng.wait_for(first.id, S.SUCCEEDED)
    await eng.wait_for(second.id, S.SUCCEEDED)
    assert eng.submitted_prompts == ["first", "first", "second"]


# --- refusals the member must see ------------------------------------------------------------


async def test_a_banned_prompt_is_rejected_at_submit(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine()

    with pytest.raises(JobRejected) as caught:
        await eng.service.imagine(ALICE, "a skimpy cat", "fast")

    rejected = caught.value
    assert rejected.kind is ErrorKind.BANNED_PROMPT
    assert "banned prompt words :skimpy" in rejected.reason
    assert "Midjourney refused this prompt" in rejected.text
    assert rejected.reason in rejected.text
    row = await eng.store.get_job(rejected.job_id)
    assert row is not None
    assert row.status is S.FAILED
    assert row.error == rejected.text
    assert row.posted_at is not None  # the caller shows the refusal itself...
    assert await eng.store.claim_post(rejected.job_id) is False  # ...so nothing posts it again
    # One event, for the audit log; the publisher's claim fails, so no public post.
    assert [job.status for job in eng.events_for(rejected.job_id)] == [S.FAILED]
    assert eng.service.in_flight == 0
    assert len(fake.calls_to("/imagine")) == 1

    fine = await eng.service.imagine(ALICE, "a sleepy cat", "fast")  # the slot was freed
    await eng.wait_for(fine.id, S.SUCCEEDED)


async def test_a_banned_prompt_that_waited_is_reported_once(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine(max_in_progress=1)
    first = await eng.service.submit(new_job("a sleepy cat"))
    waiting = await eng.service.submit(new_job("a skimpy cat", user=2))
    assert waiting.status is S.QUEUED

    failed = await eng.wait_for(waiting.id, S.FAILED)
    await eng.wait_for(first.id, S.SUCCEEDED)
    await asyncio.sleep(0.1)
    assert eng.count(waiting.id, S.FAILED) == 1
    assert failed.error is not None
    assert "banned prompt words :skimpy" in failed.error
    assert await eng.store.claim_post(waiting.id) is True  # the publisher posts this one
    assert await eng.store.claim_post(waiting.id) is False


async def test_a_5xx_on_submit_is_never_resent_and_the_job_is_adopted(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.fail_next("/imagine", 502, accept_first=True)  # accepted, but the answer is lost
    eng = await engine()

    job = await eng.service.submit(new_job("a costly cat"))

    assert job.status is S.SUBMITTING  # outcome unknown: looked for, not failed, not resent
    done = await eng.wait_for(job.id, S.SUCCEEDED)
    assert len(fake.calls_to("/imagine")) == 1
    [tt_job] = fake.jobs
    assert done.provider_job_id == tt_job
    await until(lambda: eng.service.in_flight == 0)


async def test_a_5xx_on_submit_that_created_nothing_is_reported_after_a_look(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.fail_next("/imagine", 502)  # refused by a proxy: the TT API never saw it
    eng = await engine(max_in_progress=1)

    job = await eng.service.submit(new_job("a costly cat"))

    failed = await eng.wait_for(job.id, S.FAILED)
    assert failed.error == UNCONFIRMED
    assert "not charged twice" in failed.error
    assert len(fake.calls_to("/imagine")) == 1
    assert fake.jobs == {}
    assert len(fake.calls_to("/fetch-list")) == 2  # looked twice before saying so
    await until(lambda: eng.service.in_flight == 0)


# --- cancel ----------------------------------------------------------------------------------


async def test_cancel_a_queued_job(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine(max_in_progress=1)
    running = await eng.service.submit(new_job("running"))
    victim = await eng.service.submit(new_job("victim", user=2))
    follower = await eng.service.submit(new_job("follower", user=3))
    assert eng.service.position(victim.id) == 0

    assert await eng.service.cancel(victim.id, "Changed my mind.") is True
    await eng.events.drain()  # reports reach subscribers without the engine waiting

    assert eng.service.position(victim.id) is None
    assert eng.service.position(follower.id) == 0
    assert eng.service.queued == 1
    assert eng.statuses(victim.id) == [S.QUEUED, S.CANCELLED]
    assert eng.events_for(victim.id)[-1].error == "Changed my mind."
    await eng.wait_for(running.id, S.SUCCEEDED)
    await eng.wait_for(follower.id, S.SUCCEEDED)
    assert eng.submitted_prompts == ["running", "follower"]
    assert "victim" not in [call.json["prompt"] for call in fake.calls_to("/imagine")]
    row = await eng.store.get_job(victim.id)
    assert row is not None
    assert row.status is S.CANCELLED
    assert row.provider_job_id is None


async def test_cancel_a_finished_job_does_nothing(engine: EngineFactory) -> None:
    eng = await engine()
    job = await eng.service.submit(new_job())
    await eng.wait_for(job.id, S.SUCCEEDED)
    reports = len(eng.seen)

    assert await eng.service.cancel(job.id) is False
    assert len(eng.seen) == reports
    row = await eng.store.get_job(job.id)
    assert row is not None
    assert row.status is S.SUCCEEDED


async def test_cancel_a_running_job_keeps_its_slot_until_the_provider_is_done(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """The TT API cannot recall a job: it runs on and holds a provider slot, so the next job
    waits for it to end, and its result is not reported."""
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.3))
    eng = await engine(max_in_progress=1)
    job = await eng.service.submit(new_job("cancelled"))
    follower = await eng.service.submit(new_job("follower", user=2))
    await eng.wait_for(job.id, S.RUNNING)

    assert await eng.service.cancel(job.id) is True
    await eng.events.drain()  # reports reach subscribers without the engine waiting

    assert eng.statuses(job.id)[-1] is S.CANCELLED
    assert eng.service.position(follower.id) == 0  # the provider still runs the cancelled job
    await eng.wait_for(follower.id, S.SUCCEEDED)
    assert fake.max_concurrent_seen <= 1
    assert eng.count(job.id, S.CANCELLED) == 1
    assert S.SUCCEEDED not in eng.statuses(job.id)
    row = await eng.store.get_job(job.id)
    assert row is not None
    assert row.status is S.CANCELLED
    assert row.images == ()
    assert len(eng.watcher) == 0
    assert eng.service.in_flight == 0


@pytest.mark.parametrize("answer", ["accepted", "queue full", "banned"])
async def test_cancel_while_the_paid_submit_is_on_the_wire(
    engine: EngineFactory, fake: FakeTTApi, answer: str
) -> None:
    """Whatever the provider answers to a submit sent before the cancel, the job is reported
    cancelled once, never sent again, and the next job gets the slot within the cap."""
    prompt = "a skimpy cat" if answer == "banned" else "first"
    if answer == "queue full":
        fake.fail_next("/imagine", 499)
    eng = await engine(max_in_progress=1, attempts=1)
    eng.provider.gate = asyncio.Event()
    sending = asyncio.create_task(eng.service.submit(new_job(prompt)))
    await until(lambda: eng.submitted_prompts == [prompt])
    follower = await eng.service.submit(new_job("follower", user=2))
    first_id = follower.id - 1
    row = await eng.store.get_job(first_id)
    assert row is not None
    assert row.status is S.SUBMITTING

    assert await eng.service.cancel(first_id) is True
    eng.provider.gate.set()
    await asyncio.gather(sending, return_exceptions=True)  # a refusal may reach the caller
    await eng.wait_for(follower.id, S.SUCCEEDED, within=1.5)
    await asyncio.sleep(0.05)

    assert eng.count(first_id, S.CANCELLED) == 1
    assert eng.statuses(first_id)[-1] is S.CANCELLED
    assert [call.json["prompt"] for call in fake.calls_to("/imagine")] == [prompt, "follower"]
    assert fake.max_concurrent_seen <= 1
    row = await eng.store.get_job(first_id)
    assert row is not None
    assert row.status is S.CANCELLED
    if answer == "accepted":  # the spend is traceable: the provider's id is kept
        assert row.provider_job_id in fake.jobs
    assert eng.service.in_flight == 0
    assert eng.service.queued == 0


# --- follow-ups on a finished job ------------------------------------------------------------


async def test_a_button_press_runs_on_the_finished_grid(engine: EngineFactory) -> None:
    eng = await engine()
    grid = await eng.service.imagine(ALICE, "a red fox", "fast")
    parent = await eng.wait_for(grid.id, S.SUCCEEDED)

    upscale = await eng.service.action(ALICE, parent, "upsample2")
    done = await eng.wait_for(upscale.id, S.SUCCEEDED)

    assert done.kind is JobKind.ACTION
    assert done.parent_id == parent.id
    assert done.components == UPSAMPLE_COMPONENTS
    assert done.prompt == "a red fox"


async def test_a_seed_lookup_is_cached_on_the_parent(engine: EngineFactory) -> None:
    eng = await engine()
    grid = await eng.service.imagine(ALICE, "a red fox", "fast")
    parent = await eng.wait_for(grid.id, S.SUCCEEDED)

    lookup = await eng.service.seed(ALICE, parent)
    done = await eng.wait_for(lookup.id, S.SUCCEEDED)

    assert done.seed
    stored = await eng.store.get_job(parent.id)
    assert stored is not None
    assert stored.seed == done.seed


async def test_buttons_need_a_finished_parent_offering_them(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = ENDLESS
    eng = await engine()
    unfinished = await eng.service.imagine(ALICE, "a red fox", "fast")
    with pytest.raises(InvalidAction):
        await eng.service.action(ALICE, unfinished, "upsample1")
    with pytest.raises(InvalidAction):
        await eng.service.seed(ALICE, unfinished)
    assert len(fake.calls_to("/action")) == 0
    assert len(fake.calls_to("/seed")) == 0


async def test_pausing_cancels_the_servers_jobs_not_yet_sent(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """The kill switch: queued jobs of that server never reach the TT API; others go on."""
    fake.scenario = Scenario(queue_seconds=0.0, run_seconds=0.5)
    eng = await engine(max_in_progress=1)
    running = await eng.service.submit(new_job("first"))
    queued = [await eng.service.submit(new_job(f"waiting {n}", user=2)) for n in range(2)]
    elsewhere = await eng.service.submit(
        new_job("another server", user=3, requester=Requester(3, guild_id=99, channel_id=5))
    )

    assert await eng.service.cancel_queued(10, "paused") == 2
    await eng.events.drain()  # reports reach subscribers without the engine waiting

    for job in queued:
        assert eng.statuses(job.id)[-1] is S.CANCELLED
    await eng.wait_for(running.id, S.SUCCEEDED)
    await eng.wait_for(elsewhere.id, S.SUCCEEDED)
    sent = [call.json["prompt"] for call in fake.calls_to("/imagine")]
    assert sent == ["first", "another server"]
