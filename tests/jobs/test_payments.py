"""402 holds per account: a balance too low for a grid does not lift the hold, a top-up does."""

from __future__ import annotations

from bot.jobs.states import JobStatus as S
from fakes.ttapi import FakeTTApi
from tests.jobs.conftest import EngineFactory, new_job, until


async def test_a_balance_too_low_for_a_grid_keeps_the_hold_until_a_top_up(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.balance = 1.0  # an upscale costs 1, a grid 2: the grid gets 402
    eng = await engine(attempts=1)
    job = await eng.service.submit(new_job("a grid it cannot pay for"))
    assert job.status is S.QUEUED
    await until(lambda: eng.service.payment_hold)

    # Every look now sees the same 1 credit: that is not a top-up, so nothing is resent
    # (the hold used to start from "unknown" = 0, and 1 > 0 lifted it at once).
    await eng.service.accounts()
    await eng.service.account()
    assert eng.service.payment_hold
    assert len(fake.calls_to("/imagine")) == 1

    fake.balance = 50.0
    [status] = await eng.service.accounts()  # the top-up is seen: the hold ends
    assert status.balance == 50.0
    await eng.wait_for(job.id, S.SUCCEEDED)
    assert not eng.service.payment_hold
    assert len(fake.calls_to("/imagine")) == 2
