"""Benchmark of the job engine: provider calls, report delay, load, restart.

Run from the repository root: python -m bench.engine [--quick]
Every figure is printed next to its target; nothing is asserted. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench import cadence, edits, fake_server, hooks, load, lookup, restart, speed
from bench.harness import percentile

SEED = 20240601
CADENCE_JOBS = (1, 50, 500)
LOAD_JOBS = 10_000
RESTART_IN_FLIGHT, RESTART_QUEUED = 1_000, 100
MAX_FETCHES = 6
POLL_P50, HOOK_P50 = 1.0, 0.3
MAX_RSS_MB, MAX_CPU_PERCENT = 150.0, 5.0
MAX_RESTART_S = 5.0


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    figure: str
    value: str
    target: str
    met: bool


def calls_section(results: Sequence[cadence.CadenceResult]) -> list[Row]:
    """Figure 1: provider calls per fast job, by endpoint."""
    print("\n== 1. Provider calls per fast job (virtual clock) ==")
    print(
        f"fake fast job: queue {cadence.FAST.queue_seconds:g} s + run "
        f"{cadence.FAST.run_seconds:g} s, each ±{cadence.JITTER:.0%} per job (seeded RNG), "
        "progress in Midjourney's steps; single fetches (no batch), all jobs in flight at "
        "once, the engine warmed up with the durations of earlier jobs"
    )
    print(f"{'jobs':>5}  {'calls per job, by endpoint':<40} {'fetch max':>9}  target")
    rows = []
    for result in results:
        by_endpoint = ", ".join(
            f"{endpoint} {result.per_job(endpoint):.2f}" for endpoint in sorted(result.calls)
        )
        most = max(result.fetches_per_job)
        print(f"{result.jobs:>5}  {by_endpoint:<40} {most:>9}  <= {MAX_FETCHES} fetches a job")
        label = "1 fast job alone" if result.jobs == 1 else f"{result.jobs} fast jobs in flight"
        value = f"mean {result.per_job('fetch'):.2f}, max {most}"
        met = result.per_job("fetch") <= MAX_FETCHES  # the figure is the mean
        rows.append(Row(f"fetches per job, {label}", value, f"mean <= {MAX_FETCHES}", met))
    return rows


def delay_section(results: Sequence[cadence.CadenceResult], hook: hooks.HookResult) -> list[Row]:
    """Figure 2: from the fake finishing a job to the subscriber's succeeded report."""
    print("\n== 2. Delay from the job's finish to the watcher's report ==")
    print("polling: VIRTUAL clock shared by fake, watcher and service; network time counts as zero")
    print("         finish = created_at + queue + run on the fake's clock; report = clock() at the")
    print("         JobEvents subscriber")
    rows = []
    for result in results:
        p50, p95 = percentile(result.delays, 0.5), percentile(result.delays, 0.95)
        worst = max(result.delays)
        print(
            f"  {_jobs(result.jobs):>9}: p50 {p50:.2f} s  p95 {p95:.2f} s  max {worst:.2f} s"
            f"   (target p50 <= {POLL_P50:g} s; {result.virtual_seconds:.0f} virtual s in all)"
        )
        rows.append(
            Row(
                f"polling delay, {_jobs(result.jobs)} (virtual)",
                f"p50 {p50:.2f} s, p95 {p95:.2f} s",
                f"p50 <= {POLL_P50:g} s",
                p50 <= POLL_P50,
            )
        )
    post50, post95 = percentile(hook.from_post, 0.5), percentile(hook.from_post, 0.95)
    fin50, fin95 = percentile(hook.from_finish, 0.5), percentile(hook.from_finish, 0.95)
    lo, hi = hooks.HOOK_RUN
    print(
        f"hookUrl: REAL clock (time.monotonic); {hook.jobs} jobs running {lo:g}-{hi:g} s; "
        "HookServer on 127.0.0.1, watcher safety_net=True, fake auto_hooks"
    )
    print(f"  from hook POST sent: p50 {post50 * 1000:.1f} ms  p95 {post95 * 1000:.1f} ms")
    print(f"  from job finish:     p50 {fin50 * 1000:.1f} ms  p95 {fin95 * 1000:.1f} ms")
    print(f"  (finish adds the fake's 20 ms hook tick; {hook.fetches_per_job:.2f} fetches a job)")
    print(f"  target p50 <= {HOOK_P50:g} s")
    value = f"p50 {post50 * 1000:.1f} ms, p95 {post95 * 1000:.1f} ms"
    rows.append(
        Row("hookUrl delay from POST (real)", value, f"p50 <= {HOOK_P50:g} s", post50 <= HOOK_P50)
    )
    return rows


def load_section(result: load.LoadResult) -> list[Row]:
    """Figure 3: memory and CPU with 10,000 relax jobs in flight."""
    lo_q, hi_q = fake_server.RELAX_QUEUE
    lo_r, hi_r = fake_server.RELAX_RUN
    print(f"\n== 3. {result.jobs:,} relax jobs in flight (real clock) ==")
    print(
        f"fake TT API in its own process; relax jobs queue {lo_q:g}-{hi_q:g} s + run "
        f"{lo_r:g}-{hi_r:g} s; submitted evenly over {result.ramp_s:.0f} s (one relax poll period)"
    )
    per_minute = result.cpu_s * 60 / result.window_s
    ms_per_fetch = 1000 * result.cpu_s / max(result.fetches, 1)
    print(f"  in flight when measured: {result.in_flight:,}; CPU = the whole engine process")
    print(
        f"  memory: idle engine {result.idle_rss_mb:.0f} MB, end {result.rss_mb:.0f} MB, "
        f"peak (VmHWM) {result.peak_rss_mb:.0f} MB   (target < {MAX_RSS_MB:g} MB)"
    )
    print(
        f"  CPU over {result.window_s:.0f} s: {result.cpu_s:.2f} s = {per_minute:.1f} CPU s/min "
        f"= {result.cpu_percent:.1f} % of one core   (target < {MAX_CPU_PERCENT:g} %)"
    )
    print(
        f"  fetches in the window: {result.fetches:,} "
        f"({result.fetches * 60 / result.window_s:,.0f}/min, {ms_per_fetch:.2f} ms CPU each)"
    )
    return [
        Row(
            f"{result.jobs:,} in flight: peak RSS",
            f"{result.peak_rss_mb:.0f} MB",
            f"< {MAX_RSS_MB:g} MB",
            result.peak_rss_mb < MAX_RSS_MB,
        ),
        Row(
            f"{result.jobs:,} in flight: engine CPU",
            f"{result.cpu_percent:.1f} % ({per_minute:.1f} s/min)",
            f"< {MAX_CPU_PERCENT:g} % of a core",
            result.cpu_percent < MAX_CPU_PERCENT,
        ),
    ]


def restart_section(result: restart.RestartResult) -> list[Row]:
    """Figure 4: recovery of unfinished jobs by a new process."""
    print(f"\n== 4. Restart with {result.in_flight:,} jobs in flight + {result.queued} queued ==")
    print("real clock, from opening the existing database in the new process")
    print(
        f"  every job tracked (watcher {result.in_flight:,}, queue {result.queued}): "
        f"{result.tracked_s:.3f} s   (target <= {MAX_RESTART_S:g} s)"
    )
    print(f"  every recovered job fetched once: {result.fetched_s:.3f} s")
    return [
        Row(
            f"restart: {result.in_flight:,} jobs tracked",
            f"{result.tracked_s:.3f} s",
            f"<= {MAX_RESTART_S:g} s",
            result.tracked_s <= MAX_RESTART_S,
        )
    ]


def _jobs(count: int) -> str:
    return f"{count:,} job" if count == 1 else f"{count:,} jobs"


def print_table(rows: Sequence[Row]) -> None:
    """The summary: figure, value, target, verdict."""
    widths = [
        max(len(getattr(row, name)) for row in rows) for name in ("figure", "value", "target")
    ]
    print("\n== Summary ==")
    header = ("figure", "value", "target")
    print(
        "  ".join(text.ljust(width) for text, width in zip(header, widths, strict=True))
        + "  verdict"
    )
    print("  ".join("-" * width for width in widths) + "  -------")
    for row in rows:
        cells = (row.figure, row.value, row.target)
        line = "  ".join(text.ljust(width) for text, width in zip(cells, widths, strict=True))
        print(f"{line}  {'met' if row.met else 'MISSED'}")


def main() -> None:
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter load runs")
    parser.add_argument(
        "--part",
        choices=("speed", "discord", "load", "all"),
        default="all",
        help="speed: cadence, real-speed runs, acknowledgements (about 70 s); discord: "
        "progress edits of 100 jobs, lookups among 1,000,000 (about 2 minutes); load: "
        "hookUrl, 10,000 in flight, restart (about 2 minutes)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    print(f"mjbot job engine benchmark ({args.part}); every server on 127.0.0.1; seed {SEED}")
    rows: list[Row] = []
    found: list[speed.Line] = []
    if args.part in ("speed", "all"):
        runs = speed.measure(SEED)
        rows += calls_section([runs.warm, runs.batch])
        found += speed.lines(runs)
    if args.part in ("discord", "all"):
        found += speed.discord_lines(asyncio.run(edits.run()), asyncio.run(lookup.run()))
    if args.part in ("load", "all"):
        hook = asyncio.run(hooks.run(50 if args.quick else 200, SEED))
        rows += delay_section([], hook)
        found += _hook_lines(hook)
        loaded = load.run(LOAD_JOBS, 15.0 if args.quick else 60.0, SEED)
        rows += load_section(loaded)
        found += _load_lines(loaded)
        rows += restart_section(asyncio.run(restart.run(RESTART_IN_FLIGHT, RESTART_QUEUED)))
    if rows:
        print_table(rows)
    speed.print_lines(found)
    print(f"\n({time.monotonic() - started:.0f} s in all)")


def _hook_lines(hook: hooks.HookResult) -> list[speed.Line]:
    p50 = percentile(hook.from_finish, 0.5)
    text = f"{p50:.3f} s from finish, {percentile(hook.from_post, 0.5):.3f} s from the POST"
    return [speed.Line("hookUrl: finish → reported, p50", "≤ 0.3 s", text, p50 <= HOOK_P50)]


def _load_lines(result: load.LoadResult) -> list[speed.Line]:
    text = f"peak RSS {result.peak_rss_mb:.0f} MB, CPU {result.cpu_percent:.1f} % of one core"
    met = result.peak_rss_mb < MAX_RSS_MB and result.cpu_percent < MAX_CPU_PERCENT
    return [speed.Line(f"{result.jobs:,} jobs in flight: RSS, CPU", "< 150 MB, < 5 %", text, met)]


if __name__ == "__main__":
    main()
