"""The one error path for every interaction: slash commands, buttons and modals.

discord.py only logs exceptions raised in a DynamicItem callback (discord/ui/view.py), and a
command error unanswered within 3 s shows "This interaction failed". Both end up here.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import JobRejected, LimitReached, NotAllowed, UserFacingError
from bot.i18n import DEFAULT, t
from bot.jobs.policy import SERVER_ONLY
from bot.jobs.service import InvalidAction
from bot.provider.errors import ErrorKind
from bot.ui.actions import human_name
from bot.ui.context import services
from bot.ui.locale import locale_of

log = logging.getLogger(__name__)


def user_text(error: BaseException, locale: str = DEFAULT) -> str:
    """What the member reads; unexpected errors are logged with a reference they can quote."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, InvalidAction) and error.action:
        return f"{human_name(error.action)} is not available on that job."
    if isinstance(error, LimitReached) and error.retry_at:
        text = _text(error, locale)
        return t("errors.retry_at", locale, text=text, when=f"<t:{int(error.retry_at)}:R>")
    if isinstance(error, UserFacingError):
        return _text(error, locale)
    if isinstance(error, app_commands.CommandOnCooldown):  # a CheckFailure: test it first
        return t("errors.cooldown", locale, seconds=f"{error.retry_after:.0f}")
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    reference = secrets.token_hex(4)
    log.error("unexpected error [ref %s]", reference, exc_info=error)
    return t("errors.generic", locale, reference=reference)


def _text(error: UserFacingError, locale: str) -> str:
    """The error in the member's language when it has a catalog key, else as raised."""
    if isinstance(error, JobRejected):
        return _rejected(error, locale)
    return t(error.key, locale, **error.values) if error.key else error.text


def _rejected(error: JobRejected, locale: str) -> str:
    text = t(f"provider.{error.kind.value}", locale)
    if error.kind in (ErrorKind.BANNED_PROMPT, ErrorKind.INVALID_REQUEST, ErrorKind.NOT_FOUND):
        return t("provider.reason", locale, text=text, reason=error.reason)
    return text


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the member ephemerally with the reason, whatever state the interaction is in."""
    text = user_text(error, locale_of(interaction))
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error: %s", interaction.user.id, text)


class Answered:
    """The base of every DynamicItem: its callback runs `answer`, and every error takes the one
    error path, ephemerally. discord.py only logs what a DynamicItem callback raises, so
    without this a member would see "This interaction failed" and nothing else."""

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run `answer`; report any error to the member."""
        try:
            await self.answer(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def answer(self, interaction: discord.Interaction) -> None:
        """What the item does when used."""
        raise NotImplementedError


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
