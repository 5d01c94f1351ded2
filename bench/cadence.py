"""Fast jobs polled on virtual time: provider calls per job, and finish-to-report delay.

The fake TT API, the watcher, the service and the store share one virtual clock that jumps
forward whenever the watcher sleeps (bench.harness.VirtualTime), so a 45 s job takes well
under a second of real time and network time counts as zero.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.harness import API_KEY, VirtualTime, running_engine, submit_all
from fakes.ttapi import FakeTTApi, Scenario

# A fast job as Midjourney runs it: 3 s queued, 45 s running, each ±25 % per job.
FAST = Scenario(queue_seconds=3.0, run_seconds=45.0)
JITTER = 0.25
SERVICE_MAX_IN_PROGRESS = 500
FAKE_MAX_IN_PROGRESS = 1000


@dataclass(frozen=True)
class CadenceResult:
    """What one run of `jobs` fast jobs cost and how late each was reported."""

    jobs: int
    calls: dict[str, int]  # endpoint -> calls received by the fake
    fetches_per_job: list[int]
    delays: list[float]  # virtual seconds from the job's finish to its succeeded report
    virtual_seconds: float  # from the release of the clock to the last report
    durations: str  # what the engine learned (DurationModel.dumps)

    def per_job(self, endpoint: str) -> float:
        """Mean calls to `endpoint` per job."""
        return self.calls.get(endpoint, 0) / self.jobs


async def run(
    jobs: int, seed: int, *, batch: bool = False, durations: str | None = None
) -> CadenceResult:
    """Submit `jobs` fast jobs at virtual time 0 and let the watcher see them all finish."""
    time = VirtualTime()
    fake = FakeTTApi(
        api_key=API_KEY,
        max_in_progress=FAKE_MAX_IN_PROGRESS,
        clock=time.clock,
        scenario=FAST,
        jitter=JITTER,
        seed=random.Random(seed).randrange(2**32),
    )
    base_url = await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_engine(
                base_url,
                Path(tmp) / "jobs.db",
                clock=time.clock,
                sleep=time.sleep,
                max_in_progress=SERVICE_MAX_IN_PROGRESS,
                batch=batch,
                durations=durations,
            ) as engine:
                await submit_all(engine.service, jobs, "fast")
                if len(engine.watcher) != jobs:
                    raise RuntimeError(f"only {len(engine.watcher)} of {jobs} jobs in flight")
                released_at = time.clock()
                time.release()
                async with asyncio.timeout(300):  # real seconds
                    await engine.reports.wait_for(jobs)
                reported = dict(engine.reports.succeeded)
                learned = engine.watcher.durations.dumps()
    finally:
        await fake.close()
    fetches = Counter(call.query.get("jobId") for call in fake.calls_to("/fetch"))
    delays = [
        reported[job.job_id]
        - (job.created_at + job.scenario.queue_seconds + job.scenario.run_seconds)
        for job in fake.jobs.values()
    ]
    return CadenceResult(
        jobs=jobs,
        calls=dict(Counter(call.path.rsplit("/", 1)[-1] for call in fake.calls)),
        fetches_per_job=[fetches[job_id] for job_id in fake.jobs],
        delays=delays,
        virtual_seconds=max(reported.values()) - released_at,
        durations=learned,
    )
