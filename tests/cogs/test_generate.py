"""/imagine, /blend and /describe, driven through discord.py against the fakes."""

from __future__ import annotations

import base64

import pytest

from bot.jobs.models import GuildSettings, UserSettings
from fakes.discord import (
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    USER_ID,
    StoredAttachment,
)
from fakes.ttapi import make_png
from tests.cogs.conftest import Harness

PNG = make_png(3, 2, (10, 200, 30))
JPEG = b"\xff\xd8\xff\xe0" + b"not really a jpeg, but the bytes travel untouched" + b"\xff\xd9"


def data_url(kind: str, data: bytes) -> str:
    """The data URL the TT API expects for an uploaded image."""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def only_answer(harness: Harness, payload: dict[str, object]) -> tuple[int, int, str]:
    """(callback type, flags, content) of an interaction answered exactly once."""
    callbacks = harness.discord.callbacks_for(payload["id"])  # type: ignore[arg-type]
    assert len(callbacks) == 1, callbacks
    answer = callbacks[0]
    return answer.type, int(answer.data.get("flags", 0)), str(answer.data.get("content", ""))


# -- /imagine ------------------------------------------------------------------------------


async def test_imagine_sends_prompt_and_chosen_mode(harness: Harness) -> None:
    await harness.imagine("a red fox in snow --ar 16:9", mode="relax")

    [body] = harness.tt_bodies("imagine")
    assert body["prompt"] == "a red fox in snow --ar 16:9"
    assert body["mode"] == "relax"


async def test_imagine_answers_once_taken_then_shows_waiting(harness: Harness) -> None:
    payload = await harness.imagine("a red fox in snow")

    kind, flags, _ = only_answer(harness, payload)
    assert kind == DEFERRED_CHANNEL_MESSAGE
    assert not flags & EPHEMERAL  # the progress line is public
    record = harness.discord.interaction(payload["id"])
    [callback] = harness.discord.callbacks_for(payload["id"])
    assert callback.at - record.created_at < 1.0  # Discord allows 3 s
    [submit] = harness.tt.calls_to("/imagine")
    # Public only once the provider took the job, so a refusal can stay private (#17).
    assert submit.at < callback.at

    progress = harness.discord.original(payload["id"])
    assert progress is not None
    first = progress.edits[0]
    assert first.via == "webhook"
    assert first.changes["content"] == f"**a red fox in snow** - <@{USER_ID}> (Waiting to start)"
    assert first.changes["allowed_mentions"]["parse"] == []  # the preview pings nobody


@pytest.mark.parametrize("prompt", ["   ", "\n\t ", ""])
async def test_blank_prompt_is_answered_privately_and_costs_nothing(
    harness: Harness, prompt: str
) -> None:
    payload = await harness.imagine(prompt)

    kind, flags, content = only_answer(harness, payload)
    assert kind == CHANNEL_MESSAGE
    assert flags & EPHEMERAL
    assert "empty" in content
    assert harness.tt.calls == []


async def test_mode_comes_from_default_mode_setting(harness: Harness) -> None:
    await harness.restart(DEFAULT_MODE="relax")

    await harness.imagine("a lighthouse")

    assert harness.tt_bodies("imagine")[-1]["mode"] == "relax"


async def test_mode_comes_from_the_members_stored_default(harness: Harness) -> None:
    await harness.restart(DEFAULT_MODE="relax")
    await harness.store.save_user_settings(UserSettings(USER_ID, default_mode="turbo"))
    await harness.store.save_guild_settings(GuildSettings(GUILD_ID, default_mode="fast"))

    await harness.imagine("a lighthouse")
    await harness.imagine("a lighthouse", mode="fast")  # a choice still wins

    assert [body["mode"] for body in harness.tt_bodies("imagine")] == ["turbo", "fast"]


async def test_mode_comes_from_the_servers_default(harness: Harness) -> None:
    await harness.store.save_guild_settings(GuildSettings(GUILD_ID, default_mode="relax"))

    await harness.imagine("a lighthouse")

    assert harness.tt_bodies("imagine")[-1]["mode"] == "relax"


async def test_banned_prompt_reason_goes_to_the_member_alone(harness: Harness) -> None:
    """Refused by the provider at once: no "(Waiting to start)" comes and goes (#17)."""
    payload = await harness.imagine("a skimpy cat")

    text = harness.private_answer(payload)
    assert "banned" in text.lower()
    assert "skimpy" in text  # the provider's reason is shown
    public = [m for m in harness.discord.messages_in(CHANNEL_ID, deleted=True) if not m.ephemeral]
    assert public == []
    assert len(harness.tt.calls_to("/imagine")) == 1
    assert harness.discord.posts(CHANNEL_ID) == []
    assert harness.discord.requests_to("POST", r"^/channels/") == []


# -- /blend --------------------------------------------------------------------------------


async def test_blend_sends_both_images_as_data_urls(harness: Harness) -> None:
    first = harness.discord.attachment("fox.png", PNG, "image/png")
    second = harness.discord.attachment("owl.jpg", JPEG, "image/jpeg")

    payload = await harness.command("blend", image1=first, image2=second, dimensions="PORTRAIT")

    [body] = harness.tt_bodies("blend")
    assert body["imgBase64Array"] == [data_url("image/png", PNG), data_url("image/jpeg", JPEG)]
    assert body["dimensions"] == "PORTRAIT"
    assert only_answer(harness, payload)[0] == DEFERRED_CHANNEL_MESSAGE
    downloads = harness.discord.requests_to("GET", r"^/attachments/")
    assert {request.path.rsplit("/", 1)[-1] for request in downloads} == {"fox.png", "owl.jpg"}


async def test_blend_defaults_to_square(harness: Harness) -> None:
    first = harness.discord.attachment("fox.png", PNG)
    second = harness.discord.attachment("owl.png", PNG)

    await harness.command("blend", image1=first, image2=second)

    assert harness.tt_bodies("blend")[0]["dimensions"] == "SQUARE"


def text_file(harness: Harness) -> StoredAttachment:
    return harness.discord.attachment("notes.txt", b"hello", "text/plain; charset=utf-8")


def huge_image(harness: Harness) -> StoredAttachment:
    return harness.discord.attachment("huge.png", PNG, "image/png", size=11 * 1024 * 1024)


@pytest.mark.parametrize(
    ("make", "words"),
    [(text_file, ["notes.txt", "PNG"]), (huge_image, ["huge.png", "11.0 MB"])],
    ids=["text-file", "too-big"],
)
async def test_blend_refuses_a_bad_attachment_by_name(
    harness: Harness, make: object, words: list[str]
) -> None:
    good = harness.discord.attachment("fox.png", PNG)
    bad = make(harness)  # type: ignore[operator]

    payload = await harness.command("blend", image1=good, image2=bad)

    kind, flags, content = only_answer(harness, payload)
    assert kind == CHANNEL_MESSAGE
    assert flags & EPHEMERAL
    assert "`image2`" in content
    for word in words:
        assert word in content
    assert harness.tt.calls == []
    assert harness.discord.requests_to("GET", r"^/attachments/") == []  # nothing downloaded


# -- /describe -----------------------------------------------------------------------------


async def test_describe_sends_the_image_as_a_data_url(harness: Harness) -> None:
    image = harness.discord.attachment("cat.png", PNG)

    payload = await harness.command("describe", image=image, mode="turbo")

    [body] = harness.tt_bodies("describe")
    assert body["base64"] == data_url("image/png", PNG)
    assert body["mode"] == "turbo"
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert progress.edits[0].changes["content"] == (
        f"**/describe** - <@{USER_ID}> (Waiting to start)"
    )


# -- commands ------------------------------------------------------------------------------


async def test_commands_are_synced_once_and_not_again_after_a_restart(harness: Harness) -> None:
    commands = r"^/applications/\d+/commands$"
    [synced] = harness.discord.requests_to("PUT", commands)
    assert {command["name"] for command in synced.json} == {
        "imagine",
        "blend",
        "describe",
        "mj-admin",
        "settings",
        "info",
        "show",
        "help",
    }

    await harness.restart()

    assert len(harness.discord.requests_to("PUT", commands)) == 1  # 200 creates a day
