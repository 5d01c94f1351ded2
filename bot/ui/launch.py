"""Starting a job from an interaction, the same way for commands and buttons.

Every check runs before anything is shown in the channel or spent, and a refusal is
answered ephemerally. /imagine defers first (`acknowledge`: a burst of hundreds must each be
acknowledged within Discord's 3 s, and the checks read the database), so its refusal removes
the "thinking" line before the private answer; buttons are checked first and answered at
once. Then the progress line is shown and the job submitted. The progress message is the
interaction's own response; after the 15-minute token lifetime it is still edited through
the channel endpoint with the bot token.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import discord

from bot.jobs.models import Job, NewJob, Requester
from bot.ui.context import is_moderator, services
from bot.ui.embeds import preview_text

Submit = Callable[[Requester], Awaitable[Job]]

NO_PINGS = discord.AllowedMentions.none()


def requester_of(interaction: discord.Interaction, message_id: int | None = None) -> Requester:
    """Who is asking, where, with the roles and rights the checks need."""
    user = interaction.user
    return Requester(
        user.id,
        interaction.guild_id,
        interaction.channel_id,
        message_id,
        role_ids=frozenset(role.id for role in getattr(user, "roles", ())),
        is_admin=is_moderator(interaction),
    )


async def acknowledge(interaction: discord.Interaction) -> None:
    """Defer before any check or database read: a burst of hundreds of commands must each
    be acknowledged within Discord's 3 s, whatever queues up behind them."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)


@contextlib.asynccontextmanager
async def withdrawn_on_error(interaction: discord.Interaction) -> AsyncIterator[None]:
    """A refusal after the defer removes the public "thinking" line before the reason is
    sent (ephemerally, by report_error): nothing stays in the channel."""
    try:
        yield
    except BaseException:
        # Not yet deferred: report_error answers the interaction itself, privately.
        if interaction.response.is_done() and not interaction.extras.get("withdrawn"):
            interaction.extras["withdrawn"] = True
            # Best effort: on shutdown the HTTP session may already be gone.
            with contextlib.suppress(discord.HTTPException, RuntimeError):
                await interaction.delete_original_response()
        raise


async def launch(interaction: discord.Interaction, new: NewJob, submit: Submit) -> Job:
    """Check, defer (unless done already), show the preview, submit; a refusal removes it."""
    async with withdrawn_on_error(interaction):
        await services(interaction).service.check(new)
        await acknowledge(interaction)
        message = await interaction.edit_original_response(
            content=preview_text(new), allowed_mentions=NO_PINGS
        )
        await _dm_hint(interaction)
        return await submit(replace(new.requester, progress_message_id=message.id))


async def launch_in_channel(interaction: discord.Interaction, new: NewJob, submit: Submit) -> Job:
    """Start one more job from an interaction already answered: its preview is a new message."""
    await services(interaction).service.check(new)
    channel = interaction.channel
    if channel is None or not isinstance(channel, discord.abc.Messageable):
        raise RuntimeError("no channel to show the progress in")
    message = await channel.send(preview_text(new), allowed_mentions=NO_PINGS)
    try:
        return await submit(replace(new.requester, progress_message_id=message.id))
    except BaseException:
        with contextlib.suppress(discord.HTTPException):
            await message.delete()
        raise


DM_HINT = (
    "I couldn't send you a DM copy of your last result: your DMs from this server are closed, "
    "so DM copies are now off. Open your DMs, then turn them back on in /settings."
)


async def _dm_hint(interaction: discord.Interaction) -> None:
    """Tell a member once that their DM copy bounced (see cogs/publisher.py)."""
    store = services(interaction).store
    settings = await store.user_settings(interaction.user.id)
    if settings.dm_blocked:
        await store.save_user_settings(replace(settings, dm_blocked=False))
        await interaction.followup.send(DM_HINT, ephemeral=True)
