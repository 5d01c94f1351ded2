"""The SQLite store: every SQL statement of the project lives in this package.

One aiosqlite connection in autocommit mode. Multi-statement writes hold a lock so that
coroutines sharing the connection never interleave inside a transaction. Status changes and
post claims are conditional updates: the row count says which caller won, so the poller,
the webhook and a restarted process can race without double-posting.
"""

from __future__ import annotations

from bot.jobs.store.base import migrations
from bot.jobs.store.budgets import BudgetRows
from bot.jobs.store.community import Community
from bot.jobs.store.editor import EditorRows
from bot.jobs.store.jobs import JobRows
from bot.jobs.store.trust import TrustRows


class Store(JobRows, Community, BudgetRows, TrustRows, EditorRows):
    """Async access to the bot's database."""


__all__ = ["Store", "migrations"]
