"""Accounts of every configured provider, their slots and health, and failover between them.

New jobs go to the first provider (in PROVIDERS order) with a healthy account and a free
slot; accounts of one provider share the load by free slots. Follow-ups go to the account
that made the parent, because image ids exist only there. An account that refuses for a
reason that will not pass by itself (key rejected, out of credits, unreachable, repeated
5xx) rests for a cool-down that doubles each time; nothing it was sent is ever resent.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from bot.provider import Provider
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    InpaintRequest,
    JobSnapshot,
    SeedRequest,
    SubmitRequest,
)
from bot.provider.recent import ListsRecentJobs, RecentJob

log = logging.getLogger(__name__)

COOL_DOWN: Final = 30.0  # first rest of a failing account, doubled per failure in a row
MAX_COOL_DOWN: Final = 900.0
STRIKES_5XX: Final = 3  # 5xx answers in a row that take an account out
INFO_TIMEOUT: Final = 10.0
_FOLLOW_UPS: Final = (ActionRequest, SeedRequest, InpaintRequest)
OUT_OF_CREDITS: Final = "out of credits"
_REASONS: Final = {
    ErrorKind.AUTH: "key rejected",
    ErrorKind.BLOCKED: "account blocked or disabled",
    ErrorKind.BALANCE: OUT_OF_CREDITS,
}


def account_key(provider: str, secret: str) -> str:
    """A stable id for an account that does not reveal its key: provider + hash prefix."""
    return f"{provider}:{hashlib.sha256(secret.encode()).hexdigest()[:10]}"


def mask(secret: str) -> str:
    """A key as shown to admins: its last 4 characters only."""
    return f"…{secret[-4:]}" if len(secret) > 4 else "…"


@dataclass(eq=False, slots=True)
class Account:
    """One key (or one proxy) of one provider, with its own cap and health."""

    provider: str
    key: str
    label: str
    client: Provider
    cap: int
    in_flight: set[int] = field(default_factory=set)
    down_until: float = 0.0  # unhealthy until then
    busy_until: float = 0.0  # healthy, but asked us to wait (queue full, rate limit)
    reason: str | None = None
    strikes: int = 0  # cool-downs in a row, for the back-off
    busy_strikes: int = 0  # "wait" answers in a row, for their back-off
    errors_5xx: int = 0
    pause: float = 0.0  # the length of the latest rest or wait
    # Out of credits for a grid may still leave enough for an upscale (it costs less), so
    # follow-ups keep trying a broke account until one of them is refused too.
    followups_refused: bool = False

    @property
    def resting(self) -> bool:
        """Unhealthy or asked to wait (until `wake`)."""
        return self.down_until > 0 or self.busy_until > 0

    @property
    def free(self) -> int:
        """Slots left under this account's cap."""
        return max(0, self.cap - len(self.in_flight))


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """One account as /mj-admin status shows it."""

    provider: str
    label: str
    healthy: bool
    reason: str | None
    retry_in: float | None
    balance: float | None
    in_flight: int
    cap: int


class ProviderPool:
    """Every account, in failover order; routes submits, fetches and follow-ups."""

    name = "pool"

    def __init__(
        self, accounts: Sequence[Account], clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not accounts:
            raise ValueError("a provider pool needs at least one account")
        self.accounts = tuple(accounts)
        self._clock = clock
        self._by_key = {account.key: account for account in self.accounts}
        self._owner: dict[str, Account] = {}  # provider job id -> the account that has it
        self._slot: dict[int, Account] = {}  # our job id -> the account whose slot it holds
        # Told whenever an account starts resting, so admission can wake after the rest.
        self.on_rest: Callable[[Account], None] = lambda account: None
        # Held by the engine until further notice (a 402 hold, bot/jobs/payments.py).
        self.held: Callable[[Account], bool] = lambda account: False

    @classmethod
    def single(cls, provider: Provider, cap: int) -> ProviderPool:
        """A pool of one account (tests, and callers that pass a bare client)."""
        name = getattr(provider, "name", "ttapi")
        return cls([Account(name, name, "", provider, cap)])

    @property
    def providers(self) -> tuple[str, ...]:
        """The configured provider names, in failover order."""
        return tuple(dict.fromkeys(account.provider for account in self.accounts))

    # -- choosing ---------------------------------------------------------------------------

    def resolve(self, provider: str, key: str | None) -> Account | None:
        """The account a stored job belongs to (None key: rows from before accounts existed)."""
        if key is not None and key in self._by_key:
            return self._by_key[key]
        if key is None or key == provider:
            return next((a for a in self.accounts if a.provider == provider), None)
        return None

    def usable(self, account: Account, *, follow_up: bool = False) -> bool:
        """Healthy, not asked to wait, and with a free slot."""
        if account.free <= 0:
            return False
        held = self.held(account)
        if not account.resting and not held:
            return True
        broke = (held or account.reason == OUT_OF_CREDITS) and not account.busy_until
        return follow_up and broke and not account.followups_refused

    def wake(self, account: Account) -> None:
        """A rest is over: the account may be tried again (a failure sends it back longer)."""
        account.down_until = account.busy_until = 0.0
        account.followups_refused = False

    def choose(self, pinned: Account | None = None) -> Account | None:
        """Where a job goes now: its pinned account, or the best in failover order; or None."""
        if pinned is not None:
            return pinned if self.usable(pinned, follow_up=True) else None
        for provider in self.providers:
            ready = [a for a in self.accounts if a.provider == provider and self.usable(a)]
            if ready:
                return max(ready, key=lambda account: account.free)
        return None

    def reserve(self, job_id: int, account: Account) -> None:
        """Count a job against an account's cap."""
        account.in_flight.add(job_id)
        self._slot[job_id] = account

    def release(self, job_id: int) -> bool:
        """Free a job's slot; True if it held one."""
        account = self._slot.pop(job_id, None)
        if account is None:
            return False
        account.in_flight.discard(job_id)
        return True

    def adopt(self, provider_job_id: str, account: Account) -> None:
        """Remember which account holds a provider job (after a submit or a restart)."""
        self._owner[provider_job_id] = account

    @property
    def in_flight(self) -> int:
        """Jobs holding a slot on any account."""
        return len(self._slot)

    def waiting_reason(self) -> str | None:
        """Why new jobs cannot start, in words for members, when every account is resting."""
        if not all(account.resting or self.held(account) for account in self.accounts):
            return None
        reasons = sorted({self._why(account) for account in self.accounts})
        return f"waiting until a Midjourney account is back ({', '.join(reasons)})"

    def _why(self, account: Account) -> str:
        if account.reason:
            return account.reason
        return OUT_OF_CREDITS if self.held(account) else "busy"

    # -- calls ------------------------------------------------------------------------------

    async def submit_to(self, account: Account, request: SubmitRequest) -> str:
        """Send a paid request to one account, learning from how it answers."""
        try:
            job_id = await account.client.submit(request)
        except ProviderError as error:
            if isinstance(request, _FOLLOW_UPS) and refused_by_account(error):
                account.followups_refused = True
            self._note(account, error)
            raise
        self._healthy(account)
        self._owner[job_id] = account
        return job_id

    async def submit(self, request: SubmitRequest) -> str:
        """Provider protocol: send to whichever account `choose` picks."""
        account = self.choose() or self.accounts[0]
        return await self.submit_to(account, request)

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Look at a job on the account that has it."""
        account = self._owner.get(job_id) or self.accounts[0]
        try:
            snapshot = await account.client.fetch(job_id)
        except ProviderError as error:
            self._note(account, error)
            raise
        account.errors_5xx = 0
        if snapshot.status.finished:
            self._owner.pop(job_id, None)
        return snapshot

    async def recent_jobs(self, limit: int = 100) -> list[RecentJob]:
        """Every account's recent jobs (where the API lists them), to find orphans.

        Each listed job is remembered as its account's, so an adopted orphan is fetched from
        the account that has it.
        """
        found: list[RecentJob] = []
        for account in self.accounts:
            if not isinstance(account.client, ListsRecentJobs):
                continue
            for recent in await account.client.recent_jobs(limit):
                self._owner.setdefault(recent.job_id, account)
                found.append(recent)
        return found

    def add_secret(self, value: str) -> None:
        """Mask `value` too in every error any account's client raises (the hookUrl secret)."""
        for account in self.accounts:
            add = getattr(account.client, "add_secret", None)
            if add is not None:
                add(value)

    async def info(self) -> AccountInfo:
        """Provider protocol: the first account's balance."""
        return await self.accounts[0].client.info()

    async def statuses(self) -> list[AccountStatus]:
        """Every account with its balance (free calls, asked in parallel)."""
        infos = await asyncio.gather(
            *(asyncio.wait_for(a.client.info(), INFO_TIMEOUT) for a in self.accounts),
            return_exceptions=True,
        )
        for account, info in zip(self.accounts, infos, strict=True):
            if isinstance(info, ProviderError):  # a rejected key shows here before any job
                self._note(account, info)
        return [self._status(a, info) for a, info in zip(self.accounts, infos, strict=True)]

    def _status(self, account: Account, info: AccountInfo | BaseException) -> AccountStatus:
        resting = account.down_until - self._clock() if account.down_until else None
        held = self.held(account)
        reason = account.reason if resting is not None else _info_problem(info)
        if held:
            reason = f"{OUT_OF_CREDITS}, held until a top-up or /mj-admin resume"
        return AccountStatus(
            provider=account.provider,
            label=account.label,
            healthy=resting is None and not held,
            reason=reason,
            retry_in=max(0.0, resting) if resting is not None and not held else None,
            balance=info.balance if isinstance(info, AccountInfo) else None,
            in_flight=len(account.in_flight),
            cap=account.cap,
        )

    # -- health -----------------------------------------------------------------------------

    def _note(self, account: Account, error: ProviderError) -> None:
        if error.kind in (ErrorKind.QUEUE_FULL, ErrorKind.RATE_LIMITED):
            # Refused without being accepted: wait, doubling while it keeps refusing.
            account.busy_strikes += 1
            doubling = min(2.0 * 2 ** (account.busy_strikes - 1), 60.0)
            account.pause = error.retry_after or doubling
            account.busy_until = self._clock() + account.pause
            self.on_rest(account)
            return
        reason = _REASONS.get(error.kind)
        if error.kind is ErrorKind.UNAVAILABLE and error.status is None:
            reason = "unreachable"
        if error.status is not None and error.status >= 500:
            account.errors_5xx += 1
            if account.errors_5xx >= STRIKES_5XX:
                reason = f"failing (HTTP {error.status} {account.errors_5xx} times in a row)"
        if reason is not None:
            self._rest(account, reason)

    def note_failure(self, account: Account, error: ProviderError) -> None:
        """A failure seen outside a job (a key refused at start-up): rest it if it counts."""
        self._note(account, error)

    def _rest(self, account: Account, reason: str) -> None:
        account.strikes += 1
        account.errors_5xx = 0
        account.pause = min(COOL_DOWN * 2 ** (account.strikes - 1), MAX_COOL_DOWN)
        account.down_until = self._clock() + account.pause
        account.reason = reason
        log.warning(
            "%s account %s unhealthy (%s): resting %.0fs",
            account.provider,
            account.key,
            reason,
            account.pause,
        )
        self.on_rest(account)

    def _healthy(self, account: Account) -> None:
        account.errors_5xx = 0
        if account.down_until:  # a follow-up on a broke account worked; grids still would not
            return
        if account.strikes:
            log.info("%s account %s healthy again", account.provider, account.key)
        account.strikes = account.busy_strikes = account.errors_5xx = 0
        account.reason = None


def refused_by_account(error: ProviderError) -> bool:
    """True when a submit was refused without being accepted for a reason of the account's.

    Such a job was not charged and may go to another account (or wait); everything else
    either is the request's own fault or may have been accepted (never sent twice).
    """
    if error.kind in (ErrorKind.QUEUE_FULL, ErrorKind.RATE_LIMITED, *_REASONS):
        return True
    return error.kind is ErrorKind.UNAVAILABLE


def _info_problem(info: AccountInfo | BaseException) -> str | None:
    if isinstance(info, ProviderError):
        return info.message[:120]
    if isinstance(info, BaseException):
        return "no answer to the balance query"
    return None
