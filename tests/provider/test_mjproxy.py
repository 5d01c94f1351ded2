"""MjProxyClient against the fake midjourney-proxy (both flavours) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.mjproxy import MjProxyClient
from bot.provider.mjproxy_parse import action_name, parse_task
from bot.provider.models import (
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    Dimensions,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    Mode,
    RemoteStatus,
    SeedRequest,
    parse_snapshot,
)
from fakes.mjproxy import FakeMjProxy, grid_buttons
from fakes.ttapi import ManualClock

SECRET = "proxy-secret-abcd1234"
GRID = (
    *(f"upsample{n}" for n in range(1, 5)),
    "reroll",
    *(f"variation{n}" for n in range(1, 5)),
)
PNG = "data:image/png;base64,iVBORw0KGgo="


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(params=["novicezk", "trueai"])
async def world(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FakeMjProxy, MjProxyClient, ManualClock]]:
    clock = ManualClock(1000.0)
    fake = FakeMjProxy(
        flavour=request.param,
        secret=SECRET,
        prefix="/fast",
        clock=clock,
        run_seconds=7.0,
        core_size=1,
        queue_size=1,
    )
    base = await fake.start()
    async with aiohttp.ClientSession() as session:
        yield fake, MjProxyClient(session, base, SECRET, attempts=1, sleep=no_sleep), clock
    await fake.close()


async def run_to_end(client: MjProxyClient, clock: ManualClock, job_id: str) -> JobSnapshot:
    seen = []
    for _ in range(9):
        snapshot = await client.fetch(job_id)
        seen.append(snapshot.progress)
        if snapshot.status.finished:
            return snapshot
        clock.advance(1.0)
    raise AssertionError(f"task {job_id} never finished: {seen}")


# --- parsing: one API's payload is never another's ---------------------------------------


def test_a_proxy_success_task_is_not_a_tt_result() -> None:
    """The TT parser used to accept a proxy SUCCESS task as a TT SUCCESS with no image."""
    task = {
        "id": "1320098173412546",
        "status": "SUCCESS",
        "progress": "100%",
        "imageUrl": "https://img.example/x.png",
        "buttons": grid_buttons("h"),
    }
    assert parse_snapshot(task) is None
    proxy = parse_task(task)
    assert proxy is not None
    assert proxy.image_url == "https://img.example/x.png"
    assert proxy.components == GRID
    tt = {"status": "SUCCESS", "jobId": "a", "data": {"cdnImage": "https://cdn/x.png"}}
    assert parse_task(tt) is None
    assert parse_task(None) is None


@pytest.mark.parametrize(
    ("custom_id", "name"),
    [
        ("MJ::JOB::upsample::3::h", "upsample3"),
        ("MJ::JOB::reroll::0::h::SOLO", "reroll"),
        ("MJ::JOB::upsample_v6r1_2x_subtle::1::h::SOLO", "upscale_subtle"),
        ("MJ::JOB::upsample_v5_4x::1::h::SOLO", "upscale4"),
        ("MJ::JOB::high_variation::1::h::SOLO", "high_variation"),
        ("MJ::Outpaint::75::1::h::SOLO", "zoom_out_1_5"),
        ("MJ::JOB::pan_up::1::h::SOLO", "pan_up"),
        ("MJ::Inpaint::1::h::SOLO", "inpaint"),
        ("MJ::CustomZoom::1::h", None),
        ("MJ::Job::PicReader::2", None),
    ],
)
def test_button_custom_ids_map_to_the_bots_action_names(custom_id: str, name: str | None) -> None:
    assert action_name(custom_id) == name


# --- the client against the fake -----------------------------------------------------------


async def test_imagine_then_upscale_sends_the_kept_custom_id_back(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    job_id = await client.submit(ImagineRequest("a red fox", Mode.RELAX, hook_url="http://h/x"))
    call = fake.calls_to("/fast/mj/submit/imagine")[0]
    assert call.json["prompt"] == "a red fox --relax"
    assert call.json["notifyHook"] == "http://h/x"
    assert call.headers["mj-api-secret"] == SECRET
    grid = await run_to_end(client, clock, job_id)
    assert grid.status is RemoteStatus.SUCCESS
    assert grid.components == GRID
    assert grid.image_url
    refs = dict(grid.refs)
    upscale_id = await client.submit(ActionRequest(job_id, "upsample2", refs=grid.refs))
    sent = fake.calls_to("/submit/action")[0].json
    assert sent == {"taskId": job_id, "customId": refs["upsample2"]}
    upscaled = await run_to_end(client, clock, upscale_id)
    assert "zoom_out_2" in upscaled.components
    assert "inpaint" in upscaled.components
    assert not any("CustomZoom" in ref for _, ref in upscaled.refs)


async def test_waiting_tasks_are_accepted_and_a_full_queue_refused(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    first = await client.submit(ImagineRequest("one"))
    clock.advance(2.0)  # running
    second = await client.submit(ImagineRequest("two"))  # code 22 or code 1 + NOT_START
    assert second != first
    clock.advance(2.0)
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("three"))
    assert caught.value.kind is ErrorKind.QUEUE_FULL  # 23 or 9: refused, never accepted
    assert len(fake.tasks) == 2


async def test_a_banned_prompt_is_refused_at_submit_or_fails_later(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    if fake.flavour == "novicezk":
        with pytest.raises(ProviderError) as caught:
            await client.submit(ImagineRequest("a skimpy dress"))
        assert caught.value.kind is ErrorKind.BANNED_PROMPT
        assert "skimpy" in caught.value.message
        return
    job_id = await client.submit(ImagineRequest("a skimpy dress"))
    failed = await run_to_end(client, clock, job_id)
    assert failed.status is RemoteStatus.FAILED
    assert "Banned prompt" in failed.message


async def test_an_unknown_task_is_not_found(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    _, client, _ = world
    with pytest.raises(ProviderError) as caught:
        await client.fetch("1741531578038999")  # empty 200 (novicezk) or 204 (trueai)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    with pytest.raises(ProviderError) as parent:
        await client.submit(
            ActionRequest("404", "upsample1", refs=(("upsample1", "MJ::JOB::upsample::1::h"),))
        )
    assert parent.value.kind is ErrorKind.NOT_FOUND


async def test_inpaint_goes_through_the_modal(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    grid = await run_to_end(client, clock, await client.submit(ImagineRequest("a boat")))
    upscale = await client.submit(ActionRequest(grid.job_id, "upsample1", refs=grid.refs))
    upscaled = await run_to_end(client, clock, upscale)
    job_id = await client.submit(
        InpaintRequest(upscale, "bWFzaw==", "a red sail", refs=upscaled.refs)
    )
    modal = fake.calls_to("/submit/modal")[0].json
    assert modal == {
        "taskId": job_id,
        "maskBase64": "data:image/png;base64,bWFzaw==",
        "prompt": "a red sail",
    }
    done = await run_to_end(client, clock, job_id)
    assert done.status is RemoteStatus.SUCCESS


async def test_a_custom_id_the_parent_lacks_is_accepted_and_fails_later(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    _, client, clock = world
    grid = await run_to_end(client, clock, await client.submit(ImagineRequest("a tree")))
    stale = (("upsample1", "MJ::JOB::upsample::1::stale-hash"),)
    job_id = await client.submit(ActionRequest(grid.job_id, "upsample1", refs=stale))
    failed = await run_to_end(client, clock, job_id)
    assert failed.status is RemoteStatus.FAILED
    with pytest.raises(ProviderError) as caught:
        await client.submit(ActionRequest(grid.job_id, "zoom_out_2", refs=grid.refs))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST  # no such button: nothing sent


async def test_describe_blend_seed_and_batches(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    described = await run_to_end(client, clock, await client.submit(DescribeRequest(PNG)))
    assert len(described.prompts) == 4
    assert described.components == ()  # PicReader buttons are not offered as actions
    png = "data:image/png;base64,iVBORw0KGgo="
    blend = await client.submit(BlendRequest((png, png), Dimensions.PORTRAIT))
    assert fake.calls_to("/submit/blend")[0].json["dimensions"] == "PORTRAIT"
    seed_job = await client.submit(SeedRequest(blend))
    seed = await client.fetch(seed_job)
    assert seed.status is RemoteStatus.SUCCESS
    assert seed.seed == str(int(blend) % 4294967296)
    found = await client.fetch_many([blend, "nope", described.job_id])
    assert {snapshot.job_id for snapshot in found} == {blend, described.job_id}


async def test_a_wrong_secret_is_an_auth_error_that_never_shows_the_secret() -> None:
    fake = FakeMjProxy(secret=SECRET)
    base = await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            client = MjProxyClient(session, base, "wrong-secret-9999", attempts=1)
            with pytest.raises(ProviderError) as caught:
                await client.submit(ImagineRequest("a cat"))
    finally:
        await fake.close()
    assert caught.value.kind is ErrorKind.AUTH
    assert caught.value.status == 401
    assert "wrong-secret-9999" not in str(caught.value)


async def test_a_lost_answer_is_unknown_and_never_resent() -> None:
    fake = FakeMjProxy(secret=None)
    base = await fake.start()
    fake.drop_next.add("/submit/imagine")
    try:
        async with aiohttp.ClientSession() as session:
            client = MjProxyClient(session, base, attempts=4, sleep=no_sleep)
            with pytest.raises(ProviderError) as caught:
                await client.submit(ImagineRequest("a cat"))
            fake.fail_next("/submit/imagine", 502, "<html>bad gateway</html>")
            with pytest.raises(ProviderError) as gateway:
                await client.submit(ImagineRequest("a dog"))
    finally:
        await fake.close()
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert gateway.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert len(fake.calls_to("/submit/imagine")) == 2  # one each: never sent twice
    assert len(fake.tasks) == 1  # the first one exists at the proxy


async def test_an_unreachable_proxy_is_unavailable_before_sending() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        client = MjProxyClient(session, f"http://127.0.0.1:{port}", attempts=2, sleep=no_sleep)
        with pytest.raises(ProviderError) as caught:
            await client.submit(ImagineRequest("a cat"))
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.status is None


async def test_parallel_fetches_become_one_batch_call(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    fake.core_size = fake.queue_size = 20
    ids = [await client.submit(ImagineRequest(f"job {n}")) for n in range(6)]
    clock.advance(10.0)
    results = await asyncio.gather(
        *(client.fetch(job_id) for job_id in [*ids, "1741531578030000"]), return_exceptions=True
    )
    assert [r.status for r in results[:6]] == [RemoteStatus.SUCCESS] * 6  # type: ignore[union-attr]
    assert isinstance(results[6], ProviderError)
    assert results[6].kind is ErrorKind.NOT_FOUND  # the unknown id, asked on its own
    assert len(fake.calls_to("/task/list-by-condition")) == 1
    assert [call.path for call in fake.calls if call.path.endswith("/fetch")] == [
        "/fast/mj/task/1741531578030000/fetch"
    ]


async def test_a_proxy_without_the_batch_endpoint_is_asked_one_by_one(
    world: tuple[FakeMjProxy, MjProxyClient, ManualClock],
) -> None:
    fake, client, clock = world
    first = await client.submit(ImagineRequest("one"))
    second = await client.submit(ImagineRequest("two"))
    clock.advance(10.0)
    fake.fail_next("/task/list-by-condition", 404, "")
    done = await asyncio.gather(client.fetch(first), client.fetch(second))
    assert {snapshot.status for snapshot in done} == {RemoteStatus.SUCCESS}
    await asyncio.gather(client.fetch(first), client.fetch(second))
    assert len(fake.calls_to("/task/list-by-condition")) == 1  # not asked again
    assert len(fake.calls_to("/fetch")) == 4
