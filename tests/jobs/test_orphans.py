"""Orphans: accepted by the provider, id never stored (the bot died in between).

They are never sent again; they are found (a callback naming the row, or the provider's
recent jobs) and adopted, and only reported lost when nothing matches.
"""

from __future__ import annotations

from dataclasses import replace

import aiohttp

from bot.jobs.models import Job
from bot.jobs.orphans import best_match
from bot.jobs.service import UNKNOWN_SUBMIT
from bot.jobs.states import JobStatus
from bot.provider.models import ActionRequest, ImagineRequest, Mode
from bot.provider.recent import RecentJob, parse_recent_jobs
from fakes.ttapi import FakeTTApi, Scenario
from tests.jobs.conftest import HOOK_SECRET, Engine, EngineFactory, until
from tests.jobs.test_recovery import left_behind
from tests.ui.conftest import make_job

S = JobStatus
LONG = Scenario(queue_seconds=0.0, run_seconds=0.3)


async def crashed(engine: EngineFactory, **options: object) -> Engine:
    """The process that died: only its store and client are used."""
    return await engine(start=False, **options)


async def test_an_orphan_found_in_the_recent_jobs_is_adopted_not_resent(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    fake.next_scenario(LONG)
    # Other jobs of the account around it: another prompt, the same prompt already stored.
    await before.client.submit(ImagineRequest("a different prompt", Mode.FAST))
    provider_id = await before.client.submit(ImagineRequest("a red fox", Mode.FAST))
    orphan = await left_behind(before.store, "a red fox", S.SUBMITTING)
    await before.stop()

    after = await engine()
    done = await after.wait_for(orphan.id, S.SUCCEEDED)

    assert done.provider_job_id == provider_id
    assert after.count(orphan.id, S.SUCCEEDED) == 1
    assert S.FAILED not in after.statuses(orphan.id)
    assert len(fake.calls_to("/imagine")) == 2  # nothing resent
    assert fake.calls_to("/fetch-list")
    await until(lambda: after.service.in_flight == 0)


async def test_two_orphans_with_the_same_prompt_get_one_provider_job_each(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    first_id = await before.client.submit(ImagineRequest("twin", Mode.FAST))
    second_id = await before.client.submit(ImagineRequest("twin", Mode.FAST))
    first = await left_behind(before.store, "twin", S.SUBMITTING)
    second = await left_behind(before.store, "twin", S.SUBMITTING, user=2)
    await before.stop()

    after = await engine()
    one = await after.wait_for(first.id, S.SUCCEEDED)
    two = await after.wait_for(second.id, S.SUCCEEDED)

    assert {one.provider_job_id, two.provider_job_id} == {first_id, second_id}


async def test_an_action_orphan_matches_on_its_action(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    parent = await before.client.submit(ImagineRequest("a red fox", Mode.FAST))
    fake.finish_now(parent)
    upsample = await before.client.submit(ActionRequest(parent, "upsample2"))
    await before.client.submit(ActionRequest(parent, "variation1"))
    orphan = await left_behind(before.store, "a red fox", S.SUBMITTING)
    async with before.store._lock:  # the row of an upsample2 (no service call builds one)
        await before.store._db.execute(
            "UPDATE jobs SET kind = 'action', action = 'upsample2' WHERE id = ?", (orphan.id,)
        )
    await before.stop()

    after = await engine()
    done = await after.wait_for(orphan.id, S.SUCCEEDED)

    assert done.provider_job_id == upsample


async def test_an_orphan_with_no_match_is_reported_lost_and_frees_its_slot(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    before = await crashed(engine)
    await before.client.submit(ImagineRequest("not what was asked", Mode.FAST))
    orphan = await left_behind(before.store, "never reached the provider", S.SUBMITTING)
    await before.stop()

    after = await engine(max_in_progress=1)
    failed = await after.wait_for(orphan.id, S.FAILED)

    assert failed.error == UNKNOWN_SUBMIT
    assert failed.provider_job_id is None
    assert len(fake.calls_to("/fetch-list")) >= 1
    await until(lambda: after.service.in_flight == 0)


async def test_a_callback_naming_the_row_adopts_an_orphan_the_list_does_not_show(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    fake.fail_next("/fetch-list", 503, times=1000)  # the list is down: only the callback helps
    before = await crashed(engine)
    orphan = await left_behind(before.store, "a red fox", S.SUBMITTING)
    await before.stop()
    after = await engine(hook=True)
    hook = f"{after.hook_base}/ttapi/{HOOK_SECRET}/{orphan.id}"
    fake.next_scenario(replace(LONG, run_seconds=0.0))
    provider_id = await after.client.submit(ImagineRequest("a red fox", Mode.FAST, hook_url=hook))

    await fake.fire_hooks()
    done = await after.wait_for(orphan.id, S.SUCCEEDED)

    assert done.provider_job_id == provider_id
    assert [delivery.status for delivery in fake.hook_log] == [200]


# -- matching (pure) ------------------------------------------------------------------------


def recent(job_id: str, **fields: object) -> RecentJob:
    values: dict[str, object] = {
        "action": "imagine",
        "prompt": "a red fox",
        "created_at": None,
        "hook_url": None,
    }
    values.update(fields)
    return RecentJob(job_id, **values)  # type: ignore[arg-type]


SENT_AT = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def orphan_row(**fields: object) -> Job:
    values: dict[str, object] = {"prompt": "a red fox", **fields}
    return make_job(status=S.SUBMITTING, provider_job_id=None, updated_at=SENT_AT, **values)


def test_the_hook_url_naming_the_row_wins_over_a_closer_match() -> None:
    row = orphan_row(id=7)
    candidates = [
        recent("closer", created_at=SENT_AT + 1),
        recent("named", created_at=SENT_AT + 200, hook_url="https://bot.example/ttapi/s/7"),
    ]
    assert best_match(row, candidates, set()) == "named"


def test_a_job_whose_hook_url_names_another_row_is_not_adopted() -> None:
    row = orphan_row(id=7)
    candidates = [recent("other", hook_url="https://bot.example/ttapi/s/8")]
    assert best_match(row, candidates, set()) is None


def test_prompt_action_and_time_must_all_fit() -> None:
    row = orphan_row(prompt="a red   fox ")
    assert best_match(row, [recent("a", created_at=SENT_AT + 3)], set()) == "a"
    assert best_match(row, [recent("b", prompt="a blue fox")], set()) is None
    assert best_match(row, [recent("c", action="upsample1")], set()) is None
    assert best_match(row, [recent("d", created_at=SENT_AT - 3600)], set()) is None
    assert best_match(row, [recent("e", created_at=SENT_AT + 3)], {"e"}) is None


def test_the_closest_in_time_is_chosen_and_beijing_time_is_understood() -> None:
    row = orphan_row()
    candidates = [
        recent("late", created_at=SENT_AT + 400),
        recent("beijing", created_at=SENT_AT + 8 * 3600 + 2),  # "local" time read as UTC
    ]
    assert best_match(row, candidates, set()) == "beijing"


def test_the_recent_list_is_parsed_defensively() -> None:
    payload = {
        "status": "SUCCESS",
        "data": [
            {
                "job_id": "a",
                "action": "imagine",
                "prompt": "x",
                "created_at": "2026-01-01 00:00:05",
            },
            {"jobId": "b", "actions": "upsample1", "created_at": 1_767_225_600_000},
            {"prompt": "no id"},
            "junk",
            {"job_id": "c", "created_at": "not a time", "hookUrl": "https://h/ttapi/s/9"},
        ],
    }
    parsed = parse_recent_jobs(payload)
    assert [job.job_id for job in parsed] == ["a", "b", "c"]
    assert parsed[0].created_at == SENT_AT + 5
    assert parsed[1].created_at == SENT_AT
    assert parsed[1].action == "upsample1"
    assert parsed[2].created_at is None
    assert parsed[2].hook_url == "https://h/ttapi/s/9"
    assert parse_recent_jobs({"data": None}) == []
    assert parse_recent_jobs({"data": {"list": [{"job_id": "z"}]}})[0].job_id == "z"


async def test_the_client_lists_recent_jobs_newest_first(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    eng = await crashed(engine)
    first = await eng.client.submit(ImagineRequest("first", Mode.FAST))
    second = await eng.client.submit(ImagineRequest("second", Mode.RELAX))

    listed = await eng.client.recent_jobs()

    assert [job.job_id for job in listed] == [second, first]
    assert [job.prompt for job in listed] == ["second", "first"]
    [call] = fake.calls_to("/fetch-list")
    assert call.query == {"page": "1", "limit": "100", "order": "desc"}
    assert listed[0].created_at is not None
    await eng.stop()
