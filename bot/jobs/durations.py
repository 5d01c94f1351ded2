"""How long jobs of each mode take on this bot's account: running medians, kept in the store.

A fresh bot knows only the TT API's bounds ("fast within 90 s"); after a few jobs the cadence
aims at what this account actually delivers. The samples survive restarts in the store's meta.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections import deque
from typing import Final

from bot.jobs.polling import Expectation, PollState, finish_spans

log = logging.getLogger(__name__)

META_KEY: Final = "job_durations"
KEEP: Final = 31  # samples per mode: recent enough to follow a slower day, enough for a median
MIN_SAMPLES: Final = 3
# Bounds around the median run: Midjourney's run times vary by about a quarter either way.
RUN_LOW, RUN_HIGH = 0.7, 1.35


class DurationModel:
    """Running medians of submit-to-finish and run seconds, per mode."""

    def __init__(self) -> None:
        self._totals: dict[str, deque[float]] = {}
        self._runs: dict[str, deque[float]] = {}
        self.changed = False

    def expectation(self, mode: str) -> Expectation | None:
        """What to expect of a job of `mode`, or None until enough jobs were seen."""
        totals, runs = self._totals.get(mode), self._runs.get(mode)
        if not totals or not runs or len(runs) < MIN_SAMPLES:
            return None
        run = statistics.median(runs)
        return Expectation(statistics.median(totals), run * RUN_LOW, run * RUN_HIGH)

    def learn(self, state: PollState, finished_by: float) -> None:
        """A job was seen finished at `finished_by`, after the looks held in `state`."""
        finish = (max(state.last_look, state.started_at) + finished_by) / 2
        self._add(self._totals, state.mode, finish - state.started_at)
        # The run times the looks allow, given that the job ended between the last two looks.
        runs = _run_spans(state, finished_by)
        if runs:
            self._add(self._runs, state.mode, statistics.median(runs))

    def dumps(self) -> str:
        """The samples as JSON for the store's meta."""
        modes = set(self._totals) | set(self._runs)
        return json.dumps(
            {
                m: {"total": list(self._totals.get(m, ())), "run": list(self._runs.get(m, ()))}
                for m in sorted(modes)
            }
        )

    @classmethod
    def loads(cls, text: str | None) -> DurationModel:
        """Samples saved by `dumps`; anything unreadable starts afresh."""
        model = cls()
        try:
            data = json.loads(text) if text else {}
            for mode, samples in data.items():
                for value in samples.get("total", ()):
                    model._add(model._totals, str(mode), float(value))
                for value in samples.get("run", ()):
                    model._add(model._runs, str(mode), float(value))
        except (ValueError, TypeError, AttributeError):
            log.warning("stored job durations unreadable; learning them again")
            model = cls()
        model.changed = False
        return model

    def _add(self, table: dict[str, deque[float]], mode: str, seconds: float) -> None:
        if seconds > 0:
            table.setdefault(mode, deque(maxlen=KEEP)).append(seconds)
            self.changed = True


def _run_spans(state: PollState, finished_by: float) -> list[float]:
    """The run times the looks allow, given that the job had finished by `finished_by`."""
    return [run for run, earliest, _ in finish_spans(state) if earliest < finished_by]
