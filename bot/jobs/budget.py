"""Credit budgets: per member per day, per server per day and per calendar month.

A job is checked against its estimate (bot/jobs/prices.py) before anything is spent. Spend
counts what the provider reported once a job ends, else the estimate stored at submit;
failed and cancelled jobs count nothing. The check runs in the Gate (bot/jobs/gate.py) under
the server's lock, and requests checked but not yet written count too, so a burst of submits
cannot overspend between the check and the insert.
"""

from __future__ import annotations

import calendar
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from bot.errors import LimitReached
from bot.jobs.credit_models import Budget, SpendGroup
from bot.jobs.ledger import DAY, day_start
from bot.jobs.models import NewJob
from bot.jobs.prices import PriceBook, price_key
from bot.jobs.store import Store


def month_start(now: float) -> float:
    """00:00 UTC on the first day of `now`'s calendar month."""
    moment = time.gmtime(now)
    return float(calendar.timegm((moment.tm_year, moment.tm_mon, 1, 0, 0, 0)))


def next_month(now: float) -> float:
    """00:00 UTC on the first day of the next calendar month: monthly budgets reset then."""
    moment = time.gmtime(now)
    year, month = moment.tm_year + moment.tm_mon // 12, moment.tm_mon % 12 + 1
    return float(calendar.timegm((year, month, 1, 0, 0, 0)))


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A server's budgets, what was spent against each, and when each resets."""

    budget: Budget
    member_today: float
    guild_today: float
    guild_month: float
    day_resets_at: float
    month_resets_at: float

    @property
    def member_left(self) -> float | None:
        """Credits the member may still spend today; None without a member budget."""
        return _left(self.budget.member_daily, self.member_today)

    @property
    def guild_day_left(self) -> float | None:
        """Credits the server may still spend today; None without a daily server budget."""
        return _left(self.budget.guild_daily, self.guild_today)

    @property
    def month_left(self) -> float | None:
        """Credits the server may still spend this month; None without a monthly budget."""
        return _left(self.budget.guild_monthly, self.guild_month)


@dataclass(frozen=True, slots=True)
class MemberSpend:
    """One member's (or server's) credits in a period: counted, estimated and reported."""

    who: int
    credits: float
    estimated: float
    reported: float
    jobs_unpriced: int = 0


class Budgets:
    """Reads, sets and enforces the credit budgets of each server."""

    def __init__(
        self, store: Store, prices: PriceBook, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self.prices = prices
        self._clock = clock

    async def get(self, guild_id: int) -> Budget:
        """A server's budgets."""
        return await self._store.budget(guild_id)

    async def set(self, guild_id: int, **changes: float) -> Budget:
        """Change some of a server's budgets (credits, 0 = none)."""
        for name, value in changes.items():
            if not 0 <= value <= 1e9:
                raise ValueError(f"{name} must be from 0 to 1e9, got {value}")
        budget = replace(await self._store.budget(guild_id), **changes)  # type: ignore[arg-type]
        await self._store.save_budget(budget)
        return budget

    async def status(self, guild_id: int, user_id: int) -> BudgetStatus:
        """Budgets and spend of a member in a server, right now."""
        now = self._clock()
        midnight, first = day_start(now), month_start(now)
        budget = await self._store.budget(guild_id)
        member = await self._spent(since=midnight, guild_id=guild_id, user_id=user_id)
        today = await self._spent(since=midnight, guild_id=guild_id)
        month = await self._spent(since=first, guild_id=guild_id)
        return BudgetStatus(budget, member, today, month, midnight + DAY, next_month(now))

    async def check(
        self,
        new: NewJob,
        *,
        count: int = 1,
        held_member: float = 0.0,
        held_guild: float = 0.0,
    ) -> float:
        """The request's estimate (`count` jobs like `new`), once it fits every budget.

        `held_member` and `held_guild` are credits of requests checked but not written yet
        (bot/jobs/gate.py); raises LimitReached (why, when) when a budget would be crossed.
        """
        estimate = self.prices.estimate(new) * count
        who = new.requester
        if who.guild_id is None:
            return estimate
        budget = await self._store.budget(who.guild_id)
        if not budget.any:
            return estimate
        now = self._clock()
        kind = price_key(new.kind, new.action, new.prompt).replace("_v6", " (v6.0)")
        what = f"This {new.mode} {kind} is estimated at {estimate:g} credits"
        if budget.guild_monthly:
            spent = held_guild + await self._spent(since=month_start(now), guild_id=who.guild_id)
            _refuse_if_over(
                budget.guild_monthly, spent, estimate, next_month(now),
                f"{what}, but this server has {{left}} of its {budget.guild_monthly:g}-credit "
                "budget left this month.",
            )  # fmt: skip
        midnight = day_start(now)
        if budget.guild_daily:
            spent = held_guild + await self._spent(since=midnight, guild_id=who.guild_id)
            _refuse_if_over(
                budget.guild_daily, spent, estimate, midnight + DAY,
                f"{what}, but this server has {{left}} of its {budget.guild_daily:g}-credit "
                "daily budget left.",
            )  # fmt: skip
        if budget.member_daily:
            spent = held_member + await self._spent(
                since=midnight, guild_id=who.guild_id, user_id=who.user_id
            )
            _refuse_if_over(
                budget.member_daily, spent, estimate, midnight + DAY,
                f"{what}, but you have {{left}} of your {budget.member_daily:g}-credit daily "
                "budget left.",
            )  # fmt: skip
        return estimate

    async def members_today(self, guild_id: int) -> list[MemberSpend]:
        """Today's credits per member of a server, biggest first."""
        groups = await self._store.spend_by_member(guild_id, day_start(self._clock()))
        return self._per_who(groups)

    async def guilds_this_month(self) -> list[MemberSpend]:
        """Month-to-date credits per server, biggest first (`who` is the server id)."""
        groups = await self._store.spend_by_guild(month_start(self._clock()))
        return self._per_who(groups)

    async def _spent(self, *, since: float, guild_id: int, user_id: int | None = None) -> float:
        groups = await self._store.spend(since=since, guild_id=guild_id, user_id=user_id)
        return self.total(groups)

    def total(self, groups: Iterable[SpendGroup]) -> float:
        """Credits of some spend groups, pricing jobs stored without an estimate."""
        return round(sum(self._credits(group) for group in groups), 4)

    def _credits(self, group: SpendGroup) -> float:
        unpriced = self.prices.table().estimate(group.kind, group.action, group.mode)
        return group.known + group.unpriced * unpriced

    def _per_who(self, groups: Iterable[SpendGroup]) -> list[MemberSpend]:
        sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for group in groups:
            row = sums[int(group.user_id or 0)]
            row[0] += self._credits(group)
            row[1] += group.estimated
            row[2] += group.reported
            row[3] += group.unpriced
        rows = [
            MemberSpend(who, round(v[0], 4), round(v[1], 4), round(v[2], 4), int(v[3]))
            for who, v in sums.items()
        ]
        return sorted(rows, key=lambda row: row.credits, reverse=True)


def _left(budget: float, spent: float) -> float | None:
    return max(0.0, round(budget - spent, 4)) if budget else None


def _refuse_if_over(
    budget: float, spent: float, estimate: float, resets_at: float, text: str
) -> None:
    left = max(0.0, round(budget - spent, 4))
    if estimate > left + 1e-9:
        hint = " A cheaper job (relax mode, an upscale) may still fit." if left > 0 else ""
        raise LimitReached(text.format(left=f"{left:g}") + hint, retry_at=resets_at)
