"""The bot as a real subprocess: start, kill -9, restart, stop, and read what it logged."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Final

LAUNCHER: Final = Path(__file__).with_name("launcher.py")
REPO_ROOT: Final = LAUNCHER.parents[2]
START_TIMEOUT: Final = 20.0  # a cold start takes about a second; CI machines can be slow
STOP_TIMEOUT: Final = 5.0
# Everything the bot reads from its environment: never inherited from the developer's shell.
BOT_VARIABLES: Final = (
    "DISCORD_TOKEN",
    "TT_API_KEY",
    "TT_API_BASE_URL",
    "DATABASE_PATH",
    "DEFAULT_MODE",
    "MAX_JOBS_IN_PROGRESS",
    "DEV_GUILD_ID",
    "OWNER_IDS",
    "LOG_LEVEL",
    "WEBHOOK_BASE_URL",
    "PUBLIC_BASE_URL",
    "WEBHOOK_BIND",
    "WEBHOOK_SECRET",
    "POLL_INTERVAL_SCALE",
    "PROVIDERS",
    "MJPROXY_BASE_URL",
    "MJPROXY_SECRET",
    "ACEDATA_TOKEN",
    "ACEDATA_BASE_URL",
)
# Log lines that mean something went wrong, whatever the test did.
_BAD_LINE: Final = re.compile(r"Traceback|\b(ERROR|CRITICAL)\b")

_alive: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:  # pragma: no cover - only when a teardown never ran
    for process in list(_alive):
        with contextlib.suppress(OSError):
            process.kill()


class BotProcess:
    """`python fakes/e2e/launcher.py` with a given environment; one process at a time."""

    def __init__(
        self,
        env: Mapping[str, str],
        workdir: Path,
        *,
        ready: Callable[[int], bool],
        identifies: Callable[[], int],
    ) -> None:
        """`ready(n)` tells when the n-th gateway session is ready for events."""
        self.env = dict(env)
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.starts = 0
        self.allowed: list[re.Pattern[str]] = []
        self._ready = ready
        self._identifies = identifies
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, **overrides: str) -> None:
        """Start the bot and wait until it is connected and its commands are synced."""
        if self.running:
            raise RuntimeError("the bot is already running")
        self.env.update(overrides)
        sessions_before = self._identifies()
        self.starts += 1
        self._log = self.log_path.open("ab")
        self._log.write(f"===== start {self.starts} =====\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own launcher; returns at once
            [sys.executable, str(LAUNCHER)],
            cwd=self.workdir,  # no developer .env is read from here
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _alive.add(self._process)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready(sessions_before + 1):
            if self._process.poll() is not None:
                raise AssertionError(f"the bot exited with {self._process.returncode}:\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot was not ready within {START_TIMEOUT}s:\n{self.log}")
            await asyncio.sleep(0.02)

    async def kill9(self) -> None:
        """SIGKILL: no cleanup, no goodbye, exactly like a crash or an OOM kill."""
        process = self._require()
        process.send_signal(signal.SIGKILL)
        await self._reap(STOP_TIMEOUT)

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; returns the exit code (None if not running)."""
        if self._process is None:
            return None
        process = self._process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await self._reap(STOP_TIMEOUT)
            if process.poll() is None:
                process.kill()
        await self._reap(STOP_TIMEOUT)
        return process.returncode

    async def restart(self, **overrides: str) -> None:
        """kill -9 then start again on the same database, as a supervisor would."""
        await self.kill9()
        await self.start(**overrides)

    @property
    def running(self) -> bool:
        """The process exists and has not exited."""
        return self._process is not None and self._process.poll() is None

    # -- the log ---------------------------------------------------------------------------

    @property
    def log(self) -> str:
        """Everything every start of the bot wrote to stdout and stderr."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    @property
    def current_log(self) -> str:
        """What the running (or last) start of the bot wrote."""
        return self.log.rpartition(f"===== start {self.starts} =====")[2]

    async def wait_for_log(self, pattern: str, within: float = 5.0) -> re.Match[str]:
        """Wait until the current start of the bot logs a line matching `pattern`."""
        deadline = time.monotonic() + within
        while (found := re.search(pattern, self.current_log)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never logged {pattern!r}:\n{self.current_log}")
            await asyncio.sleep(0.02)
        return found

    def allow_log(self, pattern: str) -> None:
        """A bad-looking log line matching `pattern` is expected by the test."""
        self.allowed.append(re.compile(pattern))

    def bad_log_lines(self) -> list[str]:
        """Tracebacks and ERROR/CRITICAL lines no test said it expected."""
        return [
            line
            for line in self.log.splitlines()
            if _BAD_LINE.search(line) and not any(p.search(line) for p in self.allowed)
        ]

    # -- internals -------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES}
        path = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), path]))
        env["PYTHONUNBUFFERED"] = "1"
        env["MJBOT_E2E_PARENT_PID"] = str(os.getpid())
        env.update(self.env)
        return env

    def _require(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError(f"the bot is not running:\n{self.log}")
        return self._process

    async def _reap(self, within: float) -> None:
        process = self._process
        if process is None:
            return
        deadline = time.monotonic() + within
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(process.args, within)
            await asyncio.sleep(0.01)
        _alive.discard(process)
        if self._log is not None:
            self._log.close()
            self._log = None
