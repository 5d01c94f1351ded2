"""The publisher: progress edits, result posts with buttons, failures, Discord errors."""

from __future__ import annotations

import asyncio
import itertools
from types import ModuleType

import pytest

from bot.jobs.states import JobStatus
from bot.provider import JobSnapshot
from bot.provider.models import RemoteStatus
from fakes.discord import CHANNEL_ID, OTHER_USER_ID, USER_ID, StoredMessage, flatten
from fakes.ttapi import (
    DEFAULT_DESCRIBE_TEXT,
    DEFAULT_FAIL_MESSAGE,
    FAILED,
    Scenario,
    make_png,
)
from tests.cogs.conftest import Harness

RESULT_POST = r"^/channels/\d+/messages$"
PROMPT = "a lighthouse at dusk, oil painting"
GRID_ROWS = [
    [("U1", None), ("U2", None), ("U3", None), ("U4", None), (None, "🔄")],
    [("V1", None), ("V2", None), ("V3", None), ("V4", None)],
    [("Seed", "🌱")],
]


def publisher_module(harness: Harness) -> ModuleType:
    """cogs.publisher as the bot loaded it: load_extension executes a fresh module object."""
    return harness.bot.extensions["cogs.publisher"]


def result_posts(harness: Harness) -> list[StoredMessage]:
    """Live messages the bot posted with its token in the test channel."""
    return harness.discord.posts(CHANNEL_ID)


async def test_grid_is_posted_with_the_bot_token(harness: Harness) -> None:
    payload = await harness.imagine(PROMPT)
    result, _ = await harness.result_of(payload)

    [post] = harness.discord.requests_to("POST", RESULT_POST)
    assert post.bot_auth, "the result must not depend on the 15-minute interaction token"
    assert harness.discord.requests_to("POST", r"^/webhooks/") == []
    assert result.content == f"**{PROMPT}** - <@{USER_ID}> (fast)"
    assert result.rows() == GRID_ROWS


async def test_grid_image_is_uploaded_and_shown_in_the_embed(harness: Harness) -> None:
    result, job = await harness.grid(PROMPT)

    [attachment] = result.attachments
    assert attachment.filename == f"mj_{job.id}.png"
    assert attachment.data == harness.tt.image_bytes
    [post] = harness.discord.requests_to("POST", RESULT_POST)
    assert post.json["embeds"][0]["image"]["url"] == f"attachment://{attachment.filename}"
    # Discord resolved the reference, so the embed shows the uploaded file.
    assert result.embeds[0]["image"]["url"] == attachment.url


async def test_progress_message_is_replaced_by_the_result(harness: Harness) -> None:
    payload = await harness.imagine(PROMPT)
    result, job = await harness.result_of(payload)

    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert progress.deleted
    assert progress.id == job.progress_message_id
    assert len(channel_edits(harness, progress.id)) <= 1  # one edit per 5 s at most
    assert result_posts(harness) == [result]
    mapped = await harness.store.job_for_message(result.id)
    assert mapped is not None
    assert mapped.id == job.id
    assert mapped.result_message_id == result.id


async def test_result_pings_the_requester_and_nobody_else(harness: Harness) -> None:
    prompt = "a crowd shouting @everyone and <@&123456789012345678> at <@222222222222222222>"
    result, _ = await harness.grid(prompt)

    [post] = harness.discord.requests_to("POST", RESULT_POST)
    allowed = post.json["allowed_mentions"]
    assert allowed["parse"] == []
    assert [int(user) for user in allowed["users"]] == [USER_ID]
    assert not allowed.get("roles")
    assert result.mentions == [USER_ID]
    assert result.mention_roles == []
    assert not result.mention_everyone


async def test_progress_edits_ping_nobody(harness: Harness) -> None:
    payload = await harness.imagine("hello @everyone")
    await harness.result_of(payload)

    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert progress.edits
    for edit in progress.edits:
        assert edit.changes["allowed_mentions"] == {"parse": []}


async def test_upscale_result_has_the_upscaled_buttons(harness: Harness) -> None:
    grid, _ = await harness.grid(PROMPT)

    click = await harness.click(grid, "U2", user_id=OTHER_USER_ID)
    upscaled, job = await harness.result_of(click)

    assert job.action == "upsample2"
    assert upscaled.content == f"**{PROMPT}** - Image #2 <@{OTHER_USER_ID}>"
    assert upscaled.rows() == [
        [("Upscale (Subtle)", None), ("Upscale (Creative)", None)],
        [("Vary (Subtle)", "🪄"), ("Vary (Strong)", "🪄"), ("Vary (Region)", "🖌️")],
        [("Zoom Out 2x", "🔍"), ("Zoom Out 1.5x", "🔍")],
        [(None, "⬅️"), (None, "➡️"), (None, "⬆️"), (None, "⬇️")],
    ]


async def test_describe_result_numbers_the_prompts(harness: Harness) -> None:
    image = harness.discord.attachment("cat.png", make_png(2, 2))
    payload = await harness.command("describe", image=image)
    result, job = await harness.result_of(payload)

    assert result.content == f"**/describe** - <@{USER_ID}> (fast)"
    picture, embed = result.embeds  # the image large, the prompts beneath it
    assert embed["description"] == DEFAULT_DESCRIBE_TEXT  # "1️⃣ ...\n\n2️⃣ ..." as Midjourney's
    assert len(job.prompts) == 4
    [attachment] = result.attachments
    assert picture["image"]["url"] == attachment.url
    assert "thumbnail" not in picture
    assert "thumbnail" not in embed
    labels = flatten(result.rows())
    assert labels == [
        (None, "1️⃣"),
        (None, "2️⃣"),
        (None, "3️⃣"),
        (None, "4️⃣"),
        ("Imagine all", "🎉"),
        (None, "🔄"),
    ]
    assert all(len(row) <= 5 for row in result.rows())


# -- progress ------------------------------------------------------------------------------


@pytest.fixture
def slow_job(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> float:
    """The next job runs 1.5 s with rising progress; progress edits at most every 0.3 s."""
    interval = 0.3
    monkeypatch.setattr(publisher_module(harness), "EDIT_INTERVAL", interval)
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=1.5))
    return interval


def channel_edits(harness: Harness, message_id: int) -> list[tuple[float, str]]:
    """(time, content) of every bot-token edit of one message."""
    path = rf"^/channels/{CHANNEL_ID}/messages/{message_id}$"
    return [(r.at, r.json["content"]) for r in harness.discord.requests_to("PATCH", path)]


async def test_progress_edits_are_throttled(harness: Harness, slow_job: float) -> None:
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=60.0))
    await harness.imagine(PROMPT)
    [job] = await harness.store.unfinished_jobs()
    assert job.provider_job_id is not None
    # Progress far more often than the cadence looks (a hookUrl can do this): every 50 ms.
    for step in range(1, 31):
        snapshot = JobSnapshot(job.provider_job_id, RemoteStatus.RUNNING, progress=step * 3)
        await harness.watcher.apply(job.id, snapshot)
        await asyncio.sleep(0.05)
    await harness.until(lambda: len(channel_edits(harness, job.progress_message_id or 0)) >= 4)

    edits = channel_edits(harness, job.progress_message_id or 0)
    assert len(edits) >= 3, f"progress was hardly shown: {edits}"
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(edits)]
    assert min(gaps) >= slow_job - 0.1, gaps  # unthrottled edits would follow every poll
    assert any("%" in content for _, content in edits)


async def test_progress_is_edited_only_when_its_text_changes(
    harness: Harness, slow_job: float
) -> None:
    payload = await harness.imagine(PROMPT)
    await harness.result_of(payload, within=10)

    progress = harness.discord.original(payload["id"])
    assert progress is not None
    for edit in progress.edits:
        assert edit.changes["content"] != edit.content_before, (
            f"an edit ({edit.via}) re-sent the text already shown: {edit.content_before!r}"
        )


# -- failures ------------------------------------------------------------------------------


async def test_failed_job_replaces_the_progress_line(harness: Harness) -> None:
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=0.1, outcome=FAILED))
    payload = await harness.imagine(PROMPT)
    progress = harness.discord.original(payload["id"])
    assert progress is not None

    failed = await harness.until(lambda: "failed" in progress.content and progress)

    assert failed.content == f"**{PROMPT}** - <@{USER_ID}> failed: {DEFAULT_FAIL_MESSAGE}"
    assert failed.components == []
    assert not failed.deleted
    assert failed.mentions == [USER_ID]
    assert result_posts(harness) == []
    job = await harness.until(lambda: harness.store.get_job(1))  # a fresh database's first job
    assert job.status is JobStatus.FAILED
    await harness.until(lambda: _posted(harness, job.id))


async def _posted(harness: Harness, job_id: int) -> bool:
    job = await harness.store.get_job(job_id)
    return job is not None and job.posted_at is not None


async def test_rate_limited_result_post_is_sent_once_after_waiting(harness: Harness) -> None:
    harness.discord.inject_429("POST", RESULT_POST, retry_after=0.2)

    result, _ = await harness.grid(PROMPT)

    limited, sent = harness.discord.requests_to("POST", RESULT_POST)
    assert (limited.status, sent.status) == (429, 200)
    assert sent.at - limited.at >= 0.2
    assert result_posts(harness) == [result]


async def test_failed_post_is_released_and_posted_later(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publisher_module(harness), "RETRY_DELAY", 0.1)
    # 503 reaches the publisher at once (discord.py itself retries 500/502/504 for ~25 s).
    harness.discord.inject_error("POST", RESULT_POST, 503, message="Service Unavailable", times=2)

    payload = await harness.imagine(PROMPT)
    result, job = await harness.result_of(payload)

    attempts = harness.discord.requests_to("POST", RESULT_POST)
    assert [request.status for request in attempts] == [503, 503, 200]
    assert result_posts(harness) == [result]
    assert result.content == f"**{PROMPT}** - <@{USER_ID}> (fast)"
    await harness.until(lambda: _posted(harness, job.id))
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert progress.deleted


# -- restarts and the admission queue -----------------------------------------------------


async def test_job_in_flight_at_a_restart_is_posted_once(harness: Harness) -> None:
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=0.6))
    payload = await harness.imagine(PROMPT)

    await harness.restart()  # the new process finds the job in flight and watches it
    result, _ = await harness.result_of(payload)

    assert result.content == f"**{PROMPT}** - <@{USER_ID}> (fast)"
    assert len(harness.discord.requests_to("POST", RESULT_POST)) == 1
    assert len(harness.tt.calls_to("/imagine")) == 1  # never resubmitted
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    assert progress.deleted


async def test_queued_job_shows_its_place_then_runs(harness: Harness) -> None:
    await harness.restart(MAX_JOBS_IN_PROGRESS="1")
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=0.5))
    first = await harness.imagine("first in line")

    second = await harness.imagine("second in line")

    waiting = harness.discord.original(second["id"])
    assert waiting is not None
    await harness.until(lambda: "Queued" in waiting.content)
    assert waiting.content == f"**second in line** - <@{USER_ID}> (Queued — next up)"
    assert len(harness.tt.calls_to("/imagine")) == 1  # one provider slot
    await harness.result_of(first)
    second_result, _ = await harness.result_of(second)
    assert second_result.content == f"**second in line** - <@{USER_ID}> (fast)"
