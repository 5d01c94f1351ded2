"""/mj-admin, driven through discord.py: each subcommand's effect, its persistence, the gate."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands
from PIL import Image

from bot.jobs.ledger import DAY, day_start
from bot.jobs.models import Ban, GuildSettings, JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.words import DEFAULT_WORDS
from bot.ui.chart import HEIGHT, WIDTH
from fakes.discord import (
    DEFERRED_CHANNEL_MESSAGE,
    GUILD_ID,
    MEMBER_PERMISSIONS,
    OTHER_USER_ID,
    USER_ID,
)
from fakes.ttapi import ManualClock, Scenario
from tests.cogs.conftest import Harness, Payload

MOD = USER_ID  # harness.admin() runs as this member, with Manage Server
MEMBER = OTHER_USER_ID
LOG_CHANNEL = 1_186_350_000_000_000_210
ART_CHANNEL = 1_186_350_000_000_000_220
ARTISTS = 1_186_350_000_000_000_400
NOT_A_MOD = "Only moderators (Manage Server) can use /mj-admin."


@pytest.fixture(autouse=True)
def server(harness: Harness) -> None:
    """The guild as the gateway would have cached it: an art and a log channel, a role."""
    harness.discord.add_channel(LOG_CHANNEL, name="mod-log")
    harness.discord.add_channel(ART_CHANNEL, name="art")
    harness.discord.add_role(ARTISTS, "artists")
    harness.cache_guild()


def user(harness: Harness, user_id: int = MEMBER) -> dict[str, Any]:
    return harness.discord.user_option(user_id)


def channel(harness: Harness, channel_id: int) -> dict[str, Any]:
    return harness.discord.channel_option(channel_id)


def role(harness: Harness, role_id: int = ARTISTS) -> dict[str, Any]:
    return harness.discord.role_option(role_id, "artists")


async def settings(harness: Harness) -> GuildSettings:
    return await harness.store.guild_settings(GUILD_ID)


async def reply(harness: Harness, name: str, **options: Any) -> str:
    """Run /mj-admin <name> as a moderator and return its ephemeral answer."""
    return harness.private_answer(await harness.admin(name, **options))


# -- the gate ---------------------------------------------------------------------------------


def minimal_options(harness: Harness, command: app_commands.Command[Any, ..., Any]) -> dict:
    """Values for a subcommand's required options, so only the permission gate can refuse it."""
    values: dict[str, Any] = {}
    for parameter in command.parameters:
        if not parameter.required:
            continue
        if parameter.choices:
            values[parameter.name] = parameter.choices[0].value
        elif parameter.type is AppCommandOptionType.user:
            values[parameter.name] = user(harness)
        elif parameter.type is AppCommandOptionType.channel:
            values[parameter.name] = channel(harness, ART_CHANNEL)
        elif parameter.type is AppCommandOptionType.role:
            values[parameter.name] = role(harness)
        elif parameter.type is AppCommandOptionType.integer:
            values[parameter.name] = 1
        else:
            values[parameter.name] = "fast"
    return values


async def run_quietly(harness: Harness, payload: Payload) -> list[BaseException]:
    """Deliver an interaction and wait for its handler; return what it raised, if anything."""
    tasks = harness.dispatch(payload)
    await asyncio.wait(tasks, timeout=5)
    return [error for task in tasks if (error := task.exception()) is not None]


async def test_every_subcommand_refuses_a_member_without_manage_server(harness: Harness) -> None:
    group = harness.bot.tree.get_command("mj-admin")
    assert isinstance(group, app_commands.Group)
    commands = [c for c in group.walk_commands() if isinstance(c, app_commands.Command)]
    assert len(commands) >= 20

    unanswered: dict[str, object] = {}
    for command in commands:
        payload = harness.discord.slash_command(
            command.qualified_name,
            minimal_options(harness, command),
            user_id=MEMBER,
            permissions=MEMBER_PERMISSIONS,
        )
        raised = await run_quietly(harness, payload)
        callbacks = harness.discord.callbacks_for(payload["id"])
        refused = (
            len(callbacks) == 1
            and callbacks[0].ephemeral
            and NOT_A_MOD in str(callbacks[0].data.get("content"))
        )
        if not refused:
            unanswered[command.qualified_name] = raised or callbacks

    assert unanswered == {}, "these got no private refusal"
    # and nothing changed
    assert await settings(harness) == GuildSettings(GUILD_ID)
    assert await harness.store.bans(GUILD_ID) == []
    assert await harness.store.words(GUILD_ID) == []
    assert await harness.store.allowed_channels(GUILD_ID) == []
    assert harness.tt.calls == []


async def test_an_owner_without_manage_server_may_use_it(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(MEMBER))

    payload = harness.discord.slash_command(
        "mj-admin pause", user_id=MEMBER, permissions=MEMBER_PERMISSIONS
    )
    await harness.run(payload)

    assert "paused" in harness.private_answer(payload)
    assert (await settings(harness)).paused


# -- members ----------------------------------------------------------------------------------


async def test_ban_unban_and_bans(harness: Harness) -> None:
    assert await reply(harness, "bans") == "Nobody is banned."

    text = await reply(harness, "ban", user=user(harness), reason="spamming")
    assert text == f"🔨 <@{MEMBER}> is banned from mjbot. Reason: spamming"
    ban = await harness.store.ban_of(GUILD_ID, MEMBER)
    assert ban is not None
    assert (ban.reason, ban.banned_by) == ("spamming", MOD)
    assert await reply(harness, "ban", user=user(harness)) == f"<@{MEMBER}> was already banned."

    listed = await reply(harness, "bans")
    assert listed == f"<@{MEMBER}> by <@{MOD}> <t:{int(ban.created_at)}:R> spamming"

    assert await reply(harness, "unban", user=user(harness)) == (
        f"<@{MEMBER}> may use mjbot again."
    )
    assert await harness.store.ban_of(GUILD_ID, MEMBER) is None
    assert await reply(harness, "unban", user=user(harness)) == f"<@{MEMBER}> was not banned."


async def test_answers_ping_nobody(harness: Harness) -> None:
    payload = await harness.admin("ban", user=user(harness))

    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.data["allowed_mentions"] == {"parse": []}


# -- words ------------------------------------------------------------------------------------


async def test_words_add_list_remove(harness: Harness) -> None:
    assert await reply(harness, "words add", word="  Dragon   Fruit ") == (
        "“dragon fruit” is now banned."
    )
    assert await reply(harness, "words add", word="DRAGON FRUIT") == (
        "“dragon fruit” is already banned."
    )
    await reply(harness, "words add", word="kraken")
    assert await harness.store.words(GUILD_ID) == ["dragon fruit", "kraken"]

    listed = await reply(harness, "words list")
    assert listed == (
        f"This server's words: `dragon fruit`, `kraken`\nPlus {len(DEFAULT_WORDS)} built-in ones."
    )

    assert await reply(harness, "words remove", word="Kraken") == "“kraken” is no longer banned."
    assert await reply(harness, "words remove", word="kraken") == "“kraken” is not banned."
    assert await harness.store.words(GUILD_ID) == ["dragon fruit"]


async def test_built_in_words_are_not_removed_but_turned_off(harness: Harness) -> None:
    text = await reply(harness, "words remove", word="NSFW")

    assert text == (
        "“nsfw” is on the built-in list: turn it off here with /mj-admin words allow-builtin nsfw."
    )


async def test_a_built_in_word_turned_off_and_on(harness: Harness) -> None:
    assert await reply(harness, "words allow-builtin", word=" Gore ") == (
        "Built-in word “gore” is now allowed here."
    )
    assert await reply(harness, "words allow-builtin", word="gore") == (
        "Built-in word “gore” is already allowed here."
    )
    assert await reply(harness, "words list") == (
        f"This server's words: none yet\nPlus {len(DEFAULT_WORDS) - 1} built-in ones.\n"
        "Built-in words allowed here: `gore`"
    )
    await harness.result_of(await harness.imagine("a gore-soaked battlefield, oil on canvas"))
    assert len(harness.tt.calls_to("/imagine")) == 1

    assert await reply(harness, "words forbid-builtin", word="gore") == (
        "Built-in word “gore” is banned again."
    )
    refused = harness.private_answer(await harness.imagine("gore"))
    assert "“gore”" in refused
    assert len(harness.tt.calls_to("/imagine")) == 1


async def test_allow_builtin_names_the_built_in_words(harness: Harness) -> None:
    text = await reply(harness, "words allow-builtin", word="kraken")

    assert text.startswith("“kraken” is not a built-in word. The built-in ones: ")
    assert "corpse" in text
    assert await harness.store.allowed_builtins(GUILD_ID) == []


# -- channels and role -------------------------------------------------------------------------


async def test_channels_allow_deny_list_clear(harness: Harness) -> None:
    assert await reply(harness, "channels list") == "Every channel (the list is empty)."

    assert await reply(harness, "channels allow", channel=channel(harness, ART_CHANNEL)) == (
        f"<#{ART_CHANNEL}> is now allowed."
    )
    await reply(harness, "channels allow", channel=channel(harness, LOG_CHANNEL))
    assert await harness.store.allowed_channels(GUILD_ID) == [LOG_CHANNEL, ART_CHANNEL]
    assert await reply(harness, "channels list") == f"<#{LOG_CHANNEL}> <#{ART_CHANNEL}>"

    assert await reply(harness, "channels deny", channel=channel(harness, LOG_CHANNEL)) == (
        f"<#{LOG_CHANNEL}> is no longer on the list."
    )
    assert await harness.store.allowed_channels(GUILD_ID) == [ART_CHANNEL]

    assert await reply(harness, "channels clear") == "mjbot may be used in every channel again."
    assert await harness.store.allowed_channels(GUILD_ID) == []


async def test_role_set_and_clear(harness: Harness) -> None:
    assert await reply(harness, "role set", role=role(harness)) == (
        f"Members now need <@&{ARTISTS}> to use mjbot."
    )
    assert (await settings(harness)).required_role_id == ARTISTS

    assert await reply(harness, "role clear") == "No role is required any more."
    assert (await settings(harness)).required_role_id is None


# -- settings ---------------------------------------------------------------------------------


async def test_limits_show_and_change_only_what_is_given(harness: Harness) -> None:
    assert await reply(harness, "limits") == (
        "Per member: no limit a day, no limit at once, cooldown none. Server: no limit a day."
    )

    text = await reply(harness, "limits", daily=5, concurrent=2, cooldown=30, guild_daily=100)
    assert text == (
        "Limits updated. Per member: 5 a day, 2 at once, cooldown 30 s. Server: 100 a day."
    )
    await reply(harness, "limits", daily=0)  # 0 = none; the others stay

    current = await settings(harness)
    assert (current.daily_limit, current.concurrent_limit) == (0, 2)
    assert (current.cooldown_s, current.guild_daily_limit) == (30, 100)


async def test_modes(harness: Harness) -> None:
    assert await reply(harness, "modes", allowed="Relax, turbo,relax", default="relax") == (
        "Modes: relax, turbo; default relax."
    )
    current = await settings(harness)
    assert current.allowed_modes == ("relax", "turbo")
    assert current.default_mode == "relax"


@pytest.mark.parametrize(
    ("allowed", "default", "error"),
    [
        ("fast,warp", "fast", "Modes are fast, relax and turbo; got “fast,warp”."),
        (" , ", "fast", "Modes are fast, relax and turbo"),
        ("relax", "fast", "The default (fast) must be one of the allowed modes."),
    ],
    ids=["unknown", "empty", "default-not-allowed"],
)
async def test_modes_refuses_a_wrong_choice(
    harness: Harness, allowed: str, default: str, error: str
) -> None:
    assert error in await reply(harness, "modes", allowed=allowed, default=default)
    assert await settings(harness) == GuildSettings(GUILD_ID)


async def test_buttons(harness: Harness) -> None:
    assert await reply(harness, "buttons", who="requester") == (
        "Result buttons: requester may press them."
    )
    assert (await settings(harness)).buttons_who == "requester"
    await reply(harness, "buttons", who="anyone")
    assert (await settings(harness)).buttons_who == "anyone"


async def test_log_channel_on_and_off(harness: Harness) -> None:
    assert await reply(harness, "log", channel=channel(harness, LOG_CHANNEL)) == (
        f"Audit entries now go to <#{LOG_CHANNEL}>."
    )
    assert (await settings(harness)).log_channel_id == LOG_CHANNEL

    assert await reply(harness, "log") == "The audit log is off."
    assert (await settings(harness)).log_channel_id is None


async def test_pause_and_resume(harness: Harness) -> None:
    assert "paused" in await reply(harness, "pause")
    assert (await settings(harness)).paused
    assert await reply(harness, "resume") == "▶️ mjbot is running again."
    assert not (await settings(harness)).paused


async def test_every_setting_survives_a_restart(harness: Harness) -> None:
    await harness.admin("ban", user=user(harness), reason="spamming")
    await harness.admin("words add", word="Kraken")
    await harness.admin("channels allow", channel=channel(harness, ART_CHANNEL))
    await harness.admin("role set", role=role(harness))
    await harness.admin("limits", daily=5, concurrent=2, cooldown=30, guild_daily=100)
    await harness.admin("modes", allowed="relax,turbo", default="relax")
    await harness.admin("buttons", who="requester")
    await harness.admin("log", channel=channel(harness, LOG_CHANNEL))
    await harness.admin("pause")

    await harness.restart()  # a new process on the same database

    assert await settings(harness) == GuildSettings(
        GUILD_ID,
        default_mode="relax",
        paused=True,
        allowed_modes=("relax", "turbo"),
        buttons_who="requester",
        required_role_id=ARTISTS,
        log_channel_id=LOG_CHANNEL,
        daily_limit=5,
        concurrent_limit=2,
        cooldown_s=30,
        guild_daily_limit=100,
    )
    ban = await harness.store.ban_of(GUILD_ID, MEMBER)
    assert ban == Ban(GUILD_ID, MEMBER, "spamming", MOD, ban.created_at if ban else 0)
    assert await harness.store.words(GUILD_ID) == ["kraken"]
    assert await harness.store.allowed_channels(GUILD_ID) == [ART_CHANNEL]
    # and the restarted bot shows them
    assert f"<@{MEMBER}> by <@{MOD}>" in await reply(harness, "bans")
    assert "`kraken`" in await reply(harness, "words list")
    assert await reply(harness, "channels list") == f"<#{ART_CHANNEL}>"
    assert await reply(harness, "limits") == (
        "Per member: 5 a day, 2 at once, cooldown 30 s. Server: 100 a day."
    )


# -- operations -------------------------------------------------------------------------------


async def test_status_shows_the_tt_api_balance_to_owners(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(MOD))
    payload = await harness.admin("status")

    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.type == DEFERRED_CHANNEL_MESSAGE
    assert answer.ephemeral
    [followup] = harness.discord.followups(payload["id"])
    assert followup.ephemeral
    assert "TT API: healthy · balance 1000 · 0/10 in flight" in followup.content
    assert "Jobs: 0 in flight, 0 queued" in followup.content
    assert "Last error: none" in followup.content
    assert re.search(r"^Database: \d+\.\d MB$", followup.content, re.MULTILINE)
    assert len(harness.tt.calls_to("/info")) == 1


async def test_status_hides_owner_wide_facts_from_server_moderators(harness: Harness) -> None:
    harness.service.last_error = (time.time(), "another server's failure")

    payload = await harness.admin("status")

    [followup] = harness.discord.followups(payload["id"])
    assert "TT API: healthy · 0/10 in flight\n" in followup.content
    assert "balance" not in followup.content
    assert "Last error" not in followup.content
    assert "Database" not in followup.content
    assert "another server" not in followup.content
    assert "Jobs: 0 in flight, 0 queued" in followup.content


async def test_status_when_the_tt_api_refuses(harness: Harness) -> None:
    harness.tt.fail_next("/info", 401, {"status": "FAILED", "message": "Wrong TT-API-KEY"})

    payload = await harness.admin("status")

    [followup] = harness.discord.followups(payload["id"])
    assert "TT API: **unhealthy**: key rejected" in followup.content


async def running_job(harness: Harness, prompt: str = "a slow red fox") -> tuple[Payload, int]:
    """An /imagine by MEMBER that the fake TT API keeps running for a minute."""
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=60.0))
    payload = await harness.imagine(prompt, user_id=MEMBER)
    [job] = await harness.store.unfinished_jobs()
    return payload, job.id


async def test_jobs_lists_a_running_job(harness: Harness) -> None:
    assert await reply(harness, "jobs") == (
        "0 in flight and 0 queued in all.\nNothing running here."
    )
    _, job_id = await running_job(harness)

    head, line = (await reply(harness, "jobs")).split("\n")
    assert head == "1 in flight and 0 queued in all."
    assert line.startswith(f"`{job_id}` <@{MEMBER}> imagine · ")
    assert line.endswith(" · a slow red fox")


async def test_cancel_stops_a_job_and_tells_its_requester(harness: Harness) -> None:
    payload, job_id = await running_job(harness)

    assert await reply(harness, "cancel", job=str(job_id)) == f"Job {job_id} cancelled."

    job = await harness.store.get_job(job_id)
    assert job is not None
    assert job.status is JobStatus.CANCELLED
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    expected = (
        f"**a slow red fox** - <@{MEMBER}> was cancelled: Cancelled by a moderator (<@{MOD}>)."
    )
    await harness.until(lambda: progress.content == expected)
    # The TT API cannot recall it: it keeps its slot, silently watched, but is not listed.
    assert (await reply(harness, "jobs")).endswith("Nothing running here.")
    assert await reply(harness, "cancel", job=f"#{job_id}") == (
        f"Job {job_id} had already finished."
    )


async def test_cancel_an_unknown_job(harness: Harness) -> None:
    assert await reply(harness, "cancel", job="424242") == "No job “424242” on this server."


# -- usage ------------------------------------------------------------------------------------


async def seed_jobs(harness: Harness, spec: list[tuple[float, int, JobStatus, int]]) -> list[int]:
    """Write jobs (when, who, status, guild) straight into the bot's database."""
    clock = ManualClock()
    store = await Store.open(harness.db_path, clock=clock)
    ids = []
    try:
        for when, member, status, guild in spec:
            clock.now = when
            requester = Requester(member, guild_id=guild, channel_id=1)
            job = await store.create_job(NewJob(JobKind.IMAGINE, "fast", requester, prompt="x"))
            await store.transition(job.id, JobStatus.SUBMITTING)
            if status is JobStatus.SUCCEEDED:
                await store.transition(job.id, JobStatus.SUBMITTED)
                await store.transition(job.id, status, quota=2.0)
            else:
                await store.transition(job.id, status, error="no")
            ids.append(job.id)
    finally:
        await store.close()
    return ids


def day_of(when: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(when))


async def test_usage_table_and_csv(harness: Harness) -> None:
    now = time.time()
    today = day_start(now) + (now - day_start(now)) / 2  # earlier today
    yesterday = day_start(now) - DAY / 2
    ok, failed, cancelled = JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED
    ids = await seed_jobs(
        harness,
        [
            (now - 10 * DAY, MOD, ok, GUILD_ID),  # too old for 7 days
            (yesterday, MOD, ok, GUILD_ID),
            (yesterday + 1, MOD, failed, GUILD_ID),
            (yesterday + 2, MEMBER, ok, GUILD_ID),
            (yesterday + 3, MEMBER, ok, 999),  # another server
            (today, MOD, ok, GUILD_ID),
            (today + 1, MOD, cancelled, GUILD_ID),
        ],
    )

    payload = await harness.admin("usage")

    text = harness.private_answer(payload)
    lines = text.split("\n")
    assert lines[0] == "Last 7 days: 5 jobs, about 6 credits."
    assert lines[2] == f"{'day':<10} {'user':<20} {'jobs':>5} {'refund':>6} {'credits':>8}"
    assert lines[3] == f"{day_of(today):<10} {MOD:<20} {2:>5} {1:>6} {'2':>8}"  # newest first
    assert set(lines[4:6]) == {
        f"{day_of(yesterday):<10} {MEMBER:<20} {1:>5} {0:>6} {'2':>8}",
        f"{day_of(yesterday):<10} {MOD:<20} {2:>5} {1:>6} {'2':>8}",
    }
    assert lines[6] == "```"
    original = harness.discord.original(payload["id"])
    assert original is not None
    attachment, chart = original.attachments
    assert attachment.filename == "mjbot-usage-7d.csv"
    assert chart.filename == "mjbot-usage-7d.png"
    image = Image.open(io.BytesIO(chart.data))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode())))
    expected = [ids[1], ids[2], ids[3], ids[5], ids[6]]
    assert [int(row["job"]) for row in rows] == expected
    assert [int(row["user_id"]) for row in rows] == [MOD, MOD, MEMBER, MOD, MOD]
    assert [row["status"] for row in rows] == [
        "succeeded",
        "failed",
        "succeeded",
        "succeeded",
        "cancelled",
    ]
    assert [float(row["credits"]) for row in rows] == [2.0, 0.0, 2.0, 2.0, 0.0]


async def test_usage_of_one_member_over_one_day(harness: Harness) -> None:
    now = time.time()
    ids = await seed_jobs(
        harness,
        [
            (now - 2 * DAY, MEMBER, JobStatus.SUCCEEDED, GUILD_ID),
            (now - 60, MEMBER, JobStatus.SUCCEEDED, GUILD_ID),
            (now - 30, MOD, JobStatus.SUCCEEDED, GUILD_ID),
        ],
    )

    payload = await harness.admin("usage", days=1, user=user(harness))

    assert harness.private_answer(payload).startswith("Last 1 days: 1 jobs, about 2 credits.")
    original = harness.discord.original(payload["id"])
    assert original is not None
    rows = list(csv.DictReader(io.StringIO(original.attachments[0].data.decode())))
    assert [int(row["job"]) for row in rows] == [ids[1]]
