"""Provider accounts as /mj-admin status lists them: one line each, keys masked."""

from __future__ import annotations

from bot.provider.pool import AccountStatus
from bot.ui.results import PROVIDER_NAMES


def account_lines(statuses: list[AccountStatus]) -> list[str]:
    """`TT API …abcd: healthy · balance 120 · 3/10 in flight`, one per account."""
    return [_line(status) for status in statuses] or ["No provider account is configured."]


def _line(status: AccountStatus) -> str:
    name = " ".join(
        filter(None, (PROVIDER_NAMES.get(status.provider, status.provider), status.label))
    )
    if status.healthy:
        health = "healthy" if status.reason is None else f"healthy, but {status.reason}"
    else:
        retry = f", retried in {round(status.retry_in)}s" if status.retry_in is not None else ""
        health = f"**unhealthy**: {status.reason or 'failing'}{retry}"
    parts = [health]
    if status.balance is not None:
        parts.append(f"balance {status.balance:g}")
    parts.append(f"{status.in_flight}/{status.cap} in flight")
    return f"{name}: " + " · ".join(parts)
