"""Credit budgets through the real engine: real store file, real client, the fake TT API."""

from __future__ import annotations

import asyncio
import calendar
from dataclasses import replace

import pytest

from bot.errors import LimitReached
from bot.jobs.budget import month_start, next_month
from bot.jobs.ledger import DAY, credits, day_start, usage
from bot.jobs.models import Requester
from bot.jobs.states import JobStatus
from fakes.ttapi import FAILED
from tests.jobs.conftest import ENDLESS, QUICK, EngineFactory, new_job

GUILD = 10


def member(user: int) -> Requester:
    return Requester(user, guild_id=GUILD, channel_id=20)


async def refusal(coro: object) -> LimitReached:
    with pytest.raises(LimitReached) as caught:
        await coro  # type: ignore[misc]
    return caught.value


class Clock:
    """A settable wall clock (budgets reset at UTC midnight and on the 1st)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "first", "following"),
    [
        ((2026, 3, 15, 12, 0, 0), (2026, 3, 1), (2026, 4, 1)),
        ((2026, 12, 31, 23, 59, 59), (2026, 12, 1), (2027, 1, 1)),
        ((2026, 1, 1, 0, 0, 0), (2026, 1, 1), (2026, 2, 1)),
    ],
)
def test_months_are_calendar_months_in_utc(
    moment: tuple[int, ...], first: tuple[int, int, int], following: tuple[int, int, int]
) -> None:
    now = calendar.timegm((*moment,))
    assert month_start(now) == calendar.timegm((*first, 0, 0, 0))
    assert next_month(now) == calendar.timegm((*following, 0, 0, 0))


# -- the member's daily budget ----------------------------------------------------------------


async def test_ten_credits_left_refuse_a_turbo_job_estimated_at_twelve(
    engine: EngineFactory,
) -> None:
    built = await engine()
    await built.service.prices.set_price("ttapi", "imagine", 6.0)  # turbo: 12, relax: 3
    await built.service.budgets.set(GUILD, member_daily=12.0)
    first = await built.service.submit(new_job("a first cat"))
    done = await built.wait_for(first.id, JobStatus.SUCCEEDED)
    assert (done.estimate, done.quota) == (6.0, 2.0)  # the fake reports 2: 10 credits left

    error = await refusal(built.service.submit(new_job("a turbo cat", mode="turbo")))

    assert "estimated at 12 credits" in error.text
    assert "10 of your 12-credit daily budget left" in error.text
    assert "A cheaper job (relax mode, an upscale) may still fit." in error.text
    assert error.retry_at == day_start(built.store._clock()) + DAY
    assert len(built.provider.submitted) == 1  # nothing was sent or written for it
    assert await built.store.count_jobs(since=0) == 1
    relax = await built.service.submit(new_job("a relax cat", mode="relax"))  # 3 fits
    assert relax.estimate == 3.0


async def test_a_reported_quota_above_the_estimate_counts_in_full(
    engine: EngineFactory,
) -> None:
    built = await engine()
    await built.service.budgets.set(GUILD, member_daily=9.0)
    built.fake.next_scenario(replace(QUICK, quota="7"))  # charged 7, estimated 3
    job = await built.service.submit(new_job("a costly cat"))
    done = await built.wait_for(job.id, JobStatus.SUCCEEDED)
    assert (done.estimate, done.quota, credits(done)) == (3.0, 7.0, (7.0, False))
    [row] = usage([done])
    assert (row.estimate, row.reported, row.differs) == (3.0, 7.0, True)

    error = await refusal(built.service.submit(new_job("one more")))

    assert "2 of your 9-credit daily budget left" in error.text
    status = await built.service.budgets.status(GUILD, 1)
    assert (status.member_today, status.member_left) == (7.0, 2.0)


async def test_failed_and_cancelled_jobs_give_their_credits_back(engine: EngineFactory) -> None:
    built = await engine()
    await built.service.budgets.set(GUILD, member_daily=3.0)
    built.fake.next_scenario(replace(QUICK, outcome=FAILED))
    failed = await built.service.submit(new_job("fails"))
    await built.wait_for(failed.id, JobStatus.FAILED)
    built.fake.scenario = ENDLESS
    running = await built.service.submit(new_job("takes all three credits"))
    await refusal(built.service.submit(new_job("no room")))

    assert await built.service.cancel(running.id)

    again = await built.service.submit(new_job("room again"))
    assert again.estimate == 3.0


async def test_other_members_and_servers_have_their_own_daily_budget(
    engine: EngineFactory,
) -> None:
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, member_daily=3.0)
    await built.service.submit(new_job("mine"))
    await refusal(built.service.submit(new_job("mine again")))

    await built.service.submit(new_job("theirs", user=2))
    elsewhere = Requester(1, guild_id=GUILD + 1, channel_id=21)
    await built.service.submit(new_job("another server", requester=elsewhere))


# -- the server's budgets ---------------------------------------------------------------------


async def test_the_monthly_budget_stops_new_jobs_at_the_cap(engine: EngineFactory) -> None:
    clock = Clock(calendar.timegm((2026, 3, 31, 22, 0, 0)))
    built = await engine(clock=clock)
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, guild_monthly=9.0)
    for user in (1, 2, 3):  # three members, 3 credits each: the cap exactly
        await built.service.submit(new_job(f"cat {user}", user=user))

    error = await refusal(built.service.submit(new_job("cat 4", user=4)))

    assert "0 of its 9-credit budget left this month" in error.text
    assert "cheaper" not in error.text  # nothing at all fits
    assert error.retry_at == calendar.timegm((2026, 4, 1, 0, 0, 0))
    assert len(built.provider.submitted) == 3
    clock.now = calendar.timegm((2026, 4, 1, 0, 0, 1))  # a new month
    await built.service.submit(new_job("cat 4", user=4))
    assert len(built.provider.submitted) == 4


async def test_the_server_daily_budget_counts_every_member(engine: EngineFactory) -> None:
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, guild_daily=4.5)
    await built.service.submit(new_job("fast", user=1))  # 3
    await built.service.submit(new_job("relax", user=2, mode="relax"))  # 1.5

    error = await refusal(built.service.submit(new_job("relax too", user=3, mode="relax")))

    assert "this server has 0 of its 4.5-credit daily budget left" in error.text


async def test_moderators_are_not_held_by_budgets_but_their_spend_counts(
    engine: EngineFactory,
) -> None:
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, guild_daily=3.0)
    moderator = Requester(9, guild_id=GUILD, channel_id=20, is_admin=True)
    await built.service.submit(new_job("mod 1", requester=moderator))
    await built.service.submit(new_job("mod 2", requester=moderator))

    await refusal(built.service.submit(new_job("member")))
    assert (await built.service.budgets.status(GUILD, 9)).guild_today == 6.0


# -- races ------------------------------------------------------------------------------------


async def test_a_burst_of_submits_cannot_overspend_the_server_budget(
    engine: EngineFactory,
) -> None:
    built = await engine(max_in_progress=100)
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, guild_daily=30.0, member_daily=6.0)
    # 40 submits at once from 20 members (2 each): 10 fit the server's 30 credits.
    burst = [new_job(f"cat {n}", user=100 + n % 20) for n in range(40)]

    results = await asyncio.gather(
        *(built.service.submit(job) for job in burst), return_exceptions=True
    )

    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert (len(accepted), len(refused)) == (10, 30)
    status = await built.service.budgets.status(GUILD, 100)
    assert status.guild_today == 30.0
    assert len(built.provider.submitted) == 10


async def test_a_burst_from_one_member_cannot_overspend_their_budget(
    engine: EngineFactory,
) -> None:
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, member_daily=7.0)

    results = await asyncio.gather(
        *(built.service.submit(new_job(f"cat {n}")) for n in range(10)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 2
    assert len(built.provider.submitted) == 2


async def test_an_imagine_with_midjourney_6_0_is_estimated_half_as_much_again(
    engine: EngineFactory,
) -> None:
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, member_daily=4.0)

    error = await refusal(built.service.submit(new_job("a cat --v 6.0")))

    assert error.text.startswith("This fast imagine (v6.0) is estimated at 4.5 credits")
    job = await built.service.submit(new_job("a cat --v 6.1"))
    assert job.estimate == 3.0


async def test_requests_checked_but_not_yet_written_count_against_the_budget(
    engine: EngineFactory,
) -> None:
    # A command is checked before Discord is answered and written a moment later (a ticket,
    # bot/jobs/gate.py): two members' tickets held at once must not both fit one budget.
    built = await engine()
    built.fake.scenario = ENDLESS
    await built.service.budgets.set(GUILD, guild_daily=4.0)  # one imagine (3 credits) fits

    first = await built.service.reserve(new_job("cat", user=101))
    refused = await refusal(built.service.reserve(new_job("dog", user=102)))

    assert "left" in refused.text
    await built.service.submit(new_job("cat", user=101), first)
    assert len(built.provider.submitted) == 1
