"""The /settings panel: default mode, prompt suffix, DM copy. Restart-proof like every component.

The select and the buttons are DynamicItems ("mjset:..."), registered in setup_hook. The
suffix modal's submit is handled by `handle_modal` from a listener rather than by a Modal
instance in memory, so a modal opened before a restart still saves after it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Final

import discord

from bot.errors import PromptRejected
from bot.i18n import t
from bot.jobs.lint import LintError, lint
from bot.jobs.models import GuildSettings, UserSettings
from bot.jobs.translate import TRANSLATE_MODES
from bot.ui.context import Services, services
from bot.ui.errors import Answered, report_error
from bot.ui.locale import locale_of

SUFFIX_MODAL: Final = "mjset:suffix-modal"
SUFFIX_INPUT: Final = "mjset:suffix-text"
MAX_SUFFIX: Final = 200
SERVER_DEFAULT: Final = "server-default"


def panel(
    user: UserSettings,
    guild: GuildSettings,
    translation: str | None = None,
    locale: str | None = None,
) -> tuple[str, discord.ui.View]:
    """The panel's text and components; `translation` is None where translation is off."""
    mode = user.default_mode or f"server default ({guild.default_mode or 'bot default'})"
    suffix = f"`{user.prompt_suffix}`" if user.prompt_suffix else "none"
    text = (
        "**Your mjbot settings**\n"
        f"Default mode: {mode}\nPrompt suffix: {suffix}\n"
        f"DM copy of results: {'on' if user.dm_copy else 'off'}"
    )
    view = discord.ui.View(timeout=None)
    view.add_item(ModeSelect.make(user, guild))
    view.add_item(SettingsButton.make("suffix", "Edit prompt suffix", "✏️"))
    dm_label = "Turn DM copies off" if user.dm_copy else "Send me a DM copy of my results"
    view.add_item(SettingsButton.make("dm", dm_label, "📬"))
    if translation is not None:
        label = t(f"settings.translate.{translation}", locale)
        text += "\n" + t("settings.translate_line", locale, mode=label)
        view.add_item(TranslateSelect.make(translation, locale))
    return text, view


class ModeSelect(Answered, discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"mjset:mode"):
    """Choose the default mode among those the server allows."""

    @classmethod
    def make(cls, user: UserSettings, guild: GuildSettings) -> ModeSelect:
        """The select with the server's allowed modes."""
        options = [
            discord.SelectOption(label=mode, value=mode, default=mode == user.default_mode)
            for mode in guild.allowed_modes
        ]
        options.append(
            discord.SelectOption(
                label="Use the server's default",
                value=SERVER_DEFAULT,
                default=not user.default_mode,
            )
        )
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="mjset:mode", placeholder="Default mode", options=options, row=0
        )
        return cls(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ModeSelect:
        """Rebuild from the component (no I/O)."""
        return cls(item)  # type: ignore[arg-type]

    async def answer(self, interaction: discord.Interaction) -> None:
        """Save the chosen mode and redraw the panel."""
        choice = self.item.values[0] if self.item.values else SERVER_DEFAULT
        guild = await _guild(interaction)
        if choice != SERVER_DEFAULT and choice not in guild.allowed_modes:
            raise PromptRejected(f"{choice} mode is not enabled on this server.")
        await _save(interaction, default_mode=None if choice == SERVER_DEFAULT else choice)


class TranslateSelect(
    Answered, discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"mjset:translate"
):
    """Prompt translation: ask first, always, or never."""

    @classmethod
    def make(cls, current: str, locale: str | None) -> TranslateSelect:
        """The select with the member's current choice."""
        options = [
            discord.SelectOption(
                label=t(f"settings.translate.{mode}", locale), value=mode, default=mode == current
            )
            for mode in TRANSLATE_MODES
        ]
        placeholder = t("settings.translate_placeholder", locale)
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="mjset:translate", placeholder=placeholder, options=options, row=2
        )
        return cls(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TranslateSelect:
        """Rebuild from the component (no I/O)."""
        return cls(item)  # type: ignore[arg-type]

    async def answer(self, interaction: discord.Interaction) -> None:
        """Save the choice and redraw the panel."""
        choice = self.item.values[0] if self.item.values else "ask"
        await services(interaction).store.set_translate_mode(interaction.user.id, choice)
        await _save(interaction)


class SettingsButton(
    Answered, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mjset:(?P<what>suffix|dm)"
):
    """✏️ Edit prompt suffix, or 📬 toggle DM copies."""

    @classmethod
    def make(cls, what: str, label: str, emoji: str) -> SettingsButton:
        """One of the panel's buttons."""
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, emoji=emoji, custom_id=f"mjset:{what}", row=1
        )
        return cls(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SettingsButton:
        """Rebuild from the component (no I/O)."""
        return cls(item)  # type: ignore[arg-type]

    async def answer(self, interaction: discord.Interaction) -> None:
        """Open the suffix modal, or flip DM copies."""
        if self.item.custom_id == "mjset:suffix":
            current = await services(interaction).store.user_settings(interaction.user.id)
            await interaction.response.send_modal(SuffixModal(current.prompt_suffix))
        else:
            current = await services(interaction).store.user_settings(interaction.user.id)
            await _save(interaction, dm_copy=not current.dm_copy, dm_blocked=False)


class SuffixModal(discord.ui.Modal, title="Prompt suffix"):
    """The text box; its submit is handled by `handle_modal` (see the module docstring)."""

    def __init__(self, current: str) -> None:
        super().__init__(custom_id=SUFFIX_MODAL, timeout=None)
        self.add_item(
            discord.ui.TextInput(
                label="Appended to every prompt (empty = none)",
                placeholder="--v 6.1 --ar 3:2",
                default=current,
                required=False,
                max_length=MAX_SUFFIX,
                custom_id=SUFFIX_INPUT,
            )
        )


async def handle_modal(interaction: discord.Interaction) -> bool:
    """Save a submitted suffix; False when the interaction is not our modal."""
    data: Any = interaction.data or {}
    if interaction.type is not discord.InteractionType.modal_submit:
        return False
    if data.get("custom_id") != SUFFIX_MODAL:
        return False
    try:
        suffix = " ".join(_text_value(data.get("components", []), SUFFIX_INPUT).split())
        if suffix:
            try:
                lint(f"prompt {suffix}")
            except LintError as error:
                raise PromptRejected(f"That suffix would be refused: {error}") from None
        await _save(interaction, prompt_suffix=suffix[:MAX_SUFFIX])
    except Exception as error:
        await report_error(interaction, error)
    return True


def _text_value(components: list[Any], custom_id: str) -> str:
    for row in components:
        for component in row.get("components", [row]):
            if component.get("custom_id") == custom_id:
                return str(component.get("value") or "")
        if "component" in row and row["component"].get("custom_id") == custom_id:  # labels
            return str(row["component"].get("value") or "")
    return ""


async def translation_mode(bot: Services, user_id: int, guild_id: int | None) -> str | None:
    """The member's translation mode, or None when translation is unavailable here."""
    if not bot.settings.translate_url:
        return None
    if guild_id is not None and await bot.store.translation_disabled(guild_id):
        return None
    return await bot.store.translate_mode(user_id)


async def _guild(interaction: discord.Interaction) -> GuildSettings:
    store = services(interaction).store
    return await store.guild_settings(interaction.guild_id or 0)


async def panel_for(
    interaction: discord.Interaction, user: UserSettings
) -> tuple[str, discord.ui.View]:
    """The panel as this member sees it here, translation choice included when available."""
    bot = services(interaction)
    mode = await translation_mode(bot, interaction.user.id, interaction.guild_id)
    return panel(user, await _guild(interaction), mode, locale_of(interaction))


async def _save(interaction: discord.Interaction, **changes: Any) -> None:
    store = services(interaction).store
    updated = replace(await store.user_settings(interaction.user.id), **changes)
    await store.save_user_settings(updated)
    text, view = await panel_for(interaction, updated)
    if interaction.type is discord.InteractionType.component:
        await interaction.response.edit_message(content=text, view=view)
    else:
        await interaction.response.send_message(text, view=view, ephemeral=True)
