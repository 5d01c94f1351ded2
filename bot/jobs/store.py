"""The SQLite store: every SQL statement of the project lives in this file.

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
from importlib import resources
from pathlib import Path
from typing import Any, Final

import aiosqlite

from bot.jobs.models import Ban, GuildSettings, Job, JobKind, NewJob, UserSettings
from bot.jobs.states import FINISHED, IN_FLIGHT, UNFINISHED, JobStatus, predecessors

log = logging.getLogger(__name__)

_JSON_COLUMNS: Final = frozenset({"components", "images", "prompts"})
# Columns a transition may change along with the status.
_CHANGEABLE: Final = frozenset(
    {
        "provider_job_id",
        "progress",
        "components",
        "image_url",
        "images",
        "seed",
        "prompts",
        "quota",
        "error",
        "submitted_at",
        "finished_at",
        "next_poll_at",
    }
)


_GUILD_COLUMNS: Final = (
    "default_mode",
    "paused",
    "allowed_modes",
    "buttons_who",
    "required_role_id",
    "log_channel_id",
    "daily_limit",
    "concurrent_limit",
    "cooldown_s",
    "guild_daily_limit",
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


class Store:
    """Async access to the bot's database."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, clock: Callable[[], float] = time.time) -> Store:
        """Open (creating the folder if needed) and tune the database; does not migrate."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
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
        """Apply every migration newer than the schema, each in its own transaction."""
        current = await self.version()
        for number, name, sql in migrations():
            if number <= current:
                continue
            async with self._lock:
                try:
                    await self._db.executescript(
                        f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    await self._db.execute("ROLLBACK")
                    raise
            log.info("database migrated to version %d (%s)", number, name)
            current = number
        return current

    # -- jobs -----------------------------------------------------------------------------

    async def create_job(self, new: NewJob, status: JobStatus = JobStatus.QUEUED) -> Job:
        """Write a job row before anything is sent to the provider."""
        now = self._clock()
        timeout = new.timeout_s or 300
        async with self._lock:
            cursor = await self._db.execute(
                """INSERT INTO jobs (provider, parent_id, kind, action, status, prompt, mode,
                       params, user_id, guild_id, channel_id, progress_message_id, timeout_s,
                       created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    new.provider,
                    new.parent_id,
                    new.kind.value,
                    new.action,
                    status.value,
                    new.prompt,
                    new.mode,
                    json.dumps(new.params),
                    new.requester.user_id,
                    new.requester.guild_id,
                    new.requester.channel_id,
                    new.requester.progress_message_id,
                    timeout,
                    now,
                    now,
                ),
            )
            job_id = cursor.lastrowid
        job = await self.get_job(int(job_id or 0))
        if job is None:
            raise RuntimeError(f"job {job_id} vanished right after its insert")
        return job

    async def get_job(self, job_id: int) -> Job | None:
        """A job by its own id."""
        return await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    async def get_job_by_provider_id(self, provider_job_id: str) -> Job | None:
        """A job by the provider's id."""
        return await self._one("SELECT * FROM jobs WHERE provider_job_id = ?", (provider_job_id,))

    async def unfinished_jobs(self) -> list[Job]:
        """Every job not yet finished, oldest first (the queue's order)."""
        return await self._all(
            f"SELECT * FROM jobs WHERE status IN ({_marks(UNFINISHED)}) ORDER BY id",
            _values(UNFINISHED),
        )

    async def unposted_jobs(self) -> list[Job]:
        """Finished jobs whose outcome has not been shown yet, oldest first."""
        return await self._all(
            f"""SELECT * FROM jobs WHERE posted_at IS NULL AND status IN ({_marks(FINISHED)})
                ORDER BY id""",
            _values(FINISHED),
        )

    async def count_in_flight(self) -> int:
        """Jobs holding a provider slot."""
        sql = f"SELECT COUNT(*) FROM jobs WHERE status IN ({_marks(IN_FLIGHT)})"
        async with self._db.execute(sql, _values(IN_FLIGHT)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def transition(self, job_id: int, to: JobStatus, **changes: Any) -> bool:
        """Move a job to `to` if its current status allows it; True if this caller won."""
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} in a transition")
        allowed = predecessors(to)
        if not allowed:
            return False
        columns = {"status": to.value, "updated_at": self._clock()}
        columns.update({key: _encode(key, value) for key, value in changes.items()})
        if to in FINISHED and "finished_at" not in changes:
            columns["finished_at"] = columns["updated_at"]
        assignments = ", ".join(f"{name} = ?" for name in columns)
        sql = f"UPDATE jobs SET {assignments} WHERE id = ? AND status IN ({_marks(allowed)})"
        return await self._write(sql, (*columns.values(), job_id, *_values(allowed)))

    async def record_progress(self, job_id: int, progress: int, next_poll_at: float) -> bool:
        """Store a higher progress (moving submitted -> running); stale or equal values lose."""
        return await self._write(
            """UPDATE jobs SET status = 'running', progress = ?, next_poll_at = ?, updated_at = ?
               WHERE id = ? AND status IN ('submitted', 'running')
                 AND (status = 'submitted' OR COALESCE(progress, -1) < ?)""",
            (progress, next_poll_at, self._clock(), job_id, progress),
        )

    async def set_progress_message(self, job_id: int, message_id: int | None) -> None:
        """Remember (or forget) the Discord message that shows a job's progress."""
        await self._write(
            "UPDATE jobs SET progress_message_id = ? WHERE id = ?", (message_id, job_id)
        )

    async def attach_provider_job(self, job_id: int, provider_job_id: str, at: float) -> None:
        """Record the provider id of a job cancelled while its submit was in flight."""
        await self._write(
            "UPDATE jobs SET provider_job_id = ?, submitted_at = ? WHERE id = ?",
            (provider_job_id, at, job_id),
        )

    async def set_seed(self, job_id: int, seed: str) -> None:
        """Cache a job's seed so asking again costs nothing."""
        await self._write("UPDATE jobs SET seed = ? WHERE id = ?", (seed, job_id))

    # -- posting ----------------------------------------------------------------------------

    async def claim_post(self, job_id: int, lease_seconds: float = 120.0) -> bool:
        """Take the right to post a finished job's outcome; only one caller gets it.

        The claim is a lease: if its holder dies before `finish_post` or `release_post`,
        another caller may claim again after `lease_seconds`.
        """
        now = self._clock()
        return await self._write(
            f"""UPDATE jobs SET post_claimed_at = ?
                WHERE id = ? AND posted_at IS NULL AND status IN ({_marks(FINISHED)})
                  AND (post_claimed_at IS NULL OR post_claimed_at <= ?)""",
            (now, job_id, *_values(FINISHED), now - lease_seconds),
        )

    async def release_post(self, job_id: int) -> None:
        """Give a claim back after a failed post, so it can be tried again."""
        await self._write(
            "UPDATE jobs SET post_claimed_at = NULL WHERE id = ? AND posted_at IS NULL", (job_id,)
        )

    async def release_all_post_claims(self) -> int:
        """At start-up: claims held by a process that died are void (one process per database)."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE jobs SET post_claimed_at = NULL "
                "WHERE posted_at IS NULL AND post_claimed_at IS NOT NULL"
            )
            return cursor.rowcount

    async def finish_post(
        self, job_id: int, message_id: int | None = None, channel_id: int | None = None
    ) -> None:
        """Mark a job's outcome as shown and map its result message to it."""
        now = self._clock()
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    "UPDATE jobs SET posted_at = ?, result_message_id = COALESCE(?, "
                    "result_message_id) WHERE id = ?",
                    (now, message_id, job_id),
                )
                if message_id is not None and channel_id is not None:
                    await self._insert_message(message_id, job_id, channel_id, now)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    # -- messages ---------------------------------------------------------------------------

    async def map_message(self, message_id: int, job_id: int, channel_id: int) -> None:
        """Remember that a Discord message shows a job (e.g. a /show re-post)."""
        async with self._lock:
            await self._insert_message(message_id, job_id, channel_id, self._clock())

    async def job_for_message(self, message_id: int) -> Job | None:
        """The job a Discord message shows, if any."""
        return await self._one(
            "SELECT jobs.* FROM messages JOIN jobs ON jobs.id = messages.job_id "
            "WHERE messages.message_id = ?",
            (message_id,),
        )

    async def _insert_message(
        self, message_id: int, job_id: int, channel_id: int, now: float
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO messages (message_id, job_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            (message_id, job_id, channel_id, now),
        )

    # -- settings and meta ------------------------------------------------------------------

    async def user_settings(self, user_id: int) -> UserSettings:
        """A member's preferences (defaults when never set)."""
        async with self._db.execute(
            "SELECT default_mode, prompt_suffix, dm_copy, dm_blocked FROM user_settings "
            "WHERE user_id = ?",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return UserSettings(user_id)
        return UserSettings(user_id, row[0], row[1], bool(row[2]), bool(row[3]))

    async def save_user_settings(self, settings: UserSettings) -> None:
        """Insert or replace a member's preferences."""
        await self._write(
            "INSERT OR REPLACE INTO user_settings "
            "(user_id, default_mode, prompt_suffix, dm_copy, dm_blocked, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                settings.user_id,
                settings.default_mode,
                settings.prompt_suffix,
                int(settings.dm_copy),
                int(settings.dm_blocked),
                self._clock(),
            ),
        )

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """A server's preferences (defaults when never set)."""
        async with self._db.execute(
            f"SELECT {', '.join(_GUILD_COLUMNS)} FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return GuildSettings(guild_id)
        values = dict(zip(_GUILD_COLUMNS, row, strict=True))
        values["paused"] = bool(values["paused"])
        values["allowed_modes"] = tuple(filter(None, values["allowed_modes"].split(",")))
        return GuildSettings(guild_id, **values)

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or replace a server's preferences."""
        values = [getattr(settings, column) for column in _GUILD_COLUMNS]
        values[_GUILD_COLUMNS.index("paused")] = int(settings.paused)
        values[_GUILD_COLUMNS.index("allowed_modes")] = ",".join(settings.allowed_modes)
        columns = ", ".join(("guild_id", *_GUILD_COLUMNS, "updated_at"))
        await self._write(
            f"INSERT OR REPLACE INTO guild_settings ({columns}) "
            f"VALUES ({_marks(range(len(_GUILD_COLUMNS) + 2))})",
            (settings.guild_id, *values, self._clock()),
        )

    # -- moderation -------------------------------------------------------------------------

    async def ban(self, guild_id: int, user_id: int, reason: str, banned_by: int) -> bool:
        """Ban a member; False if they already were."""
        return await self._write(
            "INSERT OR IGNORE INTO bans (guild_id, user_id, reason, banned_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (guild_id, user_id, reason, banned_by, self._clock()),
        )

    async def unban(self, guild_id: int, user_id: int) -> bool:
        """Lift a ban; False if there was none."""
        return await self._write(
            "DELETE FROM bans WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def bans(self, guild_id: int) -> list[Ban]:
        """Every ban in a server, oldest first."""
        async with self._db.execute(
            "SELECT guild_id, user_id, reason, banned_by, created_at FROM bans "
            "WHERE guild_id = ? ORDER BY created_at",
            (guild_id,),
        ) as cursor:
            return [Ban(*row) for row in await cursor.fetchall()]

    async def ban_of(self, guild_id: int, user_id: int) -> Ban | None:
        """The ban on a member, if any."""
        async with self._db.execute(
            "SELECT guild_id, user_id, reason, banned_by, created_at FROM bans "
            "WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return Ban(*row) if row else None

    async def add_word(self, guild_id: int, word: str, added_by: int) -> bool:
        """Ban a word in a server; False if it already was."""
        return await self._write(
            "INSERT OR IGNORE INTO banned_words (guild_id, word, added_by, created_at) "
            "VALUES (?, ?, ?, ?)",
            (guild_id, word.lower(), added_by, self._clock()),
        )

    async def remove_word(self, guild_id: int, word: str) -> bool:
        """Allow a word again; False if it was not banned."""
        return await self._write(
            "DELETE FROM banned_words WHERE guild_id = ? AND word = ?", (guild_id, word.lower())
        )

    async def words(self, guild_id: int) -> list[str]:
        """A server's own banned words, sorted."""
        async with self._db.execute(
            "SELECT word FROM banned_words WHERE guild_id = ? ORDER BY word", (guild_id,)
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]

    async def allow_channel(self, guild_id: int, channel_id: int) -> bool:
        """Add a channel to the allow list; False if it was there."""
        return await self._write(
            "INSERT OR IGNORE INTO allowed_channels (guild_id, channel_id) VALUES (?, ?)",
            (guild_id, channel_id),
        )

    async def deny_channel(self, guild_id: int, channel_id: int) -> bool:
        """Remove a channel from the allow list; False if it was not there."""
        return await self._write(
            "DELETE FROM allowed_channels WHERE guild_id = ? AND channel_id = ?",
            (guild_id, channel_id),
        )

    async def allowed_channels(self, guild_id: int) -> list[int]:
        """The allow list (empty = every channel)."""
        async with self._db.execute(
            "SELECT channel_id FROM allowed_channels WHERE guild_id = ? ORDER BY channel_id",
            (guild_id,),
        ) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]

    async def clear_channels(self, guild_id: int) -> None:
        """Empty the allow list: every channel is allowed again."""
        await self._write("DELETE FROM allowed_channels WHERE guild_id = ?", (guild_id,))

    # -- the ledger (the jobs table: one row per job) -----------------------------------------

    async def count_jobs(
        self, *, since: float, guild_id: int | None = None, user_id: int | None = None
    ) -> int:
        """Jobs created since a time that count against limits (failed/cancelled are refunded)."""
        sql = "SELECT COUNT(*) FROM jobs WHERE created_at >= ? AND status NOT IN (?, ?)"
        args: list[Any] = [since, JobStatus.FAILED.value, JobStatus.CANCELLED.value]
        if guild_id is not None:
            sql += " AND guild_id = ?"
            args.append(guild_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        async with self._db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def count_unfinished(self, user_id: int) -> int:
        """A member's jobs queued or running."""
        sql = f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND status IN ({_marks(UNFINISHED)})"
        async with self._db.execute(sql, (user_id, *_values(UNFINISHED))) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def last_job_at(self, user_id: int, guild_id: int | None) -> float | None:
        """When the member last asked for a job that counts (for the cooldown)."""
        async with self._db.execute(
            "SELECT MAX(created_at) FROM jobs WHERE user_id = ? AND guild_id IS ? "
            "AND status NOT IN (?, ?)",
            (user_id, guild_id, JobStatus.FAILED.value, JobStatus.CANCELLED.value),
        ) as cursor:
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def jobs_since(
        self, guild_id: int, since: float, user_id: int | None = None
    ) -> list[Job]:
        """Every job of a server since a time, oldest first (for usage reports)."""
        sql = "SELECT * FROM jobs WHERE guild_id = ? AND created_at >= ?"
        args: list[Any] = [guild_id, since]
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        return await self._all(sql + " ORDER BY id", tuple(args))

    async def find_job(self, reference: str) -> Job | None:
        """A job by its short id ("123" or "#123") or by the provider's job id."""
        text = reference.strip().lstrip("#")
        if text.isdigit() and len(text) < 19:
            job = await self.get_job(int(text))
            if job is not None:
                return job
        return await self.get_job_by_provider_id(text)

    async def get_meta(self, key: str) -> str | None:
        """A stored fact, or None."""
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a fact."""
        await self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    async def meta_or_create(self, key: str, make: Callable[[], str]) -> str:
        """A stored fact, created once with `make` when missing (first writer wins)."""
        await self._write("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, make()))
        return await self.get_meta(key) or ""

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
    return Job(**values)
