"""The fake TT API in a process of its own, so the load benchmark measures only the engine.

Run: python -m bench.fake_server --jobs 10000 --seed 3
Prints its base URL on one line, then serves on 127.0.0.1 until its stdin is closed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys

from bench.harness import API_KEY, jittered_scenarios
from fakes.ttapi import FakeTTApi

# Relax jobs: "generally within 10 minutes" (TT API docs); here 0.3-2 min queued, 4-7 min running.
RELAX_QUEUE = (20.0, 120.0)
RELAX_RUN = (240.0, 420.0)


class BulkFake(FakeTTApi):
    """The fake with a constant-time in_progress, for tens of thousands of jobs."""

    def in_progress(self) -> int:
        """Jobs created so far.

        The stock fake scans every job on each submit, which is quadratic at 10,000 jobs. Here
        jobs run for minutes and the cap is far out of reach, so the count of jobs stands in.
        """
        return len(self.jobs)


async def serve(jobs: int, seed: int) -> None:
    """Serve until stdin closes; the first `jobs` jobs get jittered relax scenarios."""
    fake = BulkFake(api_key=API_KEY, max_in_progress=10**9)
    for scenario in jittered_scenarios(random.Random(seed), jobs, RELAX_QUEUE, RELAX_RUN):
        fake.next_scenario(scenario)
    print(await fake.start(), flush=True)
    try:
        await asyncio.to_thread(sys.stdin.read)  # returns at EOF: the parent is done or gone
    finally:
        await fake.close()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.jobs, args.seed))


if __name__ == "__main__":
    main()
