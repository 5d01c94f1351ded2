"""Ordered lanes of work: items with the same key run one after another, keys in parallel.

The job events and the publisher both need this: a job's changes must reach Discord in
order (progress before result), while one slow upload must not hold up another job's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lanes(Generic[T]):
    """Runs `handler(item)` for every item put, in order per key, at most `workers` at once."""

    def __init__(
        self, handler: Callable[[T], Awaitable[None]], *, workers: int = 1, name: str = "lanes"
    ) -> None:
        self._handler = handler
        self._workers = max(workers, 1)
        self._name = name
        self._pending: dict[Hashable, deque[T]] = {}  # key -> items not yet handled
        self._ready: deque[Hashable] = deque()  # keys with items and no worker
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return sum(len(items) for items in self._pending.values())

    def put(self, key: Hashable, item: T) -> None:
        """Queue an item; returns at once."""
        items = self._pending.get(key)
        if items is not None:
            items.append(item)  # its lane is running or ready: it will get there in order
            return
        self._pending[key] = deque([item])
        self._idle.clear()
        if len(self._tasks) < self._workers:
            task = asyncio.create_task(self._work(key), name=f"{self._name}-worker")
            self._tasks.add(task)
            task.add_done_callback(self._done)
        else:
            self._ready.append(key)

    async def drain(self) -> None:
        """Wait until every queued item is handled."""
        await self._idle.wait()

    async def close(self, grace: float = 5.0) -> None:
        """Let queued items finish for up to `grace` seconds, then cancel the rest."""
        try:
            async with asyncio.timeout(grace):
                await self.drain()
        except TimeoutError:
            log.warning("%s: %d items not handled before shutdown", self._name, len(self))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pending.clear()
        self._ready.clear()
        self._idle.set()

    async def _work(self, key: Hashable) -> None:
        while True:
            items = self._pending[key]
            while items:
                item = items[0]
                try:
                    await self._handler(item)
                except Exception:
                    log.exception("%s: handling %r failed", self._name, key)
                items.popleft()
            del self._pending[key]
            if not self._ready:
                return
            key = self._ready.popleft()  # keep the worker: the pool stays bounded

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks and not self._pending:
            self._idle.set()
