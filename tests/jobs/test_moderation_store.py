"""The store's moderation tables and ledger queries, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.models import Ban, GuildSettings, JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from fakes.ttapi import ManualClock

GUILD, OTHER_GUILD = 7, 8
ALICE, BOB, MOD = 41, 42, 99
START = 1_700_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mjbot.db"


@pytest.fixture
async def store(db_path: Path, clock: ManualClock) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, clock=clock)
    await opened.migrate()
    yield opened
    await opened.close()


async def reopened(store: Store, db_path: Path, clock: ManualClock) -> Store:
    """Close the store and open the same file again, as a restarted process would."""
    await store.close()
    fresh = await Store.open(db_path, clock=clock)
    await fresh.migrate()
    return fresh


async def add_job(
    store: Store,
    status: JobStatus = JobStatus.SUCCEEDED,
    *,
    user: int = ALICE,
    guild: int | None = GUILD,
) -> int:
    """A job created now by the store's clock and walked to `status`."""
    requester = Requester(user, guild_id=guild, channel_id=20)
    job = await store.create_job(NewJob(JobKind.IMAGINE, "fast", requester, prompt="a fox"))
    path = {
        JobStatus.QUEUED: [],
        JobStatus.SUBMITTING: [JobStatus.SUBMITTING],
        JobStatus.SUBMITTED: [JobStatus.SUBMITTING, JobStatus.SUBMITTED],
        JobStatus.RUNNING: [JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING],
        JobStatus.SUCCEEDED: [JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.SUCCEEDED],
        JobStatus.FAILED: [JobStatus.SUBMITTING, JobStatus.FAILED],
        JobStatus.CANCELLED: [JobStatus.CANCELLED],
    }[status]
    for step in path:
        assert await store.transition(job.id, step)
    return job.id


# -- guild settings ----------------------------------------------------------------------------


async def test_a_server_never_configured_gets_the_defaults(store: Store) -> None:
    settings = await store.guild_settings(GUILD)

    assert settings == GuildSettings(GUILD)
    assert not settings.paused
    assert settings.allowed_modes == ("fast", "relax", "turbo")
    assert settings.buttons_who == "anyone"
    assert (settings.daily_limit, settings.concurrent_limit, settings.cooldown_s) == (0, 0, 0)
    assert settings.guild_daily_limit == 0


async def test_every_guild_setting_survives_a_reopen(
    store: Store, db_path: Path, clock: ManualClock
) -> None:
    wanted = GuildSettings(
        GUILD,
        default_mode="relax",
        paused=True,
        allowed_modes=("relax", "turbo"),
        buttons_who="requester",
        required_role_id=123,
        log_channel_id=456,
        daily_limit=5,
        concurrent_limit=2,
        cooldown_s=30,
        guild_daily_limit=100,
    )
    await store.save_guild_settings(wanted)

    store = await reopened(store, db_path, clock)
    try:
        assert await store.guild_settings(GUILD) == wanted
        assert await store.guild_settings(OTHER_GUILD) == GuildSettings(OTHER_GUILD)
    finally:
        await store.close()


# -- bans ------------------------------------------------------------------------------------


async def test_ban_unban_and_list(store: Store, clock: ManualClock) -> None:
    assert await store.ban(GUILD, ALICE, "spam", MOD) is True
    clock.advance(10)
    assert await store.ban(GUILD, BOB, "", MOD) is True
    assert await store.ban(GUILD, ALICE, "again", MOD) is False  # already banned: unchanged

    assert await store.ban_of(GUILD, ALICE) == Ban(GUILD, ALICE, "spam", MOD, START)
    assert [ban.user_id for ban in await store.bans(GUILD)] == [ALICE, BOB]  # oldest first
    assert await store.ban_of(OTHER_GUILD, ALICE) is None  # per server

    assert await store.unban(GUILD, ALICE) is True
    assert await store.unban(GUILD, ALICE) is False
    assert await store.ban_of(GUILD, ALICE) is None
    assert [ban.user_id for ban in await store.bans(GUILD)] == [BOB]


# -- banned words ----------------------------------------------------------------------------


async def test_words_are_stored_lower_case_per_server(store: Store) -> None:
    assert await store.add_word(GUILD, "Dragon Fruit", MOD) is True
    assert await store.add_word(GUILD, "dragon fruit", MOD) is False
    assert await store.add_word(GUILD, "apple", MOD) is True
    assert await store.add_word(OTHER_GUILD, "pear", MOD) is True

    assert await store.words(GUILD) == ["apple", "dragon fruit"]  # sorted
    assert await store.remove_word(GUILD, "DRAGON FRUIT") is True
    assert await store.remove_word(GUILD, "dragon fruit") is False
    assert await store.words(GUILD) == ["apple"]
    assert await store.words(OTHER_GUILD) == ["pear"]


# -- allowed channels ------------------------------------------------------------------------


async def test_channel_allow_list(store: Store) -> None:
    assert await store.allowed_channels(GUILD) == []  # empty: every channel
    assert await store.allow_channel(GUILD, 300) is True
    assert await store.allow_channel(GUILD, 200) is True
    assert await store.allow_channel(GUILD, 200) is False
    assert await store.allowed_channels(GUILD) == [200, 300]

    assert await store.deny_channel(GUILD, 300) is True
    assert await store.deny_channel(GUILD, 300) is False
    assert await store.allowed_channels(GUILD) == [200]

    await store.allow_channel(OTHER_GUILD, 900)
    await store.clear_channels(GUILD)
    assert await store.allowed_channels(GUILD) == []
    assert await store.allowed_channels(OTHER_GUILD) == [900]


async def test_bans_words_and_channels_survive_a_reopen(
    store: Store, db_path: Path, clock: ManualClock
) -> None:
    await store.ban(GUILD, ALICE, "spam", MOD)
    await store.add_word(GUILD, "kraken", MOD)
    await store.allow_channel(GUILD, 200)

    store = await reopened(store, db_path, clock)
    try:
        assert await store.ban_of(GUILD, ALICE) == Ban(GUILD, ALICE, "spam", MOD, START)
        assert await store.words(GUILD) == ["kraken"]
        assert await store.allowed_channels(GUILD) == [200]
    finally:
        await store.close()


# -- ledger queries --------------------------------------------------------------------------


async def test_count_jobs_leaves_out_failed_and_cancelled(store: Store, clock: ManualClock) -> None:
    for status in JobStatus:  # one job in every status
        await add_job(store, status)
    await add_job(store, user=BOB)
    await add_job(store, guild=OTHER_GUILD)

    # queued, submitting, submitted, running and succeeded count; failed and cancelled don't
    assert await store.count_jobs(since=START, guild_id=GUILD, user_id=ALICE) == 5
    assert await store.count_jobs(since=START, guild_id=GUILD) == 6
    assert await store.count_jobs(since=START) == 7
    assert await store.count_jobs(since=START + 1, guild_id=GUILD) == 0  # created before


async def test_count_jobs_since_is_inclusive(store: Store, clock: ManualClock) -> None:
    await add_job(store)
    clock.advance(1)
    await add_job(store)

    assert await store.count_jobs(since=START, user_id=ALICE) == 2
    assert await store.count_jobs(since=START + 1, user_id=ALICE) == 1


async def test_count_unfinished_counts_queued_and_running_anywhere(store: Store) -> None:
    for status in JobStatus:
        await add_job(store, status)
    await add_job(store, JobStatus.QUEUED, guild=OTHER_GUILD)
    await add_job(store, JobStatus.QUEUED, user=BOB)

    # queued, submitting, submitted and running here, and queued on the other server
    assert await store.count_unfinished(ALICE) == 5


async def test_last_job_at_ignores_refunded_jobs(store: Store, clock: ManualClock) -> None:
    assert await store.last_job_at(ALICE, GUILD) is None
    await add_job(store)
    clock.advance(60)
    await add_job(store, JobStatus.FAILED)
    clock.advance(60)
    await add_job(store, JobStatus.CANCELLED)

    assert await store.last_job_at(ALICE, GUILD) == START
    assert await store.last_job_at(ALICE, OTHER_GUILD) is None
    assert await store.last_job_at(BOB, GUILD) is None


async def test_last_job_at_in_direct_messages(store: Store, clock: ManualClock) -> None:
    await add_job(store, guild=None)

    assert await store.last_job_at(ALICE, None) == START
    assert await store.last_job_at(ALICE, GUILD) is None


async def test_jobs_since_lists_a_servers_jobs_oldest_first(
    store: Store, clock: ManualClock
) -> None:
    first = await add_job(store)
    clock.advance(100)
    second = await add_job(store, JobStatus.FAILED, user=BOB)
    third = await add_job(store)
    await add_job(store, guild=OTHER_GUILD)

    assert [job.id for job in await store.jobs_since(GUILD, START)] == [first, second, third]
    assert [job.id for job in await store.jobs_since(GUILD, START + 1)] == [second, third]
    assert [job.id for job in await store.jobs_since(GUILD, START, ALICE)] == [first, third]


async def test_find_job_by_short_or_provider_id(store: Store) -> None:
    job_id = await add_job(store)
    job = await store.get_job(job_id)
    assert job is not None
    assert job.provider_job_id is None  # set by the service; give it one here
    await store.attach_provider_job(job_id, "tt-abc-123", START)

    for reference in (str(job_id), f"#{job_id}", f" {job_id} ", "tt-abc-123"):
        found = await store.find_job(reference)
        assert found is not None, reference
        assert found.id == job_id
    assert await store.find_job("999999") is None
    assert await store.find_job("nope") is None
