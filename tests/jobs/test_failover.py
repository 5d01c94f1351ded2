"""The account pool in the engine: failover that never pays twice, follow-ups to the
parent's account, per-account caps, and jobs that wait (saying why) when all are down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.jobs.admission import AccountGone
from bot.jobs.models import Requester
from bot.jobs.states import JobStatus as S
from bot.provider.mjproxy import MjProxyClient
from bot.provider.ttapi import TTApiClient
from fakes.mjproxy import FakeMjProxy
from fakes.ttapi import FakeTTApi
from tests.jobs.conftest import ENDLESS, QUICK, new_job, no_sleep, until
from tests.jobs.pool_world import PoolEngine, account, pool_engine

TT_KEY = "tt-key-for-the-pool-1111"
TT_KEY_2 = "tt-key-for-the-pool-2222"
PROXY_SECRET = "proxy-secret-3333"
ALICE = Requester(1, guild_id=10, channel_id=20)


@pytest.fixture
async def proxy() -> AsyncIterator[FakeMjProxy]:
    fake = FakeMjProxy(secret=PROXY_SECRET, run_seconds=0.1, core_size=50)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def tt_pair() -> AsyncIterator[tuple[FakeTTApi, FakeTTApi]]:
    first = FakeTTApi(api_key=TT_KEY, scenario=replace(QUICK), max_in_progress=100)
    second = FakeTTApi(api_key=TT_KEY_2, scenario=replace(QUICK), max_in_progress=100)
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[list[PoolEngine]]:
    engines: list[PoolEngine] = []
    yield engines
    for engine in engines:
        await engine.stop()


def tt(session: aiohttp.ClientSession, fake: FakeTTApi, key: str) -> TTApiClient:
    return TTApiClient(session, key, fake.base_url, attempts=1, sleep=no_sleep)


async def test_a_402_mid_run_moves_new_jobs_to_the_proxy_and_follow_ups_stay_on_tt(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    proxy: FakeMjProxy,
    built: list[PoolEngine],
) -> None:
    fake_tt = tt_pair[0]
    accounts = [
        account("ttapi", TT_KEY, tt(http, fake_tt, TT_KEY)),
        account("mjproxy", PROXY_SECRET, MjProxyClient(http, proxy.base_url, PROXY_SECRET)),
    ]
    eng = await pool_engine(tmp_path / "db.sqlite", accounts)
    built.append(eng)

    first = await eng.service.submit(new_job("before the balance ran out"))
    tt_grid = await eng.wait_for(first.id, S.SUCCEEDED)
    assert (tt_grid.provider, tt_grid.account) == ("ttapi", accounts[0].key)

    fake_tt.balance = 1.0  # enough for an upscale (1 credit), not for a grid (2): 402
    second = await eng.service.submit(new_job("after the balance ran out"))
    proxy_grid = await eng.wait_for(second.id, S.SUCCEEDED)
    assert (proxy_grid.provider, proxy_grid.account) == ("mjproxy", accounts[1].key)
    assert S.FAILED not in eng.statuses(second.id)
    assert len(fake_tt.calls_to("/imagine")) == 2  # the refused one cost nothing...
    assert len(proxy.calls_to("/submit/imagine")) == 1  # ...and was sent on exactly once
    third = await eng.service.submit(new_job("while TT rests"))
    await eng.wait_for(third.id, S.SUCCEEDED)
    assert len(fake_tt.calls_to("/imagine")) == 2  # the resting account is not asked again

    upscale = await eng.service.action(ALICE, tt_grid, "upsample2")
    done = await eng.wait_for(upscale.id, S.SUCCEEDED)
    assert (done.provider, done.account) == ("ttapi", accounts[0].key)
    assert len(fake_tt.calls_to("/action")) == 1
    assert proxy.calls_to("/submit/action") == []

    proxy_upscale = await eng.service.action(ALICE, proxy_grid, "upsample1")
    await eng.wait_for(proxy_upscale.id, S.SUCCEEDED)
    [sent] = proxy.calls_to("/submit/action")
    assert sent.json["customId"] == proxy_grid.refs["upsample1"]
    assert len(fake_tt.calls_to("/action")) == 1

    status = {s.provider: s for s in await eng.pool.statuses()}
    assert not status["ttapi"].healthy
    assert status["ttapi"].reason is not None
    assert status["ttapi"].reason.startswith("out of credits")
    assert status["ttapi"].label == "…1111"
    assert status["mjproxy"].healthy


async def test_an_unknown_outcome_is_never_sent_to_another_account(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    proxy: FakeMjProxy,
    built: list[PoolEngine],
) -> None:
    fake_tt = tt_pair[0]
    fake_tt.fail_next("/imagine", 502, raw="<html>bad gateway</html>", accept_first=True)
    accounts = [
        account("ttapi", TT_KEY, tt(http, fake_tt, TT_KEY)),
        account("mjproxy", PROXY_SECRET, MjProxyClient(http, proxy.base_url, PROXY_SECRET)),
    ]
    eng = await pool_engine(tmp_path / "db.sqlite", accounts)
    built.append(eng)
    job = await eng.service.submit(new_job("maybe accepted"))
    # Not resent anywhere: looked for among TT's recent jobs, found, and watched there.
    done = await eng.wait_for(job.id, S.SUCCEEDED)
    assert (done.provider, done.account) == ("ttapi", accounts[0].key)
    assert len(fake_tt.calls_to("/imagine")) == 1
    assert proxy.calls_to("/submit/imagine") == []
    assert len(fake_tt.jobs) == 1  # TT did create it: resending would have paid twice


async def test_when_every_account_is_down_jobs_wait_and_say_why(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    built: list[PoolEngine],
) -> None:
    fake_tt = tt_pair[0]
    fake_tt.fail_next("/imagine", 401, {"status": "FAILED", "message": "Wrong TT-API-KEY"})
    rest_over = asyncio.Event()

    async def held_rest(_: float) -> None:
        await rest_over.wait()

    eng = await pool_engine(
        tmp_path / "db.sqlite",
        [account("ttapi", TT_KEY, tt(http, fake_tt, TT_KEY))],
        sleep=held_rest,
    )
    built.append(eng)
    job = await eng.service.submit(new_job("patient"))
    assert job.status is S.QUEUED
    reason = eng.service.waiting_reason()
    assert reason is not None
    assert "key rejected" in reason
    assert TT_KEY not in reason
    rest_over.set()  # the cool-down is over; the key works again
    await eng.wait_for(job.id, S.SUCCEEDED)
    assert eng.service.waiting_reason() is None
    assert S.FAILED not in eng.statuses(job.id)


async def test_two_keys_share_the_load_and_follow_ups_wait_for_their_own_account(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    built: list[PoolEngine],
) -> None:
    first, second = tt_pair
    accounts = [
        account("ttapi", TT_KEY, tt(http, first, TT_KEY), cap=2),
        account("ttapi", TT_KEY_2, tt(http, second, TT_KEY_2), cap=2),
    ]
    eng = await pool_engine(tmp_path / "db.sqlite", accounts)
    built.append(eng)
    grid = await eng.service.submit(new_job("a grid on the first key"))
    parent = await eng.wait_for(grid.id, S.SUCCEEDED)
    owner = parent.account
    fakes = {accounts[0].key: first, accounts[1].key: second}
    for fake in (first, second):
        fake.next_scenario(replace(ENDLESS))
        fake.next_scenario(replace(ENDLESS))
    jobs = [await eng.service.submit(new_job(f"long {n}", user=n + 2)) for n in range(4)]
    await until(lambda: eng.service.in_flight == 4)
    assert {len(a.in_flight) for a in accounts} == {2}  # spread by free slots
    follow_up = await eng.service.action(ALICE, parent, "upsample1")
    assert follow_up.status is S.QUEUED  # its account is full; the other one cannot help
    assert len(fakes[owner].calls_to("/action")) == 0
    assert all(job.status is not S.QUEUED for job in [await eng.store.get_job(j.id) for j in jobs])


async def test_after_a_restart_jobs_are_fetched_from_and_followed_up_on_their_account(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    proxy: FakeMjProxy,
    built: list[PoolEngine],
) -> None:
    fake_tt = tt_pair[0]

    def accounts() -> list:  # type: ignore[type-arg]
        return [
            account("ttapi", TT_KEY, tt(http, fake_tt, TT_KEY)),
            account("mjproxy", PROXY_SECRET, MjProxyClient(http, proxy.base_url, PROXY_SECRET)),
        ]

    db = tmp_path / "db.sqlite"
    fake_tt.fail_next("/imagine", 402, {"status": "FAILED", "message": "no credits"})
    proxy.run_seconds = 0.5
    first = await pool_engine(db, accounts())
    built.append(first)  # stopped below; also at teardown if the test fails first
    job = await first.service.submit(new_job("made by the proxy"))

    async def sent_to_the_proxy() -> bool:
        row = await first.store.get_job(job.id)
        return row is not None and row.provider == "mjproxy" and row.provider_job_id is not None

    await until(sent_to_the_proxy)
    await first.stop()  # the job is still running at the proxy

    second = await pool_engine(db, accounts())  # TT is healthy again in this process
    built.append(second)
    grid = await second.wait_for(job.id, S.SUCCEEDED)
    assert grid.image_url
    assert proxy.calls_to(f"/task/{grid.provider_job_id}/fetch")
    assert fake_tt.calls_to("/fetch") == []  # never asked the wrong provider
    upscale = await second.service.action(ALICE, grid, "upsample3")
    await second.wait_for(upscale.id, S.SUCCEEDED)
    assert len(proxy.calls_to("/submit/action")) == 1
    assert fake_tt.calls_to("/action") == []


async def test_buttons_of_an_account_no_longer_configured_are_refused_clearly(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    proxy: FakeMjProxy,
    built: list[PoolEngine],
) -> None:
    db = tmp_path / "db.sqlite"
    proxy_only = [
        account("mjproxy", PROXY_SECRET, MjProxyClient(http, proxy.base_url, PROXY_SECRET))
    ]
    first = await pool_engine(db, proxy_only)
    built.append(first)
    grid_job = await first.service.submit(new_job("on the proxy"))
    grid = await first.wait_for(grid_job.id, S.SUCCEEDED)
    await first.stop()

    fake_tt = tt_pair[0]
    second = await pool_engine(db, [account("ttapi", TT_KEY, tt(http, fake_tt, TT_KEY))])
    built.append(second)
    with pytest.raises(AccountGone, match="no longer configured"):
        await second.service.action(ALICE, grid, "upsample1")
    assert fake_tt.calls_to("/action") == []
    assert len(await second.store.unfinished_jobs()) == 0  # nothing was written


async def test_an_orphan_is_adopted_from_the_account_that_has_it(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    tt_pair: tuple[FakeTTApi, FakeTTApi],
    built: list[PoolEngine],
) -> None:
    first, second = tt_pair
    first.balance = 0.0  # the first key is broke: the job goes to the second
    second.fail_next("/imagine", 502, raw="<html>bad gateway</html>", accept_first=True)
    accounts = [
        account("ttapi", TT_KEY, tt(http, first, TT_KEY)),
        account("ttapi", TT_KEY_2, tt(http, second, TT_KEY_2)),
    ]
    eng = await pool_engine(tmp_path / "db.sqlite", accounts)
    built.append(eng)
    job = await eng.service.submit(new_job("accepted, answer lost"))
    done = await eng.wait_for(job.id, S.SUCCEEDED)
    assert done.account == accounts[1].key
    assert len(second.calls_to("/imagine")) == 1  # never resent
    assert [
        c for c in first.calls_to("/fetch") if c.query.get("jobId") == done.provider_job_id
    ] == []
    assert [c for c in second.calls_to("/fetch") if c.query.get("jobId") == done.provider_job_id]
