"""Where the bot works: servers only, allowed servers only, each server's jobs its own.

Driven through the real bot and discord.py against the fake Discord; a refusal must be one
ephemeral answer, and the fake TT API must see no paid call.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.jobs.policy import SERVER_ONLY
from bot.jobs.states import JobStatus
from fakes.discord import (
    CHANNEL_ID,
    GUILD_ID,
    MODERATOR_PERMISSIONS,
    OTHER_USER_ID,
    USER_ID,
)
from fakes.ttapi import Scenario
from tests.cogs.conftest import Harness, Payload

OTHER_GUILD = GUILD_ID + 1
OTHER_CHANNEL = CHANNEL_ID + 50
PAID = ("/imagine", "/action", "/blend", "/describe", "/seed", "/inpaint")


def paid_calls(harness: Harness) -> int:
    return sum(len(harness.tt.calls_to(path)) for path in PAID)


def in_dms(payload: Payload) -> Payload:
    """The same interaction as Discord sends it from the bot's DMs: no guild, no member."""
    dm = copy.deepcopy(payload)
    user = dm.pop("member")["user"]
    for key in ("guild", "guild_id"):
        dm.pop(key, None)
    dm["user"] = user
    dm["channel"] = {"id": str(CHANNEL_ID + 99), "type": 1, "recipients": [user]}
    dm["channel_id"] = dm["channel"]["id"]
    dm["context"] = 1  # BOT_DM
    dm["authorizing_integration_owners"] = {"1": user["id"]}
    return dm


def other_server(harness: Harness, name: str, **options: Any) -> Payload:
    """A moderator of another server the bot is in runs `name` there."""
    return harness.discord.slash_command(
        name,
        options,
        user_id=OTHER_USER_ID,
        guild_id=OTHER_GUILD,
        channel_id=OTHER_CHANNEL,
        permissions=MODERATOR_PERMISSIONS,
    )


# -- servers only ---------------------------------------------------------------------------------


async def test_every_command_is_for_servers_only(harness: Harness) -> None:
    """Discord then offers none of them in DMs or as a user app."""
    commands = harness.bot.tree.get_commands()
    assert commands
    for command in commands:
        data = command.to_dict(harness.bot.tree)
        assert data.get("contexts") == [0], command.name  # GUILD only
        assert data.get("integration_types") == [0], command.name  # GUILD_INSTALL only


async def test_imagine_in_dms_is_refused_and_costs_nothing(harness: Harness) -> None:
    await harness.admin("pause")  # a paused server: DMs used to skip even that
    dm = in_dms(harness.discord.slash_command("imagine", {"prompt": "nsfw fox"}))

    await harness.run(dm)

    assert harness.private_answer(dm) == SERVER_ONLY
    assert paid_calls(harness) == 0
    assert await harness.store.count_jobs(since=0) == 0


async def test_show_in_dms_is_refused(harness: Harness) -> None:
    _, job = await harness.grid("a paper boat")
    dm = in_dms(harness.discord.slash_command("show", {"job": str(job.id)}))

    await harness.run(dm)

    assert harness.private_answer(dm) == SERVER_ONLY


# -- each server's jobs are its own ---------------------------------------------------------


async def test_show_does_not_cross_servers(harness: Harness) -> None:
    _, job = await harness.grid("a secret prompt of server A")

    payload = await harness.run(other_server(harness, "show", job=str(job.id)))

    answer = harness.private_answer(payload)
    assert answer == f"I know no job “{job.id}” on this server."
    assert "secret" not in answer
    assert harness.discord.posts(OTHER_CHANNEL) == []


async def test_owners_may_show_a_job_of_any_server(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(OTHER_USER_ID))
    _, job = await harness.grid("a paper boat")

    await harness.run(other_server(harness, "show", job=str(job.id)))

    [repost] = harness.discord.posts(OTHER_CHANNEL)
    assert (await harness.store.job_for_message(repost.id)) == job


# -- allowed servers ------------------------------------------------------------------------------


def guild_data(harness: Harness, guild_id: int) -> dict[str, Any]:
    data = harness.discord.guild_payload()
    return {**data, "id": str(guild_id), "name": f"server {guild_id}", "channels": []}


async def test_unlisted_servers_are_left_on_start_and_on_join(harness: Harness) -> None:
    await harness.restart(ALLOWED_GUILD_IDS=str(GUILD_ID))
    state = harness.bot._connection
    state._add_guild_from_data(guild_data(harness, GUILD_ID))  # type: ignore[arg-type]
    state._add_guild_from_data(guild_data(harness, OTHER_GUILD))  # type: ignore[arg-type]

    await harness.bot.on_ready()

    assert harness.discord.left_guilds == [OTHER_GUILD]
    joined = state._add_guild_from_data(guild_data(harness, OTHER_GUILD + 1))  # type: ignore[arg-type]
    await harness.bot.on_guild_join(joined)
    assert harness.discord.left_guilds == [OTHER_GUILD, OTHER_GUILD + 1]


async def test_an_empty_allow_list_leaves_nothing(harness: Harness) -> None:
    state = harness.bot._connection
    state._add_guild_from_data(guild_data(harness, OTHER_GUILD))  # type: ignore[arg-type]

    await harness.bot.on_ready()

    assert harness.discord.left_guilds == []


# -- a ban reaches the queue ----------------------------------------------------------------


async def test_a_ban_cancels_the_members_queued_jobs_and_tells_them(harness: Harness) -> None:
    await harness.restart(MAX_JOBS_IN_PROGRESS="1")
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=60.0))
    await harness.imagine("a long job of someone else", user_id=USER_ID + 5)
    queued = await harness.imagine("a queued fox", user_id=OTHER_USER_ID)
    [job] = [j for j in await harness.store.unfinished_jobs() if j.user_id == OTHER_USER_ID]
    assert job.status is JobStatus.QUEUED

    answer = harness.private_answer(
        await harness.admin("ban", user=harness.discord.user_option(OTHER_USER_ID), reason="spam")
    )

    assert "1 queued job(s) cancelled" in answer
    cancelled = await harness.store.get_job(job.id)
    assert cancelled is not None
    assert cancelled.status is JobStatus.CANCELLED
    assert "banned" in (cancelled.error or "")
    # The member is told where they asked: their progress message shows the reason.
    original = harness.discord.original(queued["id"])
    assert original is not None
    await harness.until(lambda: "banned" in harness.discord.message(original.id).content)
    assert [call.json["prompt"] for call in harness.tt.calls_to("/imagine")] == [
        "a long job of someone else"
    ]


async def test_a_server_not_allowed_is_refused_until_the_bot_has_left(harness: Harness) -> None:
    await harness.restart(ALLOWED_GUILD_IDS=str(OTHER_GUILD))

    payload = await harness.imagine("a fox")

    assert harness.private_answer(payload) == "mjbot is not enabled on this server."
    assert paid_calls(harness) == 0
