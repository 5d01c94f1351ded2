"""The one channel through which job changes reach the Discord layer.

`emit` never waits on a subscriber: each subscriber has its own lanes (bot/jobs/lanes.py),
so a slow upload or a 429 sleep delays that subscriber's work on that job only, never the
watcher and never another job. A job's changes reach each subscriber in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.jobs.lanes import Lanes
from bot.jobs.models import Job

log = logging.getLogger(__name__)

Subscriber = Callable[[Job], Awaitable[None]]
CLOSE_GRACE = 10.0  # seconds queued events get to reach Discord on shutdown


class JobEvents:
    """Hands every stored change of a job to every subscriber, without waiting for them."""

    def __init__(self) -> None:
        self._subscribers: dict[Subscriber, Lanes[Job]] = {}
        self._retired: list[Lanes[Job]] = []  # unsubscribed, maybe still delivering

    def subscribe(self, subscriber: Subscriber, *, workers: int = 1) -> None:
        """Receive every job change from now on; `workers` jobs are handled at once."""
        self._subscribers[subscriber] = Lanes(
            subscriber, workers=workers, name=getattr(subscriber, "__qualname__", "subscriber")
        )

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop receiving job changes (events already queued are still delivered)."""
        lanes = self._subscribers.pop(subscriber, None)
        if lanes is not None:
            self._retired.append(lanes)

    async def emit(self, job: Job) -> None:
        """Queue one change for every subscriber; returns without waiting for any."""
        log.debug("job %d is %s (progress %s)", job.id, job.status, job.progress)
        for lanes in self._subscribers.values():
            lanes.put(job.id, job)

    async def drain(self) -> None:
        """Wait until every subscriber has handled every queued change (tests, benchmarks)."""
        while any(len(lanes) for lanes in self._all()):
            for lanes in self._all():
                await lanes.drain()

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """On shutdown: deliver what is queued for up to `grace` seconds, then stop."""
        for lanes in self._all():
            await lanes.close(grace)
        self._retired.clear()

    def _all(self) -> list[Lanes[Job]]:
        return [*self._subscribers.values(), *self._retired]
