"""The admission queue's order: first come, first served, round-robin across requesters."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import zip_longest


class FairQueue:
    """Job ids waiting for a provider slot, taken one requester at a time.

    A user who queues 20 jobs gets every other slot at most while someone else waits,
    instead of all of them.
    """

    def __init__(self) -> None:
        self._lanes: dict[int, deque[int]] = {}  # requester -> job ids; dict order = turn order

    def __len__(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    def __contains__(self, job_id: object) -> bool:
        return any(job_id in lane for lane in self._lanes.values())

    def add(self, job_id: int, requester: int) -> None:
        """Queue a job at the back of its requester's lane."""
        self._lanes.setdefault(requester, deque()).append(job_id)

    def put_back(self, job_id: int, requester: int) -> None:
        """Return a job that could not start to the front: it keeps its place."""
        lane = self._lanes.pop(requester, deque())
        lane.appendleft(job_id)
        self._lanes = {requester: lane, **self._lanes}

    def pop(self) -> int | None:
        """The next job to start, or None; its requester moves to the back of the turn order."""
        for requester, lane in self._lanes.items():
            job_id = lane.popleft()
            del self._lanes[requester]
            if lane:
                self._lanes[requester] = lane
            return job_id
        return None

    def pop_first(self, startable: Callable[[int], bool]) -> int | None:
        """The first job in turn order that `startable` accepts (others keep their place)."""
        for job_id in self.order():
            if startable(job_id):
                requester = next(r for r, lane in self._lanes.items() if job_id in lane)
                self.remove(job_id)
                lane = self._lanes.pop(requester, None)
                if lane:  # like pop(): this requester's turn passes
                    self._lanes[requester] = lane
                return job_id
        return None

    def remove(self, job_id: int) -> bool:
        """Take a job out (cancelled); True if it was queued."""
        for requester, lane in self._lanes.items():
            if job_id in lane:
                lane.remove(job_id)
                if not lane:
                    del self._lanes[requester]
                return True
        return False

    def order(self) -> list[int]:
        """Every queued job id in the order they will start."""
        rounds = zip_longest(*self._lanes.values())
        return [job_id for round_ in rounds for job_id in round_ if job_id is not None]

    def position(self, job_id: int) -> int | None:
        """How many jobs start before this one, or None if it is not queued."""
        try:
            return self.order().index(job_id)
        except ValueError:
            return None

    def positions(self) -> dict[int, int]:
        """Every queued job id -> how many start before it, in one pass over the queue."""
        return {job_id: index for index, job_id in enumerate(self.order())}
