"""Which language to answer in, and Discord-side localisation of command descriptions."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n import DEFAULT, catalog, pick, supported

_DESCRIPTIONS = {
    app_commands.TranslationContextLocation.command_description: "command",
    app_commands.TranslationContextLocation.group_description: "command",
    app_commands.TranslationContextLocation.parameter_description: "option",
}


def locale_of(interaction: discord.Interaction) -> str:
    """The member's language, else the server's, else English (replies to one member)."""
    guild = interaction.guild_locale.value if interaction.guild_locale else None
    return pick(interaction.locale.value, guild)


def guild_locale_of(interaction: discord.Interaction) -> str:
    """The server's language (public messages everyone in the channel reads)."""
    return pick(interaction.guild_locale.value if interaction.guild_locale else None)


def description_key(context: app_commands.TranslationContextTypes) -> str | None:
    """The catalog key of a command, group or option description; None for anything else."""
    kind = _DESCRIPTIONS.get(context.location)
    data: Any = context.data
    if kind == "command":
        return f"command.{data.qualified_name}"
    if kind == "option":
        return f"option.{data.command.qualified_name}.{data.name}"
    return None


class CatalogTranslator(app_commands.Translator):
    """Gives Discord each description in every shipped language (names stay English)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The description in `locale`, or None to let Discord show the English one."""
        key = description_key(context)
        code = supported(locale.value)
        if key is None or code is None or code == DEFAULT:
            return None
        text = catalog(code).get(key)
        return text[:100] if text else None  # Discord's limit for descriptions
