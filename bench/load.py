"""10,000 relax jobs in flight: the engine's peak memory and the watcher's CPU, on real time.

Three processes: the caller of `run`, the fake TT API (bench.fake_server) and the engine
(`python -m bench.load ...`), so CPU and memory are the engine's alone.

The engine submits the jobs evenly over one relax poll period (the first fetch of a relax job
comes that long after its submit), so once the period has passed every job is fetched at the
rate a steady stream of jobs would cause. CPU is measured from then on, over `window` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import imagine, running_engine
from bot.jobs.polling import PollState, next_delay
from bot.jobs.service import JobService

SUBMIT_CONCURRENCY = 64


@dataclass(frozen=True)
class LoadResult:
    """Figures of one load run."""

    jobs: int
    in_flight: int  # jobs the watcher tracked when the window opened
    ramp_s: float  # real seconds the submits took
    window_s: float
    cpu_s: float  # engine process CPU (all threads) during the window
    fetches: int  # fetches the watcher sent during the window
    idle_rss_mb: float  # resident memory of the started engine before any job
    rss_mb: float  # resident memory at the end of the window
    peak_rss_mb: float  # high-water mark of the whole engine process

    @property
    def cpu_percent(self) -> float:
        """CPU as a share of one core (CPU seconds per minute / 60 * 100)."""
        return 100 * self.cpu_s / self.window_s


def run(jobs: int, window_s: float, seed: int) -> LoadResult:
    """Start the fake and the engine in two processes; return the engine's figures."""
    # Our own interpreter running our own modules, with fixed arguments.
    fake = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.fake_server", "--jobs", str(jobs), "--seed", str(seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        base_url = fake.stdout.readline().strip()
        engine = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.load", base_url, str(jobs), str(window_s)],
            capture_output=True,
            text=True,
            timeout=relax_period() + window_s + 600,
            check=False,
        )
        if engine.returncode != 0:
            raise RuntimeError(f"the engine process failed:\n{engine.stderr}")
        return LoadResult(**json.loads(engine.stdout.splitlines()[-1]))
    finally:
        if fake.stdin is not None:
            fake.stdin.close()  # the fake stops at EOF
        try:
            fake.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fake.kill()
            fake.wait()


def relax_period() -> float:
    """Seconds from a relax job's submit to its first fetch, per bot.jobs.polling."""
    return next_delay(PollState(started_at=0.0, mode="relax"), 0.0)


async def measure(base_url: str, jobs: int, window_s: float) -> LoadResult:
    """In the engine process: submit the jobs over one poll period, then measure a window."""
    period = relax_period()
    with tempfile.TemporaryDirectory() as tmp:
        async with running_engine(
            base_url, Path(tmp) / "jobs.db", clock=time.time, max_in_progress=jobs
        ) as engine:
            idle_rss_mb = _status_mb("VmRSS")
            started = time.monotonic()
            await submit_evenly(engine.service, jobs, period)
            ramp_s = time.monotonic() - started
            await asyncio.sleep(max(0.0, started + period - time.monotonic()))
            in_flight = len(engine.watcher)
            cpu, fetches, opened = time.process_time(), engine.watcher.fetches, time.monotonic()
            await asyncio.sleep(window_s)
            return LoadResult(
                jobs=jobs,
                in_flight=in_flight,
                ramp_s=ramp_s,
                window_s=time.monotonic() - opened,
                cpu_s=time.process_time() - cpu,
                fetches=engine.watcher.fetches - fetches,
                idle_rss_mb=idle_rss_mb,
                rss_mb=_status_mb("VmRSS"),
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            )


async def submit_evenly(service: JobService, jobs: int, seconds: float) -> None:
    """Start `jobs` /imagine relax jobs at an even pace over `seconds`."""
    limit = asyncio.Semaphore(SUBMIT_CONCURRENCY)
    started = time.monotonic()

    async def one(index: int) -> None:
        async with limit:
            await imagine(service, index, "relax")

    tasks = []
    for index in range(jobs):
        await asyncio.sleep(max(0.0, started + index * seconds / jobs - time.monotonic()))
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)


def _status_mb(field: str) -> float:
    """A memory figure from /proc/self/status (Linux), in MiB; NaN elsewhere."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return float("nan")
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Engine process entry: measure, print the result as one JSON line."""
    parser = argparse.ArgumentParser(description="engine side of the load benchmark")
    parser.add_argument("base_url")
    parser.add_argument("jobs", type=int)
    parser.add_argument("window", type=float)
    args = parser.parse_args()
    result = asyncio.run(measure(args.base_url, args.jobs, args.window))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
