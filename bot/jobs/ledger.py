"""Credits: what the TT API reported for each job, or an estimate, and usage reports."""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bot.jobs.models import Job, JobKind
from bot.jobs.states import JobStatus

DAY: Final = 86_400
# Quota units (100 = 1 USD). The TT API reports "2" for an imagine in fetch; new accounts'
# 30 credits buy about 10 imagines. Upscales are cheaper; turbo costs double, relax half.
_BASE: Final = {
    JobKind.IMAGINE: 3.0,
    JobKind.BLEND: 3.0,
    JobKind.ACTION: 3.0,
    JobKind.INPAINT: 3.0,
    JobKind.DESCRIBE: 1.0,
    JobKind.SEED: 0.5,
}
_MODE_FACTOR: Final = {"fast": 1.0, "turbo": 2.0, "relax": 0.5}
REFUNDED: Final = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def day_start(now: float) -> float:
    """Midnight UTC before `now`: daily limits reset then."""
    return now - now % DAY


def credits(job: Job) -> tuple[float, bool]:
    """(credits, estimated): the reported quota, else an estimate; refunded jobs cost 0."""
    if job.status in REFUNDED:
        return 0.0, False
    if job.quota is not None:
        return job.quota, False
    base = _BASE.get(job.kind, 3.0)
    if job.kind is JobKind.ACTION and (job.action or "").startswith("upsample"):
        base = 2.0
    return base * _MODE_FACTOR.get(job.mode, 1.0), True


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One member's use on one day."""

    day: str
    user_id: int
    jobs: int
    refunded: int
    credits: float
    estimated: bool


def usage(jobs: Iterable[Job]) -> list[UsageRow]:
    """Jobs and credits per day and member, newest day first."""
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    for job in jobs:
        day = time.strftime("%Y-%m-%d", time.gmtime(job.created_at))
        row = totals[(day, job.user_id)]
        cost, estimated = credits(job)
        row[0] += 1
        row[1] += job.status in REFUNDED
        row[2] += cost
        row[3] = max(row[3], estimated)
    rows = [
        UsageRow(day, user, int(v[0]), int(v[1]), round(v[2], 2), bool(v[3]))
        for (day, user), v in totals.items()
    ]
    return sorted(rows, key=lambda row: (row.day, row.credits), reverse=True)


def usage_csv(jobs: Iterable[Job]) -> str:
    """Every job as one CSV line, for the full data behind a usage report."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "job",
            "created_utc",
            "user_id",
            "kind",
            "action",
            "mode",
            "status",
            "credits",
            "estimated",
        ]
    )
    for job in jobs:
        cost, estimated = credits(job)
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(job.created_at))
        writer.writerow(
            [job.id, created, job.user_id, job.kind, job.action or "", job.mode, job.status,
             cost, estimated]
        )  # fmt: skip
    return out.getvalue()
