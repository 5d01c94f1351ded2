"""Bounded storage: input images leave the database once sent; lists never load params."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
from pathlib import Path

from bot.jobs.models import JobKind, Requester
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from tests.jobs.conftest import ENDLESS, EngineFactory, new_job, until

MEMBER = Requester(1, guild_id=10, channel_id=20)


def data_url(size: int) -> str:
    """A PNG data URL of about `size` bytes of incompressible data."""
    return "data:image/png;base64," + base64.b64encode(os.urandom(size)).decode()


def stored_params(db_file: Path, job_id: int) -> str:
    with sqlite3.connect(db_file) as db:
        return str(db.execute("SELECT params FROM jobs WHERE id = ?", (job_id,)).fetchone()[0])


async def test_blend_inputs_are_replaced_by_their_hashes_once_sent(
    engine: EngineFactory, db_file: Path
) -> None:
    running = await engine()
    images = [data_url(50_000), data_url(60_000)]

    job = await running.service.blend(MEMBER, images, "square", "fast")

    assert running.provider.submitted[0].images == tuple(images)  # sent whole
    raw = stored_params(db_file, job.id)
    assert "data:image" not in raw
    stored = await running.store.get_job(job.id)
    assert stored is not None
    assert stored.params["images_sha256"] == [
        hashlib.sha256(image.encode()).hexdigest() for image in images
    ]
    assert stored.params["dimensions"] == "SQUARE"


async def test_twenty_blends_of_five_images_keep_the_database_small(
    engine: EngineFactory,
) -> None:
    running = await engine(max_in_progress=50)
    for n in range(20):
        images = [data_url(140_000) for _ in range(5)]  # 5 x ~190 KB of base64
        await running.service.blend(Requester(n, 10, 20), images, "square", "fast")

    used = await running.store.database_size()
    assert used < 2_000_000, f"{used} bytes in use after 20 blends (19 MB of inputs)"


async def test_describe_keeps_the_hash_and_redescribes_from_the_provider_copy(
    engine: EngineFactory,
) -> None:
    running = await engine()
    image = data_url(30_000)

    job = await running.service.describe(MEMBER, image, "fast")
    done = await running.wait_for(job.id, JobStatus.SUCCEEDED)

    assert done.params["image_sha256"] == hashlib.sha256(image.encode()).hexdigest()
    assert "image" not in done.params
    assert done.image_url
    again = await running.service.describe(MEMBER, done.image_url, "fast")
    assert again.kind is JobKind.DESCRIBE
    assert running.fake.calls_to("/describe")[-1].json["url"] == done.image_url


async def test_list_queries_do_not_load_params(engine: EngineFactory) -> None:
    running = await engine(max_in_progress=1)
    running.fake.scenario = ENDLESS
    await running.service.submit(new_job("keeps the only slot"))
    queued = await running.service.blend(MEMBER, [data_url(10_000)] * 2, "square", "fast")
    assert queued.status is JobStatus.QUEUED

    listed = {job.id: job for job in await running.store.unfinished_jobs()}
    usage = {job.id: job for job in await running.store.jobs_since(10, 0)}

    assert listed[queued.id].params == {}
    assert usage[queued.id].params == {}
    full = await running.store.get_job(queued.id)
    assert full is not None
    assert len(full.params["images"]) == 2  # still needed: it has not been sent


async def test_a_restart_drops_inputs_an_older_version_left(
    engine: EngineFactory, db_file: Path
) -> None:
    store = await Store.open(db_file)
    await store.migrate()
    old = await store.create_job(new_job(kind=JobKind.DESCRIBE, params={"image": data_url(9_000)}))
    assert await store.transition(old.id, JobStatus.SUBMITTING)
    assert await store.transition(old.id, JobStatus.SUBMITTED, provider_job_id="p-1")
    await store.close()

    await engine()

    await until(lambda: "data:image" not in stored_params(db_file, old.id))
    assert "image_sha256" in stored_params(db_file, old.id)
