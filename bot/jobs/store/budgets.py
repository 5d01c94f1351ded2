"""Credit budgets: per-server budgets, the spend they are checked against, alert state."""

from __future__ import annotations

from typing import Any

from bot.jobs.credit_models import AlertRecord, Budget, SpendGroup
from bot.jobs.models import JobKind
from bot.jobs.states import JobStatus
from bot.jobs.store.base import StoreBase

# Failed and cancelled jobs give their credits back, so they are left out of every sum.
_COUNTED = f"status NOT IN ('{JobStatus.FAILED.value}', '{JobStatus.CANCELLED.value}')"
_SPEND = f"""SELECT {{who}}, kind, action, mode,
        COALESCE(SUM(COALESCE(quota, estimate)), 0),
        SUM(quota IS NULL AND estimate IS NULL),
        COALESCE(SUM(estimate), 0), COALESCE(SUM(quota), 0)
    FROM jobs WHERE created_at >= ? AND {_COUNTED}"""


class BudgetRows(StoreBase):
    """Budgets per server, spend per member and server, and per-account alert state."""

    async def budget(self, guild_id: int) -> Budget:
        """A server's budgets (none set: all 0)."""
        async with self._db.execute(
            "SELECT member_daily, guild_daily, guild_monthly FROM guild_budgets WHERE guild_id = ?",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return Budget(guild_id, *row) if row else Budget(guild_id)

    async def save_budget(self, budget: Budget) -> None:
        """Insert or replace a server's budgets."""
        await self._write(
            "INSERT OR REPLACE INTO guild_budgets "
            "(guild_id, member_daily, guild_daily, guild_monthly, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                budget.guild_id,
                budget.member_daily,
                budget.guild_daily,
                budget.guild_monthly,
                self._clock(),
            ),
        )

    async def set_estimate(self, job_id: int, credits: float) -> None:
        """Record the credits a job was admitted with."""
        await self._write("UPDATE jobs SET estimate = ? WHERE id = ?", (credits, job_id))

    async def spend(
        self, *, since: float, guild_id: int | None = None, user_id: int | None = None
    ) -> list[SpendGroup]:
        """Credits spent since a time, grouped by kind, action and mode (one query)."""
        sql = _SPEND.format(who="NULL")
        args: list[Any] = [since]
        if guild_id is not None:
            sql += " AND guild_id = ?"
            args.append(guild_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        return await self._groups(sql + " GROUP BY kind, action, mode", args)

    async def spend_by_member(self, guild_id: int, since: float) -> list[SpendGroup]:
        """Credits spent in a server since a time, per member, kind, action and mode."""
        sql = _SPEND.format(who="user_id") + " AND guild_id = ?"
        return await self._groups(sql + " GROUP BY user_id, kind, action, mode", [since, guild_id])

    async def spend_by_guild(self, since: float) -> list[SpendGroup]:
        """Credits spent since a time per server (the server id in `user_id`'s place)."""
        sql = _SPEND.format(who="guild_id") + " AND guild_id IS NOT NULL"
        return await self._groups(sql + " GROUP BY guild_id, kind, action, mode", [since])

    async def _groups(self, sql: str, args: list[Any]) -> list[SpendGroup]:
        async with self._db.execute(sql, args) as cursor:
            rows = await cursor.fetchall()
        return [
            SpendGroup(
                row[0], JobKind(row[1]), row[2], row[3], float(row[4]), int(row[5] or 0),
                float(row[6]), float(row[7]),
            )
            for row in rows
        ]  # fmt: skip

    async def alert_records(self) -> list[AlertRecord]:
        """Every account's alert state."""
        async with self._db.execute(
            "SELECT account, low_balance_at, payment_at, paused, floor FROM account_alerts"
        ) as cursor:
            rows = await cursor.fetchall()
        return [AlertRecord(row[0], row[1], row[2], bool(row[3]), row[4]) for row in rows]

    async def save_alert_record(self, record: AlertRecord) -> None:
        """Insert or replace an account's alert state."""
        await self._write(
            "INSERT OR REPLACE INTO account_alerts "
            "(account, low_balance_at, payment_at, paused, floor, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.account,
                record.low_balance_at,
                record.payment_at,
                int(record.paused),
                record.floor,
                self._clock(),
            ),
        )

    async def audit_channels(self) -> list[int]:
        """Servers with an audit channel (owner alerts add a line to each)."""
        async with self._db.execute(
            "SELECT guild_id FROM guild_settings WHERE log_channel_id IS NOT NULL ORDER BY guild_id"
        ) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]
