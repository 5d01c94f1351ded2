"""Frozen rows of the credit budgets: budgets, spend groups and owner-alert state."""

from __future__ import annotations

from dataclasses import dataclass

from bot.jobs.models import JobKind


@dataclass(frozen=True, slots=True)
class Budget:
    """A server's budgets in credits (0 = none)."""

    guild_id: int
    member_daily: float = 0.0
    guild_daily: float = 0.0
    guild_monthly: float = 0.0

    @property
    def any(self) -> bool:
        """True when at least one budget is set."""
        return bool(self.member_daily or self.guild_daily or self.guild_monthly)


@dataclass(frozen=True, slots=True)
class SpendGroup:
    """Jobs of one kind, action and mode (of one member): credits known, and jobs unpriced.

    `known` sums the reported quota, else the estimate stored at submit; `unpriced` counts
    jobs with neither (written before estimates existed), priced by the current table.
    """

    user_id: int | None
    kind: JobKind
    action: str | None
    mode: str
    known: float
    unpriced: int
    estimated: float  # the sum of the submit-time estimates, to compare with what was charged
    reported: float  # the sum of the quota the provider reported


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An account's owner-alert state, stored so alerts are not repeated after a restart."""

    account: str
    low_balance_at: float | None = None
    payment_at: float | None = None
    paused: bool = False
    floor: float | None = None
