"""Result buttons: clicks resolve against the store, forgeries are refused, restarts survive."""

from __future__ import annotations

import discord
import pytest

from bot.jobs.models import Job
from bot.ui.layout import actions_for
from fakes.discord import (
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    OTHER_USER_ID,
    USER_ID,
    StoredMessage,
)
from fakes.ttapi import make_png
from tests.cogs.conftest import Harness

PROMPT = "a koi pond in the rain"
discord_escape = discord.utils.escape_markdown


@pytest.fixture
async def grid(harness: Harness) -> tuple[StoredMessage, Job]:
    """A posted /imagine grid and its job."""
    return await harness.grid(PROMPT)


def assert_refused(harness: Harness, payload: dict[str, object]) -> str:
    """The click got one private answer and started nothing; return the answer's text."""
    [answer] = harness.discord.callbacks_for(payload["id"])  # type: ignore[arg-type]
    assert answer.type == CHANNEL_MESSAGE
    assert answer.data["flags"] & EPHEMERAL
    assert harness.tt_bodies("action") == []
    return str(answer.data["content"])


async def test_u2_upscales_the_parent_job(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, parent = grid

    click = await harness.click(message, "U2", user_id=OTHER_USER_ID)

    [body] = harness.tt_bodies("action")
    assert body["action"] == "upsample2"
    assert body["jobId"] == parent.provider_job_id
    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE
    assert not answer.ephemeral
    progress = harness.discord.original(click["id"])
    assert progress is not None
    assert progress.id != message.id
    assert progress.edits[0].changes["content"] == (
        f"**{PROMPT}** - Image #2 <@{OTHER_USER_ID}> (Waiting to start)"
    )
    assert message.edits == []  # the grid itself stays as it was


@pytest.mark.parametrize(
    ("custom_id", "expected"),
    [
        ("mj1:999999:0", "does not belong"),  # a job that is not this message's
        ("mj1:{job}:42", "does not belong"),  # beyond the job's buttons
        ("mj:{job}:42", "does not belong"),  # the same, in the form before versions
    ],
    ids=["other-job", "index-beyond", "index-beyond-legacy"],
)
async def test_forged_button_is_refused_privately(
    harness: Harness, grid: tuple[StoredMessage, Job], custom_id: str, expected: str
) -> None:
    message, job = grid
    forged = custom_id.format(job=job.id)

    click = await harness.run(harness.discord.button_click(message, forged, forge=True))

    assert expected in assert_refused(harness, click)
    assert harness.discord.posts(CHANNEL_ID) == [message]


async def test_button_on_a_message_unknown_to_the_store_is_refused(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, _ = grid
    copy = harness.discord.seed_message(message.content, components=message.components)

    click = await harness.click(copy, "V1")

    assert "does not belong" in assert_refused(harness, click)


async def test_buttons_work_after_a_restart(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, parent = grid
    await harness.restart()  # new store, engine and bot on the same database

    click = await harness.click(message, "V1")
    variation, job = await harness.result_of(click)

    [body] = harness.tt_bodies("action")
    assert body == {**body, "action": "variation1", "jobId": parent.provider_job_id}
    assert job.parent_id == parent.id
    assert variation.content == f"**{PROMPT}** - Variations (Image #1) by <@{USER_ID}> (fast)"
    assert variation.rows()[0][0] == ("U1", None)  # a grid again, with its own buttons


async def test_a_button_posted_before_versions_still_works(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    """A result posted by an earlier version carries "mj:<job>:<index>"; clicking it works."""
    message, parent = grid
    index = next(
        n for n, b in enumerate(message.buttons()) if b.get("custom_id", "").endswith(":4")
    )
    legacy = f"mj:{parent.id}:{index}"
    message.components = [
        {"type": 1, "components": [{**b, "custom_id": legacy}]} for b in [message.buttons()[index]]
    ]

    click = await harness.run(harness.discord.button_click(message, legacy))
    _, job = await harness.result_of(click)

    assert job.parent_id == parent.id
    assert job.action == actions_for(parent)[index]


# -- describe results ------------------------------------------------------------------------


@pytest.fixture
async def described(harness: Harness) -> tuple[StoredMessage, Job]:
    """A posted /describe result (four prompts) and its job."""
    image = harness.discord.attachment("cat.png", make_png(2, 2))
    return await harness.result_of(await harness.command("describe", image=image, mode="turbo"))


async def test_keycap_imagines_that_prompt(
    harness: Harness, described: tuple[StoredMessage, Job]
) -> None:
    message, job = described

    click = await harness.click(message, "2️⃣")

    [body] = harness.tt_bodies("imagine")
    assert body["prompt"] == job.prompts[1]
    assert body["mode"] == "turbo"
    assert harness.discord.callbacks_for(click["id"])[0].type == DEFERRED_CHANNEL_MESSAGE


async def test_imagine_all_starts_the_four_prompts(
    harness: Harness, described: tuple[StoredMessage, Job]
) -> None:
    message, job = described

    click = await harness.click(message, "Imagine all")

    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE
    assert answer.ephemeral
    assert [body["prompt"] for body in harness.tt_bodies("imagine")] == list(job.prompts)
    [followup] = harness.discord.followups(click["id"])
    assert followup.ephemeral
    assert "four" in followup.content

    # Four public progress lines, then four grids replacing them.
    def grids() -> list[StoredMessage]:
        return [post for post in harness.discord.posts(CHANNEL_ID) if post.attachments]

    await harness.until(lambda: len(grids()) == 5)
    assert harness.discord.posts(CHANNEL_ID)[0] is message
    assert sorted(post.content for post in grids()[1:]) == sorted(
        f"**{discord_escape(prompt)}** - <@{USER_ID}> (turbo)" for prompt in job.prompts
    )


async def test_redescribe_sends_the_provider_copy_of_the_image(
    harness: Harness, described: tuple[StoredMessage, Job]
) -> None:
    message, job = described

    await harness.click(message, "🔄")

    # The input itself left the database once sent (bot/jobs/inputs.py).
    first, again = harness.tt_bodies("describe")
    assert first["base64"].startswith("data:image/")
    assert "base64" not in again
    assert again["url"] == job.image_url
