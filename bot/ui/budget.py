"""How credit budgets, prices and owner alerts read in Discord."""

from __future__ import annotations

import time
from collections.abc import Iterable

from bot.jobs.alerts import AlertKind, Notice
from bot.jobs.budget import BudgetStatus, MemberSpend
from bot.jobs.credit_models import Budget
from bot.jobs.prices import PriceTable

_ACCOUNTS = {"ttapi": "TT API"}
PAYMENT_HOLD = (
    "Waiting: the bot's TT API balance is used up. The bot owner has been told; "
    "your job starts by itself once it is topped up. Nothing was charged."
)


def credits(value: float) -> str:
    """A credit amount, without trailing zeros."""
    return f"{round(value, 2):g}"


def budget_text(budget: Budget) -> str:
    """A server's budgets in one line."""
    return (
        f"Per member: {_amount(budget.member_daily)} a day · "
        f"Server: {_amount(budget.guild_daily)} a day, {_amount(budget.guild_monthly)} "
        "a month (calendar month, UTC)."
    )


def info_lines(status: BudgetStatus) -> list[str]:
    """/info: what the member may still spend today, and when that resets."""
    budget = status.budget
    if not budget.any:
        return []
    lines = []
    resets = f"resets <t:{int(status.day_resets_at)}:R>"
    if status.member_left is not None:
        lines.append(
            f"**Budget today:** {credits(status.member_left)} of {credits(budget.member_daily)} "
            f"credits left ({credits(status.member_today)} used, {resets})"
        )
    if status.guild_day_left is not None:
        lines.append(
            f"Server today: {credits(status.guild_day_left)} of {credits(budget.guild_daily)} "
            f"credits left ({resets})"
        )
    if status.month_left is not None:
        lines.append(
            f"Server this month: {credits(status.month_left)} of "
            f"{credits(budget.guild_monthly)} credits left "
            f"(resets <t:{int(status.month_resets_at)}:R>)"
        )
    return lines


def members_table(rows: Iterable[MemberSpend], budget: Budget, limit: int = 25) -> str:
    """/mj-admin usage: today's credits per member against the member budget."""
    cap = f"/{credits(budget.member_daily)}" if budget.member_daily else ""
    lines = []
    for row in list(rows)[:limit]:
        line = f"<@{row.who}> {credits(row.credits)}{cap} credits"
        if abs(row.estimated - row.credits) > 0.005:
            line += f" (estimated {credits(row.estimated)}, reported {credits(row.reported)})"
        if budget.member_daily and row.credits >= budget.member_daily:
            line += " · budget used up"
        lines.append(line)
    head = "**Today against the budget**" + ("" if cap else " (no member budget set)")
    return head + "\n" + ("\n".join(lines) or "Nobody has spent credits today.")


def month_lines(
    guild_id: int, status: BudgetStatus, others: Iterable[MemberSpend] = ()
) -> list[str]:
    """/mj-admin status: month-to-date spend here, and for owners every server's."""
    cap = status.budget.guild_monthly
    here = f"Spend this month: {credits(status.guild_month)}"
    here += f" of {credits(cap)} credits" if cap else " credits (no monthly budget)"
    lines = [here + f" · today {credits(status.guild_today)}"]
    rows = [row for row in others if row.who != guild_id]
    if rows:
        lines.append(
            "Other servers this month: "
            + ", ".join(f"`{row.who}` {credits(row.credits)}" for row in rows[:10])
        )
    return lines


def prices_text(table: PriceTable) -> str:
    """The price table, as /mj-admin prices shows it."""
    prices = " · ".join(f"{key} {credits(value)}" for key, value in table.prices.items())
    modes = " · ".join(f"{mode} ×{credits(value)}" for mode, value in table.modes.items())
    return (
        f"**Prices** (credits at fast speed): {prices}\n**Mode factors:** {modes}\n"
        "Estimates are checked against budgets before a job starts; what the TT API reports "
        "replaces the estimate when the job ends."
    )


def alert_text(notice: Notice) -> str:
    """The owner's DM (and the audit line) for one alert."""
    account = _ACCOUNTS.get(notice.account, notice.account)
    balance = "unknown" if notice.balance is None else credits(notice.balance)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(notice.at))
    if notice.kind is AlertKind.LOW_BALANCE:
        return (
            f"⚠️ The {account} balance is low: {balance} credits, below your alert "
            f"level of {credits(notice.threshold)} ({when}). Top it up to keep mjbot running; "
            "this reminder repeats at most once a day."
        )
    if notice.kind is AlertKind.PAYMENT_REQUIRED:
        return (
            f"🛑 The {account} balance is used up (HTTP 402, {when}): mjbot has stopped "
            "sending jobs and members' jobs are waiting, nothing lost. Top up the account; "
            "jobs start again by themselves once the balance rises, or use /mj-admin resume."
        )
    return (
        f"✅ The {account} balance is back ({balance} credits, {when}): waiting jobs "
        "are being sent again."
    )


def _amount(value: float) -> str:
    return f"{credits(value)} credits" if value else "no budget"
