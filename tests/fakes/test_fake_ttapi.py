"""Self-tests of the in-process TT API fake."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from fakes.ttapi import FakeTTApi, ManualClock, Scenario

DATA_URL = "data:image/png;base64," + base64.b64encode(b"png").decode()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTTApi]:
    api = FakeTTApi(clock=clock)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    fake: FakeTTApi,
    route: str,
    body: Any = None,
    key: str = "test-key",
) -> tuple[int, Any]:
    """One request like ``"POST /imagine"`` to the fake; returns (status, parsed JSON or text)."""
    method, path = route.split(" ", 1)
    url = fake.base_url + "/midjourney/v1" + path
    async with http.request(method, url, json=body, headers={"TT-API-KEY": key}) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def submit(http: aiohttp.ClientSession, fake: FakeTTApi, prompt: str = "a cat") -> str:
    status, body = await call(http, fake, "POST /imagine", {"prompt": prompt, "mode": "fast"})
    assert status == 200, body
    return body["data"]["jobId"]


async def fetch(http: aiohttp.ClientSession, fake: FakeTTApi, job_id: str) -> dict[str, Any]:
    status, body = await call(http, fake, f"GET /fetch?jobId={job_id}")
    assert status == 200, body
    return body


async def test_imagine_lifecycle(
    fake: FakeTTApi, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    job_id = await submit(http, fake)
    assert await fetch(http, fake, job_id) == {
        "status": "PENDING_QUEUE",
        "jobId": job_id,
        "message": "",
        "data": [],
    }
    clock.advance(11.0)
    running = await fetch(http, fake, job_id)
    assert running["status"] == "ON_QUEUE"
    assert running["data"]["progress"] == "46"  # 50 % shows as the 46 % step
    assert running["data"]["components"] == []
    assert fake.in_progress() == 1
    clock.advance(10.0)
    done = await fetch(http, fake, job_id)
    data = done["data"]
    assert done["status"] == "SUCCESS"
    assert (data["progress"], data["quota"], data["prompt"]) == ("100", "2", "a cat")
    assert data["components"][:5] == ["upsample1", "upsample2", "upsample3", "upsample4", "reroll"]
    assert data["images"][0] == f"{fake.base_url}/cdn/{job_id}_tl.png"
    assert fake.in_progress() == 0
    assert len(fake.calls_to("/fetch")) == 3
    async with http.get(data["cdnImage"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")


async def test_actions_and_validation(fake: FakeTTApi, http: aiohttp.ClientSession) -> None:
    job_id = await submit(http, fake)
    status, body = await call(http, fake, "POST /action", {"jobId": job_id, "action": "upsample1"})
    assert (status, body["message"]) == (400, "related job not successful")
    fake.finish_now(job_id)
    status, body = await call(http, fake, "POST /action", {"jobId": job_id, "action": "pan_left"})
    assert (status, body["message"]) == (400, "related job has no such operation")
    status, body = await call(http, fake, "POST /action", {"jobId": job_id, "action": "upsample2"})
    upscale_id = body["data"]["jobId"]
    fake.finish_now(upscale_id)
    data = (await fetch(http, fake, upscale_id))["data"]
    assert (data["action"], data["quota"], data["images"]) == ("upsample2", "1", None)
    assert "zoom_out_2" in data["components"]
    status, body = await call(http, fake, "POST /imagine", {"prompt": "a SEXY cat"})
    assert status == 400
    assert body == {"status": "FAILED", "message": "banned prompt words :sexy", "data": {}}
    status, body = await call(http, fake, "POST /blend", {"imgBase64Array": [DATA_URL]})
    assert "length of 2 to 5" in body["message"]
    status, body = await call(http, fake, "GET /fetch?jobId=nope")
    assert (status, body["message"]) == (400, "related job does not exist")


async def test_describe_and_seed(fake: FakeTTApi, http: aiohttp.ClientSession) -> None:
    _, body = await call(http, fake, "POST /describe", {"base64": DATA_URL})
    describe_id = body["data"]["jobId"]
    fake.finish_now(describe_id)
    assert (await fetch(http, fake, describe_id))["data"]["prompt"].startswith("1️⃣")
    parent = await submit(http, fake)
    fake.finish_now(parent)
    _, body = await call(http, fake, "POST /seed", {"jobId": parent})
    seed_id = body["data"]["jobId"]
    fake.finish_now(seed_id)
    assert (await fetch(http, fake, seed_id))["data"]["seed"].isdigit()


async def test_wrong_key_is_401(fake: FakeTTApi, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, fake, "POST /imagine", {"prompt": "x"}, key="bad")
    assert status == 401
    assert body == {"status": "FAILED", "message": "Wrong TT-API-KEY or email is not activated."}
    assert fake.jobs == {}


async def test_queue_full_is_499(http: aiohttp.ClientSession, clock: ManualClock) -> None:
    async with FakeTTApi(clock=clock, max_in_progress=2, id_style="job_id") as fake:
        _, first = await call(http, fake, "POST /imagine", {"prompt": "one"})
        await call(http, fake, "POST /imagine", {"prompt": "two"})
        status, body = await call(http, fake, "POST /imagine", {"prompt": "three"})
        assert status == 499
        assert body == {"status": "FAILED", "message": "Insufficient queues", "data": None}
        assert len(fake.jobs) == 2
        fake.finish_now(first["data"]["job_id"])
        status, _ = await call(http, fake, "POST /imagine", {"prompt": "four"})
        assert status == 200
        assert fake.max_concurrent_seen == 2


async def test_fail_next_and_scenarios(
    fake: FakeTTApi, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    fake.fail_next("/imagine", 502, raw="<html>Bad gateway</html>")
    status, text = await call(http, fake, "POST /imagine", {"prompt": "a cat"})
    assert (status, text) == (502, "<html>Bad gateway</html>")
    assert fake.jobs == {}
    fake.fail_next("/imagine", 500, accept_first=True)
    status, body = await call(http, fake, "POST /imagine", {"prompt": "a cat"})
    assert (status, body["status"]) == (500, "FAILED")
    assert len(fake.jobs) == 1
    fake.scenario_for_prompt("doomed", Scenario(queue_seconds=0, run_seconds=0, outcome="FAILED"))
    job_id = await submit(http, fake, "a doomed cat")
    failed = await fetch(http, fake, job_id)
    assert failed["status"] == "FAILED"
    assert failed["message"].startswith("[Banned prompt detected]")
    assert failed["data"]["components"] is None
    fake.next_scenario(Scenario(queue_seconds=0, run_seconds=4))
    job_id = await submit(http, fake, "a doomed cat")
    clock.advance(2.0)
    assert (await fetch(http, fake, job_id))["data"]["progress"] == "46"  # a step
    clock.advance(2.0)
    assert fake.last_job("imagine").status(clock()) == "SUCCESS"


async def test_hooks_reach_receiver(fake: FakeTTApi, http: aiohttp.ClientSession) -> None:
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        body = {"prompt": "a cat", "hookUrl": hook_url}
        _, answer = await call(http, fake, "POST /imagine", body)
        job_id = answer["data"]["jobId"]
        assert await fake.fire_hooks() == 0
        fake.finish_now(job_id)
        assert await fake.fire_hooks() == 1
        assert await fake.fire_hooks() == 0
        assert received[0]["status"] == "SUCCESS"
        assert received[0]["data"]["hookUrl"] == hook_url
        _, answer = await call(http, fake, "POST /imagine", body)
        fake.finish_now(answer["data"]["jobId"])
        fake.auto_hooks = True
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.01)
        assert received[1]["jobId"] == answer["data"]["jobId"]
    finally:
        await runner.cleanup()
