"""Used buttons (issue 17, item 1): highlighted on the parent, and a paid repeat asks first."""

from __future__ import annotations

from typing import Any

from bot.jobs.models import GuildSettings, Job
from fakes.discord import CHANNEL_ID, CHANNEL_MESSAGE, GUILD_ID, StoredMessage
from tests.cogs.conftest import Harness

PRIMARY, SECONDARY = 1, 2
PROMPT = "a koi pond in the rain"


def styles(message: StoredMessage) -> dict[str, int]:
    """Button label (or emoji) -> style."""
    return {
        str(b.get("label") or (b.get("emoji") or {}).get("name")): int(b["style"])
        for b in message.buttons()
    }


def question_of(harness: Harness, click: dict[str, Any]) -> StoredMessage:
    """The one ephemeral message a click was answered with."""
    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    message = harness.discord.original(click["id"])
    assert message is not None
    return message


async def upscaled(harness: Harness) -> tuple[StoredMessage, Job, StoredMessage, Job]:
    """A grid whose U2 was pressed and posted."""
    grid, parent = await harness.grid(PROMPT)
    upscale, child = await harness.result_of(await harness.click(grid, "U2"))
    return grid, parent, upscale, child


async def test_pressed_u2_is_highlighted_on_the_grid_after_the_upscale_is_posted(
    harness: Harness,
) -> None:
    grid, _, _, _ = await upscaled(harness)

    await harness.until(lambda: grid.edits)
    [edit] = grid.edits
    assert edit.via == "channel"  # the bot token, not the clicker's interaction token
    assert styles(grid)["U2"] == PRIMARY
    assert {label: style for label, style in styles(grid).items() if label != "U2"} == {
        label: SECONDARY for label in styles(grid) if label != "U2"
    }
    assert grid.attachments  # the image stays; only the buttons changed


async def test_used_state_comes_from_the_store_after_a_restart(harness: Harness) -> None:
    """/show of the grid after a restart still shows U2 as used."""
    _, parent, _, _ = await upscaled(harness)
    await harness.restart()

    show = await harness.command("show", job=str(parent.id))

    assert harness.discord.followups(show["id"])
    copy = harness.discord.posts(CHANNEL_ID)[-1]
    shown = await harness.store.job_for_message(copy.id)
    assert shown is not None
    assert shown.id == parent.id
    assert styles(copy)["U2"] == PRIMARY
    assert styles(copy)["U1"] == SECONDARY


async def test_pressing_u2_again_asks_before_paying(harness: Harness) -> None:
    grid, _, upscale, _ = await upscaled(harness)
    await harness.until(lambda: grid.edits)

    click = await harness.click(grid, "U2")

    question = question_of(harness, click)
    link = f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{upscale.id}"
    assert question.content.startswith(f"Already upscaled: {link}")
    assert "Upscale image #2 again?" in question.content
    assert [b["label"] for b in question.buttons()] == ["Upscale image #2 again"]
    assert len(harness.tt_bodies("action")) == 1  # nothing sent, nothing charged


async def test_confirming_upscales_again_even_after_a_restart(harness: Harness) -> None:
    grid, parent, _, first = await upscaled(harness)
    await harness.until(lambda: grid.edits)
    question = question_of(harness, await harness.click(grid, "U2"))
    await harness.restart()  # the confirm button needs nothing kept in memory

    custom_id = question.buttons()[0]["custom_id"]
    confirm = await harness.run(harness.discord.button_click(question, custom_id))

    bodies = harness.tt_bodies("action")
    assert [body["action"] for body in bodies] == ["upsample2", "upsample2"]
    assert bodies[1]["jobId"] == parent.provider_job_id
    assert question.content == "Starting Upscale image #2 again…"
    assert question.buttons() == []

    async def second_upscale_posted() -> bool:
        latest = (await harness.service.used_actions(parent.id)).get("upsample2")
        return latest is not None and latest.id != first.id and latest.posted_at is not None

    await harness.until(second_upscale_posted)
    assert harness.discord.callbacks_for(confirm["id"])[0].type == 7  # the question, updated


async def test_variations_repeat_without_asking(harness: Harness) -> None:
    """V1 gives new images each time: pressing it again just starts it."""
    grid, _ = await harness.grid(PROMPT)
    await harness.result_of(await harness.click(grid, "V1"))
    await harness.until(lambda: grid.edits)
    assert styles(grid)["V1"] == PRIMARY

    await harness.click(grid, "V1")

    assert [body["action"] for body in harness.tt_bodies("action")] == ["variation1"] * 2


async def test_forged_confirm_for_an_unknown_job_is_refused(harness: Harness) -> None:
    grid, parent = await harness.grid(PROMPT)
    forged = f"mjagain:{parent.id + 1000}:0"

    click = await harness.run(harness.discord.button_click(grid, forged, forge=True))

    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.ephemeral
    assert "no longer know" in answer.data["content"]
    assert harness.tt_bodies("action") == []


async def test_no_question_when_the_member_could_not_run_it_anyway(harness: Harness) -> None:
    """Paused (or banned, or at a limit): the member hears why, not "Upscale again?"."""
    grid, _, _, _ = await upscaled(harness)
    await harness.until(lambda: grid.edits)
    await harness.store.save_guild_settings(GuildSettings(GUILD_ID, paused=True))

    click = await harness.click(grid, "U2")

    text = harness.private_answer(click)
    assert "paused" in text.lower()
    assert "again?" not in text
    assert len(harness.tt_bodies("action")) == 1
