"""The one channel through which job changes reach the Discord layer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.jobs.models import Job

log = logging.getLogger(__name__)

Subscriber = Callable[[Job], Awaitable[None]]


class JobEvents:
    """Calls every subscriber, in subscription order, with each stored change of a job."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Receive every job change from now on."""
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop receiving job changes."""
        self._subscribers.remove(subscriber)

    async def emit(self, job: Job) -> None:
        """Report one change; a failing subscriber is logged and does not stop the others."""
        log.debug("job %d is %s (progress %s)", job.id, job.status, job.progress)
        for subscriber in list(self._subscribers):
            try:
                await subscriber(job)
            except Exception:
                log.exception("subscriber %r failed on job %d", subscriber, job.id)
