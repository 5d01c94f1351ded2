"""The one error path for every interaction: slash commands, buttons and modals.

discord.py only logs exceptions raised in a DynamicItem callback (discord/ui/view.py), and a
command error unanswered within 3 s shows "This interaction failed". Both end up here.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import LimitReached, NotAllowed, UserFacingError
from bot.jobs.policy import SERVER_ONLY
from bot.jobs.service import InvalidAction
from bot.ui.actions import human_name
from bot.ui.context import services

log = logging.getLogger(__name__)


def user_text(error: BaseException) -> str:
    """What the member reads; unexpected errors are logged with a reference they can quote."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, InvalidAction) and error.action:
        return f"{human_name(error.action)} is not available on that job."
    if isinstance(error, LimitReached) and error.retry_at:
        return f"{error.text} You can try again <t:{int(error.retry_at)}:R>."
    if isinstance(error, UserFacingError):
        return error.text
    if isinstance(error, app_commands.CommandOnCooldown):  # a CheckFailure: test it first
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    reference = secrets.token_hex(4)
    log.error("unexpected error [ref %s]", reference, exc_info=error)
    return f"Something went wrong on our side (reference `{reference}`). Please try again later."


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the member ephemerally with the reason, whatever state the interaction is in."""
    text = user_text(error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error: %s", interaction.user.id, text)


class Tree(app_commands.CommandTree):
    """The command tree whose errors take the one error path."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await report_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Servers only: Discord hides the commands elsewhere, and this enforces it."""
        refusal = None
        allowed_ids = services(interaction).settings.allowed_guild_ids
        if interaction.guild_id is None:
            refusal = SERVER_ONLY
        elif allowed_ids and interaction.guild_id not in allowed_ids:
            refusal = "mjbot is not enabled on this server."  # leaving it failed, or is under way
        if refusal is not None:
            await report_error(interaction, NotAllowed(refusal))
            return False
        return True
