"""Prompts in any language: detect, show the English version, let the member choose.

Runs before anything is spent: the local checks first (a refusal needs no translation), then
LibreTranslate within a budget that keeps the first answer inside Discord's 3 seconds. The
choice is an ephemeral message; the chosen prompt starts like a button's job, its progress a
new channel message. A failing or slow service never blocks a job: it goes as typed, with a
note. The choice view lives in memory: after a restart the member simply runs /imagine again.
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
from bot.jobs.models import Job, NewJob, Requester
from bot.jobs.translate import TranslateError, Translation, Translator
from bot.ui.context import Services, services
from bot.ui.errors import report_error
from bot.ui.launch import launch, launch_in_channel
from bot.ui.locale import locale_of
from bot.ui.settings_panel import translation_mode

log = logging.getLogger(__name__)

BUDGET: Final = 2.0  # seconds for detect + translate: Discord drops an answer after 3
CHOICE_TIMEOUT: Final = 300.0
Start = Callable[[str], Callable[[Requester], Awaitable[Job]]]


async def imagine_in_any_language(
    interaction: discord.Interaction, new: NewJob, start: Start
) -> None:
    """Launch `new`, translated first when the member's prompt is not English."""
    bot = services(interaction)
    mode = await translation_mode(bot, interaction.user.id, interaction.guild_id)
    if mode in (None, "never"):
        await launch(interaction, new, start(new.prompt))
        return
    await bot.service.check(new)  # a refusal is answered at once, before any translation call
    locale = locale_of(interaction)
    try:
        translation = await asyncio.wait_for(_translator(bot).to_english(new.prompt), BUDGET)
    except (TranslateError, TimeoutError) as error:
        reason = str(error) or t("translate.slow", locale)
        await launch(interaction, new, start(new.prompt))
        await interaction.followup.send(
            t("translate.failed", locale, reason=reason), ephemeral=True
        )
        return
    if translation is None:
        await launch(interaction, new, start(new.prompt))
    elif mode == "always":
        await launch(
            interaction, replace(new, prompt=translation.translated), start(translation.translated)
        )
        await interaction.followup.send(
            _shown(translation, locale, "translate.auto"), ephemeral=True
        )
    else:
        view = TranslationChoice(interaction, new, start, translation, locale)
        await interaction.response.send_message(
            _shown(translation, locale, "translate.ask"), view=view, ephemeral=True
        )


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
            await interaction.response.edit_message(
                content=t("translate.cancelled", self.locale), view=None
            )
            return
        prompt = self.translation.translated if what == "use" else self.translation.original
        done = "translate.sent_translation" if what == "use" else "translate.sent_as_typed"
        await interaction.response.edit_message(content=t(done, self.locale), view=None)
        await launch_in_channel(interaction, replace(self.new, prompt=prompt), self.start(prompt))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Only the member who typed the prompt chooses (the message is theirs alone anyway)."""
        return interaction.user.id == self.origin.user.id

    async def on_timeout(self) -> None:
        """Nothing was chosen: nothing is sent, and the message says so."""
        if not self.chosen:
            with contextlib.suppress(discord.HTTPException):
                await self.origin.edit_original_response(
                    content=t("translate.expired", self.locale), view=None
                )
