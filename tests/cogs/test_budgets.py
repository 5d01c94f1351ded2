"""Credit budgets and owner alerts in Discord: the real bot between the fake Discord and TT API."""

from __future__ import annotations

import json
import time

import pytest

from bot.jobs.ledger import DAY, day_start
from bot.jobs.states import JobStatus
from fakes.discord import GUILD_ID, MEMBER_PERMISSIONS, OTHER_USER_ID, USER_ID
from tests.cogs.conftest import Harness, Payload

OWNER = OTHER_USER_ID  # not the moderator who runs the commands
LOG_CHANNEL = 1_186_350_000_000_000_210


@pytest.fixture(autouse=True)
def server(harness: Harness) -> None:
    harness.discord.add_channel(LOG_CHANNEL, name="mod-log")
    harness.cache_guild()


def answer(harness: Harness, payload: Payload) -> str:
    """Everything an interaction answered (response or followups), all of it ephemeral."""
    shown = [harness.discord.original(payload["id"]), *harness.discord.followups(payload["id"])]
    messages = [message for message in shown if message is not None and message.content]
    assert messages
    assert all(message.ephemeral for message in messages)
    return "\n".join(message.content for message in messages)


async def as_member(harness: Harness, name: str, **options: object) -> Payload:
    payload = harness.discord.slash_command(
        name, options, user_id=USER_ID, permissions=MEMBER_PERMISSIONS
    )
    return await harness.run(payload)


def dms(harness: Harness, user_id: int = OWNER) -> list[str]:
    channel = harness.discord.dm_channel(user_id)
    return [m.content for m in harness.discord.messages_in(channel)] if channel else []


# -- budgets ----------------------------------------------------------------------------------


async def test_budget_sets_shows_and_is_logged(harness: Harness) -> None:
    await harness.admin("log", channel=harness.discord.channel_option(LOG_CHANNEL))

    text = answer(harness, await harness.admin("budget", member_daily=12.0, server_monthly=250.5))

    assert text == (
        "Budgets updated. Per member: 12 credits a day · Server: no budget a day, "
        "250.5 credits a month (calendar month, UTC)."
    )
    budget = await harness.store.budget(GUILD_ID)
    assert (budget.member_daily, budget.guild_daily, budget.guild_monthly) == (12.0, 0.0, 250.5)
    assert answer(harness, await harness.admin("budget")).startswith("Per member: 12 credits")
    assert any("Budgets updated" in m.content for m in harness.discord.posts(LOG_CHANNEL))


async def test_a_member_over_budget_is_told_what_is_left_and_when_it_resets(
    harness: Harness,
) -> None:
    await harness.admin("budget", member_daily=2.0)

    payload = await as_member(harness, "imagine", prompt="a lighthouse")

    text = harness.private_answer(payload)
    reset = int(day_start(time.time()) + DAY)
    assert text == (
        "This fast imagine is estimated at 3 credits, but you have 2 of your 2-credit daily "
        "budget left. A cheaper job (relax mode, an upscale) may still fit. "
        f"You can try again <t:{reset}:R>."
    )
    assert harness.tt_bodies("imagine") == []  # nothing spent, nothing shown in the channel
    assert harness.discord.posts() == []


async def test_info_usage_and_status_show_spend_against_the_budgets(harness: Harness) -> None:
    await harness.admin("budget", member_daily=12.0, server_monthly=100.0)
    await harness.grid("a paper boat")  # estimated 3, the fake reports 2

    info = answer(harness, await as_member(harness, "info"))
    usage = answer(harness, await harness.admin("usage"))
    status = answer(harness, await harness.admin("status"))

    assert "**Budget today:** 10 of 12 credits left (2 used, resets <t:" in info
    assert "Server this month: 98 of 100 credits left" in info
    assert f"<@{USER_ID}> 2/12 credits (estimated 3, reported 2)" in usage
    assert "Spend this month: 2 of 100 credits · today 2" in status


# -- prices -----------------------------------------------------------------------------------


async def test_moderators_see_prices_and_only_owners_change_them(harness: Harness) -> None:
    shown = answer(harness, await harness.admin("prices"))
    assert "imagine 3 · imagine_v6 4.5 · reroll 3" in shown
    assert "turbo ×2" in shown

    refused = await harness.admin("prices", item="imagine", credits=6.0)
    assert "Only the bot's owners" in harness.private_answer(refused)

    await harness.restart(OWNER_IDS=str(USER_ID))
    changed = answer(harness, await harness.admin("prices", item="turbo", credits=3.0))

    assert changed.startswith("turbo mode factor is now 3.")
    saved = json.loads((harness.db_path.parent / "prices.json").read_text())
    assert saved["ttapi"]["modes"]["turbo"] == 3.0
    await harness.restart(OWNER_IDS=str(USER_ID))  # read back from the file
    assert harness.service.prices.table().modes["turbo"] == 3.0


# -- owner alerts -----------------------------------------------------------------------------


async def test_the_owner_gets_one_dm_when_the_balance_crosses_the_threshold(
    harness: Harness,
) -> None:
    await harness.admin("log", channel=harness.discord.channel_option(LOG_CHANNEL))
    harness.tt.balance = 11.0
    await harness.restart(OWNER_IDS=str(OWNER), LOW_BALANCE_ALERT="10")
    await harness.until(lambda: harness.tt.calls_to("/info"))  # looked at once on start
    assert dms(harness) == []

    await harness.grid("a costly lighthouse")  # balance 11 -> 9
    for _ in range(3):
        await harness.admin("status")  # each looks at the balance again

    await harness.until(lambda: dms(harness))
    [dm] = dms(harness)
    assert dm.startswith("⚠️ The TT API balance is low: 9 credits, below your alert level of 10")
    assert any(dm == m.content for m in harness.discord.posts(LOG_CHANNEL))


async def test_a_402_holds_jobs_tells_members_and_dms_the_owner_once(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(OWNER))
    harness.tt.balance = 0.0

    first = await harness.imagine("a paper boat")
    second = await harness.imagine("a paper plane", user_id=OWNER)

    await harness.until(lambda: dms(harness))
    [dm] = dms(harness)
    assert dm.startswith("🛑 The TT API balance is used up (HTTP 402")
    for payload in (first, second):
        original = harness.discord.original(payload["id"])
        assert original is not None
        await harness.until(lambda m=original: "balance is used up" in m.content)
        assert "Nothing was charged." in original.content
    jobs = await harness.store.unfinished_jobs()
    assert [job.status for job in jobs] == [JobStatus.QUEUED, JobStatus.QUEUED]
    status = answer(harness, await harness.admin("status"))
    assert "held: balance used up (402)" in status

    harness.tt.balance = 100.0
    await harness.admin("status")  # the top-up is seen: the queue moves again

    await harness.result_of(first)
    await harness.result_of(second)
    await harness.until(lambda: len(dms(harness)) == 2)
    assert dms(harness)[1].startswith("✅ The TT API balance is back (100 credits")
    assert len(harness.tt_bodies("imagine")) == 3  # one 402, then each job once


async def test_the_hold_survives_a_restart_without_a_second_dm(harness: Harness) -> None:
    await harness.restart(OWNER_IDS=str(OWNER))
    harness.tt.balance = 0.0
    await harness.imagine("a paper boat")
    await harness.until(lambda: dms(harness))

    await harness.restart(OWNER_IDS=str(OWNER))
    second = await harness.imagine("after the restart", user_id=OWNER)

    assert harness.service.payment_hold
    original = harness.discord.original(second["id"])
    assert original is not None
    await harness.until(lambda: "balance is used up" in original.content)
    info = answer(harness, await as_member(harness, "info"))
    assert "Waiting: the bot's TT API balance is used up" in info
    await harness.until(lambda: len(harness.tt.calls_to("/info")) >= 2)  # looked again
    assert len(dms(harness)) == 1
    assert len(harness.tt_bodies("imagine")) == 1  # nothing more was sent while held


async def test_resume_lifts_the_hold_and_an_empty_balance_holds_again_silently(
    harness: Harness,
) -> None:
    await harness.restart(OWNER_IDS=str(OWNER))
    harness.tt.balance = 0.0
    waiting = await harness.imagine("a paper boat")
    await harness.until(lambda: dms(harness))

    text = answer(harness, await harness.admin("resume"))

    assert "The hold after the TT API's 402 (balance used up) is lifted too." in text
    await harness.until(lambda: len(harness.tt_bodies("imagine")) == 2)  # tried again: 402
    await harness.until(lambda: harness.service.payment_hold)
    assert len(dms(harness)) == 1  # the same episode: no second alert
    jobs = await harness.store.unfinished_jobs()
    assert [job.status for job in jobs] == [JobStatus.QUEUED]
    harness.tt.balance = 50.0
    await harness.admin("status")
    await harness.result_of(waiting)
