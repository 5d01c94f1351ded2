"""Check and create jobs atomically: one lock per (server, member), so bursts cannot beat limits.

A request is checked once, before Discord is answered (a refusal is private and instant), and
its row is written a moment later, once the preview is shown and attachments are read. In
between, the request holds a Ticket, and the policy counts held tickets as jobs: five
simultaneous submits under "1 at once" see each other and exactly one gets through.

`_checked` is the one place every request is checked, always under the member's lock; a new
check that must be atomic with job creation (a credit budget) belongs there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from bot.jobs.models import Job, JobKind, NewJob
from bot.jobs.policy import CHECKS_PARAM, Held, Policy
from bot.jobs.store import Store

# A ticket is used within seconds; one a crashed handler never gave back stops counting after
# the interaction token's lifetime (15 min), so it cannot lock a member out for good.
TICKET_TTL = 15 * 60.0

LockKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A checked request whose jobs are not written yet; `count` jobs may be created with it."""

    id: int
    new: NewJob
    count: int
    at: float


class Gate:
    """The one door through which a request becomes stored jobs."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        clock: Callable[[], float] = time.time,
        *,
        estimate: Callable[[NewJob], float] = lambda new: 0.0,
    ) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock
        self._estimate = estimate  # credits of one job (bot/jobs/prices.py), for budgets
        self._locks: dict[LockKey, asyncio.Lock] = {}
        self._users: dict[LockKey, int] = {}
        self._tickets: dict[int, Ticket] = {}
        self._remaining: dict[int, int] = {}
        self._ids = itertools.count(1)

    async def reserve(self, new: NewJob, batch: Sequence[NewJob] = ()) -> Ticket:
        """Check `new` (and the rest of its `batch`) once and hold their place in the limits."""
        async with self._locked(new):
            await self._checked(new, batch)
            ticket = Ticket(next(self._ids), new, 1 + len(batch), self._clock())
            self._tickets[ticket.id] = ticket
            self._remaining[ticket.id] = ticket.count
            return ticket

    async def create(self, new: NewJob, ticket: Ticket | None = None) -> Job:
        """Write one job: checked now, or covered by a ticket from `reserve` (not re-checked)."""
        async with self._locked(new):
            if ticket is None:
                await self._checked(new, ())
            else:
                await self._policy.still_allowed(new.requester)  # a pause or ban meanwhile
                self._take(ticket, new)
            job = await self._store.create_job(_with_checks(new))
            estimate = self._estimate(new)  # the ledger keeps it; budgets count it from now on
            await self._store.set_estimate(job.id, estimate)
            return replace(job, estimate=estimate)

    def release(self, ticket: Ticket) -> None:
        """Give back what a ticket did not use (the request failed, or was shared)."""
        self._tickets.pop(ticket.id, None)
        self._remaining.pop(ticket.id, None)

    async def _checked(self, new: NewJob, batch: Sequence[NewJob]) -> None:
        await self._policy.check(new, self._held(new), batch=batch)

    def _take(self, ticket: Ticket, new: NewJob) -> None:
        left = self._remaining.get(ticket.id, 0)
        same = (ticket.new.requester.guild_id, ticket.new.user_id) == (
            new.requester.guild_id,
            new.user_id,
        )
        if left <= 0 or not same:
            raise RuntimeError(f"ticket {ticket.id} does not cover this job")
        if left == 1:
            self.release(ticket)
        else:
            self._remaining[ticket.id] = left - 1

    def _held(self, new: NewJob) -> Held:
        """What the member's (and the server's) outstanding tickets stand for."""
        now = self._clock()
        for ticket in [t for t in self._tickets.values() if now - t.at > TICKET_TTL]:
            self.release(ticket)
        guild, member, last, same_action = 0, 0, None, False
        guild_credits = member_credits = 0.0
        for ticket in self._tickets.values():
            held, left = ticket.new, self._remaining.get(ticket.id, 0)
            if held.requester.guild_id != new.requester.guild_id:
                continue
            credits = left * self._estimate(held)
            guild += left
            guild_credits += credits
            if held.user_id == new.user_id:
                member += left
                member_credits += credits
                last = max(last or ticket.at, ticket.at)
            same_action = same_action or _same_action(held, new)
        return Held(member, last, guild, same_action, member_credits, guild_credits)

    @contextlib.asynccontextmanager
    async def _locked(self, new: NewJob) -> AsyncIterator[None]:
        # Server, then member, then parent: the same order everywhere, so locks never deadlock.
        # The server's lock makes its credit budgets atomic across members (a burst of
        # different members must not all pass the check before any of them is written).
        keys: list[LockKey] = [
            ("guild", new.requester.guild_id),
            ("member", new.requester.guild_id, new.user_id),
        ]
        if new.kind is JobKind.ACTION and new.parent_id is not None:
            keys.append(("parent", new.parent_id))  # two members pressing U1 at once
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self._lock(key))
            yield

    @contextlib.asynccontextmanager
    async def _lock(self, key: LockKey) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody waits: forget it, so the map stays small
                del self._users[key], self._locks[key]


def _same_action(held: NewJob, new: NewJob) -> bool:
    return (
        new.kind is JobKind.ACTION
        and held.kind is JobKind.ACTION
        and held.parent_id == new.parent_id
        and held.action == new.action
    )


def _with_checks(new: NewJob) -> NewJob:
    """The requester's roles and rights, stored so a queued job can be checked again."""
    who = new.requester
    checks = {"roles": sorted(who.role_ids), "admin": who.is_admin}
    return replace(new, params={**new.params, CHECKS_PARAM: checks})
