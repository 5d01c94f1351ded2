"""The one place that wires the engine: events, the watcher and the job service.

The runner, the benchmarks and every test fixture build the engine here, so a change to how
the parts fit together is made once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.jobs.events import JobEvents
from bot.jobs.prices import PriceBook
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.jobs.watcher import Watcher
from bot.provider import Provider

Sleep = Callable[[float], Awaitable[None]]
# Opens the callback door for the watcher (a HookServer) and returns its URL, for callers
# whose URL is known only once the server listens (a free port).
OpenHooks = Callable[[Watcher], Awaitable[str | None]]


@dataclass(frozen=True)
class Engine:
    """The wired engine: what the bot, the benchmarks and the tests drive."""

    store: Store
    provider: Provider
    events: JobEvents
    watcher: Watcher
    service: JobService


async def build_engine(
    *,
    store: Store,
    provider: Provider,
    events: JobEvents | None = None,
    scale: float = 1.0,
    safety_net: bool = False,
    hook_url: str | None = None,
    open_hooks: OpenHooks | None = None,
    max_in_progress: int = 10,
    clock: Callable[[], float] = time.time,
    sleep: Sleep = asyncio.sleep,
    watcher_sleep: Sleep | None = None,
    prices: PriceBook | None = None,
    low_balance_alert: float = 0.0,
) -> Engine:
    """Wire events, watcher and service over an open store; nothing is started.

    `events` may come with subscribers already on it (they then hear changes first);
    `watcher_sleep` defaults to `sleep`; `open_hooks`, when given, supplies the hook URL.
    """
    events = events or JobEvents()
    watcher = Watcher(
        store,
        provider,
        events,
        clock=clock,
        sleep=sleep if watcher_sleep is None else watcher_sleep,
        scale=scale,
        safety_net=safety_net,
    )
    if open_hooks is not None:
        hook_url = await open_hooks(watcher)
    service = JobService(
        store,
        provider,
        events,
        watcher,
        max_in_progress=max_in_progress,
        hook_url=hook_url,
        clock=clock,
        sleep=sleep,
        prices=prices,
        low_balance_alert=low_balance_alert,
    )
    return Engine(store, provider, events, watcher, service)
