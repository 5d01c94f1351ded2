"""The fakes as the end-to-end suite needs them, beyond what the unit-level fakes offer.

- FastClock: the fake TT API's jobs run `speed` times faster than real time.
- FlakyTTApi: the fake TT API, which can also drop a connection without answering.
- E2EDiscord: the fake Discord with its gateway, plus two things real Discord does that the
  REST fake does not model yet: slow answers (the request is applied, the answer is late)
  and `enforce_nonce` on message creation (a resend within minutes returns the first message).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from fakes.discord import API_PREFIX, RECORDED
from fakes.gateway import FakeDiscordWithGateway
from fakes.ttapi import JSON_KEY, FakeTTApi

SPEED: Final = 50.0  # fake TT API seconds per real second
NONCE_WINDOW: Final = 120.0  # Discord: "checked for uniqueness in the past few minutes"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FastClock:
    """The fake TT API's clock: real time since creation, `speed` times faster."""

    def __init__(self, speed: float = SPEED) -> None:
        self.speed = speed
        self._start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._start) * self.speed

    def monotonic_at(self, fake_time: float) -> float:
        """The `time.monotonic()` at which this clock reads `fake_time`."""
        return self._start + fake_time / self.speed


@dataclass
class Drop:
    """Close connections to paths ending in `path_suffix` without an answer, `times` times."""

    path_suffix: str
    times: int


@dataclass
class Late:
    """Handle calls to paths ending in `path_suffix` at once, answer them `seconds` later."""

    path_suffix: str
    seconds: float
    times: int


class FlakyTTApi(FakeTTApi):
    """The fake TT API, which can also drop connections without answering (a dead proxy)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._drops: list[Drop] = []
        self._late: list[Late] = []

    def drop_next(self, path_suffix: str, times: int = 1) -> None:
        """Close the next `times` connections to `path_suffix` without an answer."""
        self._drops.append(Drop(path_suffix, times))

    def answer_late(self, path_suffix: str, seconds: float, times: int = 1) -> None:
        """Take the next `times` calls to `path_suffix` at once (a job is created) but answer
        them `seconds` late, as a slow provider does."""
        self._late.append(Late(path_suffix, seconds, times))

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        late = next((r for r in self._late if request.path.endswith(r.path_suffix)), None)
        if late is not None:
            late.times -= 1
            if late.times <= 0:
                self._late.remove(late)
            response = await super()._handle(request, handler)
            await asyncio.sleep(late.seconds)
            return response
        for rule in self._drops:
            if request.path.endswith(rule.path_suffix):
                rule.times -= 1
                if rule.times <= 0:
                    self._drops.remove(rule)
                request[JSON_KEY] = await self._read_json(request)
                self._record(request)
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=499)  # never reaches the client
        return await super()._handle(request, handler)


@dataclass
class SlowAnswer:
    """Answer matching API calls `seconds` late (the request itself takes effect at once)."""

    method: str
    pattern: re.Pattern[str]
    seconds: float
    times: int


class E2EDiscord(FakeDiscordWithGateway):
    """The fake Discord the bot process talks to: REST, gateway, nonces and slow answers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._slow: list[SlowAnswer] = []
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}  # -> (message id, when)

    def answer_late(self, method: str, path_regex: str, seconds: float, times: int = 1) -> None:
        """Apply the next `times` matching API calls at once but answer them `seconds` late."""
        rule = SlowAnswer(method.upper(), re.compile(path_regex), seconds, times)
        self._slow.append(rule)

    def build_app(self) -> web.Application:
        """The REST fake's application, with the late-answer middleware innermost."""
        app = super().build_app()
        app.middlewares.append(self._late)
        return app

    @web.middleware
    async def _late(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        path = request.path.removeprefix(API_PREFIX)
        for rule in self._slow:
            if rule.method == request.method and rule.pattern.search(path):
                rule.times -= 1
                if rule.times <= 0:
                    self._slow.remove(rule)
                await asyncio.sleep(rule.seconds)
                break
        return response

    async def _create_message(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/messages, honouring `nonce` with `enforce_nonce`."""
        body = request[RECORDED].json or {}
        nonce = str(body.get("nonce", "")) if body.get("enforce_nonce") else ""
        key = (int(request.match_info["channel"]), nonce)
        known = self._nonces.get(key) if nonce else None
        if known is not None and time.monotonic() - known[1] < NONCE_WINDOW:
            existing = self.messages.get(known[0])
            if existing is not None and not existing.deleted:
                return web.Response(
                    body=json.dumps(existing.payload()).encode(), content_type="application/json"
                )
        response = await super()._create_message(request)
        if nonce and response.status == 200 and isinstance(response.body, bytes):
            created = int(json.loads(response.body)["id"])
            self._nonces[key] = (created, time.monotonic())
        return response
