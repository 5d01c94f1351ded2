"""The SQLite store's base: the connection, migrations and shared helpers.

Every SQL statement of the project lives in this package (bot/jobs/store/).

One aiosqlite connection in autocommit mode. Multi-statement writes hold `_lock` so that
coroutines sharing the connection never interleave inside a transaction. Status changes and
post claims are conditional updates: the row count says which caller won, so the poller,
the webhook and a restarted process can race without double-posting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any, Final, Self

import aiosqlite

from bot.jobs.models import Job, JobKind
from bot.jobs.states import JobStatus

log = logging.getLogger(__name__)

_JSON_COLUMNS: Final = frozenset({"components", "images", "prompts"})
# Columns a transition may change along with the status.
_CHANGEABLE: Final = frozenset(
    {
        "provider_job_id",
        "progress",
        "components",
        "image_url",
        "alt_image_url",
        "images",
        "seed",
        "prompts",
        "result_prompt",
        "quota",
        "error",
        "submitted_at",
        "finished_at",
        "next_poll_at",
        "provider",
        "account",
        "refs",
    }
)


# Lists (recovery, usage, unposted results) never need params, which can hold MBs of input.
LIST_COLUMNS: Final = ", ".join(
    "'{}' AS params" if field.name == "params" else field.name for field in fields(Job)
)


def migrations() -> list[tuple[int, str, str]]:
    """The numbered SQL files shipped in bot/jobs/migrations, in order."""
    folder = resources.files("bot.jobs") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class StoreBase:
    """The connection, migrations and the helpers every part of the store shares."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, clock: Callable[[], float] = time.time) -> Self:
        """Open (creating the folder if needed) and tune the database; does not migrate."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit survives power loss. With NORMAL the last commits (SUBMITTING, then
            # the provider's job id) could roll back, and recovery would not know a paid job
            # exists.
            await db.execute("PRAGMA synchronous = FULL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
        except sqlite3.Error:
            # Not a database (corrupt, or another file): close it, or its worker thread (not a
            # daemon) keeps the process from ever exiting.
            await db.close()
            raise
        return cls(db, clock)

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def version(self) -> int:
        """The schema version (PRAGMA user_version)."""
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every shipped migration not applied yet, each in its own transaction.

        Each applied number is recorded, not only the highest (PRAGMA user_version): migrations
        written on parallel branches may land out of order, and a number below the newest must
        still run. A database from before the record counts every number up to its
        user_version as applied, which is what it had.
        """
        applied = await self._applied_migrations()
        current = await self.version()
        for number, name, sql in migrations():
            if number in applied:
                continue
            current = max(current, number)
            async with self._lock:
                try:
                    await self._db.executescript(
                        f"BEGIN;\n{sql}\n"
                        f"INSERT INTO schema_migrations (number, applied_at) "
                        f"VALUES ({number}, {self._clock()!r});\n"
                        f"PRAGMA user_version = {current};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    await self._db.execute("ROLLBACK")
                    raise
            log.info("database migrated: %s", name)
        return current

    async def _applied_migrations(self) -> set[int]:
        async with self._lock:
            await self._db.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       number INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"""
            )
            async with self._db.execute("SELECT number FROM schema_migrations") as cursor:
                recorded = {int(row[0]) for row in await cursor.fetchall()}
        if recorded:
            return recorded
        legacy = await self.version()  # before the record: everything up to user_version ran
        ran = {number for number, _name, _sql in migrations() if number <= legacy}
        async with self._lock:
            await self._db.executemany(
                "INSERT INTO schema_migrations (number, applied_at) VALUES (?, ?)",
                [(number, self._clock()) for number in sorted(ran)],
            )
        return ran

    # -- helpers ----------------------------------------------------------------------------

    async def _write(self, sql: str, args: Iterable[Any]) -> bool:
        async with self._lock:
            cursor = await self._db.execute(sql, tuple(args))
            return cursor.rowcount > 0

    async def _one(self, sql: str, args: tuple[Any, ...]) -> Job | None:
        async with self._db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return _job(row) if row is not None else None

    async def _all(self, sql: str, args: tuple[Any, ...]) -> list[Job]:
        async with self._db.execute(sql, args) as cursor:
            rows = await cursor.fetchall()
        return [_job(row) for row in rows]


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _values(statuses: Iterable[JobStatus]) -> tuple[str, ...]:
    return tuple(sorted(status.value for status in statuses))


def _encode(column: str, value: Any) -> Any:
    if column == "refs":
        return json.dumps(dict(value or {}))
    if column in _JSON_COLUMNS and value is not None:
        return json.dumps(list(value))
    return value


def _decode_list(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _job(row: sqlite3.Row) -> Job:
    values = dict(row)
    values["kind"] = JobKind(values["kind"])
    values["status"] = JobStatus(values["status"])
    values["params"] = json.loads(values["params"] or "{}")
    for column in _JSON_COLUMNS:
        values[column] = _decode_list(values[column])
    values["refs"] = json.loads(values.get("refs") or "{}")
    return Job(**values)
