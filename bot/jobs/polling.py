"""When to look at a job next: pure arithmetic, so the cadence can be tested without time.

Midjourney reports progress in coarse steps (0, 15, 31, 46, 62, 78, 93 %), so a reported
step only says the true progress lies between it and the next step. Every look at a job is
therefore a constraint on two unknowns, when it started running and how long it runs; the
run time is bounded by what this bot has seen of the mode (bot/jobs/durations.py). From
the constraints follows a window in which the job must finish. Looks are spent narrowing
that window cheaply (a look well before it only teaches the step) and then right after its
edges, so a fast job costs about five fetches and is seen within a second of finishing.

All times here are "cadence seconds": the watcher divides its clock by its scale first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

# The steps Midjourney reports; 100 arrives with SUCCESS (or, oddly, while still running).
STEPS: Final = (0, 15, 31, 46, 62, 78, 93, 100)
# Upper bounds the TT API gives for each mode: turbo within 60 s, fast within 90 s,
# relax "generally within 10 minutes".
EXPECTED_SECONDS: Final = {"turbo": 60.0, "fast": 90.0, "relax": 600.0}
MIN_INTERVAL: Final = 1.0
# Fetches due this far ahead or more are rounded up to a whole second, so that thousands of
# jobs in flight share wake-ups instead of waking the watcher once each.
COALESCE_AFTER: Final = 10.0
# A finish window this narrow is closed with one look at its far edge.
CLOSE_WIDTH: Final = 1.8
# How far into a wide window a look may land: a job that finished just before it is seen
# this late at worst, and one that did not teaches a new lower edge.
PROBE_RISK: Final = 1.5
PROBE_CHANCE: Final = 0.15
FIRST_LOOK: Final = 0.55
MAX_RISK: Final = 2.0
RISK_SHARE: Final = 0.04
# The provider may hold a job past its timeout before failing it; wait this much longer.
TIMEOUT_GRACE: Final = 60.0
_GRID: Final = 24  # run times tried between the model's bounds


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the duration model expects of a mode: submit to finish, and the run's bounds."""

    total: float
    run_low: float
    run_high: float


@dataclass(slots=True)
class PollState:
    """What the watcher has learned about one job so far (cadence seconds)."""

    started_at: float
    mode: str
    expected: Expectation | None = None
    waiting_until: float = -math.inf  # last look that found the job not yet running
    running_since: float | None = None  # first look that found it running
    last_look: float = -math.inf  # last look that found it unfinished
    steps: list[tuple[float, int, int]] = field(default_factory=list)  # (time, step, next)
    overdue_polls: int = 0
    failures: int = 0

    def observe(self, now: float, progress: int | None, *, running: bool = True) -> None:
        """Remember one look at the unfinished job (status and reported progress)."""
        self.last_look = max(self.last_look, now)
        if not running:
            self.waiting_until = max(self.waiting_until, now)
            return
        if self.running_since is None or now < self.running_since:
            self.running_since = now
        low, high = step_bounds(progress or 0)
        self.steps.append((now, low, high))
        self.steps[:] = self.steps[-6:]

    @property
    def samples(self) -> list[tuple[float, int]]:
        """The running looks as (time, reported step)."""
        return [(at, low) for at, low, _ in self.steps]


def step_bounds(progress: int) -> tuple[int, int]:
    """The true progress behind a report: at least the step, below the next one."""
    if progress >= 100:
        return 99, 100  # 100 % while still running: finishing now
    if progress not in STEPS:
        return max(progress, 0), max(progress, 0) + 1  # smooth progress is taken at its word
    return progress, STEPS[STEPS.index(progress) + 1]


def expectation_for(mode: str) -> Expectation:
    """The default expectation before this bot has seen any job of the mode."""
    # The first look lands at FIRST_LOOK of `total`: early enough for a quick job.
    total = DEFAULT_TOTAL.get(mode, DEFAULT_TOTAL["fast"])
    return Expectation(total, total * 0.4, EXPECTED_SECONDS.get(mode, EXPECTED_SECONDS["fast"]))


# Before any job of a mode is seen: a quick job's submit-to-finish time.
DEFAULT_TOTAL: Final = {"turbo": 20.0, "fast": 30.0, "relax": 120.0}


def finish_window(state: PollState) -> tuple[float, float] | None:
    """Earliest and latest finish the looks allow, or None before the job is seen running."""
    spans = finish_spans(state)
    return (min(a for _, a, _ in spans), max(b for _, _, b in spans)) if spans else None


Span = tuple[float, float, float]  # (run seconds, earliest finish, latest finish)


def finish_spans(state: PollState) -> list[Span]:
    """For each run time the model allows and the looks do not rule out: the finish span."""
    if state.running_since is None:
        return []
    expected = state.expected or expectation_for(state.mode)
    longest = 2 * EXPECTED_SECONDS.get(state.mode, EXPECTED_SECONDS["fast"])
    # Looks the model cannot explain widen its bounds, at last to anything plausible.
    for low, high in (
        (expected.run_low, expected.run_high),
        (expected.run_low / 2.5, expected.run_high * 2.5),
        (1.0, max(longest, expected.run_high * 2.5)),
    ):
        spans = _spans(state, [low + (high - low) * i / (_GRID - 1) for i in range(_GRID)])
        if spans:
            return spans
    return []


def _spans(state: PollState, runs: list[float]) -> list[Span]:
    spans = []
    for run in runs:
        # The run started after the last "not running" look and by the first running one.
        start_low = max(state.started_at, state.waiting_until)
        start_high = state.running_since if state.running_since is not None else math.inf
        for at, low, high in state.steps:
            start_high = min(start_high, at - low * run / 100)
            start_low = max(start_low, at - high * run / 100)
        finish_low = max(start_low + run, state.last_look)
        finish_high = start_high + run
        if finish_low < finish_high:
            spans.append((run, finish_low, finish_high))
    return spans


def finished_by(spans: list[Span], when: float) -> float:
    """The chance the job has finished by `when`, each allowed run time equally likely."""
    return sum(min(max((when - a) / (b - a), 0.0), 1.0) for _, a, b in spans) / len(spans)


def quantile(spans: list[Span], chance: float) -> float:
    """The time by which the job has finished with the given chance."""
    low, high = min(a for _, a, _ in spans), max(b for _, _, b in spans)
    for _ in range(14):  # to a 16,000th of the window: far below a second
        middle = (low + high) / 2
        low, high = (middle, high) if finished_by(spans, middle) < chance else (low, middle)
    return high


def next_delay(
    state: PollState, now: float, *, scale: float = 1.0, safety_net: bool = False
) -> float:
    """Seconds until the next fetch of a job that is not finished yet."""
    spans = finish_spans(state)  # computed once: thousands of jobs are looked at a minute
    window = (min(a for _, a, _ in spans), max(b for _, _, b in spans)) if spans else None
    if state.running_since is not None and (window is None or window[1] <= now):
        # Past the latest finish the looks allowed: look again soon, backing off gently.
        delay = min(MIN_INTERVAL * 1.5**state.overdue_polls, 10.0)
        state.overdue_polls += 1
    else:
        state.overdue_polls = 0
        if window is None:
            delay = _first_look(state, now)
        elif window[1] - window[0] <= CLOSE_WIDTH:
            delay = window[1] - now  # the far edge: finished by then unless the model is wrong
        elif window[1] - window[0] <= 2 * CLOSE_WIDTH:
            delay = (window[0] + window[1]) / 2 - now  # halve it, then close it
        else:
            delay = _probe(state, spans, window[0]) - now
    if safety_net:
        # hookUrl callbacks do the fast path; polling only guards against a lost callback.
        delay = max(delay * 3, 20.0)
    return max(delay, MIN_INTERVAL) * scale


def _first_look(state: PollState, now: float) -> float:
    """Before the job is seen running: look when it should be well into its run."""
    expected = state.expected or expectation_for(state.mode)
    if state.waiting_until == -math.inf:
        return state.started_at + expected.total * FIRST_LOOK - now
    # Still waiting in Midjourney's queue: look again after a fraction of a run.
    return max(expected.run_low * 0.3, 2.0)


def _probe(state: PollState, spans: list[Span], earliest: float) -> float:
    """A look inside a wide window: aim at the last step, but risk little past the edge."""
    expected = state.expected or expectation_for(state.mode)
    run = (expected.run_low + expected.run_high) / 2
    # Seeing the 93 % step bounds the finish to its last 7 %: aim where it likely shows
    # (once it has been seen, only the risk limits the next look).
    last_step = state.steps[-1][1] if state.steps else 0
    aim = quantile(spans, 0.5) - 0.05 * run if last_step < STEPS[-2] else math.inf
    # Unlikely to be finished by then, and never much later than the earliest finish.
    risk = max(MAX_RISK, run * RISK_SHARE)  # a long relax job may be seen a little later
    safe = min(max(quantile(spans, PROBE_CHANCE), earliest + PROBE_RISK), earliest + risk)
    return max(min(aim, safe), state.last_look + MIN_INTERVAL)


def estimated_finish(state: PollState) -> float | None:
    """The middle of the finish window, or None before the job is seen running."""
    window = finish_window(state)
    return None if window is None else (window[0] + window[1]) / 2


def coalesce(due: float, now: float) -> float:
    """Round a distant due time up to the next whole second; near ones stay exact."""
    return float(math.ceil(due)) if due - now >= COALESCE_AFTER else due


def failure_delay(failures: int, *, scale: float = 1.0) -> float:
    """Back-off after failed fetches: 2, 4, 8 ... up to 60 s."""
    return min(2.0 * 2.0 ** max(failures - 1, 0), 60.0) * scale


def deadline(submitted_at: float, timeout_s: int) -> float:
    """When a job still unfinished is given up as timed out."""
    return submitted_at + timeout_s + TIMEOUT_GRACE
