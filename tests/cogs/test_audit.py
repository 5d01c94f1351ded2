"""The audit channel: an entry per finished job and per admin change, with moderator buttons."""

from __future__ import annotations

import pytest

from bot.jobs.models import Job
from bot.jobs.states import JobStatus
from fakes.discord import (
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    OTHER_USER_ID,
    USER_ID,
    StoredMessage,
)
from fakes.ttapi import Scenario
from tests.cogs.conftest import Harness, Payload

MOD = USER_ID  # harness.admin() runs as this member, with Manage Server
MEMBER = OTHER_USER_ID  # asks for the jobs
BYSTANDER = OTHER_USER_ID + 7  # an ordinary member who finds the audit channel
LOG_CHANNEL = 1_186_350_000_000_000_210
PROMPT = "a lighthouse at dusk"
NOT_A_MOD = "Only moderators (Manage Server) can use these buttons."


@pytest.fixture(autouse=True)
async def log_channel(harness: Harness) -> None:
    """The guild is cached (as after GUILD_CREATE) and its audit channel is set."""
    harness.discord.add_channel(LOG_CHANNEL, name="mod-log")
    harness.cache_guild()
    await harness.admin("log", channel=harness.discord.channel_option(LOG_CHANNEL))


def entries(harness: Harness) -> list[StoredMessage]:
    """Live messages in the audit channel, oldest first."""
    return harness.discord.posts(LOG_CHANNEL)


def job_entries(harness: Harness) -> list[StoredMessage]:
    return [entry for entry in entries(harness) if entry.content.startswith("🧾")]


async def member_grid(harness: Harness) -> tuple[StoredMessage, Job]:
    """A grid MEMBER asked for, and its audit entry posted."""
    result, job = await harness.grid(PROMPT, user_id=MEMBER)
    await harness.until(lambda: job_entries(harness))
    return result, job


async def press(harness: Harness, entry: StoredMessage, emoji: str, *, moderator: bool) -> Payload:
    """Click 🔨 or 🗑️ on an audit entry, as a moderator or as an ordinary member."""
    custom_id = entry.custom_id(emoji)
    payload = harness.discord.button_click(
        entry,
        custom_id,
        user_id=MOD if moderator else BYSTANDER,
        permissions=MODERATOR_PERMISSIONS if moderator else MEMBER_PERMISSIONS,
    )
    return await harness.run(payload)


# -- job entries ------------------------------------------------------------------------------


async def test_a_finished_job_gets_one_entry_with_a_link_and_buttons(harness: Harness) -> None:
    result, job = await member_grid(harness)

    [entry] = job_entries(harness)
    link = f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{result.id}"
    first_line, quoted = entry.content.split("\n")
    assert first_line.startswith(f"🧾 Job {job.id} · <@{MEMBER}> · imagine · fast · succeeded · ")
    assert first_line.endswith(f" credits · [result]({link})")
    assert quoted == f"> {PROMPT}"
    assert entry.rows() == [[("Delete result", "🗑️"), ("Ban user", "🔨")]]
    assert entry.mentions == []  # an audit entry pings nobody
    assert not entry.ephemeral


async def test_a_failed_job_gets_an_entry_with_the_reason(harness: Harness) -> None:
    harness.tt.next_scenario(
        Scenario(queue_seconds=0.0, run_seconds=0.05, outcome="FAILED", fail_message="nope")
    )
    await harness.imagine(PROMPT, user_id=MEMBER)

    [entry] = await harness.until(lambda: job_entries(harness))
    assert f"<@{MEMBER}> · imagine · fast · failed (" in entry.content
    assert "nope" in entry.content
    assert " · 0 credits" in entry.content  # refunded


async def test_a_job_the_tt_api_refuses_gets_an_entry(harness: Harness) -> None:
    """Midjourney's moderation refusing a prompt is what moderators most want to see."""
    await harness.imagine("a skimpy lighthouse", user_id=MEMBER)  # the fake TT API refuses it

    [job] = await harness.store.jobs_since(GUILD_ID, 0, MEMBER)
    assert job.status is JobStatus.FAILED
    [entry] = await harness.until(lambda: job_entries(harness), within=2)
    assert f"🧾 Job {job.id} · <@{MEMBER}> · imagine · fast · failed" in entry.content


async def test_a_cancelled_job_gets_an_entry(harness: Harness) -> None:
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=60.0))
    await harness.imagine(PROMPT, user_id=MEMBER)
    [job] = await harness.store.unfinished_jobs()

    await harness.admin("cancel", job=str(job.id))

    [entry] = await harness.until(lambda: job_entries(harness))
    assert f"🧾 Job {job.id} · <@{MEMBER}> · imagine · fast · cancelled (" in entry.content
    assert "Cancelled by a moderator" in entry.content


async def test_without_an_audit_channel_nothing_is_logged(harness: Harness) -> None:
    await harness.admin("log")  # off
    before = len(entries(harness))

    await harness.grid(PROMPT, user_id=MEMBER)
    await harness.admin("ban", user=harness.discord.user_option(BYSTANDER))

    assert len(entries(harness)) == before
    posted_to = {r.path for r in harness.discord.requests_to("POST", r"^/channels/\d+/messages$")}
    assert posted_to <= {f"/channels/{CHANNEL_ID}/messages", f"/channels/{LOG_CHANNEL}/messages"}


# -- the moderator buttons --------------------------------------------------------------------


async def test_ban_button_bans_the_requester(harness: Harness) -> None:
    _, job = await member_grid(harness)
    [entry] = job_entries(harness)

    payload = await press(harness, entry, "🔨", moderator=True)

    text = f"🔨 <@{MOD}> banned <@{MEMBER}> from the audit log (job {job.id})."
    assert harness.private_answer(payload) == text
    ban = await harness.store.ban_of(GUILD_ID, MEMBER)
    assert ban is not None
    assert ban.banned_by == MOD
    assert entries(harness)[-1].content == text  # the ban is itself audited
    refused = await harness.imagine(PROMPT, user_id=MEMBER)
    assert "banned" in harness.private_answer(refused)


async def test_delete_button_deletes_the_result(harness: Harness) -> None:
    result, job = await member_grid(harness)
    [entry] = job_entries(harness)

    payload = await press(harness, entry, "🗑️", moderator=True)

    text = f"🗑️ Result of job {job.id} by <@{MEMBER}> deleted."
    assert harness.private_answer(payload) == text
    assert harness.discord.message(result.id).deleted
    assert entries(harness)[-1].content == text
    assert await harness.store.ban_of(GUILD_ID, MEMBER) is None


@pytest.mark.parametrize("emoji", ["🔨", "🗑️"])
async def test_a_member_without_manage_server_is_refused(harness: Harness, emoji: str) -> None:
    result, _ = await member_grid(harness)
    [entry] = job_entries(harness)
    count = len(entries(harness))

    payload = await press(harness, entry, emoji, moderator=False)

    assert harness.private_answer(payload) == NOT_A_MOD
    assert await harness.store.ban_of(GUILD_ID, MEMBER) is None
    assert not harness.discord.message(result.id).deleted
    assert len(entries(harness)) == count


async def test_buttons_work_after_a_restart(harness: Harness) -> None:
    await member_grid(harness)
    [entry] = job_entries(harness)

    await harness.restart()
    payload = await press(harness, entry, "🔨", moderator=True)

    assert f"banned <@{MEMBER}>" in harness.private_answer(payload)
    assert await harness.store.ban_of(GUILD_ID, MEMBER) is not None


# -- admin entries ----------------------------------------------------------------------------


async def test_admin_changes_are_logged(harness: Harness) -> None:
    [enabled] = entries(harness)
    assert enabled.content == (
        f"🛠️ <@{MOD}> /mj-admin log: Audit entries now go to <#{LOG_CHANNEL}>."
    )

    await harness.admin("ban", user=harness.discord.user_option(MEMBER), reason="spam")
    await harness.admin("words add", word="kraken")
    await harness.admin("limits", daily=3)
    await harness.admin("pause")

    assert [entry.content for entry in entries(harness)[1:]] == [
        f"🛠️ <@{MOD}> /mj-admin ban: 🔨 <@{MEMBER}> is banned from mjbot. Reason: spam",
        f"🛠️ <@{MOD}> /mj-admin words add: “kraken” is now banned.",
        f"🛠️ <@{MOD}> /mj-admin limits: Limits updated. Per member: 3 a day, no limit at once, "
        "cooldown none. Server: no limit a day.",
        f"🛠️ <@{MOD}> /mj-admin pause: ⏸️ mjbot is paused here: nothing more is sent to the TT API.",
    ]
    assert all(entry.mentions == [] for entry in entries(harness))


async def test_unchanged_and_read_only_commands_are_not_logged(harness: Harness) -> None:
    await harness.admin("ban", user=harness.discord.user_option(MEMBER))
    count = len(entries(harness))

    await harness.admin("ban", user=harness.discord.user_option(MEMBER))  # already banned
    await harness.admin("unban", user=harness.discord.user_option(BYSTANDER))  # was not
    await harness.admin("bans")
    await harness.admin("words list")
    await harness.admin("limits")
    await harness.admin("status")

    assert len(entries(harness)) == count
