"""Button click -> job found, with 1,000,000 jobs (and their result messages) stored.

A click resolves its message to a job with the store's own `job_for_message` (a primary-key
lookup on `messages`, then on `jobs`). The database is seeded with the standard library's
sqlite3 and one `executemany` per table, after the store's own migrations created the schema:
a million `create_job` calls would take many minutes and measure nothing about clicks.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import percentile
from bot.jobs.store import Store

JOBS = 1_000_000
CLICKS = 2_000
FIRST_MESSAGE = 1_200_000_000_000_000_000


@dataclass(frozen=True)
class LookupResult:
    """Seconds per click lookup."""

    jobs: int
    seed_s: float
    delays: list[float]


def seed(path: Path, jobs: int) -> None:
    """Fill the migrated database with `jobs` posted grids and their result messages."""
    now = time.time()
    # Bench-only seeding (see the module docstring); the bot's SQL stays in bot/jobs/store.
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO jobs (id, provider, provider_job_id, kind, status, prompt, mode, "
            "user_id, guild_id, channel_id, result_message_id, timeout_s, created_at, "
            "updated_at, finished_at, posted_at, components) VALUES "
            "(?, 'ttapi', ?, 'imagine', 'succeeded', 'a cat', 'fast', ?, 1, 2, ?, 300, ?, ?, "
            "?, ?, '[\"upsample1\"]')",
            (
                (n, f"tt-{n}", 1000 + n % 5000, FIRST_MESSAGE + n, now, now, now, now)
                for n in range(1, jobs + 1)
            ),
        )
        db.executemany(
            "INSERT INTO messages (message_id, job_id, channel_id, created_at) VALUES (?, ?, 2, ?)",
            ((FIRST_MESSAGE + n, n, now) for n in range(1, jobs + 1)),
        )


async def run(jobs: int = JOBS, clicks: int = CLICKS, rng_seed: int = 1) -> LookupResult:
    """Seed `jobs` jobs, then time `clicks` lookups of random messages through the store."""
    rng = random.Random(rng_seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jobs.db"
        store = await Store.open(path)
        await store.migrate()
        await store.close()
        started = time.monotonic()
        await asyncio.to_thread(seed, path, jobs)
        seed_s = time.monotonic() - started
        store = await Store.open(path)
        try:
            delays = []
            for _ in range(clicks):
                message_id = FIRST_MESSAGE + rng.randint(1, jobs)
                began = time.perf_counter()
                job = await store.job_for_message(message_id)
                delays.append(time.perf_counter() - began)
                if job is None or job.result_message_id != message_id:
                    raise RuntimeError(f"message {message_id} did not resolve to its job")
        finally:
            await store.close()
    return LookupResult(jobs, seed_s, delays)


if __name__ == "__main__":
    result = asyncio.run(run())
    print(
        f"{result.jobs:,} jobs (seeded in {result.seed_s:.0f} s): click -> job found "
        f"p50 {percentile(result.delays, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(result.delays, 0.99) * 1000:.2f} ms"
    )
