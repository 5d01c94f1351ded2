"""Fetches issued in the same event-loop turn, sent as one batch call.

The watcher fetches every due job at once (up to 16 in parallel); a provider with a batch
endpoint answers them all in one request. Ids the batch does not return are fetched one by
one, so an unknown id still gets the provider's own "not found"; a provider without the
batch endpoint (404) is asked one by one from then on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import JobSnapshot

log = logging.getLogger(__name__)

MAX_BATCH: Final = 50

Many = Callable[[list[str]], Awaitable[Sequence[JobSnapshot]]]
One = Callable[[str], Awaitable[JobSnapshot]]


class Coalescer:
    """Joins concurrent single fetches into batch calls."""

    def __init__(self, many: Many, one: One) -> None:
        self._many = many
        self._one = one
        self._waiting: dict[str, list[asyncio.Future[JobSnapshot]]] = {}
        self._flush: asyncio.Task[None] | None = None
        self.batches = 0
        self.enabled = True

    async def fetch(self, job_id: str) -> JobSnapshot:
        """The job, fetched together with whatever else is asked for in this loop turn."""
        if not self.enabled:
            return await self._one(job_id)
        future: asyncio.Future[JobSnapshot] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(job_id, []).append(future)
        if self._flush is None:
            self._flush = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        await asyncio.sleep(0)  # let the other fetches of this turn join
        waiting, self._waiting, self._flush = self._waiting, {}, None
        ids = list(waiting)
        for start in range(0, len(ids), MAX_BATCH):
            chunk = ids[start : start + MAX_BATCH]
            results = await self._batch(chunk)
            for job_id in chunk:
                outcome = results.get(job_id) or await self._single(job_id)
                for future in waiting[job_id]:
                    if future.done():
                        continue
                    if isinstance(outcome, ProviderError):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)

    async def _batch(self, ids: list[str]) -> dict[str, JobSnapshot | ProviderError]:
        if len(ids) == 1:
            return {}  # one job: the single fetch is the cheaper call
        try:
            snapshots = await self._many(ids)
        except ProviderError as error:
            if error.kind is ErrorKind.NOT_FOUND:
                log.info("no batch endpoint (%s); fetching tasks one by one", error)
                self.enabled = False
                return {}
            return dict.fromkeys(ids, error)
        self.batches += 1
        return {snapshot.job_id: snapshot for snapshot in snapshots if snapshot.job_id in ids}

    async def _single(self, job_id: str) -> JobSnapshot | ProviderError:
        try:
            return await self._one(job_id)
        except ProviderError as error:
            return error
