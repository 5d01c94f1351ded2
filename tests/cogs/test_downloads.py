"""Result images are uploaded whole, from whichever of the provider's links works."""

from __future__ import annotations

import os

from fakes.discord import CHANNEL_ID
from fakes.ttapi import FakeJob, Scenario, make_png
from tests.cogs.conftest import Harness

PROMPT = "a lighthouse at dusk"
SLOW = Scenario(queue_seconds=0.05, run_seconds=1.0)  # time to arm a cut before it finishes


def big_png(size: int = 3 * 1024 * 1024) -> bytes:
    """A PNG header followed by incompressible bytes: about `size` bytes on the wire."""
    return make_png(2, 2) + os.urandom(size)


async def started(harness: Harness) -> FakeJob:
    """The fake TT API's job for the /imagine just sent."""
    return await harness.until(lambda: harness.tt.jobs and harness.tt.last_job("imagine"))


async def test_a_3mb_image_streamed_in_chunks_is_uploaded_whole(harness: Harness) -> None:
    harness.tt.image_bytes = big_png()

    result, _ = await harness.grid(PROMPT)

    [attachment] = result.attachments
    assert len(attachment.data) == len(harness.tt.image_bytes)
    assert attachment.data == harness.tt.image_bytes
    assert result.embeds[0]["image"]["url"] == attachment.url


async def test_a_cut_download_falls_back_to_the_discord_image(harness: Harness) -> None:
    harness.tt.image_bytes = big_png(512 * 1024)
    harness.tt.next_scenario(SLOW)
    payload = await harness.imagine(PROMPT)
    tt_job = await started(harness)
    harness.tt.cut_cdn(f"{tt_job.job_id}.png", after=64 * 1024)

    result, _ = await harness.result_of(payload)

    [attachment] = result.attachments
    assert attachment.data == harness.tt.image_bytes
    downloads = [c.path for c in harness.tt.calls if c.path.startswith("/cdn/")]
    assert downloads == [f"/cdn/{tt_job.job_id}.png", f"/cdn/{tt_job.job_id}_discord.png"]


async def test_when_both_links_fail_the_four_grid_parts_are_uploaded(harness: Harness) -> None:
    harness.tt.image_bytes = big_png(256 * 1024)
    harness.tt.next_scenario(SLOW)
    payload = await harness.imagine(PROMPT)
    tt_job = await started(harness)
    harness.tt.cut_cdn(f"{tt_job.job_id}.png", after=32 * 1024)
    harness.tt.cut_cdn(f"{tt_job.job_id}_discord.png", after=32 * 1024)

    result, job = await harness.result_of(payload)

    names = [a.filename for a in result.attachments]
    assert names == [f"mj_{job.id}_{n}.png" for n in (1, 2, 3, 4)]
    assert all(a.data == harness.tt.image_bytes for a in result.attachments)
    assert result.embeds[0]["image"]["url"] == tt_job.image_url()


async def test_an_image_over_the_limit_is_linked_not_cut(harness: Harness) -> None:
    harness.tt.image_bytes = big_png(11 * 1024 * 1024)  # over the fake guild's 10 MB

    result, _ = await harness.grid(PROMPT)

    assert result.attachments == []
    assert result.embeds[0]["image"]["url"].startswith(harness.tt.base_url + "/cdn/")
    assert harness.discord.posts(CHANNEL_ID) == [result]
