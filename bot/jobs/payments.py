"""402 holds and balance looks, per provider account.

An account that answers 402 (balance used up) is held (bot/jobs/alerts.py keeps the hold,
keyed by the account, across restarts): new jobs go to other accounts, and the held one
takes jobs again when a balance look sees a top-up, or when a moderator resumes. Each
account has its own balance monitor. When every account is held, the bot says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable

from bot.jobs.alerts import Alerts, BalanceMonitor
from bot.provider import AccountInfo, ProviderError
from bot.provider.pool import INFO_TIMEOUT, OUT_OF_CREDITS, Account, ProviderPool

log = logging.getLogger(__name__)


class Payments:
    """Holds after a 402 and the balance monitors of every account of a pool."""

    def __init__(self, pool: ProviderPool, alerts: Alerts, *, wake: Callable[[], None]) -> None:
        self._pool = pool
        self.alerts = alerts
        self._wake = wake
        self._monitors = {
            account.key: BalanceMonitor(functools.partial(self.look, account), alerts, account.key)
            for account in pool.accounts
        }
        pool.held = lambda account: alerts.paused(account.key)

    def start(self) -> None:
        """Start every monitor; look at once where a threshold is set or a hold persists."""
        for key, monitor in self._monitors.items():
            monitor.start()
            if self.alerts.threshold > 0 or self.alerts.paused(key):
                monitor.poke()

    async def stop(self) -> None:
        """Stop every monitor."""
        for monitor in self._monitors.values():
            await monitor.stop()

    @property
    def hold(self) -> bool:
        """True while a 402 holds every account: nothing can start."""
        return all(self.alerts.paused(account.key) for account in self._pool.accounts)

    async def look(self, account: Account) -> AccountInfo:
        """Read an account's balance (free) and let the alerts see it; raises ProviderError."""
        info = await account.client.info()
        if info.balance is not None:
            await self.observe(account, info.balance)
        return info

    async def observe(self, account: Account, balance: float) -> None:
        """A balance seen: a top-up ends the account's hold, and admission runs again."""
        await self.alerts.observe_balance(account.key, balance)
        if not self.alerts.paused(account.key) and account.reason == OUT_OF_CREDITS:
            self._pool.wake(account)
        self._wake()

    async def payment_required(self, account: Account) -> bool:
        """A 402 from `account`: hold it; True if this made every account held."""
        before = self.hold
        # Read the balance the hold starts at first: only a rise above it is a top-up. (Left
        # unknown, any balance seen later, even one too low for a grid, would lift the hold,
        # and the next grid would meet the same 402 at once, again and again.)
        with contextlib.suppress(ProviderError, TimeoutError):
            info = await asyncio.wait_for(account.client.info(), INFO_TIMEOUT)
            if info.balance is not None:
                await self.alerts.observe_balance(account.key, info.balance)
        await self.alerts.payment_required(account.key)
        self._monitors[account.key].poke()  # learn the balance the hold started at
        return self.hold and not before

    async def resume(self) -> bool:
        """Lift every 402 hold by hand; True if there was one."""
        lifted = False
        for account in self._pool.accounts:
            if await self.alerts.resume(account.key):
                lifted = True
                self._pool.wake(account)
        self._wake()
        return lifted
