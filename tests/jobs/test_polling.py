"""The polling cadence, with plain numbers: no clock, no loop."""

from __future__ import annotations

import pytest

from bot.jobs import polling
from bot.jobs.polling import (
    AIM_MARGIN,
    COALESCE_AFTER,
    MIN_INTERVAL,
    PollState,
    coalesce,
    deadline,
    estimated_finish,
    failure_delay,
    next_delay,
)


def state(mode: str = "fast", *samples: tuple[float, int]) -> PollState:
    """A poll state that has already seen `samples` (time, progress)."""
    polled = PollState(started_at=0.0, mode=mode)
    for now, progress in samples:
        polled.observe(now, progress)
    return polled


# --- before any rate is known ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "first"),
    [("turbo", 9.0), ("fast", 13.5), ("relax", 90.0), ("unknown", 13.5)],
)
def test_first_fetch_follows_the_modes_expected_duration(mode: str, first: float) -> None:
    assert next_delay(state(mode), 0.0) == pytest.approx(first)


def test_one_sample_gives_no_rate_yet() -> None:
    polled = state("fast", (10.0, 20))
    assert estimated_finish(polled) is None
    assert next_delay(polled, 10.0) == pytest.approx(10.8)


def test_one_high_sample_brings_the_second_forward() -> None:
    """62 % after 13.5 s: even if it ran since submit, it ends by ~21.8 s; look at ~17.6 s."""
    polled = state("fast", (13.5, 62))
    assert next_delay(polled, 13.5) == pytest.approx((13.5 + 38 * 13.5 / 62 - 13.5) / 2)


def test_scale_shrinks_every_delay() -> None:
    assert next_delay(state("fast"), 0.0, scale=0.01) == pytest.approx(0.135)
    assert failure_delay(3, scale=0.5) == pytest.approx(4.0)


# --- aiming at the predicted finish ---------------------------------------------------------


def test_rate_predicts_the_finish() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))  # 1 % a second
    assert estimated_finish(polled) == pytest.approx(100.0)


def test_aims_just_past_the_predicted_finish() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))
    assert next_delay(polled, 80.0) == pytest.approx(100.0 + AIM_MARGIN - 80.0)


def test_a_far_finish_is_approached_in_steps() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))
    assert next_delay(polled, 20.0) == pytest.approx(90.0 * 0.3)  # capped at 30 % of expected


def test_never_sooner_than_the_minimum_interval() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))
    assert next_delay(polled, 100.0 + AIM_MARGIN - 0.1) == pytest.approx(MIN_INTERVAL)


def test_overdue_jobs_are_polled_with_gentle_backoff() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))
    delays = [next_delay(polled, 200.0) for _ in range(8)]
    assert delays == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0])
    assert polled.overdue_polls == 8


def test_a_new_estimate_resets_the_overdue_backoff() -> None:
    polled = state("fast", (10.0, 10), (20.0, 20))
    for _ in range(4):
        next_delay(polled, 200.0)
    polled.observe(200.0, 90)  # slower than thought: now finishes later
    assert next_delay(polled, 200.0) > MIN_INTERVAL
    assert polled.overdue_polls == 0


@pytest.mark.parametrize(
    "samples",
    [
        [],
        [(10.0, 10)],
        [(10.0, 10), (10.0, 20)],  # no time passed
    ],
)
def test_no_estimate_without_a_rate(samples: list[tuple[float, int]]) -> None:
    assert estimated_finish(state("fast", *samples)) is None


def test_only_rising_progress_is_observed() -> None:
    polled = state("fast", (1.0, 10), (2.0, 5), (3.0, 10), (4.0, None), (5.0, 0), (6.0, 30))  # type: ignore[arg-type]
    assert polled.samples == [(1.0, 10), (6.0, 30)]


def test_only_the_last_four_samples_are_kept() -> None:
    polled = state("fast", *[(float(n), n * 10) for n in range(1, 8)])
    assert polled.samples == [(4.0, 40), (5.0, 50), (6.0, 60), (7.0, 70)]


# --- with hookUrl callbacks, polling is only a safety net -------------------------------------


def test_safety_net_polls_rarely() -> None:
    assert next_delay(state("fast"), 0.0, safety_net=True) == pytest.approx(40.5)
    overdue = state("fast", (10.0, 10), (20.0, 20))
    assert next_delay(overdue, 500.0, safety_net=True) == pytest.approx(20.0)
    assert next_delay(overdue, 500.0, safety_net=True, scale=0.1) == pytest.approx(2.0)


# --- sharing wake-ups ------------------------------------------------------------------------


def test_distant_fetches_are_rounded_up_to_a_whole_second() -> None:
    now = 1000.25
    assert coalesce(now + COALESCE_AFTER, now) == 1011.0
    assert coalesce(now + 26.5, now) == 1027.0
    assert coalesce(1040.0, now) == 1040.0  # already whole


def test_near_fetches_stay_exact() -> None:
    now = 1000.25
    assert coalesce(now + 0.3, now) == now + 0.3
    assert coalesce(now + COALESCE_AFTER - 0.01, now) == now + COALESCE_AFTER - 0.01


def test_rounding_only_ever_delays_by_under_a_second() -> None:
    now = 0.0
    for tenths in range(100, 700):
        due = tenths / 10 + 0.05
        assert due <= coalesce(due, now) < due + 1


# --- failures and deadlines --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 2.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 32.0), (6, 60.0), (50, 60.0)],
)
def test_failure_backoff_doubles_up_to_a_minute(failures: int, delay: float) -> None:
    assert failure_delay(failures) == delay


def test_deadline_adds_the_grace() -> None:
    assert deadline(1000.0, 300) == 1000.0 + 300 + polling.TIMEOUT_GRACE


def test_deadline_reads_the_grace_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polling, "TIMEOUT_GRACE", 0.0)
    assert deadline(1000.0, 300) == 1300.0


# --- the whole cadence, simulated -----------------------------------------------------------


def simulate(queue_s: float, run_s: float, mode: str = "fast") -> tuple[int, float]:
    """Poll a job that waits `queue_s` then progresses linearly for `run_s`.

    Returns (fetches, seconds between the finish and the fetch that saw it).
    """
    polled = PollState(started_at=0.0, mode=mode)
    now = next_delay(polled, 0.0)
    for fetches in range(1, 200):
        elapsed = now - queue_s
        if elapsed >= run_s:
            return fetches, now - (queue_s + run_s)
        progress = max(0, min(99, int(elapsed / run_s * 100))) if elapsed >= 0 else None
        polled.observe(now, progress)
        now += next_delay(polled, now)
    raise AssertionError("never saw the job finish")


@pytest.mark.parametrize(
    ("queue_s", "run_s", "mode"),
    [
        *[(1, 20, "fast"), (2, 30, "fast"), (5, 40, "fast"), (3, 45, "fast"), (10, 60, "fast")],
        *[(2, 30, "turbo"), (5, 40, "turbo"), (10, 60, "turbo")],
    ],
)
def test_a_typical_job_costs_few_fetches_and_is_seen_soon(
    queue_s: float, run_s: float, mode: str
) -> None:
    fetches, lag = simulate(queue_s, run_s, mode)
    assert fetches <= 6
    assert 0 <= lag <= 1.5


def test_a_long_relax_job_is_not_polled_every_few_seconds() -> None:
    fetches, lag = simulate(30, 300, "relax")
    assert fetches <= 6
    assert lag <= 1.5
