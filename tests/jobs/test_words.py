"""Banned words that hold: the dodges of the issue are caught, ordinary words are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import PromptRejected
from bot.jobs.models import JobKind, NewJob, Requester
from bot.jobs.policy import Policy
from bot.jobs.store import Store
from bot.jobs.words import DEFAULT_WORDS, banned_word, normalise

GUILD, OTHER_GUILD, MOD = 10, 11, 3
SERVER_WORDS = DEFAULT_WORDS | {"mickey mouse"}


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a n\u200bsfw painting", "nsfw"),  # zero-width space
        ("n\u200d\u2060sfw", "nsfw"),  # zero-width joiner, word joiner
        ("a nu\u00adde statue", "nude"),  # soft hyphen
        ("ｎｓｆｗ art", "nsfw"),  # full-width
        ("a nѕfw poster", "nsfw"),  # Cyrillic dze
        ("а nаkеd man", "naked"),  # Cyrillic a and e
        ("ΝSFW", "nsfw"),  # Greek capital nu
        ("beach nudes", "nude"),  # plural
        ("sexy_woman on a beach", "sexy"),  # underscore
        ("nude2", "nude"),  # a digit glued on
        ("2nude4u", "nude"),
        ("mickey  mouse in space", "mickey mouse"),  # two spaces
        ("mickey-mouse in space", "mickey mouse"),  # a dash
        ("Mickey_Mouse", "mickey mouse"),
        ("mickey\u200b mouses", "mickey mouse"),
        ("corpses in the snow", "corpse"),
        ("the gory-looking scene", "gory"),
        ("fetishes", "fetish"),
    ],
)
def test_the_dodges_are_caught(prompt: str, word: str) -> None:
    assert banned_word(prompt, SERVER_WORDS) == word


@pytest.mark.parametrize(
    "prompt",
    [
        "a sextant on a map",
        "Essex countryside",
        "Sussex, 1890",
        "a gorilla in the mist",
        "snudes",
        "gored by a bull",  # not a plural of "gore"
        "a lighthouse at dusk",
        "нежный закат над морем",  # ordinary Russian: tender sunset over the sea
        "Ελληνικό νησί, ηλιοβασίλεμα",  # ordinary Greek
        "mickey and minnie, a mouse",
        "a heroic knight",
        "a torte with cream",
        "4k photo of 2 cats, 35mm",
        "portrait --ar 2:3 --v 6.1",
        "the sussexes",
    ],
)
def test_ordinary_prompts_pass(prompt: str) -> None:
    assert banned_word(prompt, SERVER_WORDS) is None


def test_normalise() -> None:
    assert normalise("  Ｍickey_\u00admouse-2 ") == "mickey mouse"
    assert normalise("nѕfw") == "nsfw"


def test_a_word_with_digits_of_its_own_is_matched_as_written() -> None:
    assert banned_word("some r34 art", {"r34"}) == "r34"
    assert banned_word("a r2 d2 robot", {"r34"}) is None


# -- built-in words a server turns off -------------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(tmp_path / "words.db")
    await opened.migrate()
    yield opened  # type: ignore[misc]
    await opened.close()


def imagine(prompt: str, guild: int = GUILD) -> NewJob:
    return NewJob(JobKind.IMAGINE, "fast", Requester(1, guild, 20), prompt=prompt)


async def test_a_server_turns_a_builtin_word_off_and_on(store: Store) -> None:
    policy = Policy(store)
    assert await store.allow_builtin(GUILD, "Gore", MOD)
    assert not await store.allow_builtin(GUILD, "gore", MOD)  # already off

    await policy.check(imagine("a gore-soaked battlefield, oil painting"))
    with pytest.raises(PromptRejected, match="gore"):  # other servers keep it
        await policy.check(imagine("gore", OTHER_GUILD))
    with pytest.raises(PromptRejected, match="nsfw"):  # and the other built-ins stay
        await policy.check(imagine("nsfw"))
    assert await store.allowed_builtins(GUILD) == ["gore"]

    assert await store.forbid_builtin(GUILD, "gore")
    with pytest.raises(PromptRejected, match="gore"):
        await policy.check(imagine("gore"))
    assert await store.allowed_builtins(GUILD) == []


async def test_a_servers_own_words_are_normalised_too(store: Store) -> None:
    await store.add_word(GUILD, "kraken", MOD)
    with pytest.raises(PromptRejected, match="kraken"):
        await Policy(store).check(imagine("release the k\u200braken_s"))
