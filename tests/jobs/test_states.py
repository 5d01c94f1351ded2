"""The transition table, checked against an independent statement of the job life cycle."""

from __future__ import annotations

import itertools

import pytest

from bot.jobs.states import (
    FINISHED,
    IN_FLIGHT,
    TRANSITIONS,
    UNFINISHED,
    JobStatus,
    can_move,
    predecessors,
)

Q, SUBMITTING, SUBMITTED, RUNNING = (
    JobStatus.QUEUED,
    JobStatus.SUBMITTING,
    JobStatus.SUBMITTED,
    JobStatus.RUNNING,
)
OK, FAIL, CANCEL = JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED

# Written out by hand so the table is checked against the design, not against itself.
LEGAL: frozenset[tuple[JobStatus, JobStatus]] = frozenset(
    {
        (Q, SUBMITTING),
        (Q, FAIL),
        (Q, CANCEL),
        (SUBMITTING, SUBMITTED),
        (SUBMITTING, Q),  # refused without being accepted: try again later
        (SUBMITTING, FAIL),
        (SUBMITTING, CANCEL),
        (SUBMITTED, RUNNING),
        (SUBMITTED, OK),
        (SUBMITTED, FAIL),
        (SUBMITTED, CANCEL),
        (RUNNING, RUNNING),  # a progress change
        (RUNNING, OK),
        (RUNNING, FAIL),
        (RUNNING, CANCEL),
    }
)
ALL_PAIRS = list(itertools.product(JobStatus, repeat=2))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def pair_id(pair: tuple[JobStatus, JobStatus]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(JobStatus)
    assert len(JobStatus) == 7


def test_table_matches_the_life_cycle() -> None:
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert table == LEGAL


@pytest.mark.parametrize("pair", sorted(LEGAL), ids=pair_id)
def test_legal_transition_is_allowed(pair: tuple[JobStatus, JobStatus]) -> None:
    assert can_move(*pair)


@pytest.mark.parametrize("pair", ILLEGAL, ids=pair_id)
def test_other_transition_is_refused(pair: tuple[JobStatus, JobStatus]) -> None:
    assert not can_move(*pair)


@pytest.mark.parametrize(
    "pair",
    [(Q, OK), (Q, RUNNING), (Q, SUBMITTED), (SUBMITTED, Q), (RUNNING, Q), (RUNNING, SUBMITTED)],
    ids=pair_id,
)
def test_notable_shortcuts_are_refused(pair: tuple[JobStatus, JobStatus]) -> None:
    """No skipping the paid call, and no going back once the provider has accepted."""
    assert not can_move(*pair)


@pytest.mark.parametrize("source", sorted(FINISHED))
def test_finished_states_have_no_way_out(source: JobStatus) -> None:
    assert TRANSITIONS[source] == frozenset()
    assert not any(can_move(source, target) for target in JobStatus)
    assert source.finished
    assert not source.in_flight


@pytest.mark.parametrize("source", sorted(UNFINISHED))
def test_every_unfinished_job_can_fail_or_be_cancelled(source: JobStatus) -> None:
    assert can_move(source, FAIL)
    assert can_move(source, CANCEL)
    assert not source.finished


@pytest.mark.parametrize("target", list(JobStatus))
def test_predecessors_agree_with_the_table(target: JobStatus) -> None:
    expected = {source for source, to in LEGAL if to == target}
    assert predecessors(target) == expected
    assert all(can_move(source, target) for source in predecessors(target))


def test_nothing_leads_back_to_the_start_except_a_refused_submit() -> None:
    assert predecessors(Q) == {SUBMITTING}


def test_state_groups() -> None:
    assert {OK, FAIL, CANCEL} == FINISHED
    assert {SUBMITTING, SUBMITTED, RUNNING} == IN_FLIGHT
    assert {Q, SUBMITTING, SUBMITTED, RUNNING} == UNFINISHED
    assert [status for status in JobStatus if status.in_flight] == [SUBMITTING, SUBMITTED, RUNNING]


def test_statuses_are_stored_as_text() -> None:
    assert [status.value for status in JobStatus] == [
        "queued",
        "submitting",
        "submitted",
        "running",
        "succeeded",
        "failed",
        "cancelled",
    ]
    assert JobStatus("running") is RUNNING
