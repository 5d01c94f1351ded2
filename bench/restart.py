"""Restart with unfinished jobs: how long until a new process tracks every one of them.

A first engine submits `in_flight + queued` relax jobs with max_in_progress = in_flight, so
`in_flight` rows are submitted to the fake and `queued` wait in the admission queue; it then
stops as if the process ended. A second engine opens the same database file and recovers.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import API_KEY, poll_until, running_engine, submit_all
from fakes.ttapi import FakeTTApi, Scenario


@dataclass(frozen=True)
class RestartResult:
    """Real seconds from opening the database in the new process."""

    in_flight: int
    queued: int
    tracked_s: float  # until the watcher tracks every in-flight job and the queue holds the rest
    fetched_s: float  # until the watcher has fetched every recovered job once


async def run(in_flight: int, queued: int) -> RestartResult:
    """Leave jobs unfinished in a database, then time a new engine's recovery."""
    scenario = Scenario(queue_seconds=60, run_seconds=480)  # nothing finishes during the run
    fake = FakeTTApi(api_key=API_KEY, max_in_progress=2 * in_flight, scenario=scenario)
    base_url = await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "jobs.db"
            async with running_engine(
                base_url, db_path, clock=time.time, max_in_progress=in_flight
            ) as first:
                await submit_all(first.service, in_flight + queued, "relax")
            started = time.perf_counter()
            async with running_engine(
                base_url, db_path, clock=time.time, max_in_progress=in_flight
            ) as second:
                watcher, service = second.watcher, second.service
                async with asyncio.timeout(60):
                    await poll_until(lambda: len(watcher) >= in_flight and service.queued >= queued)
                    tracked_s = time.perf_counter() - started
                    await poll_until(lambda: watcher.fetches >= in_flight)
                    fetched_s = time.perf_counter() - started
    finally:
        await fake.close()
    return RestartResult(in_flight, queued, tracked_s, fetched_s)
