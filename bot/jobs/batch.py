"""Looks at the jobs due now: one `fetch-list` call for many, single fetches otherwise.

With 50 jobs in flight, fetching each on its own is 50 calls a round; one page of the
account's recent jobs answers them all. A provider without the capability, or one that
refuses the call (detected once, remembered), gets single fetches. A job missing from the
list is simply fetched on its own: absence is never a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from bot.provider import BatchFetcher, ErrorKind, JobSnapshot, Provider, ProviderError

log = logging.getLogger(__name__)

# Errors that say the endpoint itself is not offered (to this key, on this mirror).
_REFUSALS: Final = frozenset({ErrorKind.NOT_FOUND, ErrorKind.INVALID_REQUEST, ErrorKind.BLOCKED})
MIN_BATCH: Final = 2
# A list that found under half the jobs asked for (thousands in flight: most are older than
# its pages) costs more than it saves; rest it for this many rounds, then try again.
REST_ROUNDS: Final = 20


class Looker:
    """Fetches due jobs, batching them when the provider allows it."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._batch = provider if isinstance(provider, BatchFetcher) else None
        self.batch_calls = 0
        self.single_calls = 0
        self._resting = 0

    @property
    def batching(self) -> bool:
        """Whether several due jobs are looked at with one call."""
        return self._batch is not None

    async def look(self, job_ids: Sequence[str]) -> dict[str, JobSnapshot]:
        """Snapshots found by one batch call; empty when there is no batch call to make."""
        if self._batch is None or len(job_ids) < MIN_BATCH:
            return {}
        if self._resting > 0:
            self._resting -= 1
            return {}
        self.batch_calls += 1
        try:
            found = await self._batch.fetch_many(job_ids)
        except ProviderError as error:
            if error.kind in _REFUSALS:
                log.warning("batch fetch refused (%s); fetching jobs one by one from now", error)
                self._batch = None
            else:
                log.info("batch fetch failed (%s); fetching these jobs one by one", error)
            return {}
        except Exception:
            log.exception("batch fetch of %d jobs failed unexpectedly", len(job_ids))
            return {}
        if len(found) * 2 < len(job_ids):
            self._resting = REST_ROUNDS
        return found

    async def fetch(self, job_id: str) -> JobSnapshot:
        """One job on its own."""
        self.single_calls += 1
        return await self._provider.fetch(job_id)
