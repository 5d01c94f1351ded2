"""Queue positions for the progress refresh: one look-up per job (before) or one map (after).

Every 5 s the publisher shows each queued job its position. Before, each job asked
`FairQueue.position`, which builds the whole order: O(n) per job, O(n²) per refresh, all of
it blocking the event loop. After, one `FairQueue.positions()` map serves the refresh.

    python -m bench.positions [--jobs 5000] [--members 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bot.jobs.queue import FairQueue


def filled(jobs: int, members: int) -> FairQueue:
    """A queue of `jobs` job ids from `members` requesters, added in turn."""
    queue = FairQueue()
    for job_id in range(jobs):
        queue.add(job_id, job_id % members)
    return queue


def before(queue: FairQueue, queued: list[int]) -> list[int | None]:
    """One refresh as it was: a position look-up per queued job."""
    return [queue.position(job_id) for job_id in queued]


def after(queue: FairQueue, queued: list[int]) -> list[int | None]:
    """One refresh as it is: one map for all of them."""
    positions = queue.positions()
    return [positions.get(job_id) for job_id in queued]


def timed(refresh: Callable[[FairQueue, list[int]], list[int | None]], jobs: int, members: int,
          rounds: int) -> tuple[float, list[int | None]]:  # fmt: skip
    """The best wall time of one refresh over `rounds`, and its result."""
    queue = filled(jobs, members)
    queued = list(range(jobs))
    best, result = float("inf"), []
    for _ in range(rounds):
        started = time.perf_counter()
        result = refresh(queue, queued)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    """Print the time per refresh, before and after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    old, old_result = timed(before, args.jobs, args.members, args.rounds)
    new, new_result = timed(after, args.jobs, args.members, max(args.rounds, 20))
    if old_result != new_result:
        raise SystemExit("the two ways disagree on a position")
    print(f"{args.jobs} queued jobs from {args.members} members, one progress refresh:")
    print(f"  before (position per job): {old * 1000:10.1f} ms")
    print(f"  after  (one positions map): {new * 1000:9.2f} ms  ({old / new:,.0f}x faster)")


if __name__ == "__main__":
    main()
