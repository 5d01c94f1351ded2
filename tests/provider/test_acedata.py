"""AceDataClient against the fake AceData API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.provider.acedata import AceDataClient
from bot.provider.acedata_parse import parse_answer
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.mjproxy_parse import parse_task
from bot.provider.models import (
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    ImagineRequest,
    JobSnapshot,
    Mode,
    RemoteStatus,
    parse_snapshot,
)
from fakes.acedata import FakeAceData

TOKEN = "ace-token-0123456789"
GRID = (
    *(f"upsample{n}" for n in range(1, 5)),
    "reroll",
    *(f"variation{n}" for n in range(1, 5)),
)


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeAceData, AceDataClient]]:
    fake = FakeAceData(token=TOKEN, seconds=0.2)
    base = await fake.start()
    async with aiohttp.ClientSession() as session:
        client = AceDataClient(session, TOKEN, base, attempts=1, sleep=no_sleep)
        yield fake, client
        await client.close()
    await fake.close()


async def finished(client: AceDataClient, job_id: str) -> JobSnapshot:
    for _ in range(300):
        snapshot = await client.fetch(job_id)
        if snapshot.status.finished:
            return snapshot
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {job_id} never finished")


def test_answers_of_one_api_never_parse_as_another() -> None:
    answer = {
        "success": True,
        "task_id": "t1",
        "image_id": "9",
        "progress": 100,
        "image_url": "https://cdn/x.png",
        "actions": ["upscale1", "variation_subtle", "odd"],
    }
    snapshot = parse_answer(answer)
    assert snapshot is not None
    assert snapshot.components == ("upsample1", "low_variation")
    assert snapshot.refs == (("image_id", "9"),)
    assert parse_snapshot(answer) is None  # no TT status
    assert parse_task(answer) is None  # no proxy status
    assert parse_answer({"status": "SUCCESS", "jobId": "a", "data": {}}) is None


async def test_the_task_id_is_known_before_the_stream_ends(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    fake.gate = asyncio.Event()  # no task may finish yet: submit must not wait for the image
    job_id = await client.submit(ImagineRequest("a red fox", Mode.RELAX, timeout=300))
    call = fake.calls_to("/midjourney/imagine")[0]
    assert call.headers["Accept"] == "application/x-ndjson"
    assert call.json == {
        "action": "generate",
        "prompt": "a red fox",
        "mode": "relax",
        "timeout": 300,
    }
    assert job_id in fake.tasks
    running = await client.fetch(job_id)
    assert running.status in (RemoteStatus.PENDING, RemoteStatus.RUNNING)
    fake.gate.set()
    done = await finished(client, job_id)
    assert done.components == GRID
    assert done.image_url
    assert fake.calls_to("/midjourney/tasks") == []  # the stream said it all


async def test_a_broken_stream_is_retrieved_by_task_id(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    fake.drop_after_first_line = True
    job_id = await client.submit(ImagineRequest("a castle"))
    done = await finished(client, job_id)
    assert done.status is RemoteStatus.SUCCESS
    assert fake.calls_to("/midjourney/tasks")
    assert len(fake.calls_to("/midjourney/imagine")) == 1  # never sent again


async def test_a_504_is_followed_by_its_trace_id(world: tuple[FakeAceData, AceDataClient]) -> None:
    fake, client = world
    fake.gateway_timeout = 0.05
    job_id = await client.submit(ImagineRequest("a slow castle"))
    assert job_id.startswith("trace:")
    done = await finished(client, job_id)
    assert done.status is RemoteStatus.SUCCESS
    assert fake.calls_to("/midjourney/tasks")[0].json["trace_id"] == job_id.removeprefix("trace:")
    assert len(fake.calls_to("/midjourney/imagine")) == 1


async def test_a_follow_up_sends_acedatas_action_name_and_the_image_id(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    grid = await finished(client, await client.submit(ImagineRequest("a boat")))
    upscale = await client.submit(ActionRequest(grid.job_id, "upsample2", refs=grid.refs))
    sent = fake.calls_to("/midjourney/imagine")[1].json
    assert sent == {"action": "upscale2", "image_id": dict(grid.refs)["image_id"]}
    upscaled = await finished(client, upscale)
    assert "zoom_out_2" in upscaled.components
    assert "high_variation" in upscaled.components
    assert "inpaint" not in upscaled.components  # variation_region needs a mask URL
    zoom = await client.submit(ActionRequest(upscale, "zoom_out_1_5", refs=upscaled.refs))
    assert fake.calls_to("/midjourney/imagine")[2].json["action"] == "zoom_out_1_5x"
    assert (await finished(client, zoom)).components == GRID


async def test_with_a_callback_the_call_answers_at_once(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    received: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        fake.gate = asyncio.Event()
        job_id = await client.submit(ImagineRequest("a lake", hook_url=url))
        assert fake.calls_to("/midjourney/imagine")[0].json["callback_url"] == url
        fake.gate.set()
        done = await finished(client, job_id)
        assert done.status is RemoteStatus.SUCCESS
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.01)
        assert received[0]["task_id"] == job_id
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("setup", "kind"),
    [
        ("wrong token", ErrorKind.AUTH),
        ("no balance", ErrorKind.BALANCE),
        ("banned", ErrorKind.BANNED_PROMPT),
    ],
)
async def test_refusals_are_read_from_acedatas_errors(
    world: tuple[FakeAceData, AceDataClient], setup: str, kind: ErrorKind
) -> None:
    fake, client = world
    prompt = "a skimpy dress" if setup == "banned" else "a cat"
    if setup == "wrong token":
        fake.token = "another-token"
    fake.balance_left = setup != "no balance"
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest(prompt))
    assert caught.value.kind is kind
    assert TOKEN not in str(caught.value)
    assert fake.tasks == {}


async def test_describe_batch_retrieve_and_what_acedata_cannot_do(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    described = await finished(client, await client.submit(DescribeRequest(url="https://x/y.png")))
    assert len(described.prompts) == 4
    one = await client.submit(ImagineRequest("one"))
    two = await client.submit(ImagineRequest("two"))
    await finished(client, two)
    found = await client.fetch_many([one, two, "missing"])
    assert {snapshot.job_id for snapshot in found} == {one, two}
    calls = len(fake.calls)
    with pytest.raises(ProviderError) as caught:
        await client.submit(BlendRequest(("data:,a", "data:,b")))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert len(fake.calls) == calls  # refused locally: nothing paid


async def test_retrieves_of_the_moment_go_out_as_one_batch(
    world: tuple[FakeAceData, AceDataClient],
) -> None:
    fake, client = world
    ids = [await client.submit(ImagineRequest(f"job {n}")) for n in range(4)]
    async with aiohttp.ClientSession() as session:  # a restarted bot: no stream is open
        restarted = AceDataClient(session, TOKEN, fake.base_url, attempts=1, sleep=no_sleep)
        for _ in range(300):
            done = await asyncio.gather(*(restarted.fetch(job_id) for job_id in ids))
            if all(snapshot.status is RemoteStatus.SUCCESS for snapshot in done):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the tasks never finished")
    calls = fake.calls_to("/midjourney/tasks")
    assert calls
    assert all(call.json == {"action": "retrieve_batch", "ids": ids} for call in calls)
