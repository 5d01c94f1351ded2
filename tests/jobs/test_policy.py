"""The policy: every check before a credit is spent, in order, with the reason for the member.

Policy and Store share a hand-driven clock, so limits are tested across midnight UTC.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.errors import JobRejected, LimitReached, NotAllowed, PromptRejected, UserFacingError
from bot.jobs.ledger import DAY, day_start
from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester
from bot.jobs.policy import PAUSED, SERVER_ONLY, Policy
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.jobs.words import DEFAULT_WORDS, banned_word
from fakes.ttapi import FAILED, FakeTTApi, ManualClock, Scenario
from tests.jobs.conftest import ENDLESS, EngineFactory

GUILD, OTHER_GUILD = 10, 11
HERE, ELSEWHERE = 20, 21
ALICE, BOB, MOD = 1, 2, 3
ROLE = 500
# 2024-03-10 23:00:00 UTC: an hour before midnight.
MIDNIGHT = 1_710_115_200.0
LATE = MIDNIGHT - 3600


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LATE)


@pytest.fixture
async def store(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "policy.db", clock=clock)
    await opened.migrate()
    yield opened
    await opened.close()


@pytest.fixture
def policy(store: Store, clock: ManualClock) -> Policy:
    return Policy(store, clock)


def who(user: int = ALICE, **overrides: Any) -> Requester:
    """A member in GUILD's channel HERE."""
    values: dict[str, Any] = {"guild_id": GUILD, "channel_id": HERE}
    values.update(overrides)
    return Requester(user, **values)


def imagine(prompt: str = "a red fox", *, mode: str = "fast", **requester: Any) -> NewJob:
    """An /imagine by `who(**requester)`."""
    return NewJob(JobKind.IMAGINE, mode, who(**requester), prompt=prompt)


async def configure(store: Store, **changes: Any) -> None:
    """Change GUILD's settings."""
    await store.save_guild_settings(replace(await store.guild_settings(GUILD), **changes))


async def refusal(policy: Policy, new: NewJob) -> UserFacingError:
    """The error the policy refuses `new` with (fails the test if it lets it through)."""
    with pytest.raises(UserFacingError) as caught:
        await policy.check(new)
    return caught.value


async def spend(store: Store, user: int = ALICE, status: JobStatus = JobStatus.SUCCEEDED) -> Job:
    """A job of `user` in GUILD created now, walked to `status`."""
    job = await store.create_job(imagine(user=user))
    steps = {
        JobStatus.QUEUED: [],
        JobStatus.RUNNING: [JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING],
        JobStatus.SUCCEEDED: [JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.SUCCEEDED],
        JobStatus.FAILED: [JobStatus.SUBMITTING, JobStatus.FAILED],
        JobStatus.CANCELLED: [JobStatus.CANCELLED],
    }[status]
    for step in steps:
        assert await store.transition(job.id, step)
    return job


# -- a server with default settings lets everything through ----------------------------------


async def test_defaults_let_a_member_through(policy: Policy) -> None:
    for mode in ("fast", "relax", "turbo"):
        await policy.check(imagine(mode=mode))


async def test_without_a_server_everything_is_refused(policy: Policy) -> None:
    # Direct messages and user installs have no server settings to apply: fail closed.
    for requester in ({}, {"is_admin": True}):
        error = await refusal(policy, imagine(guild_id=None, **requester))
        assert isinstance(error, NotAllowed)
        assert error.text == SERVER_ONLY


# -- pause -----------------------------------------------------------------------------------


async def test_pause_refuses_everyone_including_moderators(policy: Policy, store: Store) -> None:
    await configure(store, paused=True)

    for requester in ({}, {"is_admin": True}):
        error = await refusal(policy, imagine(**requester))
        assert isinstance(error, NotAllowed)
        assert error.text == PAUSED

    await configure(store, paused=False)
    await policy.check(imagine())


async def test_pause_is_per_server(policy: Policy, store: Store) -> None:
    await configure(store, paused=True)
    await policy.check(imagine(guild_id=OTHER_GUILD))


# -- channels and role -----------------------------------------------------------------------


async def test_only_listed_channels_once_there_is_a_list(policy: Policy, store: Store) -> None:
    await store.allow_channel(GUILD, ELSEWHERE)

    error = await refusal(policy, imagine(channel_id=HERE))
    assert isinstance(error, NotAllowed)
    assert "can't be used in this channel" in error.text
    assert f"<#{ELSEWHERE}>" in error.text  # where to go instead
    await policy.check(imagine(channel_id=ELSEWHERE))
    await policy.check(imagine(channel_id=HERE, is_admin=True))  # moderators anywhere


async def test_required_role(policy: Policy, store: Store) -> None:
    await configure(store, required_role_id=ROLE)

    error = await refusal(policy, imagine(role_ids=frozenset({ROLE + 1})))
    assert isinstance(error, NotAllowed)
    assert f"<@&{ROLE}>" in error.text
    await policy.check(imagine(role_ids=frozenset({ROLE, ROLE + 1})))
    await policy.check(imagine(is_admin=True))


# -- bans ------------------------------------------------------------------------------------


async def test_banned_member_is_refused_with_the_reason(policy: Policy, store: Store) -> None:
    await store.ban(GUILD, ALICE, "spamming the channel", MOD)

    error = await refusal(policy, imagine())
    assert isinstance(error, NotAllowed)
    assert "banned" in error.text
    assert "spamming the channel" in error.text
    await policy.check(imagine(user=BOB))
    await policy.check(imagine(guild_id=OTHER_GUILD))  # a ban is per server


async def test_ban_without_reason(policy: Policy, store: Store) -> None:
    await store.ban(GUILD, ALICE, "", MOD)

    error = await refusal(policy, imagine())
    assert "Reason" not in error.text


async def test_unban_lets_the_member_back(policy: Policy, store: Store) -> None:
    await store.ban(GUILD, ALICE, "", MOD)
    await store.unban(GUILD, ALICE)

    await policy.check(imagine())


# -- banned words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a NSFW painting", "nsfw"),
        ("Nude statue in a museum", "nude"),
        ("the aftermath, gore, cinematic", "gore"),
        ("(topless) figure", "topless"),
    ],
)
async def test_default_words_are_refused_by_name(policy: Policy, prompt: str, word: str) -> None:
    error = await refusal(policy, imagine(prompt))

    assert isinstance(error, PromptRejected)
    assert f"“{word}”" in error.text


@pytest.mark.parametrize(
    "prompt", ["a sextant on a map", "Essex countryside", "a gorilla", "snudes"]
)
async def test_words_match_whole_words_only(policy: Policy, prompt: str) -> None:
    await policy.check(imagine(prompt))


async def test_punctuation_is_a_word_boundary(policy: Policy) -> None:
    error = await refusal(policy, imagine("a gory-looking scene"))

    assert "“gory”" in error.text


async def test_a_servers_own_words_add_to_the_default_list(policy: Policy, store: Store) -> None:
    await store.add_word(GUILD, "Dragon Fruit", MOD)

    error = await refusal(policy, imagine("a DRAGON FRUIT smoothie"))
    assert "“dragon fruit”" in error.text
    assert "“nsfw”" in (await refusal(policy, imagine("nsfw"))).text  # defaults still apply
    await policy.check(imagine("a dragon and a fruit bowl"))
    await policy.check(imagine("a dragon fruit smoothie", guild_id=OTHER_GUILD))


async def test_removing_a_servers_word_allows_it_again(policy: Policy, store: Store) -> None:
    await store.add_word(GUILD, "kraken", MOD)
    await store.remove_word(GUILD, "kraken")

    await policy.check(imagine("release the kraken"))


async def test_words_apply_to_moderators_and_to_button_actions(
    policy: Policy, store: Store
) -> None:
    await refusal(policy, imagine("nsfw", is_admin=True))
    action = NewJob(JobKind.ACTION, "fast", who(), prompt="a nude statue", action="variation1")
    assert "“nude”" in (await refusal(policy, action)).text


def test_banned_word_names_the_longest_match() -> None:
    assert banned_word("a red panda", {"red", "red panda"}) == "red panda"
    assert banned_word("nothing here", DEFAULT_WORDS) is None


# -- lint ------------------------------------------------------------------------------------


async def test_lint_runs_on_imagine_prompts(policy: Policy) -> None:
    error = await refusal(policy, imagine("a red fox --ar16:9"))

    assert isinstance(error, PromptRejected)
    assert "`--ar 16:9`" in error.text


async def test_lint_does_not_run_on_a_button_action(policy: Policy) -> None:
    """The parent's prompt was accepted already; the action reuses it unchanged."""
    action = NewJob(JobKind.ACTION, "fast", who(), prompt="a fox --ar16:9", action="upsample1")
    await policy.check(action)


# -- modes -----------------------------------------------------------------------------------


async def test_mode_must_be_allowed(policy: Policy, store: Store) -> None:
    await configure(store, allowed_modes=("relax",), default_mode="relax")

    error = await refusal(policy, imagine(mode="turbo"))
    assert isinstance(error, NotAllowed)
    assert error.text == "Turbo mode is not enabled here. Allowed: relax."
    await refusal(policy, imagine(mode="fast", is_admin=True))  # moderators too
    await policy.check(imagine(mode="relax"))


# -- limits ----------------------------------------------------------------------------------


async def test_daily_limit_resets_at_midnight_utc(
    policy: Policy, store: Store, clock: ManualClock
) -> None:
    await configure(store, daily_limit=2)
    await spend(store)
    await spend(store)

    error = await refusal(policy, imagine())
    assert isinstance(error, LimitReached)
    assert "2 jobs for today" in error.text
    assert error.retry_at == MIDNIGHT  # the next midnight UTC

    clock.now = MIDNIGHT - 1
    assert isinstance(await refusal(policy, imagine()), LimitReached)
    clock.now = MIDNIGHT
    await policy.check(imagine())  # a new day
    await spend(store)
    await spend(store)
    error = await refusal(policy, imagine())
    assert isinstance(error, LimitReached)
    assert error.retry_at == MIDNIGHT + DAY


async def test_daily_limit_is_per_member(policy: Policy, store: Store) -> None:
    await configure(store, daily_limit=1)
    await spend(store, ALICE)

    await refusal(policy, imagine(user=ALICE))
    await policy.check(imagine(user=BOB))
    await policy.check(imagine(user=ALICE, is_admin=True))  # moderators have no limits


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED])
async def test_failed_or_cancelled_jobs_do_not_count(
    policy: Policy, store: Store, status: JobStatus
) -> None:
    await configure(store, daily_limit=1, guild_daily_limit=1, cooldown_s=600)
    await spend(store, status=status)
    await spend(store, status=status)

    await policy.check(imagine())


async def test_a_job_still_running_counts(policy: Policy, store: Store) -> None:
    await configure(store, daily_limit=1)
    await spend(store, status=JobStatus.QUEUED)

    assert isinstance(await refusal(policy, imagine()), LimitReached)


async def test_concurrent_limit(policy: Policy, store: Store) -> None:
    await configure(store, concurrent_limit=2)
    first = await spend(store, status=JobStatus.QUEUED)
    await spend(store, status=JobStatus.RUNNING)
    await spend(store)  # finished: does not hold a place

    error = await refusal(policy, imagine())
    assert isinstance(error, LimitReached)
    assert "2 jobs queued or running" in error.text
    assert error.retry_at is None  # when one finishes, not at a known time
    await policy.check(imagine(user=BOB))

    assert await store.transition(first.id, JobStatus.CANCELLED)
    await policy.check(imagine())


async def test_cooldown(policy: Policy, store: Store, clock: ManualClock) -> None:
    await configure(store, cooldown_s=90)
    last = await spend(store)

    clock.advance(30)
    error = await refusal(policy, imagine())
    assert isinstance(error, LimitReached)
    assert "90 s" in error.text
    assert error.retry_at == last.created_at + 90
    await policy.check(imagine(user=BOB))

    clock.advance(60)
    await policy.check(imagine())


async def test_cooldown_across_midnight(policy: Policy, store: Store, clock: ManualClock) -> None:
    """The cooldown is not a daily limit: it still holds just after midnight."""
    await configure(store, cooldown_s=120)
    clock.now = MIDNIGHT - 30
    await spend(store)

    clock.now = MIDNIGHT + 30
    error = await refusal(policy, imagine())
    assert isinstance(error, LimitReached)
    assert error.retry_at == MIDNIGHT + 90


async def test_server_daily_limit_counts_every_member(
    policy: Policy, store: Store, clock: ManualClock
) -> None:
    await configure(store, guild_daily_limit=2)
    await spend(store, ALICE)
    await spend(store, BOB)

    error = await refusal(policy, imagine(user=3))
    assert isinstance(error, LimitReached)
    assert "This server has used its 2 jobs for today" in error.text
    assert error.retry_at == MIDNIGHT
    await policy.check(imagine(guild_id=OTHER_GUILD))

    clock.now = MIDNIGHT + 1
    await policy.check(imagine(user=3))


async def test_yesterdays_jobs_do_not_count_today(
    policy: Policy, store: Store, clock: ManualClock
) -> None:
    await configure(store, daily_limit=1, guild_daily_limit=1)
    clock.now = MIDNIGHT - 1  # 23:59:59
    await spend(store)

    assert isinstance(await refusal(policy, imagine()), LimitReached)
    clock.now = MIDNIGHT  # 00:00:00
    await policy.check(imagine())


# -- order -----------------------------------------------------------------------------------


async def test_checks_run_in_order(policy: Policy, store: Store) -> None:
    """Paused, channel, role, ban, words, lint, mode, limits: the first failing one answers."""
    await configure(
        store,
        paused=True,
        required_role_id=ROLE,
        allowed_modes=("relax",),
        default_mode="relax",
        daily_limit=1,
    )
    await store.allow_channel(GUILD, ELSEWHERE)
    await store.ban(GUILD, ALICE, "", MOD)
    await spend(store)
    new = imagine("nsfw --ar16:9", mode="fast")

    async def first_reason() -> str:
        return (await refusal(policy, new)).text

    assert await first_reason() == PAUSED
    await configure(store, paused=False)
    assert "this channel" in await first_reason()
    await store.clear_channels(GUILD)
    assert "role" in await first_reason()
    await configure(store, required_role_id=None)
    assert "banned from using mjbot" in await first_reason()
    await store.unban(GUILD, ALICE)
    assert "“nsfw”" in await first_reason()
    new = replace(new, prompt="a fox --ar16:9")
    assert "`--ar 16:9`" in await first_reason()
    new = replace(new, prompt="a fox --ar 16:9")
    assert "Fast mode is not enabled" in await first_reason()
    new = replace(new, mode="relax")
    assert "for today" in await first_reason()
    await configure(store, daily_limit=0)
    await policy.check(new)


# -- who may press a result's buttons --------------------------------------------------------


async def test_buttons_for_anyone_or_only_the_requester(policy: Policy, store: Store) -> None:
    parent = await spend(store, ALICE)

    await policy.check_button(who(BOB), parent)  # default: anyone
    await configure(store, buttons_who="requester")
    with pytest.raises(NotAllowed, match=f"Only <@{ALICE}> can use the buttons"):
        await policy.check_button(who(BOB), parent)
    await policy.check_button(who(ALICE), parent)
    await policy.check_button(who(BOB, is_admin=True), parent)


# -- through the job service: refusals never reach the TT API --------------------------------


async def test_a_refused_submit_writes_nothing_and_calls_nothing(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    running = await engine()
    store = running.store
    await store.save_guild_settings(GuildSettings(GUILD, paused=True))

    with pytest.raises(NotAllowed):
        await running.service.imagine(who(), "a red fox", "fast")
    await store.save_guild_settings(GuildSettings(GUILD))
    await store.ban(GUILD, ALICE, "", MOD)
    with pytest.raises(NotAllowed):
        await running.service.imagine(who(), "a red fox", "fast")
    with pytest.raises(PromptRejected):
        await running.service.imagine(who(BOB), "a red fox --v", "fast")

    assert fake.calls_to("/imagine") == []
    assert await store.count_jobs(since=0) == 0
    assert await store.jobs_since(GUILD, 0) == []


async def test_service_refunds_failed_and_cancelled_jobs(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """One job a day: a job the TT API refused, one that failed and one cancelled don't count."""
    running = await engine()
    service = running.service
    await running.store.save_guild_settings(GuildSettings(GUILD, daily_limit=1))

    with pytest.raises(JobRejected):  # the fake TT API refuses "skimpy" at submit
        await service.imagine(who(), "a skimpy fox", "fast")
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=0.02, outcome=FAILED))
    failing = await service.imagine(who(), "a red fox", "fast")
    await running.wait_for(failing.id, JobStatus.FAILED)
    fake.next_scenario(ENDLESS)
    endless = await service.imagine(who(), "a red fox", "fast")
    assert await service.cancel(endless.id)
    await service.imagine(who(), "a red fox", "fast")  # the day's one job

    with pytest.raises(LimitReached):
        await service.imagine(who(), "a red fox", "fast")
    assert len(fake.calls_to("/imagine")) == 4


class OffsetClock:
    """Real time moved by `offset`: everything that measures durations still works."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_service_daily_limit_across_midnight(engine: EngineFactory, fake: FakeTTApi) -> None:
    """Store, service and watcher on one clock, 30 s before midnight, then after it."""
    now = time.time()
    clock = OffsetClock(day_start(now) + DAY - 30 - now)
    running = await engine(clock=clock)
    await running.store.save_guild_settings(GuildSettings(GUILD, daily_limit=1))
    first = await running.service.imagine(who(), "a red fox", "fast")
    await running.wait_for(first.id, JobStatus.SUCCEEDED)

    with pytest.raises(LimitReached) as caught:
        await running.service.imagine(who(), "a red fox", "fast")
    assert caught.value.retry_at == day_start(clock()) + DAY
    clock.offset += 60  # past midnight
    await running.service.imagine(who(), "a red fox", "fast")

    assert len(fake.calls_to("/imagine")) == 2
