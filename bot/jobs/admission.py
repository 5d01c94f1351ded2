"""Admission: which queued job starts next, on which account, and when to try again.

Each account has its own cap (the TT API answers 499 past 10 jobs per key). A follow-up is
pinned to the account that made its parent; any other job takes the first account that can
start it. When an account must rest (it refused, or is unhealthy), a timer per account wakes
admission after the rest, using the engine's injectable sleep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.errors import UserFacingError
from bot.jobs.models import Job, JobKind, NewJob
from bot.jobs.queue import FairQueue
from bot.provider import ProviderError
from bot.provider.pool import Account, ProviderPool, refused_by_account

log = logging.getLogger(__name__)

# Jobs that act on a parent's image: its ids exist only at the account that made it.
FOLLOW_UPS = frozenset({JobKind.ACTION, JobKind.SEED, JobKind.INPAINT})


class AccountGone(UserFacingError):
    """A follow-up whose parent was made by an account that is no longer configured."""


class Admission:
    """Slots per account over one fair queue."""

    def __init__(
        self,
        pool: ProviderPool,
        queue: FairQueue,
        *,
        sleep: Callable[[float], Awaitable[None]],
        wake: Callable[[], None],
    ) -> None:
        self.pool = pool
        self._queue = queue
        self._sleep = sleep
        self._wake = wake
        self._pins: dict[int, Account] = {}  # follow-up job id -> its parent's account
        self._timers: dict[str, asyncio.Task[None]] = {}
        pool.on_rest = self._rest

    def prepare(self, new: NewJob) -> NewJob:
        """A new job names the first provider (until admitted elsewhere); a follow-up keeps
        its parent's, and is refused at once when that account is gone from the settings."""
        if new.kind not in FOLLOW_UPS:  # an imagine from a describe prompt is a new job too
            return replace(new, provider=self.pool.providers[0], account=None)
        if self.pool.resolve(new.provider, new.account) is None:
            raise AccountGone(
                f"That image was made with a {new.provider} account that is no longer "
                "configured, so its buttons cannot be used any more."
            )
        return new

    def pin(self, job: Job) -> None:
        """Tie a follow-up to its parent's account (recorded on its row at creation)."""
        if job.kind in FOLLOW_UPS:
            account = self.pool.resolve(job.provider, job.account)
            if account is not None:
                self._pins[job.id] = account

    def take(self) -> tuple[int, Account] | None:
        """The next queued job that an account can start now, with that account's slot."""
        if not any(self.pool.usable(a, follow_up=True) for a in self.pool.accounts):
            return None  # nothing can start: spare the walk through a long queue
        job_id = self._queue.pop_first(lambda job_id: self._choose(job_id) is not None)
        if job_id is None:
            return None
        account = self._choose(job_id)
        assert account is not None  # noqa: S101 - pop_first just checked it
        self.pool.reserve(job_id, account)
        return job_id, account

    def adopt(self, job: Job) -> None:
        """A job already sent (found at start-up) holds a slot on its account again."""
        # A key removed since: its provider's first account is the best guess left.
        account = (
            self.pool.resolve(job.provider, job.account)
            or self.pool.resolve(job.provider, None)
            or self.pool.accounts[0]
        )
        self.pool.reserve(job.id, account)
        if job.provider_job_id:
            self.pool.adopt(job.provider_job_id, account)

    def release(self, job_id: int) -> bool:
        """Free a job's slot; True if it held one."""
        self._pins.pop(job_id, None)
        return self.pool.release(job_id)

    def free(self, job_id: int) -> bool:
        """Give a job's slot back but keep its account (it waits to be queued again)."""
        return self.pool.release(job_id)

    def refused(self, job_id: int, account: Account, error: ProviderError) -> bool:
        """A submit was refused: free the slot; True if the job may wait and go again."""
        self.pool.release(job_id)
        again = refused_by_account(error)
        if not again:
            self._pins.pop(job_id, None)
        return again

    def waiting_reason(self) -> str | None:
        """Why queued jobs are not starting, when every account is resting."""
        return self.pool.waiting_reason()

    async def stop(self) -> None:
        """Cancel the wake-up timers."""
        for timer in self._timers.values():
            timer.cancel()
        await asyncio.gather(*self._timers.values(), return_exceptions=True)
        self._timers.clear()

    def _choose(self, job_id: int) -> Account | None:
        return self.pool.choose(self._pins.get(job_id))

    def _rest(self, account: Account) -> None:
        timer = self._timers.get(account.key)
        if account.resting and (timer is None or timer.done()):
            task = asyncio.create_task(self._wake_after(account, account.pause))
            self._timers[account.key] = task

    async def _wake_after(self, account: Account, delay: float) -> None:
        log.info("%s account %s rests %.1fs", account.provider, account.key, delay)
        await self._sleep(delay)
        self.pool.wake(account)
        self._wake()
