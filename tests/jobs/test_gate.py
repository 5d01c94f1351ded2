"""One check per request, atomic with job creation: bursts cannot beat the limits.

Each test fires requests at the same moment (asyncio.gather) against the real store and the
fake TT API; on the old code every one of them passed the check before any row existed.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import LimitReached, NotAllowed, UserFacingError
from bot.jobs.gate import TICKET_TTL
from bot.jobs.models import GuildSettings, Job, JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from fakes.ttapi import FakeTTApi
from tests.jobs.conftest import ENDLESS, Engine, EngineFactory, new_job

GUILD = 10
ALICE = Requester(1, guild_id=GUILD, channel_id=20)
BOB = Requester(2, guild_id=GUILD, channel_id=20)
STRICT = GuildSettings(GUILD, concurrent_limit=1, daily_limit=1, cooldown_s=3600)


def outcomes(results: list[object]) -> tuple[list[Job], list[BaseException]]:
    """The accepted jobs and the refusals of a gather(return_exceptions=True)."""
    jobs = [result for result in results if isinstance(result, Job)]
    errors = [result for result in results if isinstance(result, BaseException)]
    return jobs, errors


async def test_five_simultaneous_submits_accept_exactly_one(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine()
    await eng.store.save_guild_settings(STRICT)

    results = await asyncio.gather(
        *(eng.service.submit(new_job(f"fox {n}")) for n in range(5)), return_exceptions=True
    )

    jobs, errors = outcomes(results)
    assert len(jobs) == 1
    assert len(errors) == 4
    assert all(isinstance(error, LimitReached) for error in errors)
    assert len(fake.calls_to("/imagine")) == 1
    assert await eng.store.count_jobs(since=0) == 1


async def test_five_simultaneous_reservations_hold_one_place(engine: EngineFactory) -> None:
    """The path of a slash command: checked before Discord is answered, written later."""
    eng = await engine()
    await eng.store.save_guild_settings(GuildSettings(GUILD, concurrent_limit=1))

    new = new_job("a red fox")
    results = await asyncio.gather(
        *(eng.service.reserve(new) for _ in range(5)), return_exceptions=True
    )

    tickets = [result for result in results if not isinstance(result, BaseException)]
    assert len(tickets) == 1
    # Until the ticket is used or given back, it counts as a job: a plain submit is refused.
    with pytest.raises(LimitReached):
        await eng.service.submit(new_job("another fox"))
    job = await eng.service.submit(new, tickets[0])
    assert job.user_id == ALICE.user_id
    with pytest.raises(RuntimeError):  # a ticket covers its own jobs, no more
        await eng.service.submit(new, tickets[0])


async def test_a_released_ticket_gives_its_place_back(engine: EngineFactory) -> None:
    eng = await engine()
    await eng.store.save_guild_settings(GuildSettings(GUILD, concurrent_limit=1, cooldown_s=60))
    ticket = await eng.service.reserve(new_job())
    with pytest.raises(LimitReached):
        await eng.service.reserve(new_job())

    eng.service.release(ticket)  # e.g. the attachment could not be read

    await eng.service.reserve(new_job())


async def test_a_forgotten_ticket_expires(engine: EngineFactory) -> None:
    now = [1_000_000.0]
    eng = await engine(clock=lambda: now[0])
    await eng.store.save_guild_settings(GuildSettings(GUILD, concurrent_limit=1))
    await eng.service.reserve(new_job())

    now[0] += TICKET_TTL + 1

    await eng.service.reserve(new_job())


async def test_imagine_all_counts_each_job_with_one_cooldown(engine: EngineFactory) -> None:
    eng = await engine()
    await eng.store.save_guild_settings(GuildSettings(GUILD, daily_limit=4, cooldown_s=3600))
    batch = [new_job(f"prompt {n}") for n in range(4)]

    ticket = await eng.service.reserve(batch[0], batch[1:])
    jobs = [await eng.service.submit(new, ticket) for new in batch]

    assert len({job.id for job in jobs}) == 4
    assert await eng.store.count_jobs(since=0, user_id=ALICE.user_id) == 4
    with pytest.raises(LimitReached):  # the cooldown and the day's 4 jobs now apply
        await eng.service.submit(new_job())


async def test_imagine_all_is_refused_whole_when_the_day_has_less_room(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine()
    await eng.store.save_guild_settings(GuildSettings(GUILD, daily_limit=3))
    batch = [new_job(f"prompt {n}") for n in range(4)]

    with pytest.raises(LimitReached, match="needs 4 jobs and you have 3 left today"):
        await eng.service.reserve(batch[0], batch[1:])
    assert fake.calls_to("/imagine") == []


async def test_every_prompt_of_a_batch_is_checked(engine: EngineFactory) -> None:
    eng = await engine()
    batch = [new_job("a fox"), new_job("a nude fox")]
    with pytest.raises(UserFacingError, match="nude"):
        await eng.service.reserve(batch[0], batch[1:])


# -- follow-ups of one result -------------------------------------------------------------------


async def grid(eng: Engine) -> Job:
    """A finished /imagine with U1..V4."""
    job = await eng.service.submit(new_job("a grid"))
    return await eng.wait_for(job.id, JobStatus.SUCCEEDED)


async def test_a_double_click_on_u1_pays_once(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine()
    parent = await grid(eng)
    fake.next_scenario(ENDLESS)

    results = await asyncio.gather(
        eng.service.action(ALICE, parent, "upsample1"),
        eng.service.action(ALICE, parent, "upsample1"),
        return_exceptions=True,
    )

    jobs, errors = outcomes(results)
    assert len(jobs) == 1
    [error] = errors
    assert isinstance(error, NotAllowed)
    assert len(fake.calls_to("/action")) == 1


async def test_the_same_action_under_way_is_refused_with_a_reference(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine()
    parent = await grid(eng)
    fake.next_scenario(ENDLESS)
    first = await eng.service.action(
        Requester(1, GUILD, 20, progress_message_id=555), parent, "upsample1"
    )

    with pytest.raises(NotAllowed) as caught:
        await eng.service.action(BOB, parent, "upsample1")  # anyone: it would be paid twice

    assert f"job {first.id}" in caught.value.text
    assert f"https://discord.com/channels/{GUILD}/20/555" in caught.value.text
    await eng.service.action(BOB, parent, "upsample2")  # another button is another job
    assert len(fake.calls_to("/action")) == 2


async def test_the_same_action_again_once_the_first_is_done(engine: EngineFactory) -> None:
    eng = await engine()
    parent = await grid(eng)
    first = await eng.service.action(ALICE, parent, "upsample1")
    await eng.wait_for(first.id, JobStatus.SUCCEEDED)

    again = await eng.service.action(ALICE, parent, "upsample1")

    assert again.id != first.id


async def test_simultaneous_seed_clicks_share_one_lookup(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await engine()
    parent = await grid(eng)
    fake.next_scenario(ENDLESS)

    jobs = await asyncio.gather(*(eng.service.seed(who, parent) for who in (ALICE, BOB, ALICE)))

    assert len({job.id for job in jobs}) == 1
    assert len(fake.calls_to("/seed")) == 1
    assert eng.service.seeding(parent.id)


async def test_a_shared_seed_lookup_gives_back_the_joiners_ticket(engine: EngineFactory) -> None:
    eng = await engine()
    parent = await grid(eng)
    await eng.store.save_guild_settings(GuildSettings(GUILD, concurrent_limit=2))
    seed = NewJob(JobKind.SEED, "fast", BOB, parent_id=parent.id)
    first, second = [await eng.service.reserve(seed) for _ in range(2)]

    await asyncio.gather(
        eng.service.seed(BOB, parent, first), eng.service.seed(BOB, parent, second)
    )

    await eng.service.submit(new_job(requester=BOB))  # the joiner's place came back


async def test_a_pause_or_ban_between_check_and_creation_stops_the_job(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    """A /blend is checked, then its images are read for seconds before its job is written."""
    eng = await engine()
    paused = await eng.service.reserve(new_job())
    await eng.store.save_guild_settings(GuildSettings(GUILD, paused=True))
    with pytest.raises(NotAllowed, match="paused"):
        await eng.service.submit(new_job(), paused)

    await eng.store.save_guild_settings(GuildSettings(GUILD))
    banned = await eng.service.reserve(new_job())
    await eng.store.ban(GUILD, ALICE.user_id, "", 3)
    with pytest.raises(NotAllowed, match="banned"):
        await eng.service.submit(new_job(), banned)

    assert await eng.store.count_jobs(since=0) == 0
    assert fake.calls_to("/imagine") == []
