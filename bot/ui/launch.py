"""Starting a job from an interaction, the same way for commands and buttons.

Defer first (Discord drops an interaction not answered within 3 s), show the progress line,
then submit. The progress message is the interaction's own response; after the 15-minute
token lifetime it is still edited through the channel endpoint with the bot token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import discord

from bot.jobs.models import Job, Requester

Submit = Callable[[Requester], Awaitable[Job]]

NO_PINGS = discord.AllowedMentions.none()


def requester_of(interaction: discord.Interaction, message_id: int | None = None) -> Requester:
    """Who is asking and where."""
    return Requester(interaction.user.id, interaction.guild_id, interaction.channel_id, message_id)


async def launch(interaction: discord.Interaction, preview: str, submit: Submit) -> Job:
    """Defer, show `preview` in the channel, then submit; a refusal removes the preview."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)
    message = await interaction.edit_original_response(content=preview, allowed_mentions=NO_PINGS)
    try:
        return await submit(requester_of(interaction, message.id))
    except BaseException:
        # The reason goes to the member alone (report_error); nothing stays in the channel.
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
        raise


async def launch_in_channel(interaction: discord.Interaction, preview: str, submit: Submit) -> Job:
    """Start one more job from an interaction already answered: its preview is a new message."""
    channel = interaction.channel
    if channel is None or not hasattr(channel, "send"):
        raise RuntimeError("no channel to show the progress in")
    message = await channel.send(preview, allowed_mentions=NO_PINGS)
    try:
        return await submit(requester_of(interaction, message.id))
    except BaseException:
        with contextlib.suppress(discord.HTTPException):
            await message.delete()
        raise
