"""The chaos run: members use the bot while it is killed with SIGKILL and restarted at random
moments, against a TT API that fails at random (5xx, dropped and hung connections, 429).

Shared by the test (tests/e2e/test_chaos.py, `pytest -m chaos`) and the benchmark
(bench/chaos.py). What counts, read from the three sides after everything settled:
- lost: a job the TT API ran to SUCCESS whose result no member can see in Discord;
- posted twice: a job whose result appears in more than one live message;
- duplicate submissions: one member request that became more than one TT API job.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from fakes.discord import USER_ID, StoredMessage
from fakes.e2e.fakes import FlakyTTApi, Handler
from fakes.e2e.world import World, labels, until
from fakes.ttapi import SUCCESS, UNFINISHED

MEMBERS: Final = tuple(USER_ID + n for n in range(10))
BUTTONS: Final = ("U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4")
SUBMITS: Final = ("/imagine", "/action")
MIN_KILLS: Final = 10


class ChaoticTTApi(FlakyTTApi):
    """The fake TT API with seeded random faults on every call, and slow submit answers."""

    def __init__(self, rng: random.Random, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng
        self.faults: Counter[str] = Counter()
        self.enabled = True

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if self.enabled and path.endswith(SUBMITS):
            return await self._submit(request, handler, self.rng.random())
        if self.enabled and (path.endswith(("/fetch", "/fetch-list")) or "/cdn/" in path):
            await self._free_call_fault(path, self.rng.random())
        return await super()._handle(request, handler)

    async def _submit(
        self, request: web.Request, handler: Handler, roll: float
    ) -> web.StreamResponse:
        path = request.path
        if roll < 0.08:  # refused before acceptance (rate limit): nothing is created
            self.faults["submit 429"] += 1
            self.fail_next(path, 429, headers={"Retry-After": "1"})
        elif roll < 0.11:  # a proxy's 502 before the TT API saw it: nothing is created
            self.faults["submit 502, not taken"] += 1
            self.fail_next(path, 502, raw="<html>502 Bad Gateway</html>")
        elif roll < 0.15:  # taken, then the answer is lost: paid, and the bot cannot know
            self.faults["submit 502 after taking it"] += 1
            self.fail_next(path, 502, raw="<html>502 Bad Gateway</html>", accept_first=True)
        elif roll < 0.17:  # taken, then the connection drops
            self.faults["submit dropped after taking it"] += 1
            await super()._handle(request, handler)
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        response = await super()._handle(request, handler)
        # Answered up to 0.4 s after the job was created: a kill can land in between.
        await asyncio.sleep(self.rng.uniform(0.0, 0.4))
        return response

    async def _free_call_fault(self, path: str, roll: float) -> None:
        if roll < 0.06:
            self.faults["fetch 5xx"] += 1
            self.fail_next(path, self.rng.choice((500, 502, 503)), raw="<html>bad gateway</html>")
        elif roll < 0.08:
            self.faults["fetch dropped"] += 1
            self.drop_next(path)
        elif roll < 0.085 and not path.endswith("/fetch-list"):
            self.faults["fetch timeout"] += 1
            await asyncio.sleep(16.0)  # past the client's 15 s fetch timeout


@dataclass
class Figures:
    """What a chaos run measured."""

    requests: int = 0
    jobs: int = 0
    actions: int = 0
    kills: int = 0
    kills_mid_submit: int = 0
    kills_mid_poll: int = 0
    kills_mid_post: int = 0
    adopted: int = 0
    succeeded: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    posted_twice: int = 0
    duplicate_submissions: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error_lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The figures as the README shows them."""
        faults = ", ".join(f"{name} {count}" for name, count in sorted(self.faults.items()))
        return "\n".join(
            [
                f"member requests {self.requests} -> jobs {self.jobs} ({self.actions} actions)",
                f"SIGKILLs {self.kills}: mid-submit {self.kills_mid_submit}, "
                f"mid-poll {self.kills_mid_poll}, mid-post {self.kills_mid_post}",
                f"TT API faults: {faults}",
                f"orphans adopted {self.adopted} · succeeded {self.succeeded} · "
                f"failed {self.failed} {self.failures or ''}",
                f"results lost {self.lost} · posted twice {self.posted_twice} · "
                f"duplicate provider submissions {self.duplicate_submissions}",
                f"wall time {self.seconds:.0f} s · ERROR/traceback log lines "
                f"{len(self.error_lines)}",
                *self.error_lines[:10],
            ]
        )


class ChaosRun:
    """Drives members, the SIGKILL monkey, then settles and counts."""

    def __init__(self, world: World, rng: random.Random, *, jobs: int = 50, actions: int = 15):
        self.world = world
        self.rng = rng
        self.target = jobs
        self.target_actions = actions
        self.figures = Figures()
        self.db = world.bot.workdir / "data" / "mjbot.db"
        self._driving = True
        self._clicked: set[tuple[int, str]] = set()
        self._seen: set[tuple[str, int]] = set()  # (phase, job id) counted at an earlier kill

    async def run(self) -> Figures:
        """The whole run; returns the figures."""
        started = time.monotonic()
        # Discord takes every result post at once but answers late: kills land mid-post.
        self.world.discord.answer_late("POST", r"^/channels/\d+/messages$", 0.3, times=10_000)
        await self.world.bot.start()
        monkey = asyncio.create_task(self._monkey())
        try:
            await self._drive()
        finally:
            self._driving = False
            await monkey
        await self._settle()
        self.figures.seconds = time.monotonic() - started
        self._count()
        return self.figures

    # -- members ----------------------------------------------------------------------------

    async def _drive(self) -> None:
        imagines = self.target - self.target_actions
        sent = 0
        while self._rows()["all"] < self.target and self.figures.requests < 3 * self.target:
            await until(self._up, within=30.0)
            rows = self._rows()
            if rows["action"] < self.target_actions and (grid := self._grid()) is not None:
                message, label = grid
                self._clicked.add((message.id, label))
                await self.world.click(message, label, user_id=self.rng.choice(MEMBERS))
            elif sent < imagines or rows["imagine"] < imagines:
                member = MEMBERS[sent % len(MEMBERS)]
                prompt = f"chaos {sent} of member {member % 100}"
                await self.world.command("imagine", user_id=member, prompt=prompt)
                sent += 1
            self.figures.requests += 1
            await asyncio.sleep(self.rng.uniform(0.05, 0.35))

    def _up(self) -> bool:
        return self.world.bot.running and self.world.discord.ready_for_events()

    def _grid(self) -> tuple[StoredMessage, str] | None:
        # Grids carry U1 first; failures and progress lines posted as messages carry nothing.
        grids = [
            m for m in self.world.discord.posts() if labels(m)[:1] and labels(m)[0][:1] == ["U1"]
        ]
        choices = [
            (message, label)
            for message in grids
            for label in BUTTONS
            if (message.id, label) not in self._clicked
        ]
        return self.rng.choice(choices) if choices else None

    async def _monkey(self) -> None:
        # Kills go on after the members stop, while results are still being polled and posted.
        while self._driving or self.figures.kills < MIN_KILLS:
            await asyncio.sleep(self.rng.uniform(0.5, 2.5))
            if not self.world.bot.running:
                continue
            await self.world.bot.kill9()
            self._note_kill()
            await self.world.bot.start()

    def _note_kill(self) -> None:
        """Which work the kill interrupted, judged from the rows it left (new ones only)."""
        self.figures.kills += 1
        phases: set[tuple[str, int]] = set()
        with sqlite3.connect(self.db) as db:
            for job_id, status, finished, posted in db.execute(
                "SELECT id, status, finished_at, posted_at FROM jobs"
            ):
                if status == "submitting":
                    phases.add(("submit", job_id))
                elif status in ("submitted", "running"):
                    phases.add(("poll", job_id))
                elif finished is not None and posted is None:
                    phases.add(("post", job_id))
        new = {phase for phase, _ in phases - self._seen}
        self._seen |= phases
        self.figures.kills_mid_submit += "submit" in new
        self.figures.kills_mid_poll += "poll" in new
        self.figures.kills_mid_post += "post" in new

    # -- the end ----------------------------------------------------------------------------

    async def _settle(self) -> None:
        tt = self.world.tt
        if not self.world.bot.running:
            await self.world.bot.start()

        def quiet() -> bool:
            now = tt.clock()
            return all(job.status(now) not in UNFINISHED for job in tt.jobs.values()) and (
                self._rows()["open"] == 0
            )

        try:
            await until(quiet, within=120.0)
        except AssertionError as error:
            with sqlite3.connect(self.db) as db:
                stuck = list(
                    db.execute(
                        "SELECT id, kind, status, provider_job_id, posted_at FROM jobs "
                        "WHERE status IN ('queued', 'submitting', 'submitted', 'running') "
                        "OR posted_at IS NULL"
                    )
                )
            unfinished = [j.job_id for j in tt.jobs.values() if j.status(tt.clock()) in UNFINISHED]
            raise AssertionError(f"not settled: rows {stuck}, TT jobs {unfinished}") from error
        await asyncio.sleep(1.0)  # late progress edits and tidy-ups
        await self.world.bot.stop()

    def _rows(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        if not self.db.exists():
            return counts
        with sqlite3.connect(self.db) as db:
            for kind, status, posted in db.execute("SELECT kind, status, posted_at FROM jobs"):
                counts["all"] += 1
                counts[kind] += 1
                finished = status in ("succeeded", "failed", "cancelled")
                counts["open"] += not finished or posted is None
        return counts

    def _count(self) -> None:
        figures, tt, discord = self.figures, self.world.tt, self.world.discord
        figures.faults = dict(tt.faults)  # type: ignore[attr-defined]
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            rows = list(db.execute("SELECT * FROM jobs"))
        by_provider = {row["provider_job_id"]: row for row in rows if row["provider_job_id"]}
        figures.jobs = len(rows)
        figures.actions = sum(row["kind"] == "action" for row in rows)
        figures.succeeded = sum(row["status"] == "succeeded" for row in rows)
        figures.failed = sum(row["status"] == "failed" for row in rows)
        reasons = Counter(str(row["error"])[:60] for row in rows if row["status"] == "failed")
        figures.failures = dict(reasons)
        figures.adopted = len(re_adopted(self.world.bot.log))
        ids = {row["provider_job_id"]: row["id"] for row in rows if row["provider_job_id"]}
        posts = Counter(_shown_job(message, ids) for message in discord.posts())
        posts.pop(None, None)
        figures.posted_twice = sum(count - 1 for count in posts.values() if count > 1)
        now = tt.clock()
        for tt_job in tt.jobs.values():
            row = by_provider.get(tt_job.job_id)
            if tt_job.status(now) == SUCCESS and (row is None or not posts.get(row["id"])):
                figures.lost += 1
        asked = Counter((job.action, job.prompt, job.parent_id) for job in tt.jobs.values())
        figures.duplicate_submissions = sum(count - 1 for count in asked.values())
        figures.error_lines = self.world.bot.bad_log_lines()


def _shown_job(message: StoredMessage, rows: dict[str, int]) -> int | None:
    """The bot job id a result message shows: its upload (mj_<id>.png, mj_<id>_<n>.png), or
    the TT CDN link of a result too big or unreachable to upload."""
    for attachment in message.attachments:
        name = attachment.filename.removeprefix("mj_").split(".")[0].split("_")[0]
        if name.isdigit():
            return int(name)
    for embed in message.embeds:
        url = str((embed.get("image") or embed.get("thumbnail") or {}).get("url", ""))
        stem = url.rsplit("/", 1)[-1].split(".", maxsplit=1)[0].split("_", maxsplit=1)[0]
        if stem in rows:
            return rows[stem]
    return None


def re_adopted(log: str) -> set[str]:
    """Job ids the bot adopted as orphans, from its log."""
    return {line.split()[0] for line in _after(log, "adopted as provider job")}


def _after(log: str, marker: str) -> list[str]:
    return [line.split("job ", 1)[1] for line in log.splitlines() if marker in line]


def chaos_seed() -> int:
    """A seed from the clock, printed with the figures so a failing run can be replayed."""
    return int(time.time()) % 100_000
