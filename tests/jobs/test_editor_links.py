"""Editor links on a real SQLite file: signatures, one browser, one use, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.editor import Editor, LinkRefused, Refusal
from bot.jobs.models import Job, JobKind, NewJob, Requester
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from fakes.ttapi import ManualClock

MEMBER = Requester(101, 202, 303, role_ids=frozenset({7, 8}), parent_channel_id=404)


@pytest.fixture
async def link_store(tmp_path: Path) -> AsyncIterator[tuple[Store, ManualClock]]:
    clock = ManualClock(1_800_000_000.0)
    store = await Store.open(tmp_path / "links.db", clock=clock)
    await store.migrate()
    yield store, clock
    await store.close()


async def finished_upscale(store: Store) -> Job:
    new = NewJob(JobKind.ACTION, "fast", MEMBER, prompt="a cat", action="upsample1")
    job = await store.create_job(new)
    for status in (JobStatus.SUBMITTING, JobStatus.SUBMITTED):
        await store.transition(
            job.id, status, **({"provider_job_id": "tt-1"} if status is JobStatus.SUBMITTED else {})
        )
    await store.transition(job.id, JobStatus.SUCCEEDED, image_url="http://127.0.0.1:1/x.png")
    found = await store.get_job(job.id)
    assert found is not None
    return found


async def test_the_stored_link_keeps_the_clickers_place_and_roles(
    link_store: tuple[Store, ManualClock],
) -> None:
    store, clock = link_store
    editor = Editor(store, clock=clock)
    job = await finished_upscale(store)

    token, expires = await editor.issue(MEMBER, job)
    grant = await editor.open(token, "b" * 32)

    assert expires == clock() + 900
    assert grant.link.requester == MEMBER
    assert grant.job.id == job.id


async def test_only_one_of_two_browsers_opening_at_once_gets_the_link(
    link_store: tuple[Store, ManualClock],
) -> None:
    store, clock = link_store
    editor = Editor(store, clock=clock)
    token, _ = await editor.issue(MEMBER, await finished_upscale(store))

    results = await asyncio.gather(
        *(editor.open(token, f"{n}" * 32) for n in range(1, 6)), return_exceptions=True
    )

    opened = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LinkRefused)]
    assert len(opened) == 1
    assert {r.reason for r in refused} == {Refusal.FOREIGN}
    assert len(refused) == 4


async def test_another_members_id_in_the_token_is_a_forgery(
    link_store: tuple[Store, ManualClock],
) -> None:
    store, clock = link_store
    editor = Editor(store, clock=clock)
    token, _ = await editor.issue(MEMBER, await finished_upscale(store))
    forged = token.replace(f"v1.{MEMBER.user_id}.", "v1.999.", 1)

    with pytest.raises(LinkRefused) as caught:
        await editor.open(forged, "b" * 32)

    assert caught.value.reason is Refusal.FORGED


async def test_a_key_from_another_database_does_not_verify(
    link_store: tuple[Store, ManualClock], tmp_path: Path
) -> None:
    store, clock = link_store
    token, _ = await Editor(store, clock=clock).issue(MEMBER, await finished_upscale(store))
    other = await Store.open(tmp_path / "other.db", clock=clock)
    await other.migrate()
    try:
        with pytest.raises(LinkRefused) as caught:
            await Editor(other, clock=clock).open(token, "b" * 32)
    finally:
        await other.close()

    assert caught.value.reason is Refusal.FORGED


async def test_expiry_is_exact(link_store: tuple[Store, ManualClock]) -> None:
    store, clock = link_store
    editor = Editor(store, clock=clock)
    token, _ = await editor.issue(MEMBER, await finished_upscale(store))
    clock.advance(899.9)
    await editor.open(token, "b" * 32)
    clock.advance(0.1)

    with pytest.raises(LinkRefused) as caught:
        await editor.open(token, "b" * 32, bind=False)

    assert caught.value.reason is Refusal.EXPIRED
