"""Credits: what the TT API reported for each job, or an estimate, and usage reports."""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bot.jobs.models import Job
from bot.jobs.prices import PriceTable
from bot.jobs.states import JobStatus

DAY: Final = 86_400
REFUNDED: Final = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})
# Jobs stored before estimates were recorded are priced by the default table.
_DEFAULT_PRICES: Final = PriceTable()


def day_start(now: float) -> float:
    """Midnight UTC before `now`: daily limits reset then."""
    return now - now % DAY


def credits(job: Job) -> tuple[float, bool]:
    """(credits, estimated): the reported quota, else the estimate; refunded jobs cost 0."""
    if job.status in REFUNDED:
        return 0.0, False
    if job.quota is not None:
        return job.quota, False
    return estimate_of(job), True


def estimate_of(job: Job) -> float:
    """The credits a job was admitted with (the default table's price for older jobs)."""
    if job.estimate is not None:
        return job.estimate
    return _DEFAULT_PRICES.estimate(job.kind, job.action, job.mode, job.prompt)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One member's use on one day."""

    day: str
    user_id: int
    jobs: int
    refunded: int
    credits: float
    estimated: bool
    # Over the jobs with both: the estimate stored at submit, and the quota reported at the end.
    estimate: float = 0.0
    reported: float = 0.0

    @property
    def differs(self) -> bool:
        """True when the provider charged other than estimated (reports show both)."""
        return abs(self.estimate - self.reported) > 0.005


def usage(jobs: Iterable[Job]) -> list[UsageRow]:
    """Jobs and credits per day and member, newest day first."""
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0, 0.0, 0.0])
    for job in jobs:
        day = time.strftime("%Y-%m-%d", time.gmtime(job.created_at))
        row = totals[(day, job.user_id)]
        cost, estimated = credits(job)
        row[0] += 1
        row[1] += job.status in REFUNDED
        row[2] += cost
        row[3] = max(row[3], estimated)
        if job.status not in REFUNDED and job.estimate is not None and job.quota is not None:
            row[4] += job.estimate
            row[5] += job.quota
    rows = [
        UsageRow(day, user, int(v[0]), int(v[1]), round(v[2], 2), bool(v[3]),
                 round(v[4], 2), round(v[5], 2))
        for (day, user), v in totals.items()
    ]  # fmt: skip
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
            "estimate",
            "reported_quota",
        ]
    )
    for job in jobs:
        cost, estimated = credits(job)
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(job.created_at))
        writer.writerow(
            [job.id, created, job.user_id, job.kind, job.action or "", job.mode, job.status,
             cost, estimated, _blank(job.estimate), _blank(job.quota)]
        )  # fmt: skip
    return out.getvalue()


def _blank(value: float | None) -> float | str:
    return "" if value is None else value
