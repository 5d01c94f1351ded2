"""The polling cadence, with plain numbers: no clock, no loop."""

from __future__ import annotations

import random
import statistics

import pytest

from bot.jobs import polling
from bot.jobs.polling import (
    CLOSE_WIDTH,
    COALESCE_AFTER,
    MIN_INTERVAL,
    STEPS,
    Expectation,
    PollState,
    coalesce,
    deadline,
    failure_delay,
    finish_window,
    next_delay,
    step_bounds,
)


def state(mode: str = "fast", expected: Expectation | None = None) -> PollState:
    """A fresh poll state of a job submitted at 0."""
    return PollState(started_at=0.0, mode=mode, expected=expected)


LEARNED = Expectation(total=48.0, run_low=45 * 0.7, run_high=45 * 1.35)


def quantised(elapsed: float, run_s: float) -> int:
    """What Midjourney reports: the last step reached."""
    return max(step for step in STEPS if step <= elapsed / run_s * 100)


# --- reading a step ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "bounds"),
    [(0, (0, 15)), (46, (46, 62)), (93, (93, 100)), (100, (99, 100)), (37, (37, 38))],
)
def test_a_step_is_an_interval_up_to_the_next_step(reported: int, bounds: tuple[int, int]) -> None:
    assert step_bounds(reported) == bounds


# --- before the job is seen running ------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "first"), [("turbo", 11.0), ("fast", 16.5), ("relax", 66.0), ("unknown", 16.5)]
)
def test_first_fetch_follows_the_modes_quick_duration(mode: str, first: float) -> None:
    assert next_delay(state(mode), 0.0) == pytest.approx(first)


def test_first_fetch_follows_what_the_bot_has_learned() -> None:
    assert next_delay(state("fast", LEARNED), 0.0) == pytest.approx(48.0 * polling.FIRST_LOOK)


def test_a_job_still_waiting_is_looked_at_again_after_part_of_a_run() -> None:
    polled = state("fast", LEARNED)
    polled.observe(26.4, None, running=False)
    assert finish_window(polled) is None
    assert next_delay(polled, 26.4) == pytest.approx(45 * 0.7 * 0.3)


def test_scale_shrinks_every_delay() -> None:
    assert next_delay(state("fast"), 0.0, scale=0.01) == pytest.approx(0.165)
    assert failure_delay(3, scale=0.5) == pytest.approx(4.0)


# --- the finish window ---------------------------------------------------------------------------


def test_one_step_bounds_the_finish_by_the_run_times_allowed() -> None:
    polled = state("fast", LEARNED)
    polled.observe(26.4, 46)  # 46 % after 26.4 s: between 46 and 62 % of a 31.5-60.75 s run
    earliest, latest = finish_window(polled) or (0.0, 0.0)
    assert earliest == pytest.approx(26.4 + 31.5 * (1 - 0.62), abs=0.01)
    # The run started after submit (0 s): at most 26.4 / 0.46 s long, so ends by then.
    assert latest <= 26.4 / 0.46
    assert latest == pytest.approx(26.4 / 0.46, abs=(60.75 - 31.5) / 23)  # the grid's step


def test_the_window_never_excludes_the_true_finish() -> None:
    """Jobs the model allows, looked at on the cadence: the true finish stays inside."""
    rng = random.Random(7)
    for _ in range(300):
        queue_s, run_s = rng.uniform(2, 4), rng.uniform(34, 56)
        polled, now = state("fast", LEARNED), 0.0
        now = next_delay(polled, now)
        while now < queue_s + run_s:
            running = now >= queue_s
            reported = quantised(now - queue_s, run_s) if running else None
            polled.observe(now, reported, running=running)
            window = finish_window(polled)
            if window is not None:
                assert window[0] <= queue_s + run_s <= window[1]
            now += next_delay(polled, now)


def test_100_percent_while_running_means_look_again_now() -> None:
    polled = state("fast", LEARNED)
    polled.observe(20.0, 62)
    polled.observe(46.0, 100)  # the TT docs' own example: ON_QUEUE with progress "100"
    assert next_delay(polled, 46.0) == pytest.approx(MIN_INTERVAL)


def test_a_narrow_window_is_closed_at_its_far_edge() -> None:
    polled = state("fast", Expectation(48.0, 44.0, 46.0))
    polled.observe(44.9, 78)
    polled.observe(45.5, 93)  # just past a step: the start is known within 0.6 s
    earliest, latest = finish_window(polled) or (0.0, 0.0)
    assert latest - earliest <= CLOSE_WIDTH
    assert next_delay(polled, 45.5) == pytest.approx(latest - 45.5)


def test_a_wide_window_is_probed_near_its_near_edge() -> None:
    polled = state("fast", LEARNED)
    polled.observe(26.4, 46)
    earliest, _ = finish_window(polled) or (0.0, 0.0)
    assert 26.4 < 26.4 + next_delay(polled, 26.4) <= earliest + polling.MAX_RISK


def test_looks_the_model_cannot_explain_widen_it() -> None:
    polled = state("fast", Expectation(20.0, 10.0, 12.0))  # learned on quick jobs
    polled.observe(20.0, 15)
    polled.observe(60.0, 46)  # a run of over 85 s: far slower than ever seen
    assert finish_window(polled) is not None


def test_overdue_jobs_are_polled_with_gentle_backoff() -> None:
    polled = state("fast", LEARNED)
    polled.observe(26.4, 46)
    delays = [next_delay(polled, 500.0) for _ in range(8)]
    assert delays == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0])


# --- with hookUrl callbacks, polling is only a safety net -------------------------------------


def test_safety_net_polls_rarely() -> None:
    assert next_delay(state("fast"), 0.0, safety_net=True) == pytest.approx(49.5)
    overdue = state("fast", LEARNED)
    overdue.observe(20.0, 31)
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


def simulate(
    queue_s: float, run_s: float, mode: str = "fast", expected: Expectation | None = None
) -> tuple[int, float]:
    """Poll a job that waits `queue_s`, then runs `run_s` reporting Midjourney's steps.

    Returns (fetches, seconds between the finish and the fetch that saw it).
    """
    polled = PollState(started_at=0.0, mode=mode, expected=expected)
    now = next_delay(polled, 0.0)
    for fetches in range(1, 200):
        elapsed = now - queue_s
        if elapsed >= run_s:
            return fetches, now - (queue_s + run_s)
        running = elapsed >= 0
        polled.observe(now, quantised(elapsed, run_s) if running else None, running=running)
        now += next_delay(polled, now)
    raise AssertionError("never saw the job finish")


def test_fast_jobs_with_jitter_cost_few_fetches_and_are_seen_within_2_s() -> None:
    """3 s queued + 45 s running, each ±25 %, on a bot that has seen such jobs before."""
    rng = random.Random(12)
    runs = [
        simulate(3 * rng.uniform(0.75, 1.25), 45 * rng.uniform(0.75, 1.25), "fast", LEARNED)
        for _ in range(400)
    ]
    fetches, lags = [f for f, _ in runs], sorted(lag for _, lag in runs)
    assert statistics.mean(fetches) <= 5.5
    assert max(fetches) <= 8
    assert statistics.median(lags) <= 1.0
    assert lags[int(len(lags) * 0.95)] <= 2.0


@pytest.mark.parametrize(
    ("queue_s", "run_s", "mode"),
    [
        *[(1, 20, "fast"), (2, 30, "fast"), (5, 40, "fast"), (3, 45, "fast"), (10, 60, "fast")],
        *[(2, 30, "turbo"), (5, 40, "turbo"), (10, 60, "turbo")],
    ],
)
def test_a_fresh_bot_still_sees_jobs_soon(queue_s: float, run_s: float, mode: str) -> None:
    fetches, lag = simulate(queue_s, run_s, mode)
    assert fetches <= 7
    assert 0 <= lag <= 2.0


def test_a_long_relax_job_is_not_polled_every_few_seconds() -> None:
    fetches, lag = simulate(30, 300, "relax")
    assert fetches <= 12
    assert lag <= 2.0
