"""How budgets and alerts read: bot/ui/budget.py."""

from __future__ import annotations

from bot.jobs.alerts import AlertKind, Notice
from bot.jobs.budget import BudgetStatus, MemberSpend
from bot.jobs.credit_models import Budget
from bot.ui.budget import alert_text, budget_text, info_lines, members_table

T0 = 1_800_000_000.0


def status(
    budget: Budget, member: float = 0.0, today: float = 0.0, month: float = 0.0
) -> BudgetStatus:
    return BudgetStatus(budget, member, today, month, T0 + 3600, T0 + 86_400 * 10)


def test_no_budget_adds_nothing_to_info() -> None:
    assert info_lines(status(Budget(1))) == []


def test_info_shows_what_is_left_and_when_it_resets() -> None:
    lines = info_lines(status(Budget(1, member_daily=20, guild_monthly=500), 7.5, 30, 120.25))
    assert lines == [
        f"**Budget today:** 12.5 of 20 credits left (7.5 used, resets <t:{int(T0 + 3600)}:R>)",
        f"Server this month: 379.75 of 500 credits left (resets <t:{int(T0 + 864_000)}:R>)",
    ]


def test_an_overspent_budget_shows_zero_left() -> None:
    [line] = info_lines(status(Budget(1, member_daily=5), member=7))
    assert line.startswith("**Budget today:** 0 of 5 credits left (7 used")


def test_budget_text_names_each_budget() -> None:
    assert budget_text(Budget(1, guild_daily=40)) == (
        "Per member: no budget a day · Server: 40 credits a day, no budget a month "
        "(calendar month, UTC)."
    )


def test_members_table_shows_estimate_and_reported_only_where_they_differ() -> None:
    rows = [MemberSpend(11, 6.0, 6.0, 6.0), MemberSpend(12, 4.0, 6.0, 4.0)]
    table = members_table(rows, Budget(1, member_daily=6))
    assert table.splitlines() == [
        "**Today against the budget**",
        "<@11> 6/6 credits · budget used up",
        "<@12> 4/6 credits (estimated 6, reported 4)",
    ]


def test_each_alert_reads_plainly() -> None:
    def text(kind: AlertKind, balance: float | None) -> str:
        return alert_text(Notice(kind, "ttapi", balance, 10.0, T0))

    assert text(AlertKind.LOW_BALANCE, 9.5).startswith(
        "⚠️ The TT API balance is low: 9.5 credits, below your alert level of 10"
    )
    assert "HTTP 402" in text(AlertKind.PAYMENT_REQUIRED, None)
    assert "nothing lost" in text(AlertKind.PAYMENT_REQUIRED, None)
    assert text(AlertKind.BALANCE_RESTORED, 200).startswith("✅ The TT API balance is back (200")
