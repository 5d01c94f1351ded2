"""The hookUrl receiver: a callback is only a poke; the state is confirmed with one fetch.

A callback could be forged, stale, duplicated or out of order, so its body is never trusted:
it only tells the watcher which job to fetch now. Polling goes on as a safety net because
the TT API sends a callback at most a few times and gives up on errors.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.jobs.watcher import Watcher

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # a job payload is a few KB; anything larger is not from the TT API
# Each poke costs a fetch on the owner's account; a flood of them (replayed, or a retrying
# sender) must not become a flood of fetches. Pokes within this window share one fetch.
POKE_SPACING = 2.0
# Scanners try paths all day; one warning a minute, with a count, keeps the log readable.
WARN_EVERY = 60.0


def new_secret() -> str:
    """A fresh URL-safe secret for the callback path."""
    return secrets.token_urlsafe(24)


def hook_url(base_url: str, secret: str) -> str:
    """The URL passed to the TT API as hookUrl."""
    return f"{base_url.rstrip('/')}/ttapi/{secret}"


def warn_if_plain_http(base_url: str) -> bool:
    """Warn at start-up when callbacks would carry the secret path unencrypted."""
    if urlsplit(base_url).scheme != "http":
        return False
    log.warning(
        "WEBHOOK_BASE_URL is http://: the callback path, and the secret in it, travel "
        "unencrypted. Put the receiver behind an HTTPS reverse proxy (see the README)."
    )
    return True


class HookServer:
    """Serves POST /ttapi/<secret> and GET /healthz."""

    def __init__(
        self,
        watcher: Watcher,
        secret: str,
        status: Callable[[], dict[str, Any]] | None = None,
        adopt: Callable[[int, str], Awaitable[bool]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        poke_spacing: float = POKE_SPACING,
    ) -> None:
        self._watcher = watcher
        # Adopts an orphan a callback names (JobService.adopt); settable after construction.
        self.adopt = adopt
        self._secret = secret.encode()
        self._status = status or dict
        self._clock = clock
        self._sleep = sleep
        self._spacing = poke_spacing
        self._started = time.monotonic()
        self._poked_at: dict[str, float] = {}  # provider job id -> when it was last fetched
        self._deferred: dict[str, asyncio.Task[None]] = {}
        self._wrong_secrets = 0  # not yet logged
        self._warned_at: float | None = None
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
        """Stop listening and drop the pokes still waiting for their turn."""
        for task in self._deferred.values():
            task.cancel()
        await asyncio.gather(*self._deferred.values(), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _callback(self, request: web.Request) -> web.Response:
        given = request.match_info["secret"].encode()
        if not hmac.compare_digest(given, self._secret):
            self._wrong_secret(request.remote)
            return web.json_response({"ok": False}, status=403)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        body = _parse(raw, request.charset)
        if body is None:  # whatever it is, it is not a job payload: no traceback, no retry
            return web.json_response({"ok": False, "error": "not a JSON object"}, status=400)
        job_id = _job_id(body)
        known = bool(job_id) and self._poke(job_id or "")
        row = request.match_info.get("job", "")
        if job_id and not known and row.isdigit() and self.adopt is not None:
            # An orphan: the provider knows the job, the row lacks its id. The watcher's
            # fetch confirms the state, as for any callback.
            known = await self.adopt(int(row), job_id) and self._poke(job_id)
        if not known:
            log.debug("hookUrl call for an unknown job %r ignored", job_id)
        # 200 either way: the TT API retries only on other answers, and there is nothing to retry.
        return web.json_response({"ok": True})

    def _wrong_secret(self, remote: str | None) -> None:
        self._wrong_secrets += 1
        now = self._clock()
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY:
            return
        more = self._wrong_secrets - 1
        since = f" ({more} more since the last warning)" if more else ""
        log.warning("hookUrl call with a wrong secret from %s%s", remote, since)
        self._warned_at, self._wrong_secrets = now, 0

    def _poke(self, job_id: str) -> bool:
        """Fetch now, or once when the spacing allows; False if the job is not tracked."""
        now = self._clock()
        last = self._poked_at.get(job_id)
        if last is None or now - last >= self._spacing:
            known = self._watcher.poke(job_id)
            if known:
                self._forget_old(now)
                self._poked_at[job_id] = now
            return known
        if job_id not in self._deferred:  # the pokes in between share this one fetch
            task = asyncio.create_task(self._poke_later(job_id, last + self._spacing - now))
            self._deferred[job_id] = task
            task.add_done_callback(lambda _: self._deferred.pop(job_id, None))
        return True

    async def _poke_later(self, job_id: str, delay: float) -> None:
        await self._sleep(delay)
        if self._watcher.poke(job_id):
            self._poked_at[job_id] = self._clock()

    def _forget_old(self, now: float) -> None:
        if len(self._poked_at) > 1000:
            stale = [key for key, at in self._poked_at.items() if now - at >= self._spacing]
            for key in stale:
                del self._poked_at[key]

    async def _health(self, _: web.Request) -> web.Response:
        uptime = round(time.monotonic() - self._started)
        return web.json_response({"status": "ok", "uptime_s": uptime, **self._status()})


def _parse(raw: bytes, charset: str | None) -> dict[str, Any] | None:
    """The body as a JSON object, or None for anything else: a bad or unknown charset,
    invalid JSON, nesting deep enough to exhaust the parser, a list or a bare value."""
    try:
        body = json.loads(raw.decode(charset or "utf-8"))
    except (LookupError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _job_id(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    value = body.get("jobId") or (
        (data.get("jobId") or data.get("job_id")) if isinstance(data, dict) else None
    )
    # midjourney-proxy's notifyHook posts the task (`id`); AceData's callback has `task_id`.
    value = value or body.get("task_id") or (body.get("id") if "data" not in body else None)
    return str(value) if value else None
