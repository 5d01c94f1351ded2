"""Decisions reach the queue: a job that waited is checked again right before the paid call.

One provider slot, held by an endless job, keeps the member's next job queued while the
moderators decide; freeing the slot lets the queue move on.
"""

from __future__ import annotations

import asyncio

from bot.jobs.models import GuildSettings, Job, Requester
from bot.jobs.states import JobStatus
from fakes.ttapi import FakeTTApi
from tests.jobs.conftest import ENDLESS, Engine, EngineFactory, new_job, until

GUILD, HERE, ART = 10, 20, 21
ALICE, BOB, MOD = 1, 2, 3
ARTISTS = 500


async def queued_behind_a_blocker(
    engine: EngineFactory, fake: FakeTTApi, requester: Requester
) -> tuple[Engine, Job, Job]:
    """An engine with one slot taken by BOB's endless job and `requester`'s job queued."""
    eng = await engine(max_in_progress=1)
    fake.next_scenario(ENDLESS)
    blocker = await eng.service.submit(new_job("blocker", user=BOB))
    waiting = await eng.service.submit(new_job("waiting", requester=requester))
    assert waiting.status is JobStatus.QUEUED
    return eng, blocker, waiting


async def test_a_ban_after_queueing_stops_the_job(engine: EngineFactory, fake: FakeTTApi) -> None:
    alice = Requester(ALICE, GUILD, HERE)
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, alice)
    await eng.store.ban(GUILD, ALICE, "spam", MOD)

    fake.finish_now(blocker.provider_job_id or "")
    cancelled = await eng.wait_for(waiting.id, JobStatus.CANCELLED)

    assert "banned" in (cancelled.error or "")
    assert "nothing was charged" in (cancelled.error or "")
    assert "waiting" not in [call.json.get("prompt") for call in fake.calls_to("/imagine")]


async def test_a_channel_removed_from_the_list_stops_the_job(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    alice = Requester(ALICE, GUILD, HERE)
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, alice)
    await eng.store.allow_channel(GUILD, ART)  # from now on only #art

    fake.finish_now(blocker.provider_job_id or "")
    cancelled = await eng.wait_for(waiting.id, JobStatus.CANCELLED)

    assert "can't be used in this channel" in (cancelled.error or "")
    assert len(fake.calls_to("/imagine")) == 1


async def test_a_role_required_later_stops_the_job(engine: EngineFactory, fake: FakeTTApi) -> None:
    alice = Requester(ALICE, GUILD, HERE, role_ids=frozenset({7}))
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, alice)
    await eng.store.save_guild_settings(GuildSettings(GUILD, required_role_id=ARTISTS))

    fake.finish_now(blocker.provider_job_id or "")
    cancelled = await eng.wait_for(waiting.id, JobStatus.CANCELLED)

    assert f"<@&{ARTISTS}>" in (cancelled.error or "")
    assert len(fake.calls_to("/imagine")) == 1


async def test_the_stored_role_lets_a_member_who_has_it_through(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    alice = Requester(ALICE, GUILD, HERE, role_ids=frozenset({ARTISTS}))
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, alice)
    await eng.store.save_guild_settings(GuildSettings(GUILD, required_role_id=ARTISTS))

    fake.finish_now(blocker.provider_job_id or "")

    await eng.wait_for(waiting.id, JobStatus.SUCCEEDED)


async def test_moderators_queued_jobs_keep_skipping_channel_and_role(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    mod = Requester(MOD, GUILD, HERE, is_admin=True)
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, mod)
    await eng.store.allow_channel(GUILD, ART)
    await eng.store.save_guild_settings(GuildSettings(GUILD, required_role_id=ARTISTS))

    fake.finish_now(blocker.provider_job_id or "")

    await eng.wait_for(waiting.id, JobStatus.SUCCEEDED)


async def test_a_ban_cancels_the_members_queued_jobs_and_tells_them(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    alice = Requester(ALICE, GUILD, HERE)
    eng, _, waiting = await queued_behind_a_blocker(engine, fake, alice)
    other = await eng.service.submit(new_job("someone else's", user=BOB + 10))

    dropped = await eng.service.cancel_queued(GUILD, "You were banned.", user_id=ALICE)

    assert dropped == 1
    told = await eng.wait_for(waiting.id, JobStatus.CANCELLED)  # the event the publisher posts
    assert told.error == "You were banned."
    assert (await eng.store.get_job(other.id)).status is JobStatus.QUEUED  # type: ignore[union-attr]


async def test_queue_full_during_a_pause_waits_for_resume(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """Sent just before the pause; the TT API answers 499; it must not go out until resume."""
    eng = await engine(attempts=1)
    fake.fail_next("/imagine", 499, delay=0.2)
    sending = asyncio.create_task(eng.service.submit(new_job("patient fox")))
    await until(lambda: fake.calls_to("/imagine"))
    await eng.store.save_guild_settings(GuildSettings(GUILD, paused=True))
    job = await sending
    assert job.status is JobStatus.QUEUED  # refused with 499: back in line
    # Re-admitted after the back-off, then held back at the door: no slot, not in line.
    await until(lambda: eng.service.queued == 0 and eng.service.in_flight == 0)

    assert len(fake.calls_to("/imagine")) == 1
    stored = await eng.store.get_job(job.id)
    assert stored is not None
    assert stored.status is JobStatus.QUEUED  # not cancelled, not sent: waiting
    assert eng.service.in_flight == 0  # and it holds no slot meanwhile

    await eng.store.save_guild_settings(GuildSettings(GUILD, paused=False))
    assert eng.service.resume(GUILD) == 1

    await eng.wait_for(job.id, JobStatus.SUCCEEDED)
    assert len(fake.calls_to("/imagine")) == 2


async def test_a_paused_server_sends_nothing_queued(engine: EngineFactory, fake: FakeTTApi) -> None:
    alice = Requester(ALICE, GUILD, HERE)
    eng, blocker, waiting = await queued_behind_a_blocker(engine, fake, alice)
    await eng.store.save_guild_settings(GuildSettings(GUILD, paused=True))

    fake.finish_now(blocker.provider_job_id or "")
    await eng.wait_for(blocker.id, JobStatus.SUCCEEDED)
    await until(lambda: eng.service.queued == 0)

    await until(lambda: eng.service.in_flight == 0)
    assert [call.json["prompt"] for call in fake.calls_to("/imagine")] == ["blocker"]
    stored = await eng.store.get_job(waiting.id)
    assert stored is not None
    assert stored.status is JobStatus.QUEUED
