"""Prompts in any language: detect, show the English version, let the member choose.

Runs before anything is spent: the local checks first (a refusal needs no translation call),
then a quick detection. An English prompt starts as usual, its progress the interaction's own
answer. Any other is acknowledged privately first (Discord drops an interaction not answered
within 3 s, and translating can take longer), so the member's choice stays between them and
the bot; the chosen prompt is checked again (a translation can contain a banned word) and
starts like a button's job, its progress a new channel message. A failing or slow service
never blocks a job: it goes as typed, with a note. The choice view lives in memory: after a
restart the member simply runs /imagine again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any, Final

import discord

from bot.i18n import language_name, t
from bot.jobs.gate import Ticket
from bot.jobs.models import Job, NewJob, Requester
from bot.jobs.translate import TranslateError, Translation, Translator
from bot.ui.context import Services, services
from bot.ui.errors import report_error
from bot.ui.launch import launch, launch_in_channel
from bot.ui.locale import locale_of
from bot.ui.settings_panel import translation_mode

log = logging.getLogger(__name__)

QUICK_DETECT: Final = 1.0  # leaves launch its 1.5 s within Discord's 3 s for English prompts
BUDGET: Final = 10.0  # once acknowledged, the member waits for a translation this long at most
CHOICE_TIMEOUT: Final = 300.0
Start = Callable[[str], Callable[[Requester, Ticket], Awaitable[Job]]]


async def imagine_in_any_language(
    interaction: discord.Interaction, new: NewJob, start: Start
) -> None:
    """Launch `new`, translated first when the member's prompt is not English."""
    bot = services(interaction)
    mode = await translation_mode(bot, interaction.user.id, interaction.guild_id)
    if mode in (None, "never"):
        await launch(interaction, new, start(new.prompt))
        return
    bot.service.release(await bot.service.reserve(new))  # refusals first, before any call
    translator = _translator(bot)
    try:
        source = await asyncio.wait_for(translator.language_of(new.prompt), QUICK_DETECT)
    except (TranslateError, TimeoutError):
        source = ""  # unknown yet: decide once acknowledged, with time to spare
    if source is None:
        await launch(interaction, new, start(new.prompt))
        return
    if not interaction.response.is_done():  # a burst may have acknowledged it already
        await interaction.response.defer(ephemeral=True, thinking=True)
    await _translated(interaction, new, start, translator, source=source or None, mode=mode)


async def _translated(
    interaction: discord.Interaction,
    new: NewJob,
    start: Start,
    translator: Translator,
    *,
    source: str | None,
    mode: str,
) -> None:
    locale = locale_of(interaction)
    try:
        translation = await asyncio.wait_for(translator.to_english(new.prompt, source), BUDGET)
    except (TranslateError, TimeoutError) as error:
        reason = str(error) or t("translate.slow", locale)
        note = t("translate.failed", locale, reason=reason)
        await start_in_channel(interaction, new, start, new.prompt, note)
        return
    if translation is None:
        await start_in_channel(interaction, new, start, new.prompt, None)
    elif mode == "always":
        note = _shown(translation, locale, "translate.auto")
        await start_in_channel(interaction, new, start, translation.translated, note)
    else:
        view = TranslationChoice(interaction, new, start, translation, locale)
        await interaction.edit_original_response(
            content=_shown(translation, locale, "translate.ask"), view=view
        )


async def start_in_channel(
    interaction: discord.Interaction, new: NewJob, start: Start, prompt: str, note: str | None
) -> Job:
    """Check the final prompt, then start it with its progress as a new channel message."""
    final = replace(new, prompt=prompt)
    service = services(interaction).service
    ticket = await service.reserve(final)  # a translation can hold a banned word: check again
    try:
        if note is not None:
            await interaction.edit_original_response(content=note, view=None)
        elif interaction.type is discord.InteractionType.application_command:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()  # the private "thinking…"
        return await launch_in_channel(interaction, final, start(prompt), ticket)
    finally:
        service.release(ticket)


def _translator(bot: Services) -> Translator:
    key = bot.settings.translate_api_key
    return Translator(
        bot.http_session, bot.settings.translate_url or "", key.get() if key else None
    )


def _shown(translation: Translation, locale: str, key: str) -> str:
    language = language_name(translation.source, locale)
    return t(key, locale, language=language, translated=translation.translated[:1500])


class TranslationChoice(discord.ui.View):
    """Use translation · Send as typed · Cancel, for the member who typed the prompt."""

    def __init__(
        self,
        origin: discord.Interaction,
        new: NewJob,
        start: Start,
        translation: Translation,
        locale: str,
    ) -> None:
        super().__init__(timeout=CHOICE_TIMEOUT)
        self.origin = origin
        self.new = new
        self.start = start
        self.translation = translation
        self.locale = locale
        self.chosen = False
        labels = (("use", discord.ButtonStyle.primary), ("as_typed", discord.ButtonStyle.secondary))
        for what, style in (*labels, ("cancel", discord.ButtonStyle.danger)):
            button: discord.ui.Button[Any] = discord.ui.Button(
                label=t(f"translate.{what}", locale), style=style, custom_id=f"mjtr:{what}"
            )
            button.callback = self._callback(what)  # type: ignore[method-assign,assignment]
            self.add_item(button)

    def _callback(self, what: str) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def pressed(interaction: discord.Interaction) -> None:
            # discord.py only logs a view callback's exception: answer the member here.
            try:
                await self._choose(interaction, what)
            except Exception as error:
                await report_error(interaction, error)

        return pressed

    async def _choose(self, interaction: discord.Interaction, what: str) -> None:
        if self.chosen:
            return
        self.chosen = True
        self.stop()
        if what == "cancel":
            text = t("translate.cancelled", self.locale)
            await interaction.response.edit_message(content=text, view=None)
            return
        prompt = self.translation.translated if what == "use" else self.translation.original
        done = "translate.sent_translation" if what == "use" else "translate.sent_as_typed"
        await interaction.response.edit_message(content=t(done, self.locale), view=None)
        await start_in_channel(interaction, self.new, self.start, prompt, None)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the member who typed the prompt chooses (the message is theirs alone anyway)."""
        return interaction.user.id == self.origin.user.id

    async def on_timeout(self) -> None:
        """Nothing was chosen: nothing is sent, and the message says so."""
        if not self.chosen:
            with contextlib.suppress(discord.HTTPException):
                await self.origin.edit_original_response(
                    content=t("translate.expired", self.locale), view=None
                )
