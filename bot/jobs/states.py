"""Job statuses and the table of legal transitions between them."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class JobStatus(StrEnum):
    """Where a job is in its life; stored as text in the jobs table."""

    QUEUED = "queued"  # waiting locally for a provider slot
    SUBMITTING = "submitting"  # the paid call is in flight: its outcome is not yet known
    SUBMITTED = "submitted"  # the provider accepted it and gave a job id
    RUNNING = "running"  # the provider reports progress
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for the states a job never leaves."""
        return self in FINISHED

    @property
    def in_flight(self) -> bool:
        """True while the job holds one of the provider's slots."""
        return self in IN_FLIGHT


FINISHED: Final = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
IN_FLIGHT: Final = frozenset({JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING})
UNFINISHED: Final = frozenset(JobStatus) - FINISHED

TRANSITIONS: Final[dict[JobStatus, frozenset[JobStatus]]] = {
    JobStatus.QUEUED: frozenset({JobStatus.SUBMITTING, JobStatus.FAILED, JobStatus.CANCELLED}),
    # Back to QUEUED only when the provider refused without accepting (queue full, rate limit).
    JobStatus.SUBMITTING: frozenset(
        {JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.SUBMITTED: frozenset(
        {JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    # RUNNING -> RUNNING records a progress change.
    JobStatus.RUNNING: frozenset(
        {JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def predecessors(target: JobStatus) -> frozenset[JobStatus]:
    """The statuses from which `target` may be reached."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def can_move(source: JobStatus, target: JobStatus) -> bool:
    """True when source -> target is a legal transition."""
    return target in TRANSITIONS[source]
