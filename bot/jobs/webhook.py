"""The hookUrl receiver: a callback is only a poke; the state is confirmed with one fetch.

A callback could be forged, stale, duplicated or out of order, so its body is never trusted:
it only tells the watcher which job to fetch now. Polling goes on as a safety net because
the TT API sends a callback at most a few times and gives up on errors.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.jobs.watcher import Watcher

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # a job payload is a few KB; anything larger is not from the TT API


def new_secret() -> str:
    """A fresh URL-safe secret for the callback path."""
    return secrets.token_urlsafe(24)


def hook_url(base_url: str, secret: str) -> str:
    """The URL passed to the TT API as hookUrl."""
    return f"{base_url.rstrip('/')}/ttapi/{secret}"


class HookServer:
    """Serves POST /ttapi/<secret> and GET /healthz."""

    def __init__(
        self,
        watcher: Watcher,
        secret: str,
        status: Callable[[], dict[str, Any]] | None = None,
        adopt: Callable[[int, str], Awaitable[bool]] | None = None,
    ) -> None:
        self._watcher = watcher
        # Adopts an orphan a callback names (JobService.adopt); settable after construction.
        self.adopt = adopt
        self._secret = secret.encode()
        self._status = status or dict
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_post("/ttapi/{secret}", self._callback)
        # The bot's own job id in the path (bot/jobs/orphans.py); the path above stays valid.
        self.app.router.add_post("/ttapi/{secret}/{job}", self._callback)
        self.app.router.add_get("/healthz", self._health)
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (port 0 picks a free one, stored in `self.port`)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("hookUrl receiver listening on %s:%s", host, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _callback(self, request: web.Request) -> web.Response:
        given = request.match_info["secret"].encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("hookUrl call with a wrong secret from %s", request.remote)
            return web.json_response({"ok": False}, status=403)
        try:
            body = await request.json()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        except ValueError:
            return web.json_response({"ok": False, "error": "not json"}, status=400)
        job_id = _job_id(body)
        known = bool(job_id) and self._watcher.poke(job_id)
        row = request.match_info.get("job", "")
        if job_id and not known and row.isdigit() and self.adopt is not None:
            # An orphan: the provider knows the job, the row lacks its id. The watcher's
            # fetch confirms the state, as for any callback.
            known = await self.adopt(int(row), job_id) and self._watcher.poke(job_id)
        if not known:
            log.debug("hookUrl call for an unknown job %r ignored", job_id)
        # 200 either way: the TT API retries only on other answers, and there is nothing to retry.
        return web.json_response({"ok": True})

    async def _health(self, _: web.Request) -> web.Response:
        uptime = round(time.monotonic() - self._started)
        return web.json_response({"status": "ok", "uptime_s": uptime, **self._status()})


def _job_id(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    value = body.get("jobId") or (
        (data.get("jobId") or data.get("job_id")) if isinstance(data, dict) else None
    )
    return str(value) if value else None
