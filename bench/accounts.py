"""Throughput with one TT key against two: jobs in flight and jobs finished per second.

Run from the repository root: python -m bench.accounts [--jobs 60]
Real time, everything on 127.0.0.1. Each key is its own fake TT API that, like the real
one, refuses (499) past 10 jobs in progress; MAX_JOBS_IN_PROGRESS is 10 per account.
Every job runs 1.5 s at the fake. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.jobs.engine import build_engine
from bot.jobs.events import JobEvents
from bot.jobs.models import Job, JobKind, NewJob, Requester
from bot.jobs.store import Store
from bot.provider.pool import Account, ProviderPool, account_key, mask
from bot.provider.ttapi import TTApiClient
from fakes.ttapi import FakeTTApi, Scenario

CAP = 10
JOB = Scenario(queue_seconds=0.1, run_seconds=1.4)


@dataclass(frozen=True)
class Figures:
    """What one run measured."""

    keys: int
    jobs: int
    seconds: float
    peak_in_flight: int
    mean_in_flight: float
    refusals: int

    @property
    def per_second(self) -> float:
        """Jobs finished per second."""
        return self.jobs / self.seconds


async def run(keys: int, jobs: int) -> Figures:
    """Submit `jobs` imagines at once over `keys` TT keys; sample jobs in flight until done."""
    fakes = [
        FakeTTApi(api_key=f"bench-key-{n}", scenario=JOB, max_in_progress=CAP) for n in range(keys)
    ]
    for fake in fakes:
        await fake.start()
    finished: set[int] = set()
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db")
        await store.migrate()
        async with aiohttp.ClientSession() as session:
            accounts = [
                Account(
                    "ttapi",
                    account_key("ttapi", f.api_key),
                    mask(f.api_key),
                    TTApiClient(session, f.api_key, f.base_url),
                    CAP,
                )
                for f in fakes
            ]
            pool = ProviderPool(accounts)
            events = JobEvents()

            async def done(job: Job) -> None:
                if job.finished:
                    finished.add(job.id)

            events.subscribe(done)
            engine = await build_engine(store=store, provider=pool, events=events, scale=0.05)
            service = engine.service
            await service.start()
            started = time.monotonic()
            for n in range(jobs):
                requester = Requester(n % 7 + 1, guild_id=1, channel_id=1)
                await service.submit(NewJob(JobKind.IMAGINE, "fast", requester, prompt=f"job {n}"))
            samples = []
            while len(finished) < jobs:
                samples.append(service.in_flight)
                await asyncio.sleep(0.02)
            seconds = time.monotonic() - started
            await service.stop()
        await store.close()
    refusals = sum(1 for fake in fakes for call in fake.calls if call.path.endswith("/imagine"))
    for fake in fakes:
        await fake.close()
    return Figures(keys, jobs, seconds, max(samples), sum(samples) / len(samples), refusals - jobs)


def main() -> None:
    """Both runs, side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    length = JOB.queue_seconds + JOB.run_seconds
    print(f"{args.jobs} fast jobs of {length:g} s each, cap {CAP} per key")
    header = ("keys", "peak in flight", "mean in flight", "jobs/s", "wall s")
    print(f"{header[0]:>4}  {header[1]:>14}  {header[2]:>14}  {header[3]:>7}  {header[4]:>7}  499s")
    for keys in (1, 2):
        figures = asyncio.run(run(keys, args.jobs))
        print(
            f"{figures.keys:>4}  {figures.peak_in_flight:>14}  {figures.mean_in_flight:>14.1f}  "
            f"{figures.per_second:>7.2f}  {figures.seconds:>7.1f}  {figures.refusals}"
        )
    print(f"target: two keys keep {2 * CAP} jobs in flight (one key: {CAP}); no 499 refusals")


if __name__ == "__main__":
    main()
