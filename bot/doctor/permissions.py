"""The bot's permissions in a channel, computed from REST data the way Discord does.

Pure functions over the JSON of GET /guilds/{id}, /guilds/{id}/channels and
/guilds/{id}/members/{bot}: the doctor runs without a gateway connection, so it cannot ask
discord.py's cache (`channel.permissions_for`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

ADMINISTRATOR: Final = 1 << 3
ALL: Final = (1 << 53) - 1
# What posting a result needs: see the channel, send, embed the progress, attach the grid,
# and read history to edit the progress message later.
REQUIRED: Final = {
    "View Channel": 1 << 10,
    "Send Messages": 1 << 11,
    "Embed Links": 1 << 14,
    "Attach Files": 1 << 15,
    "Read Message History": 1 << 16,
}
# Channel types members can run slash commands in and the bot posts to.
TEXT_TYPES: Final = frozenset({0, 2, 5, 13})  # text, voice (its chat), announcement, stage

Json = Mapping[str, Any]


def base_permissions(guild: Json, member: Json, bot_id: int) -> int:
    """Guild-wide permissions of a member: @everyone plus every role, or all when admin/owner."""
    if str(guild.get("owner_id")) == str(bot_id):
        return ALL
    roles = {str(role["id"]): int(role.get("permissions") or 0) for role in guild.get("roles", [])}
    value = roles.get(str(guild["id"]), 0)
    for role_id in member.get("roles", []):
        value |= roles.get(str(role_id), 0)
    return ALL if value & ADMINISTRATOR else value


def channel_permissions(base: int, channel: Json, member: Json, guild_id: int) -> int:
    """Apply a channel's overwrites in Discord's order: @everyone, roles, then the member."""
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites", [])}
    value = _apply(base, overwrites.get(str(guild_id)))
    allow = deny = 0
    for role_id in member.get("roles", []):
        overwrite = overwrites.get(str(role_id))
        if overwrite is not None:
            allow |= int(overwrite.get("allow") or 0)
            deny |= int(overwrite.get("deny") or 0)
    value = (value & ~deny) | allow
    user = member.get("user") or {}
    return _apply(value, overwrites.get(str(user.get("id"))))


def missing(value: int) -> list[str]:
    """The names of the required permissions `value` lacks."""
    if not value & REQUIRED["View Channel"]:
        return list(REQUIRED)  # Discord denies everything else in a channel it cannot see
    return [name for name, bit in REQUIRED.items() if not value & bit]


def text_channels(channels: Sequence[Json]) -> list[Json]:
    """The channels a result can be posted in, in their display order."""
    found = [channel for channel in channels if channel.get("type") in TEXT_TYPES]
    return sorted(found, key=lambda channel: int(channel.get("position") or 0))


def _apply(value: int, overwrite: Json | None) -> int:
    if overwrite is None:
        return value
    return (value & ~int(overwrite.get("deny") or 0)) | int(overwrite.get("allow") or 0)
