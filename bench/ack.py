"""Slash commands acknowledged under a burst: 200 members send /imagine at the same moment.

The real bot runs in its own process (python -m bot, through fakes/e2e's launcher) against
the project's fake Discord gateway and REST on 127.0.0.1: each command travels the gateway
websocket and discord.py's own dispatch, exactly as in production. The figure is the time
from the gateway sending INTERACTION_CREATE to the fake REST receiving its first callback.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import percentile
from fakes.e2e.fakes import E2EDiscord, FastClock, FlakyTTApi
from fakes.e2e.world import BOT_TOKEN, FAST_JOB, World

FIRST_USER = 4_000_000_000_000_000


@dataclass(frozen=True)
class AckResult:
    """Seconds from each command's dispatch to its acknowledgement."""

    commands: int
    delays: list[float]
    missing: int  # commands never acknowledged within 3 s

    @property
    def p50(self) -> float:
        """Median delay."""
        return percentile(self.delays, 0.5)

    @property
    def p99(self) -> float:
        """99th percentile delay."""
        return percentile(self.delays, 0.99)


async def run(commands: int) -> AckResult:
    """Start the bot, send `commands` /imagine at once, measure each acknowledgement."""
    discord = E2EDiscord(bot_token=BOT_TOKEN, heartbeat_interval_ms=2_000)
    clock = FastClock()
    tt = FlakyTTApi(scenario=FAST_JOB, clock=clock, max_in_progress=1000)
    await discord.start()
    await tt.start()
    with tempfile.TemporaryDirectory() as tmp:
        world = World(discord, tt, clock, Path(tmp))
        try:
            await world.bot.start(MAX_JOBS_IN_PROGRESS="500")
            payloads = [
                discord.slash_command("imagine", {"prompt": f"a lighthouse {n}"}, user_id=user)
                for n, user in enumerate(range(FIRST_USER, FIRST_USER + commands))
            ]
            sent: dict[int, float] = {}

            async def send(payload: dict[str, object]) -> None:
                sent[int(str(payload["id"]))] = time.monotonic()
                await discord.interact(payload)

            await asyncio.gather(*(send(payload) for payload in payloads))
            await asyncio.sleep(3.5)  # Discord's deadline, and a little more
        finally:
            await world.bot.stop()
            await tt.close()
            await discord.close()
    delays = []
    for interaction_id, at in sent.items():
        callbacks = discord.callbacks_for(interaction_id)
        if callbacks:
            delays.append(callbacks[0].at - at)
    return AckResult(commands, delays, commands - len(delays))


if __name__ == "__main__":
    result = asyncio.run(run(200))
    print(
        f"{result.commands} commands: p50 {result.p50 * 1000:.0f} ms, p99 "
        f"{result.p99 * 1000:.0f} ms, unanswered {result.missing}"
    )
