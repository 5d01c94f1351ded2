"""hookUrl path on real time: from the fake's callback POST to the succeeded report.

The fake (its clock is time.monotonic) posts each finished job to the engine's HookServer on
127.0.0.1; the watcher polls only as a safety net, so the report comes from the poke.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import API_KEY, jittered_scenarios, running_engine, submit_all
from fakes.ttapi import FakeJob, FakeTTApi

# Short jobs, so the run takes seconds: the delay measured does not depend on the job's length.
HOOK_QUEUE = (0.3, 0.7)
HOOK_RUN = (1.0, 2.0)


class TimedHookFake(FakeTTApi):
    """The fake TT API, noting (time.monotonic) when it starts each job's hookUrl POST."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hook_sent: dict[str, float] = {}

    async def _deliver(self, job: FakeJob, payload: dict[str, Any]) -> None:
        self.hook_sent.setdefault(job.job_id, time.monotonic())
        await super()._deliver(job, payload)


@dataclass(frozen=True)
class HookResult:
    """Real-time delays of the hookUrl path for `jobs` jobs."""

    jobs: int
    from_post: list[float]  # seconds from the hook POST being sent to the report
    from_finish: list[float]  # seconds from the job's finish (adds the fake's 20 ms hook tick)
    fetches_per_job: float


async def run(jobs: int, seed: int) -> HookResult:
    """Submit `jobs` short jobs with a hookUrl and wait for every report."""
    fake = TimedHookFake(api_key=API_KEY, max_in_progress=1000, auto_hooks=True)
    for scenario in jittered_scenarios(random.Random(seed), jobs, HOOK_QUEUE, HOOK_RUN):
        fake.next_scenario(scenario)
    base_url = await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_engine(
                base_url,
                Path(tmp) / "jobs.db",
                clock=time.monotonic,
                max_in_progress=500,
                hooks=True,
            ) as engine:
                await submit_all(engine.service, jobs, "fast")
                async with asyncio.timeout(60):
                    await engine.reports.wait_for(jobs)
                reported = dict(engine.reports.succeeded)
    finally:
        await fake.close()
    finished = {
        job.job_id: job.created_at + job.scenario.queue_seconds + job.scenario.run_seconds
        for job in fake.jobs.values()
    }
    fetches = Counter(call.query.get("jobId") for call in fake.calls_to("/fetch"))
    return HookResult(
        jobs=jobs,
        from_post=[reported[pid] - sent for pid, sent in fake.hook_sent.items()],
        from_finish=[reported[pid] - at for pid, at in finished.items()],
        fetches_per_job=sum(fetches.values()) / jobs,
    )
