"""The demo provider: real Pillow drawings served over 127.0.0.1, on a manual clock."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image

from bot.provider.demo import GRID_COMPONENTS, STEPS, UPSCALED_COMPONENTS, DemoProvider
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import (
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    RemoteStatus,
    SeedRequest,
)
from fakes.ttapi import ManualClock


@pytest.fixture
async def demo() -> AsyncIterator[tuple[DemoProvider, ManualClock]]:
    clock = ManualClock()
    provider = DemoProvider(duration=7.0, clock=clock)
    yield provider, clock
    await provider.close()


async def finish(provider: DemoProvider, clock: ManualClock, job_id: str) -> JobSnapshot:
    """Run the clock past the job's duration and wait for the drawing thread."""
    clock.advance(8.0)
    for _ in range(500):
        snapshot = await provider.fetch(job_id)
        if snapshot.status.finished:
            return snapshot
        await asyncio.sleep(0.01)
    raise AssertionError("the demo job never finished")


async def download(url: str) -> Image.Image:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        return Image.open(io.BytesIO(await response.read())).convert("RGB")


async def test_progress_moves_in_midjourney_steps(demo: tuple[DemoProvider, ManualClock]) -> None:
    provider, clock = demo
    job_id = await provider.submit(ImagineRequest("a lighthouse at dusk"))
    seen = []
    for _ in range(7):
        clock.advance(1.0)
        snapshot = await provider.fetch(job_id)
        assert snapshot.status is RemoteStatus.RUNNING
        seen.append(snapshot.progress)
    assert seen == sorted(seen)
    assert set(seen) <= set(STEPS)
    assert len(set(seen)) >= 5


async def test_grid_is_served_and_upscale_crops_its_quadrant(
    demo: tuple[DemoProvider, ManualClock],
) -> None:
    provider, clock = demo
    grid = await finish(provider, clock, await provider.submit(ImagineRequest("a red fox")))
    assert grid.status is RemoteStatus.SUCCESS
    assert grid.components == GRID_COMPONENTS
    assert grid.image_url
    assert grid.image_url.startswith("http://127.0.0.1:")
    assert grid.seed
    assert grid.seed.isdigit()
    grid_image = await download(grid.image_url)
    assert grid_image.size == (1024, 1024)

    upscale = await finish(
        provider, clock, await provider.submit(ActionRequest(grid.job_id, "upsample2"))
    )
    assert upscale.components == UPSCALED_COMPONENTS
    assert upscale.image_url
    upscaled = await download(upscale.image_url)
    # U2 is the top-right quadrant, enlarged: compare a point away from the DEMO marks.
    expected = grid_image.getpixel((512 + 200, 300))
    actual = upscaled.getpixel((400, 600))
    assert all(abs(a - b) < 40 for a, b in zip(actual, expected, strict=True))  # type: ignore[arg-type]


async def test_zoom_on_an_upscale_gives_a_new_grid(demo: tuple[DemoProvider, ManualClock]) -> None:
    provider, clock = demo
    grid = await finish(provider, clock, await provider.submit(ImagineRequest("a castle")))
    upscale = await finish(
        provider, clock, await provider.submit(ActionRequest(grid.job_id, "upsample1"))
    )
    zoom = await finish(
        provider, clock, await provider.submit(ActionRequest(upscale.job_id, "zoom_out_2"))
    )
    assert zoom.components == GRID_COMPONENTS
    assert zoom.image_url
    assert zoom.image_url != upscale.image_url


async def test_an_action_the_parent_does_not_offer_is_refused(
    demo: tuple[DemoProvider, ManualClock],
) -> None:
    provider, clock = demo
    grid = await finish(provider, clock, await provider.submit(ImagineRequest("a boat")))
    with pytest.raises(ProviderError) as caught:
        await provider.submit(ActionRequest(grid.job_id, "zoom_out_2"))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    with pytest.raises(ProviderError) as missing:
        await provider.submit(ActionRequest("no-such-job", "upsample1"))
    assert missing.value.kind is ErrorKind.NOT_FOUND


async def test_describe_returns_four_prompts_and_seed_the_parents_seed(
    demo: tuple[DemoProvider, ManualClock],
) -> None:
    provider, clock = demo
    grid = await finish(provider, clock, await provider.submit(ImagineRequest("a tree")))
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(png, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    described = await finish(provider, clock, await provider.submit(DescribeRequest(data_url)))
    assert len(described.prompts) == 4
    assert all("--ar" in prompt for prompt in described.prompts)
    seed = await finish(provider, clock, await provider.submit(SeedRequest(grid.job_id)))
    assert seed.seed == grid.seed
    blended = await finish(
        provider, clock, await provider.submit(BlendRequest((data_url, data_url)))
    )
    assert blended.components == GRID_COMPONENTS


async def test_a_broken_upload_fails_the_job_not_the_provider(
    demo: tuple[DemoProvider, ManualClock],
) -> None:
    provider, clock = demo
    job_id = await provider.submit(DescribeRequest("data:image/png;base64,bm90IGFuIGltYWdl"))
    snapshot = await finish(provider, clock, job_id)
    assert snapshot.status is RemoteStatus.FAILED
    assert "Invalid parameter" in snapshot.message


async def test_a_forgotten_job_fails_with_a_reason(demo: tuple[DemoProvider, ManualClock]) -> None:
    provider, _ = demo
    snapshot = await provider.fetch("from-before-a-restart")
    assert snapshot.status is RemoteStatus.FAILED
    assert "restarted" in snapshot.message


async def test_vary_region_on_an_upscale_redraws_a_grid(
    demo: tuple[DemoProvider, ManualClock],
) -> None:
    provider, clock = demo
    grid = await finish(provider, clock, await provider.submit(ImagineRequest("a kite")))
    upscale = await finish(
        provider, clock, await provider.submit(ActionRequest(grid.job_id, "upsample3"))
    )
    assert "inpaint" in upscale.components
    mask = base64.b64encode(b"any mask").decode()
    varied = await finish(
        provider, clock, await provider.submit(InpaintRequest(upscale.job_id, mask, "a red kite"))
    )
    assert varied.components == GRID_COMPONENTS
    assert varied.image_url
