"""Job rows, post claims, message mappings and the ledger queries (the jobs table)."""

from __future__ import annotations

import json
from typing import Any

from bot.jobs.models import Job, JobKind, NewJob
from bot.jobs.states import FINISHED, UNFINISHED, JobStatus, predecessors
from bot.jobs.store.base import _CHANGEABLE, LIST_COLUMNS, StoreBase, _encode, _marks, _values


class JobRows(StoreBase):
    """Jobs: one row per paid request, which is also the credit ledger."""

    # -- jobs -----------------------------------------------------------------------------

    async def create_job(self, new: NewJob, status: JobStatus = JobStatus.QUEUED) -> Job:
        """Write a job row before anything is sent to the provider."""
        now = self._clock()
        timeout = new.timeout_s or 300
        async with self._lock:
            cursor = await self._db.execute(
                """INSERT INTO jobs (provider, account, parent_id, kind, action, status, prompt,
                       mode, params, user_id, guild_id, channel_id, progress_message_id, timeout_s,
                       created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    new.provider,
                    new.account,
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
        """Every job not yet finished, oldest first (the queue's order); without params."""
        return await self._all(
            f"SELECT {LIST_COLUMNS} FROM jobs WHERE status IN ({_marks(UNFINISHED)}) ORDER BY id",
            _values(UNFINISHED),
        )

    async def unposted_jobs(self) -> list[Job]:
        """Finished jobs whose outcome has not been shown yet, oldest first; without params."""
        return await self._all(
            f"""SELECT {LIST_COLUMNS} FROM jobs
                WHERE posted_at IS NULL AND status IN ({_marks(FINISHED)})
                ORDER BY id""",
            _values(FINISHED),
        )

    async def succeeded_children(self, parent_id: int) -> list[Job]:
        """A result's action children that succeeded, oldest first: which buttons were used."""
        return await self._all(
            "SELECT * FROM jobs WHERE parent_id = ? AND status = ? AND kind IN (?, ?) ORDER BY id",
            (parent_id, JobStatus.SUCCEEDED.value, JobKind.ACTION.value, JobKind.INPAINT.value),
        )

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

    async def attach_progress_message(self, job_id: int, message_id: int) -> bool:
        """Show an unfinished job's progress in a message; False once the job has finished.

        Conditional, so it orders cleanly against the finishing transition: either the
        finished job carries the message (and its publisher replaces it) or it never does.
        """
        return await self._write(
            f"UPDATE jobs SET progress_message_id = ? WHERE id = ? AND status IN "
            f"({_marks(UNFINISHED)})",
            (message_id, job_id, *_values(UNFINISHED)),
        )

    async def attach_provider_job(self, job_id: int, provider_job_id: str, at: float) -> None:
        """Record the provider id of a job cancelled while its submit was in flight."""
        await self._write(
            "UPDATE jobs SET provider_job_id = ?, submitted_at = ? WHERE id = ?",
            (provider_job_id, at, job_id),
        )

    async def replace_params(self, job_id: int, params: dict[str, Any]) -> None:
        """Store new params (the inputs dropped once sent: bot/jobs/inputs.py)."""
        await self._write("UPDATE jobs SET params = ? WHERE id = ?", (json.dumps(params), job_id))

    async def sent_with_inputs(
        self, after: int = 0, limit: int = 50
    ) -> list[tuple[int, dict[str, Any]]]:
        """(id, params) of jobs already sent whose params still hold input images, by id."""
        async with self._db.execute(
            """SELECT id, params FROM jobs WHERE id > ? AND status NOT IN ('queued', 'submitting')
                 AND (params LIKE '%"image": %' OR params LIKE '%"images": %'
                      OR params LIKE '%"mask": %')
               ORDER BY id LIMIT ?""",
            (after, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(int(row[0]), json.loads(row[1] or "{}")) for row in rows]

    async def database_size(self) -> int:
        """Bytes the database uses (pages in use; freed pages are reused, not counted)."""
        async with self._db.execute(
            "SELECT (page_count - freelist_count) * page_size "
            "FROM pragma_page_count, pragma_freelist_count, pragma_page_size"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

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
        """Every job of a server since a time, oldest first, without params (usage reports)."""
        sql = f"SELECT {LIST_COLUMNS} FROM jobs WHERE guild_id = ? AND created_at >= ?"
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
