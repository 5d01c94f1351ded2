"""Bursts and double clicks through discord.py: one check per request, under the member's lock.

Interactions are dispatched at once, as the gateway delivers a burst; the fake TT API counts
the paid calls.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from bot.jobs.models import Job
from fakes.discord import CHANNEL_MESSAGE, GUILD_ID, OTHER_USER_ID, StoredMessage
from fakes.ttapi import Scenario, make_png
from tests.cogs.conftest import Harness

MEMBER = OTHER_USER_ID
ENDLESS = Scenario(queue_seconds=0.0, run_seconds=60.0)


async def limits(harness: Harness, **changes: Any) -> None:
    guild = await harness.store.guild_settings(GUILD_ID)
    await harness.store.save_guild_settings(replace(guild, **changes))


async def burst(harness: Harness, payloads: list[dict[str, Any]]) -> None:
    """Deliver every interaction before any handler runs, then wait for all of them."""
    tasks = [task for payload in payloads for task in harness.dispatch(payload)]
    await asyncio.wait_for(asyncio.gather(*tasks), 10)


async def test_five_imagines_at_once_start_one_job(harness: Harness) -> None:
    await limits(harness, concurrent_limit=1, daily_limit=1, cooldown_s=3600)
    payloads = [
        harness.discord.slash_command("imagine", {"prompt": f"fox {n}"}, user_id=MEMBER)
        for n in range(5)
    ]

    await burst(harness, payloads)

    assert len(harness.tt.calls_to("/imagine")) == 1
    # Each refused privately: answered with the reason at once, or, as a burst is
    # acknowledged privately before any check (bot/ui/launch.py `crowd`), in a private followup.
    refusals = [payload for payload in payloads if refused_privately(harness, payload)]
    assert len(refusals) == 4


def refused_privately(harness: Harness, payload: dict[str, object]) -> bool:
    """The interaction's only public trace is nothing: a private answer or private followup."""
    [callback] = harness.discord.callbacks_for(str(payload["id"]))
    if callback.type == CHANNEL_MESSAGE:
        return callback.ephemeral
    followups = harness.discord.followups(str(payload["id"]))
    return callback.ephemeral and any(m.ephemeral and m.content for m in followups)


async def test_a_double_click_on_u1_upscales_once(harness: Harness) -> None:
    message, _ = await harness.grid("a paper boat")
    harness.tt.next_scenario(ENDLESS)
    custom_id = message.custom_id("U1")

    clicks = [harness.discord.button_click(message, custom_id, user_id=MEMBER) for _ in range(2)]
    await burst(harness, clicks)

    assert len(harness.tt.calls_to("/action")) == 1
    answers = [harness.discord.callbacks_for(click["id"]) for click in clicks]
    refused = [a[0] for a in answers if a and a[0].type == CHANNEL_MESSAGE]
    assert len(refused) == 1
    assert "already" in refused[0].data["content"]


async def test_a_double_click_on_seed_asks_once(harness: Harness) -> None:
    message, _ = await harness.grid("a paper boat")
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.3))
    custom_id = message.custom_id("🌱")

    clicks = [harness.discord.button_click(message, custom_id, user_id=u) for u in (MEMBER, 1)]
    await burst(harness, clicks)

    assert len(harness.tt.calls_to("/seed")) == 1
    for click in clicks:  # both clickers got the seed
        [followup] = harness.discord.followups(click["id"])
        assert "--seed" in followup.content


@pytest.fixture
async def described(harness: Harness) -> tuple[StoredMessage, Job]:
    """A posted /describe result (four prompts) and its job."""
    image = harness.discord.attachment("cat.png", make_png(2, 2))
    return await harness.result_of(await harness.command("describe", image=image))


async def test_imagine_all_applies_the_cooldown_once(
    harness: Harness, described: tuple[StoredMessage, Job]
) -> None:
    message, job = described
    await limits(harness, cooldown_s=3600, daily_limit=5)

    await harness.click(message, "Imagine all", user_id=MEMBER)

    assert [body["prompt"] for body in harness.tt_bodies("imagine")] == list(job.prompts)
    again = await harness.click(message, "1️⃣", user_id=MEMBER)
    assert "wait between jobs" in harness.private_answer(again)


async def test_imagine_all_counts_each_job_against_the_day(
    harness: Harness, described: tuple[StoredMessage, Job]
) -> None:
    message, _ = described
    await limits(harness, daily_limit=3)
    before = harness.discord.posts()

    click = await harness.click(message, "Imagine all", user_id=MEMBER)

    assert "needs 4 jobs and you have 3 left today" in harness.private_answer(click)
    assert harness.tt.calls_to("/imagine") == []
    assert harness.discord.posts() == before  # no preview left in the channel


async def test_a_request_that_fails_after_its_check_gives_its_place_back(
    harness: Harness,
) -> None:
    """The submit fails after the check: the held place is freed at once."""
    await limits(harness, concurrent_limit=1)
    harness.tt.fail_next("/imagine", 400, {"status": "FAILED", "message": "bad request"})

    failed = await harness.imagine("a fox", user_id=MEMBER)

    assert "bad request" in harness.private_answer(failed)  # told, privately
    assert await harness.store.count_jobs(since=0) == 0  # refused: nothing counts
    await harness.result_of(await harness.imagine("a fox", user_id=MEMBER))


async def test_a_progress_line_that_cannot_be_shown_never_stops_a_paid_job(
    harness: Harness,
) -> None:
    """The provider took the job (#17: only then is the line shown), but the interaction's
    answer cannot be edited: the line is posted as a message of its own, the job goes on."""
    harness.discord.inject_error("PATCH", r"^/webhooks/.*/messages/@original", 404, code=10008)

    payload = await harness.imagine("a fox", user_id=MEMBER)

    assert len(harness.tt.calls_to("/imagine")) == 1
    sent = harness.discord.messages_in(deleted=True)
    lines = [m for m in sent if m.source == "channel" and "(Waiting to start)" in m.contents[0]]
    assert len(lines) == 1
    thinking = harness.discord.original(payload["id"])
    assert thinking is not None
    assert thinking.deleted  # no "thinking…" left behind

    async def posted() -> bool:
        return any(post.attachments for post in harness.discord.posts())

    await harness.until(posted)
