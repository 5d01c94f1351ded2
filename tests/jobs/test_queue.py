"""The admission queue: round robin across requesters, put_back, remove, and positions.

The unit tests drive FairQueue directly; the last tests drive the same order through the
service, with jobs really submitted to the fake TT API.
"""

from __future__ import annotations

import random

import pytest

from bot.jobs.queue import FairQueue
from bot.jobs.states import JobStatus
from fakes.ttapi import FakeTTApi, Scenario
from tests.jobs.conftest import EngineFactory, new_job, until

A, B, C = 1, 2, 3


def drain(queue: FairQueue) -> list[int]:
    """Pop everything, in order."""
    popped = []
    while (job_id := queue.pop()) is not None:
        popped.append(job_id)
    return popped


def filled(*lanes: tuple[int, list[int]]) -> FairQueue:
    """A queue built by adding each (requester, job ids) in turn."""
    queue = FairQueue()
    for requester, job_ids in lanes:
        for job_id in job_ids:
            queue.add(job_id, requester)
    return queue


# --- FairQueue ------------------------------------------------------------------------------


def test_empty_queue() -> None:
    queue = FairQueue()
    assert len(queue) == 0
    assert queue.pop() is None
    assert queue.order() == []
    assert queue.position(1) is None
    assert 1 not in queue
    assert queue.remove(1) is False


def test_one_requester_is_first_in_first_out() -> None:
    queue = filled((A, [1, 2, 3]))
    assert queue.order() == [1, 2, 3]
    assert drain(queue) == [1, 2, 3]


def test_requesters_take_turns() -> None:
    queue = filled((A, [1, 2, 3]), (B, [11, 12]), (C, [21]))
    assert queue.order() == [1, 11, 21, 2, 12, 3]
    assert drain(queue) == [1, 11, 21, 2, 12, 3]
    assert len(queue) == 0


def test_a_late_requester_does_not_wait_behind_a_long_lane() -> None:
    queue = filled((A, list(range(1, 21))), (B, [101, 102]))
    assert queue.position(101) == 1
    assert queue.position(102) == 3
    assert drain(queue)[:4] == [1, 101, 2, 102]


def test_a_requester_who_just_started_goes_to_the_back() -> None:
    queue = filled((A, [1, 2]), (B, [11, 12]))
    assert queue.pop() == 1
    queue.add(3, A)
    queue.add(21, C)
    # B has not had a turn yet; C is new and joins behind A.
    assert queue.order() == [11, 2, 21, 12, 3]
    assert drain(queue) == [11, 2, 21, 12, 3]


def test_an_emptied_lane_rejoins_at_the_back() -> None:
    queue = filled((A, [1]), (B, [11, 12]))
    assert queue.pop() == 1  # A's lane is now empty and gone
    queue.add(2, A)
    assert queue.order() == [11, 2, 12]


def test_put_back_keeps_the_front() -> None:
    queue = filled((A, [1, 2]), (B, [11, 12]))
    before = queue.order()
    job_id = queue.pop()
    assert job_id == 1
    queue.put_back(job_id, A)
    assert queue.order() == before
    assert queue.position(1) == 0
    assert queue.pop() == 1


def test_put_back_of_a_requester_with_nothing_else_queued() -> None:
    queue = filled((A, [1]), (B, [11]))
    assert queue.pop() == 1
    queue.put_back(1, A)
    assert queue.order() == [1, 11]
    assert len(queue) == 2


def test_put_back_in_the_middle_of_a_round() -> None:
    queue = filled((A, [1, 2]), (B, [11, 12]), (C, [21]))
    assert queue.pop() == 1
    assert queue.pop() == 11
    queue.put_back(11, B)  # B's job could not start: it is next again, not behind C
    assert queue.order() == [11, 21, 2, 12]


def test_remove() -> None:
    queue = filled((A, [1, 2]), (B, [11]))
    assert queue.remove(2) is True
    assert 2 not in queue
    assert queue.remove(2) is False
    assert queue.remove(11) is True  # B's lane empties and leaves the turn order
    assert queue.order() == [1]
    assert len(queue) == 1
    assert queue.position(11) is None
    assert drain(queue) == [1]


def test_remove_shifts_the_positions_behind() -> None:
    queue = filled((A, [1, 2, 3]), (B, [11, 12]))
    assert [queue.position(job_id) for job_id in (1, 11, 2, 12, 3)] == [0, 1, 2, 3, 4]
    queue.remove(11)
    # B's next job takes B's turn in the first round.
    assert [queue.position(job_id) for job_id in (1, 12, 2, 3)] == [0, 1, 2, 3]


def test_contains_and_len() -> None:
    queue = filled((A, [1, 2]), (B, [11]))
    assert len(queue) == 3
    assert 2 in queue
    assert 11 in queue
    assert 99 not in queue


@pytest.mark.parametrize("seed", range(20))
def test_order_always_predicts_the_pops(seed: int) -> None:
    rng = random.Random(seed)
    queue = FairQueue()
    requester_of: dict[int, int] = {}
    next_id = 1
    for _ in range(rng.randint(5, 60)):
        roll = rng.random()
        if roll < 0.6:
            requester = rng.randint(1, 4)
            queue.add(next_id, requester)
            requester_of[next_id] = requester
            next_id += 1
        elif roll < 0.8:
            popped = queue.pop()
            if popped is not None and rng.random() < 0.3:
                queue.put_back(popped, requester_of[popped])
        elif queue.order():
            queue.remove(rng.choice(queue.order()))
    predicted = queue.order()
    positions = {job_id: queue.position(job_id) for job_id in predicted}
    assert len(queue) == len(predicted) == len(set(predicted))
    assert positions == {job_id: index for index, job_id in enumerate(predicted)}
    assert drain(queue) == predicted


# --- through the service ----------------------------------------------------------------------

FLASH = Scenario(queue_seconds=0.0, run_seconds=0.02)


async def test_a_second_user_is_not_stuck_behind_twenty_jobs(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = FLASH
    # The first two hold both slots until every job is queued (writes are fsynced: not instant;
    # a slot freed early would let A-3 start before B-1 even exists).
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=2.0))
    fake.next_scenario(Scenario(queue_seconds=0.0, run_seconds=2.0))
    eng = await engine(max_in_progress=2, scale=0.005)
    a_jobs = [await eng.service.submit(new_job(f"A-{n}", user=A)) for n in range(1, 21)]
    b_jobs = [await eng.service.submit(new_job(f"B-{n}", user=B)) for n in range(1, 3)]
    queued = [job for job in a_jobs + b_jobs if eng.service.position(job.id) is not None]
    positions = {job.prompt: eng.service.position(job.id) for job in queued}
    predicted = sorted(positions, key=lambda prompt: positions[prompt])

    await until(lambda: len(eng.submitted_prompts) == 22, within=10)
    await until(lambda: all(eng.count(job.id, JobStatus.SUCCEEDED) for job in a_jobs + b_jobs))

    started = eng.submitted_prompts
    assert started[:2] == ["A-1", "A-2"]  # free slots are taken at once
    assert started.index("B-1") <= 3
    assert started.index("B-2") <= 5  # not behind A's 18 other queued jobs
    assert started[2:] == predicted  # positions told the truth
    assert positions["B-1"] == 1
    assert positions["B-2"] == 3
    assert fake.max_concurrent_seen <= 2


async def test_queued_jobs_are_reported_with_falling_positions(
    engine: EngineFactory, fake: FakeTTApi
) -> None:
    fake.scenario = FLASH
    eng = await engine(max_in_progress=1, scale=0.005)
    first = await eng.service.submit(new_job("first"))
    later = [await eng.service.submit(new_job(f"later-{n}", user=A + n)) for n in range(3)]
    assert first.status is JobStatus.SUBMITTED
    assert [job.status for job in later] == [JobStatus.QUEUED] * 3
    assert [eng.statuses(job.id) for job in later] == [[JobStatus.QUEUED]] * 3
    assert [eng.service.position(job.id) for job in later] == [0, 1, 2]
    assert eng.service.queued == 3
    assert eng.service.in_flight == 1

    last = later[-1]
    seen_positions = []

    async def watch_position() -> bool:
        seen_positions.append(eng.service.position(last.id))
        return eng.service.position(last.id) is None

    await until(watch_position)
    assert list(dict.fromkeys(seen_positions)) == [2, 1, 0, None]
    await eng.wait_for(last.id, JobStatus.SUCCEEDED)
    assert eng.service.queued == 0


def test_positions_map_every_queued_job_in_one_pass() -> None:
    queue = FairQueue()
    for job_id, requester in [(1, 10), (2, 10), (3, 11), (4, 12), (5, 11), (6, 10)]:
        queue.add(job_id, requester)
    queue.put_back(7, 12)

    positions = queue.positions()

    assert positions == {job_id: queue.position(job_id) for job_id in queue.order()}
    assert positions == {7: 0, 1: 1, 3: 2, 4: 3, 2: 4, 5: 5, 6: 6}
    assert FairQueue().positions() == {}
