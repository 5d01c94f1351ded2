"""Fast jobs at real speed, on the wall clock: fetch calls per job and finish-to-report delay.

Several engines run side by side in one process, each with its own fake TT API and SQLite
file, so one minute of wall clock measures every case at once:

- `single`: engines with one job each (single fetches), the "1 job" figures;
- `twenty`: one engine with 20 jobs at once (single fetches);
- `batch`: one engine with 50 jobs at once, looked at with fetch-list;
- `slow post`: two jobs whose reports go to a subscriber that takes 10 s over the first
  one (a slow upload); the second job's delay shows whether it waited.

The fake answers like Midjourney: 3 s queued then 45 s running, each ±25 % per job,
progress in coarse steps (0, 15, 31, 46, 62, 78, 93 %), 20-80 ms of latency per call.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.harness import API_KEY, Reports, running_engine, submit_all
from bot.jobs.models import Job
from bot.jobs.states import JobStatus
from fakes.ttapi import FakeTTApi, Scenario

FAST = Scenario(queue_seconds=3.0, run_seconds=45.0)
JITTER = 0.25
LATENCY = (0.02, 0.08)  # seconds per API call, uniform
PUBLISH_WORKERS = 8  # as cogs/publisher.py subscribes
SLOW_POST = 10.0


@dataclass(frozen=True)
class RealResult:
    """One engine's jobs at real speed."""

    label: str
    jobs: int
    calls: dict[str, int]  # endpoint -> calls the fake received
    fetches_per_job: list[int]  # single fetches of each job
    delays: list[float]  # seconds from each job's finish to its succeeded report
    handoffs: list[float]  # seconds from the watcher storing a result to the subscriber

    def per_job(self, *endpoints: str) -> float:
        """Mean calls to the endpoints per job."""
        return sum(self.calls.get(endpoint, 0) for endpoint in endpoints) / self.jobs


class SlowPost(Reports):
    """A subscriber whose work on the first job to finish takes SLOW_POST seconds."""

    def __init__(self) -> None:
        super().__init__(time.monotonic)
        self.slow: str | None = None
        self.handoffs: list[float] = []

    async def __call__(self, job: Job) -> None:
        """Record the report, then hold this job's worker like a slow upload would."""
        await super().__call__(job)
        if job.status is JobStatus.SUCCEEDED and job.finished_at is not None:
            self.handoffs.append(time.monotonic() - job.finished_at)
        if job.status is JobStatus.SUCCEEDED and self.slow in (None, job.provider_job_id):
            self.slow = job.provider_job_id
            await asyncio.sleep(SLOW_POST)


async def run_one(
    label: str, jobs: int, seed: int, *, batch: bool, durations: str | None, slow: bool = False
) -> RealResult:
    """Submit `jobs` fast jobs at once to a fresh engine and wait for every report."""
    fake = FakeTTApi(
        api_key=API_KEY,
        max_in_progress=1000,
        scenario=FAST,
        jitter=0.0 if slow else JITTER,
        latency=LATENCY,
        seed=seed,
    )
    if slow:  # the second job finishes 5 s into the first one's 10 s post
        fake.next_scenario(Scenario(queue_seconds=3.0, run_seconds=40.0))
        fake.next_scenario(Scenario(queue_seconds=3.0, run_seconds=45.0))
    base_url = await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_engine(
                base_url,
                Path(tmp) / "jobs.db",
                clock=time.monotonic,
                max_in_progress=500,
                batch=batch,
                durations=durations,
                workers=PUBLISH_WORKERS,
                reports=SlowPost() if slow else None,
            ) as engine:
                await submit_all(engine.service, jobs, "fast")
                async with asyncio.timeout(150):
                    await engine.reports.wait_for(jobs)
                reported = dict(engine.reports.succeeded)
                handoffs = list(getattr(engine.reports, "handoffs", []))
    finally:
        await fake.close()
    fetches = Counter(call.query.get("jobId") for call in fake.calls_to("/fetch"))
    finished = {
        job.job_id: job.created_at + job.scenario.queue_seconds + job.scenario.run_seconds
        for job in fake.jobs.values()
    }
    return RealResult(
        label=label,
        jobs=jobs,
        calls=dict(Counter(call.path.rsplit("/", 1)[-1] for call in fake.calls)),
        fetches_per_job=[fetches[job_id] for job_id in fake.jobs],
        delays=[reported[pid] - at for pid, at in sorted(finished.items(), key=lambda i: i[1])],
        handoffs=handoffs,
    )


async def run(singles: int, seed: int, durations: str | None) -> list[RealResult]:
    """Every real-speed case at once; about a minute of wall clock."""
    rng = random.Random(seed)
    cases = [
        run_one(f"single {n}", 1, rng.randrange(2**32), batch=False, durations=durations)
        for n in range(singles)
    ]
    cases.append(run_one("twenty", 20, rng.randrange(2**32), batch=False, durations=durations))
    cases.append(run_one("batch", 50, rng.randrange(2**32), batch=True, durations=durations))
    cases.append(
        run_one("slow post", 2, rng.randrange(2**32), batch=False, durations=durations, slow=True)
    )
    return list(await asyncio.gather(*cases))
