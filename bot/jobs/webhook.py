"""The hookUrl receiver: a callback is only a poke; the state is confirmed with one fetch.

A callback could be forged, stale, duplicated or out of order, so its body is never trusted:
it only tells the watcher which job to fetch now. Polling goes on as a safety net because
the TT API sends a callback at most a few times and gives up on errors.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.jobs.watcher import Watcher

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # a job payload is a few KB; anything larger is not from the TT API
_NONCE = re.compile(r"^[\w-]{8,64}$")  # what the doctor sends; nothing else is echoed


def new_secret() -> str:
    """A fresh URL-safe secret for the callback path."""
    return secrets.token_urlsafe(24)


def health_proof(secret: str, nonce: str) -> str:
    """What /healthz answers to a nonce: only a server holding the same secret can compute it."""
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


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
    ) -> None:
        self._watcher = watcher
        self._secret = secret.encode()
        self._status = status or dict
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_post("/ttapi/{secret}", self._callback)
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
        if not known:
            log.debug("hookUrl call for an unknown job %r ignored", job_id)
        # 200 either way: the TT API retries only on other answers, and there is nothing to retry.
        return web.json_response({"ok": True})

    async def _health(self, request: web.Request) -> web.Response:
        uptime = round(time.monotonic() - self._started)
        body: dict[str, Any] = {"status": "ok", "uptime_s": uptime, **self._status()}
        nonce = request.query.get("nonce", "")
        if _NONCE.match(nonce):  # the doctor proves the public URL reaches this very server
            body |= {"nonce": nonce, "proof": health_proof(self._secret.decode(), nonce)}
        return web.json_response(body)


def _job_id(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    value = body.get("jobId") or (
        (data.get("jobId") or data.get("job_id")) if isinstance(data, dict) else None
    )
    return str(value) if value else None
