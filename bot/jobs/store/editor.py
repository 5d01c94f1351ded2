"""Editor links (Vary (Region)) and lineage: the rows behind one-time links and threads."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.jobs.models import EditorLink, Job, Requester
from bot.jobs.store.base import StoreBase

_LINK_COLUMNS = (
    "nonce, job_id, user_id, guild_id, channel_id, parent_channel_id, role_ids, is_admin, "
    "browser, expires_at, created_at, used_at"
)


class EditorRows(StoreBase):
    """One-time editor links, threads started from results, and a job's parent and children."""

    async def add_editor_link(
        self, nonce: str, job_id: int, requester: Requester, expires_at: float
    ) -> None:
        """Remember a link handed out, with the requester's place and roles at the click."""
        roles = ",".join(str(role) for role in sorted(requester.role_ids))
        await self._write(
            f"INSERT INTO editor_links ({_LINK_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)",
            (
                nonce,
                job_id,
                requester.user_id,
                requester.guild_id,
                requester.channel_id,
                requester.parent_channel_id,
                roles,
                int(requester.is_admin),
                expires_at,
                self._clock(),
            ),
        )

    async def editor_link(self, nonce: str) -> EditorLink | None:
        """A link by its nonce."""
        async with self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM editor_links WHERE nonce = ?", (nonce,)
        ) as cursor:
            row = await cursor.fetchone()
        return _link(row) if row is not None else None

    async def bind_editor_link(self, nonce: str, browser: str) -> bool:
        """Tie a link to the first browser that opens it; True if it is (now) that browser's."""
        await self._write(
            "UPDATE editor_links SET browser = ? WHERE nonce = ? AND browser IS NULL",
            (browser, nonce),
        )
        link = await self.editor_link(nonce)
        return link is not None and link.browser == browser

    async def use_editor_link(self, nonce: str) -> bool:
        """Spend a link; only one caller ever wins, across restarts."""
        return await self._write(
            "UPDATE editor_links SET used_at = ? WHERE nonce = ? AND used_at IS NULL",
            (self._clock(), nonce),
        )

    async def unuse_editor_link(self, nonce: str) -> None:
        """Give a link back when the job it was spent on was refused before any charge."""
        await self._write("UPDATE editor_links SET used_at = NULL WHERE nonce = ?", (nonce,))

    async def forget_editor_links(self, before: float) -> int:
        """Drop links that expired before a time (they can never work again)."""
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM editor_links WHERE expires_at < ?", (before,)
            )
            return cursor.rowcount

    # -- lineage ----------------------------------------------------------------------------

    async def set_thread(self, job_id: int, thread_id: int) -> None:
        """Remember the thread started from a job's result."""
        await self._write("UPDATE jobs SET thread_id = ? WHERE id = ?", (thread_id, job_id))

    async def children_of(self, job_id: int) -> list[Job]:
        """The jobs started from a job's buttons (or editor), oldest first."""
        return await self._all("SELECT * FROM jobs WHERE parent_id = ? ORDER BY id", (job_id,))

    async def message_in(self, job_id: int, channel_id: int) -> int | None:
        """The latest message showing a job in a channel (result or /show re-post), if any."""
        async with self._db.execute(
            "SELECT message_id FROM messages WHERE job_id = ? AND channel_id = ? "
            "ORDER BY created_at DESC, message_id DESC LIMIT 1",
            (job_id, channel_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def result_place(self, job_id: int) -> tuple[int, int] | None:
        """(channel id, message id) of a job's result message, if it was posted."""
        async with self._db.execute(
            "SELECT messages.channel_id, messages.message_id FROM jobs "
            "JOIN messages ON messages.message_id = jobs.result_message_id WHERE jobs.id = ?",
            (job_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else None


def _link(row: sqlite3.Row | tuple[Any, ...]) -> EditorLink:
    (nonce, job_id, user_id, guild_id, channel_id, parent_channel_id, roles, admin) = row[:8]
    requester = Requester(
        int(user_id),
        guild_id,
        channel_id,
        role_ids=frozenset(int(role) for role in str(roles).split(",") if role),
        is_admin=bool(admin),
        parent_channel_id=parent_channel_id,
    )
    return EditorLink(
        nonce=str(nonce),
        job_id=int(job_id),
        requester=requester,
        browser=row[8],
        expires_at=float(row[9]),
        created_at=float(row[10]),
        used_at=row[11],
    )
