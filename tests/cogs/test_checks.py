"""Every check refuses privately, with its reason, before the TT API sees a call.

Each case configures the server the way a moderator would (through /mj-admin), then a member
asks. The answer must be one ephemeral message (callback type 4, flags 64) naming the reason;
nothing is shown in the channel and the fake TT API's call count does not move.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.jobs.ledger import DAY, day_start
from bot.jobs.policy import PAUSED
from bot.jobs.states import JobStatus
from fakes.discord import (
    CHANNEL_ID,
    DEFERRED_CHANNEL_MESSAGE,
    GUILD_ID,
    MODERATOR_PERMISSIONS,
    OTHER_USER_ID,
    USER_ID,
    StoredMessage,
)
from fakes.ttapi import FAILED, Scenario, make_png
from tests.cogs.conftest import Harness, Payload

MEMBER = OTHER_USER_ID  # asks in these tests; an ordinary member
THIRD = OTHER_USER_ID + 7  # another ordinary member
ART_CHANNEL = 1_186_350_000_000_000_220
ARTISTS = 1_186_350_000_000_000_400
PROMPT = "a red fox in the snow"
ENDLESS = Scenario(queue_seconds=0.0, run_seconds=60.0)
# The TT API endpoints that start (and charge for) a job.
SUBMITS = ("/imagine", "/action", "/blend", "/describe", "/seed", "/inpaint")


@pytest.fixture(autouse=True)
def server(harness: Harness) -> None:
    """The guild as the gateway would have cached it: an art channel and a role."""
    harness.discord.add_channel(ART_CHANNEL, name="art")
    harness.discord.add_role(ARTISTS, "artists")
    harness.cache_guild()


def next_midnight() -> int:
    return int(day_start(time.time()) + DAY)


async def ask(
    harness: Harness, prompt: str = PROMPT, *, user_id: int = MEMBER, **options: Any
) -> Payload:
    """/imagine by a member without Manage Server."""
    payload = harness.discord.slash_command(
        "imagine", {"prompt": prompt, **options}, user_id=user_id
    )
    return await harness.run(payload)


async def first_job(harness: Harness, user_id: int = MEMBER) -> None:
    """One job that succeeds and is posted, so it counts against the limits."""
    await harness.result_of(await ask(harness, user_id=user_id))


def submits(harness: Harness) -> int:
    """How many job-starting calls the fake TT API received."""
    return sum(len(harness.tt.calls_to(endpoint)) for endpoint in SUBMITS)


class Snapshot:
    """What must not change while a refusal is answered."""

    def __init__(self, harness: Harness) -> None:
        self.submits = submits(harness)
        self.posts = [message.id for message in harness.discord.posts(CHANNEL_ID)]
        self.channel_posts = harness.discord.requests_to("POST", r"^/channels/")


def assert_refused(harness: Harness, payload: Payload, before: Snapshot) -> str:
    """One private answer, no progress message, nothing posted, no TT API call; its text."""
    text = harness.private_answer(payload)
    answer = harness.discord.original(payload["id"])
    assert answer is not None
    assert answer.ephemeral
    assert answer.edits == []  # never turned into a progress line
    assert [m.id for m in harness.discord.posts(CHANNEL_ID)] == before.posts
    assert harness.discord.requests_to("POST", r"^/channels/") == before.channel_posts
    assert submits(harness) == before.submits, "the TT API was asked to start a job"
    return text


# -- /imagine -----------------------------------------------------------------------------------


@dataclass
class Case:
    """How a moderator configures the server, and what the refused member reads."""

    setup: Callable[[Harness], Awaitable[object]]
    reason: str | Callable[[Harness], Awaitable[str]]
    prompt: str = PROMPT
    options: dict[str, Any] = field(default_factory=dict)


async def nothing(harness: Harness) -> None:
    """No setup: the default server refuses this on its own."""


async def cooldown_reason(harness: Harness) -> str:
    [job] = await harness.store.jobs_since(GUILD_ID, 0, MEMBER)
    retry = int(job.created_at + 3600)
    return f"Please wait between jobs (3600 s here). You can try again <t:{retry}:R>."


async def daily_reason(harness: Harness) -> str:
    return f"You have used your 1 jobs for today. You can try again <t:{next_midnight()}:R>."


async def guild_daily_reason(harness: Harness) -> str:
    return f"This server has used its 1 jobs for today. You can try again <t:{next_midnight()}:R>."


async def limits(harness: Harness, first_by: int = MEMBER, **values: int) -> None:
    await harness.admin("limits", **values)
    await first_job(harness, first_by)


async def concurrent(harness: Harness) -> None:
    await harness.admin("limits", concurrent=1)
    harness.tt.next_scenario(ENDLESS)
    await ask(harness)
    assert (await harness.store.unfinished_jobs())[0].user_id == MEMBER


CASES = {
    "paused": Case(lambda h: h.admin("pause"), PAUSED),
    "channel": Case(
        lambda h: h.admin("channels allow", channel=h.discord.channel_option(ART_CHANNEL)),
        f"mjbot can't be used in this channel. Try <#{ART_CHANNEL}>.",
    ),
    "role": Case(
        lambda h: h.admin("role set", role=h.discord.role_option(ARTISTS)),
        f"You need the <@&{ARTISTS}> role to use mjbot here.",
    ),
    "ban": Case(
        lambda h: h.admin("ban", user=h.discord.user_option(MEMBER), reason="spamming"),
        "You are banned from using mjbot on this server. Reason: spamming",
    ),
    "default-word": Case(
        nothing,
        "Your prompt contains the banned word “nude”. Please rephrase it.",
        prompt="a NUDE marble statue",
    ),
    "server-word": Case(
        lambda h: h.admin("words add", word="Kraken"),
        "Your prompt contains the banned word “kraken”. Please rephrase it.",
        prompt="Release the KRAKEN!",
    ),
    "mode": Case(
        lambda h: h.admin("modes", allowed="relax", default="relax"),
        "Fast mode is not enabled here. Allowed: relax.",
        options={"mode": "fast"},
    ),
    "daily-limit": Case(lambda h: limits(h, daily=1), daily_reason),
    "concurrent-limit": Case(
        concurrent,
        "You already have 1 jobs queued or running (the limit here is 1). Wait for one to finish.",
    ),
    "cooldown": Case(lambda h: limits(h, cooldown=3600), cooldown_reason),
    "server-daily-limit": Case(
        lambda h: limits(h, first_by=THIRD, guild_daily=1), guild_daily_reason
    ),
    "lint-glued": Case(
        nothing,
        "Put a space between `--ar` and its value: `--ar 16:9`.",
        prompt="a red fox --ar16:9",
    ),
    "lint-bare-niji": Case(
        nothing, "`--niji` needs a value, e.g. `--niji 6`.", prompt="a red fox --niji"
    ),
    "lint-cref": Case(
        nothing,
        "`--cref` works only with a v6 model: add `--v 6.1` to your prompt.",
        prompt="a red fox --cref https://example.com/fox.png",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_check_refuses_privately_before_any_tt_api_call(harness: Harness, case: Case) -> None:
    await case.setup(harness)
    before = Snapshot(harness)

    payload = await ask(harness, case.prompt, **case.options)

    text = assert_refused(harness, payload, before)
    reason = case.reason if isinstance(case.reason, str) else await case.reason(harness)
    assert text == reason


async def test_pause_blocks_every_command(harness: Harness) -> None:
    await harness.admin("pause")
    image = harness.discord.attachment("fox.png", make_png(2, 2))
    other = harness.discord.attachment("owl.png", make_png(2, 2))
    before = Snapshot(harness)

    for name, options in [
        ("imagine", {"prompt": PROMPT}),
        ("blend", {"image1": image, "image2": other}),
        ("describe", {"image": image}),
    ]:
        payload = await harness.run(harness.discord.slash_command(name, options, user_id=MEMBER))
        assert assert_refused(harness, payload, before) == PAUSED, name

    assert harness.tt.calls == []
    assert harness.discord.requests_to("GET", r"^/attachments/") == []  # nothing downloaded


async def test_resume_lets_members_in_again(harness: Harness) -> None:
    await harness.admin("pause")
    await harness.admin("resume")

    await first_job(harness)

    assert len(harness.tt.calls_to("/imagine")) == 1


async def test_a_member_with_the_role_may_ask(harness: Harness) -> None:
    await harness.admin("role set", role=harness.discord.role_option(ARTISTS))

    payload = harness.discord.slash_command(
        "imagine", {"prompt": PROMPT}, user_id=MEMBER, roles=[ARTISTS]
    )
    await harness.result_of(await harness.run(payload))

    assert len(harness.tt.calls_to("/imagine")) == 1


async def test_moderators_skip_channel_role_and_limits(harness: Harness) -> None:
    await harness.admin("channels allow", channel=harness.discord.channel_option(ART_CHANNEL))
    await harness.admin("role set", role=harness.discord.role_option(ARTISTS))
    await harness.admin("limits", daily=1, cooldown=3600)

    for _ in range(2):
        payload = harness.discord.slash_command(
            "imagine", {"prompt": PROMPT}, user_id=THIRD, permissions=MODERATOR_PERMISSIONS
        )
        await harness.run(payload)
        [answer] = harness.discord.callbacks_for(payload["id"])
        assert answer.type == DEFERRED_CHANNEL_MESSAGE

    assert len(harness.tt.calls_to("/imagine")) == 2


async def test_an_allowed_channel_works(harness: Harness) -> None:
    await harness.admin("channels allow", channel=harness.discord.channel_option(ART_CHANNEL))

    payload = harness.discord.slash_command(
        "imagine", {"prompt": PROMPT}, user_id=MEMBER, channel_id=ART_CHANNEL
    )
    await harness.run(payload)

    assert harness.discord.callbacks_for(payload["id"])[0].type == DEFERRED_CHANNEL_MESSAGE
    assert len(harness.tt.calls_to("/imagine")) == 1


# -- limits: refunds and the day boundary ----------------------------------------------------


async def test_failed_and_cancelled_jobs_do_not_count_against_the_daily_limit(
    harness: Harness,
) -> None:
    await harness.admin("limits", daily=1)

    async def statuses() -> list[JobStatus]:
        return [job.status for job in await harness.store.jobs_since(GUILD_ID, 0, MEMBER)]

    # refused by the TT API at submit ("skimpy" is on the fake's list, not on ours)
    await ask(harness, "a skimpy fox")
    # accepted, then failed by Midjourney
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.05, outcome=FAILED))
    await ask(harness)

    async def both_failed() -> bool:
        return await statuses() == [JobStatus.FAILED, JobStatus.FAILED]

    await harness.until(both_failed)
    # running, then cancelled by a moderator
    harness.tt.next_scenario(ENDLESS)
    await ask(harness)
    [running] = await harness.store.unfinished_jobs()
    await harness.admin("cancel", job=str(running.id))
    assert await statuses() == [JobStatus.FAILED, JobStatus.FAILED, JobStatus.CANCELLED]

    await first_job(harness)  # the day's one job
    before = Snapshot(harness)
    refused = await ask(harness)

    assert "You have used your 1 jobs for today" in assert_refused(harness, refused, before)
    assert len(harness.tt.calls_to("/imagine")) == 4


class OffsetClock:
    """Real time moved by `offset`: durations stay real, the date is the test's choice."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_daily_limit_resets_at_midnight_utc(harness: Harness) -> None:
    now = time.time()
    clock = OffsetClock(day_start(now) + DAY - 30 - now)  # 23:59:30 UTC
    midnight = int(day_start(clock()) + DAY)
    harness.clock = clock
    await harness.restart()
    await harness.admin("limits", daily=1)
    await first_job(harness)

    before = Snapshot(harness)
    refused = await ask(harness)
    assert assert_refused(harness, refused, before) == (
        f"You have used your 1 jobs for today. You can try again <t:{midnight}:R>."
    )

    clock.offset += 60  # 00:00:30 the next day
    await first_job(harness)
    assert len(harness.tt.calls_to("/imagine")) == 2


# -- buttons ----------------------------------------------------------------------------------


@pytest.fixture
async def grid(harness: Harness) -> StoredMessage:
    """A grid USER_ID asked for, as an ordinary member."""
    message, _ = await harness.grid(PROMPT)
    return message


async def click(harness: Harness, message: StoredMessage, label: str, user_id: int) -> Payload:
    return await harness.click(message, label, user_id=user_id)


async def test_pause_blocks_buttons(harness: Harness, grid: StoredMessage) -> None:
    await harness.admin("pause")
    before = Snapshot(harness)

    payload = await click(harness, grid, "U1", MEMBER)

    assert assert_refused(harness, payload, before) == PAUSED
    assert harness.tt.calls_to("/action") == []


async def test_a_banned_member_cannot_press_buttons(harness: Harness, grid: StoredMessage) -> None:
    await harness.admin("ban", user=harness.discord.user_option(MEMBER))
    before = Snapshot(harness)

    payload = await click(harness, grid, "V1", MEMBER)

    assert assert_refused(harness, payload, before) == (
        "You are banned from using mjbot on this server."
    )
    assert harness.tt.calls_to("/action") == []


async def test_buttons_for_the_requester_only(harness: Harness, grid: StoredMessage) -> None:
    await harness.admin("buttons", who="requester")
    before = Snapshot(harness)

    payload = await click(harness, grid, "U1", MEMBER)

    assert assert_refused(harness, payload, before) == (
        f"Only <@{USER_ID}> can use the buttons of this result."
    )
    assert harness.tt.calls_to("/action") == []
    mine = await click(harness, grid, "U1", USER_ID)
    assert harness.discord.callbacks_for(mine["id"])[0].type == DEFERRED_CHANNEL_MESSAGE
    assert len(harness.tt.calls_to("/action")) == 1


async def test_button_jobs_count_against_the_daily_limit(
    harness: Harness, grid: StoredMessage
) -> None:
    await harness.admin("limits", daily=1)  # the grid used today's one job
    before = Snapshot(harness)

    payload = await click(harness, grid, "U2", USER_ID)

    assert assert_refused(harness, payload, before) == (
        f"You have used your 1 jobs for today. You can try again <t:{next_midnight()}:R>."
    )
