"""The duration model: what this account's jobs take, learned from the looks, kept in meta."""

from __future__ import annotations

import random

import pytest

from bot.jobs.durations import KEEP, META_KEY, MIN_SAMPLES, DurationModel
from bot.jobs.polling import PollState, next_delay
from bot.jobs.states import JobStatus
from tests.jobs.conftest import EngineFactory, new_job
from tests.jobs.test_polling import quantised


def watched(queue_s: float, run_s: float, model: DurationModel) -> tuple[PollState, float]:
    """Poll a quantised job on the cadence; the state and the time it was seen finished."""
    state = PollState(started_at=0.0, mode="fast", expected=model.expectation("fast"))
    now = next_delay(state, 0.0)
    while now < queue_s + run_s:
        running = now >= queue_s
        state.observe(now, quantised(now - queue_s, run_s) if running else None, running=running)
        now += next_delay(state, now)
    return state, now


def test_nothing_is_expected_before_a_few_jobs() -> None:
    model = DurationModel()
    for _ in range(MIN_SAMPLES - 1):
        model.learn(*watched(3, 45, model))
    assert model.expectation("fast") is None
    model.learn(*watched(3, 45, model))
    assert model.expectation("fast") is not None
    assert model.expectation("relax") is None


def test_the_learned_run_brackets_the_true_run() -> None:
    model, rng = DurationModel(), random.Random(3)
    for _ in range(KEEP):
        model.learn(*watched(rng.uniform(2, 4), rng.uniform(40, 50), model))
    expected = model.expectation("fast")
    assert expected is not None
    assert expected.run_low < 40
    assert expected.run_high > 50
    assert expected.run_low + expected.run_high == pytest.approx(2 * 45, rel=0.2)
    assert expected.total == pytest.approx(48, rel=0.1)


def test_samples_round_trip_and_garbage_starts_afresh() -> None:
    model = DurationModel()
    for _ in range(MIN_SAMPLES):
        model.learn(*watched(3, 45, model))
    again = DurationModel.loads(model.dumps())
    assert again.expectation("fast") == model.expectation("fast")
    assert not again.changed
    for garbage in ("", "not json", "[1, 2]", '{"fast": {"run": ["x"]}}'):
        assert DurationModel.loads(garbage).expectation("fast") is None


async def test_durations_survive_a_restart(engine: EngineFactory) -> None:
    first = await engine()
    for n in range(MIN_SAMPLES + 1):
        job = await first.service.submit(new_job(f"job {n}"))
        await first.wait_for(job.id, JobStatus.SUCCEEDED)
    await first.stop()

    second = await engine()
    saved = await second.store.get_meta(META_KEY)
    assert DurationModel.loads(saved).expectation("fast") is not None
