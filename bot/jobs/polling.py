"""When to look at a job next: pure arithmetic, so the cadence can be tested without time.

Pollers in the wild fetch every 3-10 s, 10-30 fetches a job. Here the cadence follows the
mode's expected duration until the provider reports progress, then aims one fetch just after
the moment the progress rate says the job will finish. A fast job typically costs 3-5 fetches
and is seen well under a second after it finishes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

# Upper bounds the TT API gives for each mode: turbo within 60 s, fast within 90 s,
# relax "generally within 10 minutes".
EXPECTED_SECONDS: Final = {"turbo": 60.0, "fast": 90.0, "relax": 600.0}
MIN_INTERVAL: Final = 1.0
# Fetches due this far ahead or more are rounded up to a whole second, so that thousands of
# jobs in flight share wake-ups instead of waking the watcher once each.
COALESCE_AFTER: Final = 10.0
# How far past the predicted finish the aimed fetch lands: covers jitter in the provider's
# progress reports without costing a second fetch.
AIM_MARGIN: Final = 0.3
# The provider may hold a job past its timeout before failing it; wait this much longer.
TIMEOUT_GRACE: Final = 60.0


@dataclass(slots=True)
class PollState:
    """What the watcher has learned about one job so far."""

    started_at: float
    mode: str
    samples: list[tuple[float, int]] = field(default_factory=list)  # (time, progress > 0)
    overdue_polls: int = 0
    failures: int = 0

    def observe(self, now: float, progress: int | None) -> None:
        """Remember a progress report (only rising values help the estimate)."""
        if progress and (not self.samples or progress > self.samples[-1][1]):
            self.samples.append((now, progress))
            self.samples[:] = self.samples[-4:]


def next_delay(
    state: PollState, now: float, *, scale: float = 1.0, safety_net: bool = False
) -> float:
    """Seconds until the next fetch of a job that is not finished yet."""
    expected = EXPECTED_SECONDS.get(state.mode, EXPECTED_SECONDS["fast"])
    eta = estimated_finish(state)
    if eta is None:
        # No rate yet: sample every ~15 % of the expected duration (two samples give the rate).
        delay = max(expected * (0.15 if not state.samples else 0.12), 2.0)
        if len(state.samples) == 1:
            # One sample bounds the finish: had the job run since submit, it ends by `latest`.
            # Take the second sample well before that, so a quick job is not missed.
            (t1, p1) = state.samples[0]
            latest = t1 + (100 - p1) * (t1 - state.started_at) / p1
            delay = min(delay, max((latest - now) / 2, MIN_INTERVAL))
    elif eta + AIM_MARGIN > now:
        delay = min(eta + AIM_MARGIN - now, expected * 0.3)
        state.overdue_polls = 0
    else:
        # Predicted finish has passed: look again soon, backing off gently.
        delay = min(MIN_INTERVAL * 1.5**state.overdue_polls, 10.0)
        state.overdue_polls += 1
    if safety_net:
        # hookUrl callbacks do the fast path; polling only guards against a lost callback.
        delay = max(delay * 3, 20.0)
    return max(delay, MIN_INTERVAL) * scale


def coalesce(due: float, now: float) -> float:
    """Round a distant due time up to the next whole second; near ones stay exact."""
    return float(math.ceil(due)) if due - now >= COALESCE_AFTER else due


def estimated_finish(state: PollState) -> float | None:
    """When the progress rate says the job reaches 100 %, or None without two samples."""
    if len(state.samples) < 2:
        return None
    (t0, p0), (t1, p1) = state.samples[0], state.samples[-1]
    if t1 <= t0 or p1 <= p0:
        return None
    return t1 + (100 - p1) * (t1 - t0) / (p1 - p0)


def failure_delay(failures: int, *, scale: float = 1.0) -> float:
    """Back-off after failed fetches: 2, 4, 8 ... up to 60 s."""
    return min(2.0 * 2 ** max(failures - 1, 0), 60.0) * scale


def deadline(submitted_at: float, timeout_s: int) -> float:
    """When a job still unfinished is given up as timed out."""
    return submitted_at + timeout_s + TIMEOUT_GRACE
