"""Owner alerts: low balance at most daily, one alert per 402 episode, the pause it causes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.alerts import AlertKind, Alerts, BalanceMonitor, Notice
from bot.jobs.ledger import DAY
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider import ErrorKind, ProviderError
from tests.jobs.conftest import EngineFactory, new_job, until

ACCOUNT = "ttapi"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def alert_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "alerts.sqlite")
    await store.migrate()
    yield store
    await store.close()


async def alerts_on(
    store: Store, clock: Clock, threshold: float = 10.0
) -> tuple[Alerts, list[Notice]]:
    """Alerts restored from the store, and the notices its listener receives."""
    alerts = Alerts(store, threshold, clock=clock)
    await alerts.load()
    heard: list[Notice] = []

    async def listener(notice: Notice) -> None:
        heard.append(notice)

    alerts.subscribe(listener)
    return alerts, heard


def kinds(heard: list[Notice]) -> list[AlertKind]:
    return [notice.kind for notice in heard]


# -- low balance ------------------------------------------------------------------------------


async def test_one_alert_when_the_balance_falls_below_the_threshold(alert_store: Store) -> None:
    clock = Clock()
    alerts, heard = await alerts_on(alert_store, clock)
    for balance in (50.0, 12.0, 10.0):
        await alerts.observe_balance(ACCOUNT, balance)
    assert heard == []

    for balance in (9.5, 8.0, 3.0):
        clock.now += 600
        await alerts.observe_balance(ACCOUNT, balance)

    assert kinds(heard) == [AlertKind.LOW_BALANCE]
    assert (heard[0].balance, heard[0].threshold, heard[0].account) == (9.5, 10.0, ACCOUNT)


async def test_the_low_balance_alert_repeats_at_most_daily_even_across_restarts(
    alert_store: Store,
) -> None:
    clock = Clock()
    alerts, heard = await alerts_on(alert_store, clock)
    await alerts.observe_balance(ACCOUNT, 5.0)
    clock.now += DAY - 1
    restarted, heard_after = await alerts_on(alert_store, clock)  # a new process

    await restarted.observe_balance(ACCOUNT, 4.0)
    assert heard_after == []
    clock.now += 1
    await restarted.observe_balance(ACCOUNT, 4.0)

    assert kinds(heard) + kinds(heard_after) == [AlertKind.LOW_BALANCE] * 2


async def test_no_threshold_means_no_low_balance_alert(alert_store: Store) -> None:
    alerts, heard = await alerts_on(alert_store, Clock(), threshold=0.0)
    await alerts.observe_balance(ACCOUNT, 0.0)
    assert heard == []


# -- 402 --------------------------------------------------------------------------------------


async def test_a_402_pauses_and_alerts_once_until_a_top_up(alert_store: Store) -> None:
    alerts, heard = await alerts_on(alert_store, Clock(), threshold=0.0)
    await alerts.observe_balance(ACCOUNT, 1.0)
    for _ in range(5):  # every waiting job hitting the wall
        await alerts.payment_required(ACCOUNT)
    assert alerts.paused(ACCOUNT)
    await alerts.observe_balance(ACCOUNT, 0.5)  # lower: still paused
    await alerts.observe_balance(ACCOUNT, 0.5)
    assert alerts.paused(ACCOUNT)

    await alerts.observe_balance(ACCOUNT, 100.0)  # topped up

    assert not alerts.paused(ACCOUNT)
    assert kinds(heard) == [AlertKind.PAYMENT_REQUIRED, AlertKind.BALANCE_RESTORED]
    await alerts.payment_required(ACCOUNT)  # a new episode after a top-up is news again
    assert kinds(heard)[-1] is AlertKind.PAYMENT_REQUIRED


async def test_resuming_by_hand_does_not_alert_again_and_the_pause_survives_restarts(
    alert_store: Store,
) -> None:
    clock = Clock()
    alerts, heard = await alerts_on(alert_store, clock, threshold=0.0)
    await alerts.payment_required(ACCOUNT)
    restarted, heard_after = await alerts_on(alert_store, clock, threshold=0.0)
    assert restarted.paused(ACCOUNT)

    assert await restarted.resume(ACCOUNT)
    assert not await restarted.resume(ACCOUNT)
    await restarted.payment_required(ACCOUNT)  # still empty: paused again, silently

    assert restarted.paused(ACCOUNT)
    assert kinds(heard) == [AlertKind.PAYMENT_REQUIRED]
    assert heard_after == []


# -- through the engine -----------------------------------------------------------------------


async def test_a_402_holds_the_queue_and_a_top_up_releases_it(engine: EngineFactory) -> None:
    built = await engine()
    heard: list[Notice] = []

    async def listener(notice: Notice) -> None:
        heard.append(notice)

    built.service.alerts.subscribe(listener)
    built.fake.balance = 2.0  # one grid
    first = await built.service.submit(new_job("paid for"))
    await built.wait_for(first.id, JobStatus.SUCCEEDED)

    waiting = [await built.service.submit(new_job(f"unpaid {n}", user=n)) for n in range(2, 6)]

    assert all(job.status is JobStatus.QUEUED for job in waiting)  # nobody got an error
    assert built.service.payment_hold
    assert len(built.fake.calls_to("/imagine")) == 2  # one paid, one 402; then nothing
    assert kinds(heard) == [AlertKind.PAYMENT_REQUIRED]
    stored = [await built.store.get_job(job.id) for job in waiting]
    assert {job.status for job in stored if job} == {JobStatus.QUEUED}
    await until(lambda: built.fake.calls_to("/info"))  # the balance the pause started at

    built.fake.balance = 100.0
    await built.service.account()  # the balance is seen again (the monitor does this)

    for job in waiting:
        await built.wait_for(job.id, JobStatus.SUCCEEDED)
    assert kinds(heard) == [AlertKind.PAYMENT_REQUIRED, AlertKind.BALANCE_RESTORED]
    assert len(built.fake.calls_to("/imagine")) == 6  # the 402 was not charged; each sent once


async def test_a_balance_look_below_the_threshold_alerts_once(engine: EngineFactory) -> None:
    built = await engine()
    built.service.alerts.threshold = 10.0
    heard: list[Notice] = []

    async def listener(notice: Notice) -> None:
        heard.append(notice)

    built.service.alerts.subscribe(listener)
    built.fake.balance = 11.0
    await built.service.account()
    job = await built.service.submit(new_job("crosses the line"))
    await built.wait_for(job.id, JobStatus.SUCCEEDED)

    for _ in range(3):
        await built.service.account()

    assert kinds(heard) == [AlertKind.LOW_BALANCE]
    assert heard[0].balance == 9.0


# -- the balance monitor ----------------------------------------------------------------------


async def test_the_monitor_looks_regularly_only_while_it_matters(alert_store: Store) -> None:
    alerts, _ = await alerts_on(alert_store, Clock(), threshold=0.0)
    looks: list[float] = []

    async def look() -> None:
        looks.append(len(looks))

    monitor = BalanceMonitor(look, alerts, ACCOUNT, sleep_interval=0.01, paused_interval=0.01)
    monitor.start()
    try:
        await asyncio.sleep(0.05)
        assert looks == []  # no threshold, no pause: nothing to watch
        monitor.poke()
        await until(lambda: len(looks) == 1)
        await alerts.payment_required(ACCOUNT)
        monitor.poke()
        await until(lambda: len(looks) >= 4)  # paused: it keeps looking for a top-up
    finally:
        await monitor.stop()


async def test_a_failed_look_does_not_stop_the_monitor(alert_store: Store) -> None:
    alerts, _ = await alerts_on(alert_store, Clock(), threshold=5.0)
    looks: list[int] = []

    async def look() -> None:
        looks.append(1)
        if len(looks) < 3:
            raise ProviderError(ErrorKind.UNAVAILABLE, "down")

    monitor = BalanceMonitor(look, alerts, ACCOUNT, sleep_interval=0.01)
    monitor.start()
    try:
        await until(lambda: len(looks) >= 4)
    finally:
        await monitor.stop()
