"""Progress edits with 100 jobs running in one channel, at real speed.

The real bot process (fakes/e2e's launcher, discord.py's own HTTP client and rate-limit
handling) against the project's fake Discord and the fake TT API on the wall clock: 100
members send /imagine in one channel; fast jobs of 3 s + 45 s, each ±25 %, progress in
Midjourney's steps. Counted: the bot-token edits of each progress message, the shortest gap
between two edits of one message, and every 429 the fake answered. The fake Discord applies
no rate limits of its own (only injected ones), so "0 429s" here says the bot did not make
Discord's limits an issue only as far as the edit pace goes: the pace is what is measured.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fakes.e2e.fakes import E2EDiscord, FastClock, FlakyTTApi
from fakes.e2e.world import BOT_TOKEN, World
from fakes.ttapi import Scenario

FIRST_USER = 4_100_000_000_000_000
FAST = Scenario(queue_seconds=3.0, run_seconds=45.0)
TIMEOUT = 100.0


@dataclass(frozen=True)
class EditResult:
    """What 100 progress messages went through."""

    jobs: int
    results: int  # result messages posted within the run
    edits: list[int]  # bot-token edits per progress message
    min_gap: float  # shortest time between two edits of one message
    too_close: int  # pairs of edits of one message under 5 s apart
    rate_limited: int  # 429 answers from the fake Discord


async def run(jobs: int = 100) -> EditResult:
    """Start the bot, send `jobs` /imagine in one channel, follow them to their results."""
    discord = E2EDiscord(bot_token=BOT_TOKEN, heartbeat_interval_ms=2_000)
    clock = FastClock(speed=1.0)
    tt = FlakyTTApi(scenario=FAST, clock=clock, max_in_progress=1000, jitter=0.25, seed=5)
    await discord.start()
    await tt.start()
    with tempfile.TemporaryDirectory() as tmp:
        world = World(discord, tt, clock, Path(tmp))
        try:
            await world.bot.start(MAX_JOBS_IN_PROGRESS="500", POLL_INTERVAL_SCALE="1")
            payloads = [
                discord.slash_command("imagine", {"prompt": f"a harbour {n}"}, user_id=user)
                for n, user in enumerate(range(FIRST_USER, FIRST_USER + jobs))
            ]
            await asyncio.gather(*(discord.interact(payload) for payload in payloads))
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline and _finished(world, payloads) < jobs:  # noqa: ASYNC110 - no event for posts
                await asyncio.sleep(0.5)
        finally:
            await world.bot.stop()
            await tt.close()
            await discord.close()
    gaps, edits = [], []
    for payload in payloads:
        message = discord.original(str(payload["id"]))
        times = [edit.at for edit in message.edits if edit.via == "channel"] if message else []
        edits.append(len(times))
        gaps += [later - earlier for earlier, later in itertools.pairwise(times)]
    return EditResult(
        jobs=jobs,
        results=_finished(world, payloads),
        edits=edits,
        min_gap=min(gaps, default=float("nan")),
        too_close=sum(1 for gap in gaps if gap < 5.0),
        rate_limited=sum(1 for request in discord.requests if request.status == 429),
    )


def _finished(world: World, payloads: list[dict[str, object]]) -> int:
    return sum(1 for payload in payloads if world.results(payload))


if __name__ == "__main__":
    result = asyncio.run(run())
    print(
        f"{result.jobs} jobs, {result.results} results; edits per message max "
        f"{max(result.edits)}, total {sum(result.edits)}; min gap {result.min_gap:.2f} s, "
        f"{result.too_close} under 5 s; 429s {result.rate_limited}"
    )
