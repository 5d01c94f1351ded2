"""Whether the bot can post a result where a member asks for one, checked before any spend.

A job that succeeds in a channel the bot cannot post in is a paid result nobody sees, so the
interaction's `app_permissions` (the bot's resolved permissions in that channel, overwrites
included) are checked first, and the member is told what is missing.
"""

from __future__ import annotations

from typing import Final

import discord

from bot.errors import NotAllowed

# (permission attribute, the name Discord's settings show)
_NEEDED: Final = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("attach_files", "Attach Files"),
)
_IN_THREAD: Final = ("send_messages_in_threads", "Send Messages in Threads")
_THREADS: Final = frozenset(
    {
        discord.ChannelType.public_thread,
        discord.ChannelType.private_thread,
        discord.ChannelType.news_thread,
    }
)


class CannotPost(NotAllowed):
    """The bot lacks a permission it needs to post the result here; nothing was spent."""


def missing_permissions(interaction: discord.Interaction) -> list[str]:
    """The names of the permissions the bot lacks to post a result in this channel."""
    granted = interaction.app_permissions
    needed = list(_NEEDED)
    if getattr(interaction.channel, "type", None) in _THREADS:
        needed[1] = _IN_THREAD  # in a thread, Send Messages in Threads is what counts
    return [name for attribute, name in needed if not getattr(granted, attribute)]


def ensure_can_post(interaction: discord.Interaction) -> None:
    """Raise CannotPost, naming what is missing, unless the bot can post a result here."""
    missing = missing_permissions(interaction)
    if missing:
        raise CannotPost(
            f"I can't post here: missing {', '.join(missing)}. Ask a server admin to give me "
            "these permissions in this channel, or use another channel. Nothing was charged."
        )
