"""A burst of /imagine submits with and without credit budgets: latency, and nothing overspent.

Budgets are checked under one lock per server, so a burst in one server is checked one job
at a time. This prints what that costs: the submit latency (the time a member waits for the
answer) of N concurrent submits from M members, on real time, against the fake TT API on
127.0.0.1, with no budgets and with a server budget that lets exactly half of them through.

Run: python -m bench.budget [--jobs 400] [--members 40]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import API_KEY, percentile, running_engine
from bot.errors import LimitReached
from bot.jobs.models import Requester
from fakes.ttapi import FakeTTApi, Scenario

GUILD = 1
ENDLESS = Scenario(queue_seconds=0.0, run_seconds=10_000.0)  # jobs stay in flight


async def burst(jobs: int, members: int, budget: float | None) -> dict[str, float]:
    """Submit `jobs` at once; return latency percentiles, acceptances and credits counted."""
    fake = FakeTTApi(api_key=API_KEY, max_in_progress=10**6, scenario=ENDLESS)
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            async with running_engine(
                fake.base_url, Path(folder) / "db.sqlite", clock=time.time, max_in_progress=jobs
            ) as engine:
                if budget is not None:
                    await engine.service.budgets.set(GUILD, guild_daily=budget)
                latencies: list[float] = []

                async def one(index: int) -> bool:
                    requester = Requester(1000 + index % members, GUILD, 2)
                    started = time.perf_counter()
                    try:
                        await engine.service.imagine(requester, f"burst {index}", "fast")
                        return True
                    except LimitReached:
                        return False
                    finally:
                        latencies.append(time.perf_counter() - started)

                began = time.perf_counter()
                accepted = await asyncio.gather(*(one(index) for index in range(jobs)))
                total = time.perf_counter() - began
                status = await engine.service.budgets.status(GUILD, 1000)
    finally:
        await fake.close()
    return {
        "accepted": sum(accepted),
        "spent": status.guild_today,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "total_s": total,
    }


async def main(jobs: int, members: int) -> None:
    """Both runs, printed side by side."""
    cap = jobs / 2 * 3.0  # a fast imagine is estimated at 3 credits: half the burst fits
    print(f"{jobs} concurrent /imagine submits from {members} members, one server")
    for name, budget in (("no budget", None), (f"server budget {cap:g}", cap)):
        figures = await burst(jobs, members, budget)
        print(
            f"  {name:<22} accepted {figures['accepted']:>4.0f} · credits counted "
            f"{figures['spent']:>6g} · submit latency p50 {figures['p50_ms']:6.1f} ms, "
            f"p95 {figures['p95_ms']:6.1f} ms · all answered in {figures['total_s']:.2f} s"
        )
    print(f"  target: with the budget, accepted = {jobs // 2} and credits ≤ {cap:g}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--members", type=int, default=40)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.jobs, arguments.members))
