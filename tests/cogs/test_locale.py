"""Members get their language: localised command descriptions on Discord, German replies."""

from __future__ import annotations

from bot.jobs.policy import PAUSED
from fakes.discord import OTHER_USER_ID
from tests.cogs.conftest import Harness


async def test_discord_receives_descriptions_in_every_shipped_language(harness: Harness) -> None:
    imagine = harness.discord.command("imagine")
    assert imagine is not None
    localised = imagine["description_localizations"]
    assert localised["de"] == "Erstelle vier Bilder aus einem Prompt"
    assert localised["fr"] == "Crée quatre images à partir d'un prompt"
    assert localised["es-ES"] == localised["es-419"] == "Crea cuatro imágenes a partir de un prompt"
    assert localised["pt-BR"] == "Crie quatro imagens a partir de um prompt"
    assert localised["ja"] == "プロンプトから 4 枚の画像を作成"
    assert localised["zh-CN"] == "根据提示词生成四张图片"
    assert "name_localizations" not in imagine or not imagine["name_localizations"]


async def test_catalog_change_resyncs_commands(harness: Harness) -> None:
    """The stored hash covers the catalogs: changing only a translation syncs again."""
    key = "command_hash:global"
    stored = await harness.store.get_meta(key)
    assert stored is not None
    await harness.store.set_meta(key, stored.split(":")[0] + ":old-catalogs")
    assert await harness.bot.sync_commands() is True


async def test_a_german_member_gets_the_refusal_in_german(harness: Harness) -> None:
    harness.tt.fail_next(
        "/imagine", 400, {"status": "FAILED", "message": "Banned prompt: words", "data": None}
    )
    payload = harness.discord.slash_command("imagine", {"prompt": "a red fox"}, locale="de")
    await harness.run(payload)
    assert harness.private_answer(payload).startswith(
        "Midjourney hat diesen Prompt abgelehnt: Er enthält ein verbotenes Wort. Grund:"
    )


async def test_an_english_member_still_gets_english(harness: Harness) -> None:
    harness.tt.fail_next(
        "/imagine", 400, {"status": "FAILED", "message": "Banned prompt: words", "data": None}
    )
    payload = harness.discord.slash_command("imagine", {"prompt": "a red fox"}, locale="en-GB")
    await harness.run(payload)
    assert harness.private_answer(payload).startswith("Midjourney refused this prompt")


async def test_refusals_of_the_checks_follow_the_member(harness: Harness) -> None:
    await harness.admin("pause")
    german = harness.discord.slash_command("imagine", {"prompt": "a fox"}, locale="de")
    japanese = harness.discord.slash_command("imagine", {"prompt": "a fox"}, locale="ja")
    english = harness.discord.slash_command("imagine", {"prompt": "a fox"}, locale="en-US")
    for payload in (german, japanese, english):
        await harness.run(payload)
    assert harness.private_answer(german) == (
        "mjbot wurde auf diesem Server von den Moderatoren pausiert. "
        "Bitte versuche es später noch einmal."
    )
    assert harness.private_answer(japanese).startswith("このサーバーの mjbot は")
    assert harness.private_answer(english) == PAUSED


async def test_a_limit_with_values_and_retry_time_in_french(harness: Harness) -> None:
    await harness.admin("limits", cooldown=600)
    await harness.result_of(await harness.imagine("a first fox", user_id=OTHER_USER_ID))
    payload = harness.discord.slash_command(
        "imagine", {"prompt": "a second fox"}, locale="fr", user_id=OTHER_USER_ID
    )
    await harness.run(payload)
    text = harness.private_answer(payload)
    assert text.startswith("Attends un peu entre deux tâches (600 s ici). Tu pourras réessayer <t:")


async def test_the_admin_gate_speaks_the_members_language(harness: Harness) -> None:
    payload = harness.discord.slash_command("mj-admin bans", {}, locale="es-419")
    await harness.run(payload)
    assert harness.private_answer(payload) == (
        "Solo los moderadores (Gestionar servidor) pueden usar /mj-admin."
    )
