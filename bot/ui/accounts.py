"""Provider accounts as /mj-admin status lists them: one line each, keys masked."""

from __future__ import annotations

from bot.provider.pool import AccountStatus
from bot.ui.results import PROVIDER_NAMES


def account_lines(statuses: list[AccountStatus], *, owner: bool = True) -> list[str]:
    """`TT API …abcd: healthy · balance 120 · 3/10 in flight`, one per account.

    Balances and the providers' own error words are the owner's business (the accounts serve
    every server), so other moderators see health and slots only.
    """
    lines = [_line(status, owner) for status in statuses]
    return lines or ["No provider account is configured."]


def _line(status: AccountStatus, owner: bool) -> str:
    provider = PROVIDER_NAMES.get(status.provider, status.provider)
    name = " ".join(filter(None, (provider, status.label)))
    if status.healthy:
        problem = status.reason if owner else None
        health = "healthy" if problem is None else f"healthy, but {problem}"
    else:
        retry = f", retried in {round(status.retry_in)}s" if status.retry_in is not None else ""
        health = f"**unhealthy**: {status.reason or 'failing'}{retry}"
    parts = [health]
    if status.balance is not None and owner:
        parts.append(f"balance {status.balance:g}")
    parts.append(f"{status.in_flight}/{status.cap} in flight")
    return f"{name}: " + " · ".join(parts)
