"""The queue refresh: every queued job's progress line shows its position, computed once."""

from __future__ import annotations

import pytest

from bot.jobs.queue import FairQueue
from fakes.discord import OTHER_USER_ID
from fakes.ttapi import Scenario
from tests.cogs.conftest import Harness

QUEUED = 12


async def test_one_refresh_orders_the_queue_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.restart(MAX_JOBS_IN_PROGRESS="1")
    harness.tt.next_scenario(Scenario(queue_seconds=0.0, run_seconds=60.0))
    await harness.imagine("the job holding the one slot")
    payloads = [
        await harness.imagine(f"queued fox {n}", user_id=OTHER_USER_ID + n) for n in range(QUEUED)
    ]
    assert harness.service.queued == QUEUED
    orders = 0
    real_order = FairQueue.order

    def counted(queue: FairQueue) -> list[int]:
        nonlocal orders
        orders += 1
        return real_order(queue)

    monkeypatch.setattr(FairQueue, "order", counted)
    publisher = harness.bot.get_cog("Publisher")
    assert publisher is not None
    for entry in publisher._progress.values():  # type: ignore[attr-defined]
        entry.edited_at = 0.0  # due for an edit now, not in 5 s

    await publisher._refresh_queue()  # type: ignore[attr-defined]  # one tick of the loop

    assert orders == 1  # was one full ordering per queued job: O(n²) per refresh
    last = harness.discord.original(payloads[-1]["id"])
    assert last is not None
    await harness.until(
        lambda: f"Queued — {QUEUED - 1} ahead" in harness.discord.message(last.id).content,
        within=3,
    )
