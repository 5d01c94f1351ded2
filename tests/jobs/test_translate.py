"""Prompts in any language: the split into words and protected parts, and the client."""

from __future__ import annotations

import re

import aiohttp
import pytest

from bot.jobs.prompt_parts import Part, join, replace_words, split, words
from bot.jobs.translate import TranslateError, Translator
from fakes.libretranslate import FakeLibreTranslate

PROMPTS = [
    "猫が月の上で眠っている --ar 16:9 --no 犬",
    "https://example.org/a.png ein Hund::2 eine Katze::-0.5 --v 6.1",
    'ein Schild mit "Hallo Welt" im Wald',
    "「こんにちは」と書かれた看板、夕焼け",
    "--ar 1:1",
    "",
    "   spaced   out  ",
    "a--b not a parameter --stylize 250",
]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_split_loses_nothing(prompt: str) -> None:
    assert join(split(prompt)) == prompt


def test_parameters_urls_weights_and_quotes_are_protected() -> None:
    prompt = 'https://x.org/i.png ein Hund::2 "Hallo" eine Katze --ar 16:9 --no rote Autos'
    assert split(prompt) == [
        Part("https://x.org/i.png", translate=False),
        Part(" ein Hund", translate=True),
        Part("::2", translate=False),
        Part(" ", translate=False),
        Part('"Hallo"', translate=False),
        Part(" eine Katze ", translate=True),
        Part("--ar 16:9 --no rote Autos", translate=False),
    ]
    assert words(split(prompt)) == "ein Hund eine Katze"


def test_a_double_dash_inside_a_word_is_not_a_parameter() -> None:
    assert split("a--b c --s 250")[0] == Part("a--b c ", translate=True)


def test_replacing_words_keeps_spaces_and_protected_parts() -> None:
    parts = split("ein Hund::2  eine Katze --ar 3:2")
    assert replace_words(parts, ["a dog", "a cat"]) == "a dog::2  a cat --ar 3:2"


# -- the client against a fake LibreTranslate ---------------------------------------------


async def test_japanese_prompt_is_translated_and_parameters_untouched() -> None:
    async with FakeLibreTranslate() as lt, aiohttp.ClientSession() as session:
        result = await Translator(session, lt.base_url).to_english(
            "猫が月の上で眠っている --ar 16:9 --no 犬"
        )
        assert result is not None
        assert result.translated == "A cat sleeping on the moon --ar 16:9 --no 犬"
        assert (result.source, result.confidence) == ("ja", 92.0)
        # Only the words travel: the parameters were never sent to the service.
        assert lt.calls_to("detect") == [{"q": "猫が月の上で眠っている"}]
        assert lt.calls_to("translate") == [
            {"q": "猫が月の上で眠っている", "source": "ja", "target": "en", "format": "text"}
        ]


async def test_each_word_part_is_translated_around_weights_and_quotes() -> None:
    async with FakeLibreTranslate(api_key="lt-key") as lt, aiohttp.ClientSession() as session:
        result = await Translator(session, lt.base_url, "lt-key").to_english(
            'ein Hund::2 eine Katze::1 ein Schild mit "Hallo Welt" im Wald'
        )
        assert result is not None
        assert result.translated == 'a dog::2 a cat::1 a sign with "Hallo Welt" in the forest'
        assert all(call.body["api_key"] == "lt-key" for call in lt.calls)


async def test_english_prompt_is_left_alone() -> None:
    async with FakeLibreTranslate() as lt, aiohttp.ClientSession() as session:
        assert await Translator(session, lt.base_url).to_english("a red fox --ar 2:3") is None
        assert lt.calls_to("translate") == []


async def test_prompt_without_words_needs_no_call() -> None:
    async with FakeLibreTranslate() as lt, aiohttp.ClientSession() as session:
        assert (
            await Translator(session, lt.base_url).to_english("https://x.org/a.png --ar 1:1")
            is None
        )
        assert lt.calls == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "the translation service refused the API key"),
        (429, "the translation service is busy"),
        (500, "the translation service failed (HTTP 500)"),
    ],
)
async def test_service_errors_become_translate_errors(status: int, reason: str) -> None:
    async with FakeLibreTranslate() as lt, aiohttp.ClientSession() as session:
        lt.fail_with = status
        with pytest.raises(TranslateError, match=re.escape(reason)):
            await Translator(session, lt.base_url).to_english("ein roter Fuchs im Schnee")


async def test_wrong_api_key_and_garbage_and_no_server() -> None:
    async with FakeLibreTranslate(api_key="right") as lt, aiohttp.ClientSession() as session:
        with pytest.raises(TranslateError, match="refused the API key"):
            await Translator(session, lt.base_url, "wrong").to_english("ein Hund")
        lt.api_key, lt.garbage = None, True
        with pytest.raises(TranslateError, match="did not answer"):
            await Translator(session, lt.base_url).to_english("ein Hund")
        with pytest.raises(TranslateError, match="did not answer"):
            await Translator(session, "http://127.0.0.1:1").to_english("ein Hund")
