"""Owner alerts about provider accounts: a low balance, and a 402 that stops admission.

Fed by balance observations and payment refusals, per account; emits `Notice`s that a cog
delivers (DMs to OWNER_IDS, a line in audit channels). The state is stored, so a restart
neither repeats an alert nor forgets a pause:

- low balance: one notice when a balance below the threshold is seen, then at most daily;
- 402: admission for the account pauses and one notice goes out for the episode; an
  observed balance above the one seen at the 402 (a top-up) resumes it, as does `resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final, Protocol

from bot.jobs.credit_models import AlertRecord

log = logging.getLogger(__name__)

DAY: Final = 86_400.0
CHECK_EVERY: Final = 600.0  # seconds between balance looks while a threshold is set
CHECK_PAUSED_EVERY: Final = 60.0  # while paused by a 402: notice a top-up soon


class AlertKind(StrEnum):
    """What happened to an account."""

    LOW_BALANCE = "low_balance"
    PAYMENT_REQUIRED = "payment_required"
    BALANCE_RESTORED = "balance_restored"


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert for the owners."""

    kind: AlertKind
    account: str
    balance: float | None
    threshold: float
    at: float


class AlertStore(Protocol):
    """Where alert state is kept (bot/jobs/store)."""

    async def alert_records(self) -> list[AlertRecord]:
        """Every account's state."""
        ...

    async def save_alert_record(self, record: AlertRecord) -> None:
        """Store one account's state."""
        ...


Listener = Callable[[Notice], Awaitable[None]]


class Alerts:
    """Decides when the owners hear about an account, and whether its admission is paused."""

    def __init__(
        self,
        store: AlertStore,
        threshold: float = 0.0,
        *,
        clock: Callable[[], float] = time.time,
        repeat_after: float = DAY,
    ) -> None:
        self._store = store
        self.threshold = threshold
        self._clock = clock
        self._repeat_after = repeat_after
        self._records: dict[str, AlertRecord] = {}
        self._balances: dict[str, float] = {}
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Restore stored state (pauses survive a restart)."""
        self._records = {record.account: record for record in await self._store.alert_records()}

    def subscribe(self, listener: Listener) -> None:
        """Receive every notice from now on."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop receiving notices."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def paused(self, account: str) -> bool:
        """True while a 402 holds this account's admission."""
        record = self._records.get(account)
        return record is not None and record.paused

    def balance(self, account: str) -> float | None:
        """The last balance seen for an account."""
        return self._balances.get(account)

    async def observe_balance(self, account: str, balance: float) -> list[Notice]:
        """A balance just read from the provider; returns (and emits) the notices it caused."""
        async with self._lock:
            now = self._clock()
            record = self._records.get(account) or AlertRecord(account)
            before = self._balances.get(account)
            self._balances[account] = balance
            updated, notices = self._after_balance(record, before, balance, now)
            if updated != record:
                await self._save(updated)
        await self._emit(notices)
        return notices

    async def payment_required(self, account: str) -> Notice | None:
        """The provider refused for lack of balance: pause admission, tell the owners once."""
        async with self._lock:
            record = self._records.get(account) or AlertRecord(account)
            if record.paused:
                return None
            now = self._clock()
            notice = None
            if record.payment_at is None:
                balance = self._balances.get(account)
                notice = Notice(AlertKind.PAYMENT_REQUIRED, account, balance, self.threshold, now)
            floor = self._balances.get(account, 0.0)
            payment_at = record.payment_at if notice is None else now
            await self._save(replace(record, paused=True, floor=floor, payment_at=payment_at))
        log.warning("account %s: payment required, admission paused", account)
        await self._emit([notice] if notice else [])
        return notice

    async def resume(self, account: str) -> bool:
        """A moderator lifts the pause; True if it was paused.

        The 402 alert is not re-armed: if the balance is still empty, the next refusal
        pauses again without a second alert. A top-up observed later re-arms it.
        """
        async with self._lock:
            record = self._records.get(account)
            if record is None or not record.paused:
                return False
            await self._save(replace(record, paused=False, floor=None))
        log.info("account %s: admission resumed by hand", account)
        return True

    def _after_balance(
        self, record: AlertRecord, before: float | None, balance: float, now: float
    ) -> tuple[AlertRecord, list[Notice]]:
        notices = []
        if record.paused:
            if record.floor is not None and balance > record.floor:
                record = replace(record, paused=False, floor=None, payment_at=None)
                notices.append(self._notice(AlertKind.BALANCE_RESTORED, record, balance, now))
                log.info("account %s: balance %.2f, admission resumed", record.account, balance)
            else:  # still empty: a later top-up is any rise above the lowest seen
                floor = balance if record.floor is None else min(record.floor, balance)
                record = replace(record, floor=floor)
        elif record.payment_at is not None and before is not None and balance > before:
            record = replace(record, payment_at=None)  # topped up: a new 402 is news again
        last = record.low_balance_at
        due = last is None or now - last >= self._repeat_after
        if self.threshold > 0 and balance < self.threshold and due:
            record = replace(record, low_balance_at=now)
            notices.append(self._notice(AlertKind.LOW_BALANCE, record, balance, now))
        return record, notices

    def _notice(self, kind: AlertKind, record: AlertRecord, balance: float, now: float) -> Notice:
        return Notice(kind, record.account, balance, self.threshold, now)

    async def _save(self, record: AlertRecord) -> None:
        self._records[record.account] = record
        await self._store.save_alert_record(record)

    async def _emit(self, notices: list[Notice]) -> None:
        for notice in notices:
            log.warning("alert %s for account %s (balance %s)", notice.kind, notice.account,
                        notice.balance)  # fmt: skip
            for listener in list(self._listeners):
                try:
                    await listener(notice)
                except Exception:
                    log.exception("alert listener %r failed", listener)


class BalanceMonitor:
    """Looks at an account's balance regularly while it matters, and at once when poked."""

    def __init__(
        self,
        look: Callable[[], Awaitable[object]],
        alerts: Alerts,
        account: str,
        *,
        sleep_interval: float = CHECK_EVERY,
        paused_interval: float = CHECK_PAUSED_EVERY,
    ) -> None:
        self._look = look
        self._alerts = alerts
        self._account = account
        self._every = sleep_interval
        self._paused_every = paused_interval
        self._poke = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"balance-{self._account}")
            self._task.add_done_callback(_log_crash)

    def poke(self) -> None:
        """Look now (after a 402, to learn the balance the pause started at)."""
        self._poke.set()

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _interval(self) -> float | None:
        if self._alerts.paused(self._account):
            return self._paused_every
        return self._every if self._alerts.threshold > 0 else None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self._interval())
            self._poke.clear()
            try:
                await self._look()
            except Exception as error:  # a failed look is tried again on the next round
                log.info("balance of %s not read: %s", self._account, error)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the balance monitor stopped", exc_info=task.exception())
