"""Queries of the trust checks: running follow-ups of a result, per-server built-in words."""

from __future__ import annotations

from bot.jobs.models import Job, JobKind
from bot.jobs.states import UNFINISHED
from bot.jobs.store.base import StoreBase, _marks, _values
from bot.jobs.words import DEFAULT_WORDS


class TrustRows(StoreBase):
    """Duplicate follow-ups and the built-in words a server turned off."""

    async def unfinished_action(self, parent_id: int, action: str) -> Job | None:
        """The oldest unfinished `action` on `parent_id`, if one is queued or running."""
        return await self._one(
            f"SELECT * FROM jobs WHERE parent_id = ? AND kind = ? AND action = ? "
            f"AND status IN ({_marks(UNFINISHED)}) ORDER BY id LIMIT 1",
            (parent_id, JobKind.ACTION.value, action, *_values(UNFINISHED)),
        )

    async def allow_builtin(self, guild_id: int, word: str, allowed_by: int) -> bool:
        """Turn a built-in word off in a server; False if it already was off."""
        return await self._write(
            "INSERT OR IGNORE INTO builtin_words_allowed (guild_id, word, allowed_by, "
            "created_at) VALUES (?, ?, ?, ?)",
            (guild_id, word.lower(), allowed_by, self._clock()),
        )

    async def forbid_builtin(self, guild_id: int, word: str) -> bool:
        """Turn a built-in word back on; False if it was on."""
        return await self._write(
            "DELETE FROM builtin_words_allowed WHERE guild_id = ? AND word = ?",
            (guild_id, word.lower()),
        )

    async def allowed_builtins(self, guild_id: int) -> list[str]:
        """The built-in words a server turned off, sorted."""
        async with self._db.execute(
            "SELECT word FROM builtin_words_allowed WHERE guild_id = ? ORDER BY word",
            (guild_id,),
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]

    async def banned_words(self, guild_id: int) -> frozenset[str]:
        """Every word refused in a server: the built-in ones it kept, plus its own."""
        async with self._db.execute(
            "SELECT word FROM banned_words WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            own = {str(row[0]) for row in await cursor.fetchall()}
        return (DEFAULT_WORDS - frozenset(await self.allowed_builtins(guild_id))) | own
