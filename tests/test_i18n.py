"""The catalog: complete in every language, same placeholders, fallbacks, Discord localisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from discord import app_commands

from bot import i18n
from bot.app import MjBot
from bot.i18n import LOCALES, catalog, language_name, pick, placeholders, t
from bot.ui.locale import CatalogTranslator, description_key
from tests.conftest import BotFactory

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = catalog("en")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_has_every_key_and_no_other(locale: str) -> None:
    assert set(catalog(locale)) == set(ENGLISH)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_english(locale: str) -> None:
    wrong = {
        key: (placeholders(text), placeholders(ENGLISH[key]))
        for key, text in catalog(locale).items()
        if placeholders(text) != placeholders(ENGLISH[key])
    }
    assert wrong == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_files_are_valid_json_with_text_values(locale: str) -> None:
    data = json.loads((ROOT / "bot" / "locales" / f"{locale}.json").read_text(encoding="utf-8"))
    assert all(isinstance(value, str) and value.strip() for value in data.values())


def test_german_is_german_and_values_are_filled_in() -> None:
    assert t("errors.cooldown", "de", seconds=5) == "Langsam: Versuche es in 5 s noch einmal."
    assert t("translate.cancel", "ja") == "キャンセル"


def test_missing_key_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    german = {key: text for key, text in catalog("de").items() if key != "translate.cancel"}
    real = i18n.catalog
    monkeypatch.setattr(i18n, "catalog", lambda code: german if code == "de" else real(code))
    assert t("translate.cancel", "de") == "Cancel"
    assert t("translate.use", "de") == "Übersetzung verwenden"


def test_broken_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = dict(catalog("fr"), **{"errors.cooldown": "Doucement : {secondes} s."})
    real = i18n.catalog
    monkeypatch.setattr(i18n, "catalog", lambda code: broken if code == "fr" else real(code))
    assert t("errors.cooldown", "fr", seconds=3) == "Slow down: try again in 3 s."


def test_unknown_key_shows_the_key_rather_than_failing() -> None:
    assert t("no.such.key", "de") == "no.such.key"


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("de",), "de"),
        (("en-GB",), "en"),
        (("es-419",), "es"),
        (("es-ES",), "es"),
        (("pt-BR",), "pt-BR"),
        (("zh-CN",), "zh-CN"),
        (("zh-TW", "fr"), "fr"),  # no Traditional Chinese catalog: the server's language next
        (("ko", None), "en"),
        ((None, None), "en"),
    ],
)
def test_member_then_server_then_english(candidates: tuple[str | None, ...], expected: str) -> None:
    assert pick(*candidates) == expected


def test_language_names_in_the_readers_language() -> None:
    assert language_name("ja", "de") == "Japanisch"
    assert language_name("de", "fr") == "allemand"
    assert language_name("xx-unknown", "en") == "xx-unknown"


# -- command descriptions ------------------------------------------------------------------


def descriptions(bot: MjBot) -> dict[str, str]:
    """Every command, group and option description in the tree, by catalog key."""
    found = {}
    for command in bot.tree.walk_commands():
        found[f"command.{command.qualified_name}"] = command.description
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                key = f"option.{command.qualified_name}.{parameter.name}"
                found[key] = parameter.description
    return found


async def test_every_description_is_in_the_catalog_as_written(make_bot: BotFactory) -> None:
    bot = await make_bot()
    found = descriptions(bot)
    assert {key: ENGLISH.get(key) for key in found} == found
    stale = {key for key in ENGLISH if key.startswith(("command.", "option."))} - set(found)
    assert stale == set()


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
async def test_translated_descriptions_fit_discord(make_bot: BotFactory, locale: str) -> None:
    bot = await make_bot()
    for key in descriptions(bot):
        assert 1 <= len(catalog(locale)[key]) <= 100, key


async def test_translator_gives_discord_german_descriptions(make_bot: BotFactory) -> None:
    bot = await make_bot()
    imagine = bot.tree.get_command("imagine")
    assert isinstance(imagine, app_commands.Command)
    payload = await imagine.get_translated_payload(bot.tree, CatalogTranslator())
    assert payload["name"] == "imagine"
    assert payload["description_localizations"]["de"] == "Erstelle vier Bilder aus einem Prompt"
    assert payload["description_localizations"]["ja"] == "プロンプトから 4 枚の画像を作成"
    assert "name_localizations" not in payload or payload["name_localizations"] == {}
    prompt = next(option for option in payload["options"] if option["name"] == "prompt")
    assert prompt["description_localizations"]["pt-BR"].startswith("O que imaginar")
    assert (
        prompt["description_localizations"]["es-ES"]
        == prompt["description_localizations"]["es-419"]
    )


def test_names_are_never_translated() -> None:
    context = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, None
    )
    assert description_key(context) is None
