"""The ledger: credits per job (reported or estimated), refunds, usage rows and the CSV."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest

from bot.jobs.ledger import DAY, credits, day_start, usage, usage_csv
from bot.jobs.models import Job, JobKind
from bot.jobs.states import JobStatus

# 2024-03-10 00:00:00 UTC
MIDNIGHT = 1_710_028_800.0
ALICE, BOB = 111, 222


def make_job(**overrides: Any) -> Job:
    """A finished fast /imagine by Alice at 10:00 UTC, with the fields under test overridable."""
    values: dict[str, Any] = {
        "id": 1,
        "provider": "ttapi",
        "provider_job_id": "tt-1",
        "parent_id": None,
        "kind": JobKind.IMAGINE,
        "action": None,
        "status": JobStatus.SUCCEEDED,
        "progress": 100,
        "prompt": "a red fox",
        "mode": "fast",
        "params": {},
        "components": (),
        "image_url": None,
        "images": (),
        "seed": None,
        "prompts": (),
        "quota": None,
        "error": None,
        "user_id": ALICE,
        "guild_id": 10,
        "channel_id": 20,
        "progress_message_id": None,
        "result_message_id": None,
        "timeout_s": 300,
        "created_at": MIDNIGHT + 10 * 3600,
        "submitted_at": None,
        "updated_at": MIDNIGHT + 10 * 3600,
        "finished_at": None,
        "next_poll_at": None,
        "post_claimed_at": None,
        "posted_at": None,
    }
    values.update(overrides)
    return Job(**values)


# -- day_start -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MIDNIGHT, MIDNIGHT),
        (MIDNIGHT + 1, MIDNIGHT),
        (MIDNIGHT + DAY - 1, MIDNIGHT),
        (MIDNIGHT + DAY, MIDNIGHT + DAY),
    ],
    ids=["midnight", "just-after", "last-second", "next-midnight"],
)
def test_day_starts_at_midnight_utc(now: float, expected: float) -> None:
    assert day_start(now) == expected
    assert time.gmtime(day_start(now))[3:6] == (0, 0, 0)


# -- credits ---------------------------------------------------------------------------------


def test_reported_quota_wins_over_the_estimate() -> None:
    assert credits(make_job(quota=2.0)) == (2.0, False)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"mode": "fast"}, 3.0),
        ({"mode": "turbo"}, 6.0),
        ({"mode": "relax"}, 1.5),
        ({"kind": JobKind.DESCRIBE}, 1.0),
        ({"kind": JobKind.SEED}, 0.5),
        ({"kind": JobKind.ACTION, "action": "upsample2"}, 2.0),
        ({"kind": JobKind.ACTION, "action": "variation1"}, 3.0),
    ],
    ids=["fast", "turbo", "relax", "describe", "seed", "upscale", "variation"],
)
def test_estimate_when_the_provider_reported_nothing(
    overrides: dict[str, Any], expected: float
) -> None:
    assert credits(make_job(**overrides)) == (expected, True)


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED])
def test_failed_and_cancelled_jobs_are_refunded(status: JobStatus) -> None:
    assert credits(make_job(status=status, quota=2.0)) == (0.0, False)


# -- usage -----------------------------------------------------------------------------------

DAY1 = MIDNIGHT + 9 * 3600
DAY2 = MIDNIGHT + DAY + 9 * 3600
JOBS = [
    make_job(id=1, created_at=DAY1, quota=2.0),
    make_job(id=2, created_at=DAY1 + 60, status=JobStatus.FAILED, error="banned"),
    make_job(id=3, created_at=DAY1 + 120, user_id=BOB, mode="turbo"),
    make_job(id=4, created_at=DAY2, quota=2.0),
    make_job(id=5, created_at=DAY2 + 60, status=JobStatus.CANCELLED),
    make_job(id=6, created_at=DAY2 + 120, kind=JobKind.ACTION, action="upsample1", quota=1.0),
]


def test_usage_sums_jobs_refunds_and_credits_per_day_and_member() -> None:
    rows = usage(JOBS)

    found = [(r.day, r.user_id, r.jobs, r.refunded, r.credits, r.estimated) for r in rows]
    assert found == [
        ("2024-03-11", ALICE, 3, 1, 3.0, False),
        ("2024-03-10", BOB, 1, 0, 6.0, True),
        ("2024-03-10", ALICE, 2, 1, 2.0, False),
    ]


def test_usage_of_nothing_is_empty() -> None:
    assert usage([]) == []
    assert usage_csv([]).splitlines() == [
        "job,created_utc,user_id,kind,action,mode,status,credits,estimated,estimate,reported_quota"
    ]


def test_usage_csv_has_one_row_per_job() -> None:
    rows = list(csv.DictReader(io.StringIO(usage_csv(JOBS))))

    assert [row["job"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0] == {
        "job": "1",
        "created_utc": "2024-03-10 09:00:00",
        "user_id": str(ALICE),
        "kind": "imagine",
        "action": "",
        "mode": "fast",
        "status": "succeeded",
        "credits": "2.0",
        "estimated": "False",
        "estimate": "",
        "reported_quota": "2.0",
    }
    assert (rows[1]["status"], rows[1]["credits"]) == ("failed", "0.0")
    assert (rows[2]["user_id"], rows[2]["credits"], rows[2]["estimated"]) == (
        str(BOB),
        "6.0",
        "True",
    )
    assert (rows[4]["status"], rows[4]["credits"]) == ("cancelled", "0.0")
    assert (rows[5]["kind"], rows[5]["action"]) == ("action", "upsample1")
