"""Per-server and per-member settings, moderation lists and small stored facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bot.jobs.models import Ban, GuildSettings, UserSettings
from bot.jobs.store.base import StoreBase, _marks

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
    "threads",
)


class Community(StoreBase):
    """Settings, bans, banned words, allowed channels and meta."""

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
        values["threads"] = bool(values["threads"])
        values["allowed_modes"] = tuple(filter(None, values["allowed_modes"].split(",")))
        return GuildSettings(guild_id, **values)

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or replace a server's preferences."""
        values = [getattr(settings, column) for column in _GUILD_COLUMNS]
        values[_GUILD_COLUMNS.index("paused")] = int(settings.paused)
        values[_GUILD_COLUMNS.index("threads")] = int(settings.threads)
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
