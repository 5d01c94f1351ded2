"""The figures of issue 12 (engine speed against real Midjourney progress), as one table.

Virtual-clock runs (bench/cadence.py) give many samples of the cadence alone; real-speed
runs (bench/realtime.py) add the network, the store and the event lanes on the wall clock;
bench/ack.py drives 200 slash commands through the real bot process and discord.py.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench import ack, cadence, edits, lookup, realtime
from bench.harness import percentile

VIRTUAL_JOBS = 200
SINGLE_ENGINES = 8
ACK_COMMANDS = 200


@dataclass(frozen=True)
class Line:
    """One line of the issue's table."""

    figure: str
    target: str
    measured: str
    met: bool | None  # None: not measured here


@dataclass(frozen=True)
class SpeedRuns:
    """Everything the speed part measured."""

    cold: cadence.CadenceResult
    warm: cadence.CadenceResult
    batch: cadence.CadenceResult
    real: list[realtime.RealResult]
    ack: ack.AckResult


def measure(seed: int) -> SpeedRuns:
    """Run the virtual, real-speed and acknowledgement benchmarks (about 2 minutes)."""
    cold = asyncio.run(cadence.run(VIRTUAL_JOBS, seed))
    learned = cold.durations  # what a bot knows after its first few hundred jobs
    warm = asyncio.run(cadence.run(VIRTUAL_JOBS, seed + 1, durations=learned))
    batch = asyncio.run(cadence.run(50, seed + 2, batch=True, durations=learned))
    real = asyncio.run(realtime.run(SINGLE_ENGINES, seed + 3, learned))
    acks = asyncio.run(ack.run(ACK_COMMANDS))
    return SpeedRuns(cold, warm, batch, real, acks)


def lines(runs: SpeedRuns) -> list[Line]:
    """The issue's figures from the runs."""
    singles = [r for r in runs.real if r.label.startswith("single")]
    twenty = next(r for r in runs.real if r.label == "twenty")
    batch = next(r for r in runs.real if r.label == "batch")
    slow = next(r for r in runs.real if r.label == "slow post")
    single_fetches = [n for r in singles for n in r.fetches_per_job]
    single_delays = [d for r in singles for d in r.delays]
    warm_mean = statistics.mean(runs.warm.fetches_per_job)
    cold_mean = statistics.mean(runs.cold.fetches_per_job)
    real_mean = statistics.mean(single_fetches)
    batch_calls = batch.per_job("fetch", "fetch-list")
    second = slow.delays[-1]  # the job that finished during the other's 10 s post
    handoff = slow.handoffs[-1] if slow.handoffs else float("nan")
    return [
        Line(
            "Fetch calls per fast job, 1 job, quantised progress, ±25 % durations",
            "≤ 6",
            f"{real_mean:.1f} real ({len(single_fetches)} jobs, max {max(single_fetches)}); "
            f"{warm_mean:.1f} virtual ({len(runs.warm.fetches_per_job)} jobs, max "
            f"{max(runs.warm.fetches_per_job)}); fresh bot {cold_mean:.1f}",
            max(real_mean, warm_mean) <= 6,
        ),
        _delay_line("Finish → reported, p50 / p95, 1 job", single_delays, runs.warm.delays),
        _delay_line("Finish → reported, p50 / p95, 20 jobs", twenty.delays, None),
        Line(
            "Fetch calls per job at 50 jobs in flight (batch)",
            "≤ 1",
            f"{batch_calls:.2f} real ({batch.calls.get('fetch-list', 0)} fetch-list + "
            f"{batch.calls.get('fetch', 0)} fetch for 50 jobs); "
            f"{runs.batch.per_job('fetch') + runs.batch.per_job('fetch-list'):.2f} virtual",
            batch_calls <= 1,
        ),
        Line(
            "Second job's post delay while another job's post takes 10 s",
            "≤ 1 s",
            f"{handoff * 1000:.0f} ms from the watcher's store to the subscriber, while the "
            f"first job's post still ran (finish → reported {second:.2f} s, the cadence's part)",
            handoff <= 1.0,
        ),
        Line(
            f"Slash command acknowledged, p99 at {runs.ack.commands} simultaneous commands",
            "≤ 0.25 s",
            f"p50 {runs.ack.p50:.3f} s, p99 {runs.ack.p99:.3f} s, {runs.ack.missing} unanswered",
            runs.ack.p99 <= 0.25 and runs.ack.missing == 0,
        ),
    ]


def discord_lines(edited: edits.EditResult, looked: lookup.LookupResult) -> list[Line]:
    """Progress edits of 100 jobs in one channel; click lookups among a million jobs."""
    p99 = percentile(looked.delays, 0.99)
    pace = (
        f"{max(edited.edits)} edits at most per message, shortest gap {edited.min_gap:.1f} s "
        f"({edited.too_close} under 5 s), {edited.rate_limited} × 429; "
        f"{edited.results}/{edited.jobs} results posted"
    )
    return [
        Line(
            f"Button click → job found, p99 with {looked.jobs:,} jobs stored",
            "≤ 1 ms",
            f"p99 {p99 * 1000:.2f} ms, p50 {percentile(looked.delays, 0.5) * 1000:.2f} ms",
            p99 <= 0.001,
        ),
        Line(
            f"Progress edits at {edited.jobs} jobs in one channel",
            "≤ 1 per 5 s per message, 0 429s",
            pace,
            edited.too_close == 0 and edited.rate_limited == 0 and edited.results == edited.jobs,
        ),
    ]


def _delay_line(figure: str, real: Sequence[float], virtual: Sequence[float] | None) -> Line:
    p50, p95 = percentile(real, 0.5), percentile(real, 0.95)
    text = f"{p50:.2f} / {p95:.2f} s real ({len(real)} jobs)"
    if virtual:
        text += f"; {percentile(virtual, 0.5):.2f} / {percentile(virtual, 0.95):.2f} s virtual"
    return Line(figure, "≤ 1 s / ≤ 2 s", text, p50 <= 1.0 and p95 <= 2.0)


def print_lines(found: Sequence[Line]) -> None:
    """The table as Markdown, ready for the README."""
    print("\n| Figure | Target | Measured | |")
    print("|---|---|---|---|")
    for line in found:
        verdict = "—" if line.met is None else ("met" if line.met else "**missed**")
        print(f"| {line.figure} | {line.target} | {line.measured} | {verdict} |")
