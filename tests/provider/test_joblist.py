"""fetch-list parsing: the documented entry shape, numeric statuses, what is left out."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.provider import ErrorKind, ProviderError
from bot.provider.joblist import is_complete, parse_job_list
from bot.provider.models import ImagineRequest, RemoteStatus
from bot.provider.ttapi import TTApiClient
from fakes.ttapi import FakeTTApi, ManualClock, Scenario

# The old docs' sample, trimmed (https://ttapi.io/docs/apiReference/others).
DOC_ENTRY: dict[str, Any] = {
    "job_id": "afa774a3-1aee-5aba-4510-14818d6875e4",
    "model": "midjourney",
    "action": "imagine",
    "quota": 2,
    "status": 2,
    "progress": "100",
    "prompt": "a cat",
    "discord_image": "https://cdn.discordapp.com/a.png",
    "cdn_image": "https://cdnb.ttapi.io/a.png",
}


def page(*entries: Any) -> dict[str, Any]:
    """A fetch-list answer."""
    return {"status": "SUCCESS", "message": "success", "data": list(entries)}


def test_the_documented_entry_is_read() -> None:
    [snapshot] = parse_job_list(page(DOC_ENTRY))
    assert snapshot.job_id == DOC_ENTRY["job_id"]
    assert snapshot.status is RemoteStatus.SUCCESS
    assert snapshot.progress == 100
    assert snapshot.image_url == "https://cdnb.ttapi.io/a.png"
    assert snapshot.quota == 2


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0, RemoteStatus.PENDING),
        (1, RemoteStatus.RUNNING),
        (2, RemoteStatus.SUCCESS),
        (3, RemoteStatus.FAILED),
        ("2", RemoteStatus.SUCCESS),
        ("ON_QUEUE", RemoteStatus.RUNNING),
    ],
)
def test_numeric_and_named_statuses(status: object, expected: RemoteStatus) -> None:
    [snapshot] = parse_job_list(page({**DOC_ENTRY, "status": status}))
    assert snapshot.status is expected


@pytest.mark.parametrize(
    "entry",
    [
        {**DOC_ENTRY, "status": 9},
        {**DOC_ENTRY, "status": True},
        {**DOC_ENTRY, "job_id": None},
        "not an entry",
        None,
    ],
)
def test_unreadable_entries_are_skipped(entry: object) -> None:
    assert parse_job_list(page(entry, {**DOC_ENTRY, "job_id": "other"}))[0].job_id == "other"


@pytest.mark.parametrize("data", [None, {}, "text", {"list": None}])
def test_answers_without_a_list_give_nothing(data: object) -> None:
    assert parse_job_list({"status": "SUCCESS", "data": data}) == []


def test_a_wrapped_page_is_read() -> None:
    [snapshot] = parse_job_list({"status": "SUCCESS", "data": {"list": [DOC_ENTRY], "total": 1}})
    assert snapshot.job_id == DOC_ENTRY["job_id"]


def test_a_success_without_buttons_needs_the_full_fetch() -> None:
    [bare] = parse_job_list(page(DOC_ENTRY))
    assert not is_complete(bare)  # posting it would give a grid with dead buttons
    [full] = parse_job_list(page({**DOC_ENTRY, "components": ["upsample1"]}))
    assert is_complete(full)
    [running] = parse_job_list(page({**DOC_ENTRY, "status": 1, "progress": "46"}))
    assert is_complete(running)
    assert running.progress == 46


async def test_fetch_many_finds_jobs_and_leaves_out_the_unknown() -> None:
    clock = ManualClock()
    async with (
        FakeTTApi(clock=clock, scenario=Scenario(0.0, 10.0)) as fake,
        aiohttp.ClientSession() as session,
    ):
        client = TTApiClient(session, "test-key", fake.base_url)
        ids = [await client.submit(ImagineRequest(f"a cat {n}")) for n in range(3)]
        clock.advance(5)
        found = await client.fetch_many([*ids, "no-such-job"])
    assert set(found) == set(ids)
    assert {snapshot.progress for snapshot in found.values()} == {46}
    assert fake.calls_to("/fetch") == []


async def test_a_refused_endpoint_raises_a_provider_error() -> None:
    async with FakeTTApi(fetch_list="refused") as fake, aiohttp.ClientSession() as session:
        client = TTApiClient(session, "test-key", fake.base_url, attempts=1)
        with pytest.raises(ProviderError) as caught:
            await client.fetch_many(["a", "b"])
    assert caught.value.kind is ErrorKind.NOT_FOUND
