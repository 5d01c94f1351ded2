"""The hookUrl receiver: a callback is only a poke, confirmed by one fetch.

Every engine here polls slowly (safety net, real cadence: the first fetch is 20+ s away), so
any fetch or report seen within a test was caused by a callback.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from bot.jobs.models import Job
from bot.jobs.states import JobStatus
from bot.jobs.webhook import HookServer, hook_url, new_secret
from fakes.ttapi import FakeTTApi, Scenario
from tests.jobs.conftest import HOOK_SECRET, Engine, EngineFactory, new_job, until

S = JobStatus
SLOW_POLLING: dict[str, Any] = {"hook": True, "scale": 1.0, "safety_net": True}


async def post(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    """POST and return (status, JSON body or text)."""
    async with http.post(url, **kwargs) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def submitted(eng: Engine, fake: FakeTTApi) -> tuple[Job, str]:
    """Submit one job; return it and its provider id, with the fake's job finished."""
    job = await eng.service.submit(new_job())
    assert job.provider_job_id is not None
    fake.finish_now(job.provider_job_id)
    return job, job.provider_job_id


def payload(fake: FakeTTApi, provider_job_id: str) -> dict[str, Any]:
    """The body the TT API posts to hookUrl for this job now."""
    return fake.jobs[provider_job_id].snapshot(fake.clock())


async def quiet(seconds: float = 0.1) -> None:
    """Give a wrongly triggered fetch the time to happen."""
    await asyncio.sleep(seconds)


# --- the URL ----------------------------------------------------------------------------------


def test_hook_url_and_secret() -> None:
    assert hook_url("https://bot.example.com/", "abc") == "https://bot.example.com/ttapi/abc"
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) >= 32


async def test_the_provider_is_given_the_hook_url(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine(**SLOW_POLLING)
    job = await eng.service.submit(new_job())
    body = fake.calls_to("/imagine")[0].json
    # The bot's own job id ends the path, so a callback names its row (bot/jobs/orphans.py).
    assert body["hookUrl"] == f"{eng.hook_base}/ttapi/{HOOK_SECRET}/{job.id}"


# --- callbacks that must change nothing -------------------------------------------------------


async def test_a_wrong_secret_is_refused_and_changes_nothing(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    eng = await engine(**SLOW_POLLING)
    job, provider_id = await submitted(eng, fake)

    status, body = await post(
        http, f"{eng.hook_base}/ttapi/not-the-secret", json=payload(fake, provider_id)
    )
    await quiet()

    assert status == 403
    assert body == {"ok": False}
    assert fake.calls_to("/fetch") == []
    assert eng.statuses(job.id) == [S.SUBMITTED]
    row = await eng.store.get_job(job.id)
    assert row is not None
    assert row.status is S.SUBMITTED


@pytest.mark.parametrize(
    "body",
    [
        {"jobId": "00000000-0000-0000-0000-000000000000", "status": "SUCCESS"},
        {"status": "SUCCESS", "data": {"jobId": "someone-elses-job"}},
        {"status": "SUCCESS"},
    ],
)
async def test_a_callback_for_an_unknown_job_is_acknowledged_and_ignored(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession, body: Any
) -> None:
    eng = await engine(**SLOW_POLLING)
    job, _ = await submitted(eng, fake)

    status, answer = await post(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", json=body)
    await quiet()

    assert status == 200  # the TT API would only retry another answer
    assert answer == {"ok": True}
    assert fake.calls_to("/fetch") == []
    assert eng.statuses(job.id) == [S.SUBMITTED]


async def test_a_body_that_is_not_json_is_refused(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    eng = await engine(**SLOW_POLLING)
    await submitted(eng, fake)
    status, _ = await post(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", data=b"{not json")
    await quiet()
    assert status == 400
    assert fake.calls_to("/fetch") == []


async def test_a_body_over_the_cap_is_refused(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    eng = await engine(**SLOW_POLLING)
    job, provider_id = await submitted(eng, fake)
    huge = {**payload(fake, provider_id), "padding": "x" * 300_000}  # the cap is 256 KiB

    status, _ = await post(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", json=huge)
    await quiet()

    assert status == 413
    assert fake.calls_to("/fetch") == []
    assert eng.statuses(job.id) == [S.SUBMITTED]
    assert len(eng.watcher) == 1


async def test_health(engine: EngineFactory, http: aiohttp.ClientSession) -> None:
    eng = await engine(**SLOW_POLLING)
    async with http.get(f"{eng.hook_base}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok"
    assert isinstance(body["uptime_s"], int)


async def test_health_includes_the_status_callback(
    engine: EngineFactory, http: aiohttp.ClientSession
) -> None:
    eng = await engine(hook=False)
    server = HookServer(eng.watcher, "x", status=lambda: {"in_flight": 3})
    await server.start("127.0.0.1", 0)
    try:
        async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
            body = await response.json()
    finally:
        await server.stop()
    assert body["status"] == "ok"
    assert body["in_flight"] == 3


# --- callbacks that report ----------------------------------------------------------------------


async def test_a_callback_reports_the_job_at_once(engine: EngineFactory, fake: FakeTTApi) -> None:
    eng = await engine(**SLOW_POLLING)
    job, _ = await submitted(eng, fake)

    started = time.monotonic()
    assert await fake.fire_hooks() == 1
    done = await eng.wait_for(job.id, S.SUCCEEDED, within=2)
    elapsed = time.monotonic() - started

    assert elapsed < 0.5  # polling alone would take 10 s
    assert [entry.status for entry in fake.hook_log] == [200]
    assert len(fake.calls_to("/fetch")) == 1  # the callback's body was confirmed by one fetch
    assert done.images
    assert len(eng.watcher) == 0


async def test_automatic_callbacks_beat_slow_polling(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.auto_hooks = True
    eng = await engine(**SLOW_POLLING)
    started = time.monotonic()
    jobs = [await eng.service.submit(new_job(f"job {n}", user=n)) for n in range(3)]

    await until(lambda: all(eng.count(job.id, S.SUCCEEDED) for job in jobs), within=3)

    assert time.monotonic() - started < 1.5
    assert len(fake.calls_to("/fetch")) == 3
    assert {entry.status for entry in fake.hook_log} == {200}


async def test_a_duplicate_callback_reports_once(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    eng = await engine(**SLOW_POLLING)
    job, provider_id = await submitted(eng, fake)
    await fake.fire_hooks()
    await eng.wait_for(job.id, S.SUCCEEDED)

    url = f"{eng.hook_base}/ttapi/{HOOK_SECRET}"
    answers = await asyncio.gather(
        post(http, url, json=payload(fake, provider_id)),
        post(http, url, json=payload(fake, provider_id)),
    )
    await quiet()

    assert [status for status, _ in answers] == [200, 200]
    assert eng.count(job.id, S.SUCCEEDED) == 1
    assert len(fake.calls_to("/fetch")) == 1


async def test_a_forged_success_is_not_believed(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    fake.scenario = Scenario(queue_seconds=0.0, run_seconds=10_000.0)
    eng = await engine(**SLOW_POLLING)
    job = await eng.service.submit(new_job())
    assert job.provider_job_id is not None
    forged = {"status": "SUCCESS", "jobId": job.provider_job_id, "data": {"progress": "100"}}

    status, _ = await post(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", json=forged)
    await until(lambda: len(fake.calls_to("/fetch")) == 1)
    await until(lambda: S.RUNNING in eng.statuses(job.id))

    assert status == 200
    assert S.SUCCEEDED not in eng.statuses(job.id)  # the fetch said "still running"


async def test_a_callback_during_a_fetch_is_not_lost(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    """The job finishes while a fetch of it is on the wire; that fetch answers "running".

    The callback that arrives meanwhile must still lead to a fetch that sees the result,
    rather than waiting for the next safety-net poll 20+ s later.
    """
    fake.scenario = Scenario(queue_seconds=0.0, run_seconds=10_000.0)
    eng = await engine(**SLOW_POLLING)
    job = await eng.service.submit(new_job())
    provider_id = job.provider_job_id
    assert provider_id is not None
    still_running = payload(fake, provider_id)
    fake.fail_next("/fetch", 200, body=still_running, delay=0.3)  # a slow "running" answer

    # An early callback (e.g. a progress notice) starts a fetch that will be slow...
    await post(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", json=still_running)
    await until(lambda: len(fake.calls_to("/fetch")) == 1)
    # ...and while it is on the wire the job finishes and the final callback arrives.
    fake.finish_now(provider_id)
    assert await fake.fire_hooks() == 1
    assert [entry.status for entry in fake.hook_log] == [200]

    # Pokes of one job share a fetch per POKE_SPACING (2 s): the final one comes after it.
    await eng.wait_for(job.id, S.SUCCEEDED, within=4)
