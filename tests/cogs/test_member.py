"""/info, /show and /help: what a member sees, and what only moderators see."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from discord import app_commands

from bot.jobs.models import Job, UserSettings
from fakes.discord import (
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    GUILD_ID,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    OTHER_USER_ID,
    USER_ID,
    StoredMessage,
)
from fakes.ttapi import Scenario
from tests.cogs.conftest import Harness, Payload

PROMPT = "a paper boat on a puddle"
GRID_ROWS = [
    [("U1", None), ("U2", None), ("U3", None), ("U4", None), (None, "🔄")],
    [("V1", None), ("V2", None), ("V3", None), ("V4", None)],
    [("Seed", "🌱")],
]
# Long enough that a job stays running for the whole test.
SLOW = Scenario(queue_seconds=0.05, run_seconds=60)


async def as_member(
    harness: Harness, name: str, *, user_id: int = USER_ID, moderator: bool = False, **options: str
) -> Payload:
    """Run a slash command as an ordinary member, or as one with Manage Server."""
    permissions = MODERATOR_PERMISSIONS if moderator else MEMBER_PERMISSIONS
    payload = harness.discord.slash_command(name, options, user_id=user_id, permissions=permissions)
    return await harness.run(payload)


def private_text(harness: Harness, payload: Payload) -> str:
    """Everything an interaction answered, all of it ephemeral."""
    answers = [harness.discord.original(payload["id"]), *harness.discord.followups(payload["id"])]
    shown = [message for message in answers if message is not None and message.content]
    assert shown, "the interaction was not answered"
    assert all(message.ephemeral for message in shown)
    return "\n".join(message.content for message in shown)


async def set_limits(harness: Harness, **limits: Any) -> None:
    """A moderator set these server settings."""
    guild = await harness.store.guild_settings(GUILD_ID)
    await harness.store.save_guild_settings(replace(guild, **limits))


async def unfinished_job_of(harness: Harness, payload: Payload) -> Job:
    """The job an /imagine started, while it is queued or running."""
    original = harness.discord.original(payload["id"])
    assert original is not None
    for job in await harness.store.unfinished_jobs():
        if job.progress_message_id == original.id:
            return job
    raise AssertionError("the /imagine left no unfinished job")


# -- /info ------------------------------------------------------------------------------------


async def test_info_shows_todays_jobs_queue_and_settings(harness: Harness) -> None:
    await harness.restart(MAX_JOBS_IN_PROGRESS="1")  # one provider slot: later jobs queue
    await set_limits(harness, daily_limit=5, concurrent_limit=3)
    await harness.grid(PROMPT)  # one finished job today
    harness.tt.next_scenario(SLOW)
    await harness.imagine("holds the only slot", user_id=OTHER_USER_ID)
    await harness.imagine("first in the queue", user_id=OTHER_USER_ID)
    await harness.store.save_user_settings(UserSettings(USER_ID, "relax", "--ar 3:2"))
    mine = await unfinished_job_of(harness, await harness.imagine("second in the queue"))

    info = private_text(harness, await as_member(harness, "info"))

    assert re.search(r"Today:\*\* 2 jobs? of 5\b", info), info
    assert "1 queued or running of 3" in info
    assert f"Job {mine.id} (imagine): queued, 1 ahead" in info
    assert "Default mode: relax" in info
    assert "`--ar 3:2`" in info
    assert "DM copy: off" in info
    assert "balance" not in info.lower()
    assert harness.tt.calls_to("/info") == []


async def test_info_of_a_moderator_hides_the_owners_balance(harness: Harness) -> None:
    info = private_text(harness, await as_member(harness, "info", moderator=True))

    assert "balance" not in info  # the owner's account, shared by every server
    assert harness.tt.calls_to("/info") == []


async def test_info_of_an_owner_shows_the_account_balance(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(USER_ID))
    info = private_text(harness, await as_member(harness, "info"))

    assert "Account balance: 1000 credits" in info
    assert "Nothing queued or running." in info
    assert "Default mode: server default" in info
    assert len(harness.tt.calls_to("/info")) == 1


# -- /show ------------------------------------------------------------------------------------


@pytest.fixture
async def grid(harness: Harness) -> tuple[StoredMessage, Job]:
    """A posted /imagine grid of USER_ID and its job."""
    return await harness.grid(PROMPT)


def new_posts(harness: Harness, *before: StoredMessage) -> list[StoredMessage]:
    """Messages posted in the channel besides `before`."""
    return [post for post in harness.discord.posts(CHANNEL_ID) if post not in before]


async def assert_reposted(
    harness: Harness, payload: Payload, grid: StoredMessage, job: Job
) -> StoredMessage:
    """/show posted the job again: image, working buttons, mapped to the job; return it."""
    [repost] = new_posts(harness, grid)
    [attachment] = repost.attachments
    assert attachment.data == harness.tt.image_bytes
    assert repost.rows() == GRID_ROWS
    mapped = await harness.store.job_for_message(repost.id)
    assert mapped is not None
    assert mapped.id == job.id
    assert str(repost.id) in private_text(harness, payload)  # a jump link for the member
    return repost


async def test_show_reposts_ones_own_job_with_working_buttons(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid

    shown = await as_member(harness, "show", job=str(job.id))

    repost = await assert_reposted(harness, shown, message, job)
    await harness.click(repost, "U1")
    [body] = harness.tt_bodies("action")
    assert body["action"] == "upsample1"
    assert body["jobId"] == job.provider_job_id


async def test_show_finds_a_job_by_its_tt_job_id(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid
    assert job.provider_job_id is not None

    shown = await as_member(harness, "show", job=job.provider_job_id)

    await assert_reposted(harness, shown, message, job)


async def test_show_of_another_members_job_is_refused(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid

    shown = await as_member(harness, "show", user_id=OTHER_USER_ID, job=str(job.id))

    [answer] = harness.discord.callbacks_for(shown["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    assert "your own jobs" in answer.data["content"]
    assert new_posts(harness, message) == []


async def test_moderator_may_show_anyones_job(
    harness: Harness, grid: tuple[StoredMessage, Job]
) -> None:
    message, job = grid

    shown = await as_member(harness, "show", user_id=OTHER_USER_ID, moderator=True, job=str(job.id))

    await assert_reposted(harness, shown, message, job)


@pytest.mark.parametrize("reference", ["999999", "not-a-job", "#0"])
async def test_show_of_an_unknown_job_is_refused_clearly(
    harness: Harness, grid: tuple[StoredMessage, Job], reference: str
) -> None:
    message, _ = grid

    shown = await as_member(harness, "show", job=reference)

    [answer] = harness.discord.callbacks_for(shown["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    assert f"I know no job “{reference}”" in answer.data["content"]
    assert new_posts(harness, message) == []


async def test_show_of_an_unfinished_job_is_refused(harness: Harness) -> None:
    harness.tt.next_scenario(SLOW)
    running = await unfinished_job_of(harness, await harness.imagine(PROMPT))

    shown = await as_member(harness, "show", job=str(running.id))

    assert "no result" in private_text(harness, shown)
    assert harness.discord.posts(CHANNEL_ID) == []


# -- /help ------------------------------------------------------------------------------------


def registered(harness: Harness, *, admin: bool) -> list[str]:
    """Qualified names of the tree's commands (not groups): the admin ones, or the others."""
    return [
        command.qualified_name
        for command in harness.bot.tree.walk_commands()
        if not isinstance(command, app_commands.Group)
        and (command.qualified_name.split()[0] == "mj-admin") == admin
    ]


async def help_fields(harness: Harness, *, moderator: bool) -> dict[str, str]:
    """The fields of the ephemeral /help embed, by name."""
    payload = await as_member(harness, "help", moderator=moderator)
    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    [embed] = answer.data["embeds"]
    return {field["name"]: field["value"] for field in embed["fields"]}


def listed(value: str) -> list[str]:
    """The commands a help field lists, as `/name`."""
    return re.findall(r"`/([^`]+)`", value)


async def test_help_lists_every_member_command_and_no_admin_one(harness: Harness) -> None:
    fields = await help_fields(harness, moderator=False)

    expected = registered(harness, admin=False)
    assert {"imagine", "settings", "info", "show", "help"} <= set(expected)
    assert listed(fields["Commands"]) == expected
    assert "Moderators" not in fields
    assert "mj-admin" not in " ".join(fields.values())


async def test_help_for_a_moderator_lists_the_admin_commands_too(harness: Harness) -> None:
    fields = await help_fields(harness, moderator=True)

    assert listed(fields["Commands"]) == registered(harness, admin=False)
    # However the list is laid out (one field or several), every admin command is there.
    admin_fields = [value for name, value in fields.items() if name.startswith("Moderators")]
    assert admin_fields
    assert [name for value in admin_fields for name in listed(value)] == registered(
        harness, admin=True
    )


async def test_help_reads_the_tree_that_is_synced_to_discord(harness: Harness) -> None:
    synced = {command["name"] for command in harness.discord.commands.get(None, [])}
    synced |= {command["name"] for command in harness.discord.commands.get(GUILD_ID, [])}

    assert {command.name for command in harness.bot.tree.get_commands()} == synced


async def test_help_shows_this_servers_modes_and_limits(harness: Harness) -> None:
    await set_limits(
        harness,
        allowed_modes=("fast", "turbo"),
        default_mode="turbo",
        daily_limit=7,
        concurrent_limit=2,
        cooldown_s=30,
    )

    fields = await help_fields(harness, moderator=False)

    assert fields["Modes"] == "fast, turbo (default turbo)"
    limits = fields["Limits here"]
    assert "7 jobs a day each" in limits
    assert "2 jobs at once each" in limits
    assert "30 seconds between jobs" in limits
    assert "🌱" in fields["Buttons"]


async def test_help_without_limits_says_so(harness: Harness) -> None:
    fields = await help_fields(harness, moderator=False)

    assert fields["Limits here"] == "No limits."
    assert fields["Modes"] == f"fast, relax, turbo (default {harness.settings.default_mode})"
