"""Prompts in any language, through discord.py: ask, always, never, failures, the switches."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.jobs.models import Job
from bot.ui import translate_flow
from fakes.discord import CHANNEL_ID, USER_ID, StoredMessage
from fakes.libretranslate import FakeLibreTranslate
from tests.cogs.conftest import Harness, Payload

JAPANESE = "猫が月の上で眠っている --ar 16:9 --no 犬"
ENGLISH = "A cat sleeping on the moon --ar 16:9 --no 犬"


@pytest.fixture
async def lt() -> AsyncIterator[FakeLibreTranslate]:
    """A local LibreTranslate that wants an API key."""
    async with FakeLibreTranslate(api_key="lt-key") as fake:
        yield fake


@pytest.fixture
async def bot(harness: Harness, lt: FakeLibreTranslate) -> Harness:
    """The harness restarted with translation configured."""
    await harness.restart(TRANSLATE_URL=lt.base_url, TRANSLATE_API_KEY="lt-key")
    return harness


async def imagine(bot: Harness, prompt: str, locale: str = "en-US") -> Payload:
    payload = bot.discord.slash_command("imagine", {"prompt": prompt}, locale=locale)
    return await bot.run(payload)


async def channel_result(bot: Harness) -> tuple[StoredMessage, Job]:
    """The result posted for a job started from the choice (its progress a channel message)."""

    async def posted() -> tuple[StoredMessage, Job] | None:
        for message in bot.discord.posts(CHANNEL_ID):
            job = await bot.store.job_for_message(message.id)
            if job is not None and job.finished:
                return message, job
        return None

    return await bot.until(posted)


def question(bot: Harness, payload: Payload) -> StoredMessage:
    message = bot.discord.original(payload["id"])
    assert message is not None
    assert message.ephemeral
    return message


async def test_japanese_prompt_is_shown_translated_before_anything_is_spent(
    bot: Harness, lt: FakeLibreTranslate
) -> None:
    payload = await imagine(bot, JAPANESE)

    asked = question(bot, payload)
    assert f"> {ENGLISH}" in asked.content
    assert "**Japanese**" in asked.content
    assert [label for row in asked.rows() for label, _ in row] == [
        "Use translation",
        "Send as typed",
        "Cancel",
    ]
    assert bot.tt_bodies("imagine") == []  # nothing spent while the member decides
    assert lt.calls_to("translate")[0]["q"] == "猫が月の上で眠っている"  # parameters never sent

    await bot.click(asked, "Use translation")
    posted, job = await channel_result(bot)
    assert job.prompt == ENGLISH
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [ENGLISH]
    assert "Sent in English." in bot.discord.message(asked.id).content
    assert posted.channel_id == CHANNEL_ID


async def test_send_as_typed_keeps_the_original(bot: Harness) -> None:
    asked = question(bot, await imagine(bot, JAPANESE))
    await bot.click(asked, "Send as typed")
    await channel_result(bot)
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [JAPANESE]


async def test_cancel_sends_nothing(bot: Harness) -> None:
    asked = question(bot, await imagine(bot, JAPANESE))
    await bot.click(asked, "Cancel")
    assert bot.discord.message(asked.id).content == "Cancelled: nothing was sent."
    assert bot.discord.message(asked.id).components == []
    assert bot.tt_bodies("imagine") == []
    assert await bot.store.count_jobs(since=0) == 0


async def test_always_translates_without_asking(bot: Harness) -> None:
    await bot.store.set_translate_mode(USER_ID, "always")
    payload = await imagine(bot, JAPANESE)
    _, job = await channel_result(bot)
    assert job.prompt == ENGLISH
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [ENGLISH]
    note = question(bot, payload)  # the private answer says what was sent
    assert "Translated from Japanese" in note.content
    assert f"> {ENGLISH}" in note.content


async def test_never_and_server_off_skip_the_service(bot: Harness, lt: FakeLibreTranslate) -> None:
    await bot.store.set_translate_mode(USER_ID, "never")
    await bot.result_of(await imagine(bot, JAPANESE))
    await bot.store.set_translate_mode(USER_ID, "ask")
    await bot.admin("translation", enabled=False)
    await bot.result_of(await imagine(bot, JAPANESE))
    assert lt.calls == []
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [JAPANESE, JAPANESE]


async def test_english_prompt_goes_straight_through(bot: Harness, lt: FakeLibreTranslate) -> None:
    payload = await imagine(bot, "a red fox in the snow --ar 2:3")
    await bot.result_of(payload)
    assert lt.calls_to("detect") == [{"q": "a red fox in the snow", "api_key": "lt-key"}]
    assert lt.calls_to("translate") == []
    assert bot.discord.followups(payload["id"]) == []


@pytest.mark.parametrize("status", [500, 403, 429])
async def test_a_failing_service_never_blocks_the_job(
    bot: Harness, lt: FakeLibreTranslate, status: int
) -> None:
    lt.fail_with = status
    payload = await imagine(bot, JAPANESE)
    await channel_result(bot)
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [JAPANESE]
    note = question(bot, payload)
    assert "could not be translated" in note.content
    assert "sent as you typed it" in note.content


async def test_a_slow_service_is_a_failure_too(
    bot: Harness, lt: FakeLibreTranslate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(translate_flow, "QUICK_DETECT", 0.2)
    monkeypatch.setattr(translate_flow, "BUDGET", 1.0)
    lt.latency = 1.5  # past both budgets
    payload = await imagine(bot, JAPANESE)
    await channel_result(bot)
    assert [body["prompt"] for body in bot.tt_bodies("imagine")] == [JAPANESE]
    assert "took too long" in question(bot, payload).content


async def test_a_slow_detection_still_gets_its_translation(
    bot: Harness, lt: FakeLibreTranslate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too slow to answer Discord in time, so acknowledged privately, then asked as usual."""
    monkeypatch.setattr(translate_flow, "QUICK_DETECT", 0.2)
    lt.latency = 0.5
    payload = await imagine(bot, JAPANESE)
    asked = await bot.until(lambda: question(bot, payload).components and question(bot, payload))
    assert f"> {ENGLISH}" in asked.content
    assert bot.tt_bodies("imagine") == []
    await bot.click(asked, "Use translation")
    _, job = await channel_result(bot)
    assert job.prompt == ENGLISH


async def test_a_translation_with_a_banned_word_is_refused_before_sending(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The English version is checked again: it may hold a word the original did not."""
    await bot.admin("words add", word="moon")
    await bot.store.set_translate_mode(USER_ID, "always")
    payload = await imagine(bot, JAPANESE)
    # Already acknowledged privately: the refusal is the ephemeral followup (report_error).
    [refusal] = await bot.until(lambda: bot.discord.followups(payload["id"]))
    assert refusal.ephemeral
    assert "banned word “moon”" in refusal.content
    assert bot.tt_bodies("imagine") == []
    assert await bot.store.count_jobs(since=0) == 0


async def test_a_refused_prompt_is_refused_before_any_translation(
    bot: Harness, lt: FakeLibreTranslate
) -> None:
    await bot.admin("pause")
    payload = await imagine(bot, JAPANESE)
    assert "paused" in bot.private_answer(payload)
    assert lt.calls == []


async def test_a_german_member_is_asked_in_german(bot: Harness) -> None:
    asked = question(bot, await imagine(bot, JAPANESE, locale="de"))
    assert "Dein Prompt sieht nach **Japanisch** aus" in asked.content
    assert [label for row in asked.rows() for label, _ in row] == [
        "Übersetzung verwenden",
        "Wie eingegeben senden",
        "Abbrechen",
    ]


async def test_server_switch_needs_a_translation_service(harness: Harness) -> None:
    text = harness.private_answer(await harness.admin("translation", enabled=True))
    assert "TRANSLATE_URL" in text
