"""Prompt translation preferences: per member, and the per-server off switch."""

from __future__ import annotations

from bot.jobs.store.base import StoreBase
from bot.jobs.translate import TRANSLATE_MODES


class TranslationPrefs(StoreBase):
    """Members' translation mode and servers that turned translation off."""

    async def translate_mode(self, user_id: int) -> str:
        """ask (the default), always or never."""
        async with self._db.execute(
            "SELECT mode FROM translate_prefs WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row and row[0] in TRANSLATE_MODES else "ask"

    async def set_translate_mode(self, user_id: int, mode: str) -> None:
        """Store a member's choice."""
        if mode not in TRANSLATE_MODES:
            raise ValueError(f"unknown translation mode {mode!r}")
        await self._write(
            "INSERT OR REPLACE INTO translate_prefs (user_id, mode, updated_at) VALUES (?, ?, ?)",
            (user_id, mode, self._clock()),
        )

    async def translation_disabled(self, guild_id: int) -> bool:
        """True when the server's moderators turned prompt translation off."""
        async with self._db.execute(
            "SELECT disabled FROM guild_translate WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def set_translation_disabled(self, guild_id: int, disabled: bool) -> None:
        """Turn prompt translation off (or back on) for a server."""
        await self._write(
            "INSERT OR REPLACE INTO guild_translate (guild_id, disabled, updated_at) "
            "VALUES (?, ?, ?)",
            (guild_id, int(disabled), self._clock()),
        )
