"""An in-process AceData Midjourney API on 127.0.0.1, built from seeds/acedata-midjourney-
imagine.txt and reference/ttapi.md section 14.

Imagine blocks until the task is done (JSON), streams `application/x-ndjson` lines that all
carry the task id, or, with `callback_url`, answers at once and POSTs the result later. A
gateway in front may give up first (504 with a `trace_id`) while the task runs on. Tasks
can be retrieved by id or trace id, one by one or in batches. Timing is real but short.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from fakes.ttapi import Call, make_png

STEPS = (0, 15, 31, 46, 62, 78, 93)
GRID_ACTIONS = ["upscale1", "upscale2", "upscale3", "upscale4", "reroll"] + [
    f"variation{n}" for n in range(1, 5)
]
UPSCALED_ACTIONS = [
    "upscale_2x",
    "upscale_4x",
    "variation_subtle",
    "variation_strong",
    "variation_region",
    "zoom_out_2x",
    "zoom_out_1_5x",
    "pan_left",
    "pan_right",
    "pan_up",
    "pan_down",
]
BANNED = re.compile(r"\b(sexy|skimpy)\b", re.IGNORECASE)


@dataclass
class AceTask:
    """A task held by the fake."""

    id: str
    trace_id: str
    request: dict[str, Any]
    started: float
    seconds: float
    image_id: str = field(default_factory=lambda: str(random.randint(10**18, 10**19)))

    gate: asyncio.Event | None = None  # while set and not open, the task stays at 93 %

    def progress(self) -> int:
        """Progress now, in Midjourney's steps; 100 when done."""
        elapsed = time.monotonic() - self.started
        held = self.gate is not None and not self.gate.is_set()
        if elapsed >= self.seconds and not held:
            return 100
        return STEPS[min(int(elapsed / self.seconds * len(STEPS)), len(STEPS) - 1)]

    def answer(self, base_url: str) -> dict[str, Any]:
        """The imagine answer for this task now (partial while running)."""
        progress = self.progress()
        if progress < 100:
            return {"success": True, "task_id": self.id, "progress": progress}
        upscale = str(self.request.get("action", "")).startswith("upscale")
        single = upscale and self.request["action"][-1].isdigit()
        return {
            "success": True,
            "task_id": self.id,
            "image_id": self.image_id,
            "progress": 100,
            "image_url": f"{base_url}/cdn/{self.image_id}.png",
            "image_width": 1024,
            "image_height": 1024,
            "raw_image_url": f"{base_url}/cdn/{self.image_id}.png",
            "actions": UPSCALED_ACTIONS if single else GRID_ACTIONS,
        }


class FakeAceData:
    """POST /midjourney/imagine|describe|tasks with Bearer auth."""

    def __init__(self, *, token: str = "ace-token", seconds: float = 0.3) -> None:  # noqa: S107
        self.token = token
        self.seconds = seconds
        self.gateway_timeout: float | None = None  # answer 504 after this many seconds
        self.drop_after_first_line = False
        self.balance_left = True
        self.gate: asyncio.Event | None = None  # close it to hold every task below 100 %
        self.base_url = ""
        self.tasks: dict[str, AceTask] = {}
        self.calls: list[Call] = []
        self.callbacks: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/midjourney/imagine", self._imagine)
        app.router.add_post("/midjourney/describe", self._describe)
        app.router.add_post("/midjourney/tasks", self._tasks)
        app.router.add_get("/cdn/{name}", self._cdn)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    async def close(self) -> None:
        """Stop callbacks and the server."""
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def calls_to(self, path: str) -> list[Call]:
        """Requests to one path."""
        return [call for call in self.calls if call.path == path]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.calls.append(Call(request.method, request.path, {}, dict(request.headers), body, 0.0))
        await asyncio.sleep(random.uniform(0, 0.003))
        if request.path.startswith("/cdn/"):
            return await handler(request)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "invalid_token", "The token is invalid.")
        if not self.balance_left:
            return _error(403, "forbidden", "Your balance is insufficient, please top up.")
        return await handler(request)

    async def _imagine(self, request: web.Request) -> web.StreamResponse:  # noqa: PLR0911
        body = await request.json()
        action = body.get("action", "generate")
        if action == "generate" and BANNED.search(str(body.get("prompt", ""))):
            return _error(403, "forbidden", "The prompt was rejected by content moderation.")
        if action != "generate":
            parent = next(
                (t for t in self.tasks.values() if t.image_id == body.get("image_id")), None
            )
            if parent is None or parent.progress() < 100:
                return _error(400, "bad_request", "image_id not found")
            if action not in parent.answer(self.base_url)["actions"]:
                return _error(400, "bad_request", f"action {action} is not allowed")
        task = AceTask(uuid.uuid4().hex, uuid.uuid4().hex, body, time.monotonic(), self.seconds)
        task.gate = self.gate
        self.tasks[task.id] = task
        if body.get("callback_url"):
            self._later(self._callback(task, body["callback_url"]))
            return web.json_response(
                {"success": True, "task_id": task.id, "trace_id": task.trace_id}
            )
        if self.gateway_timeout is not None and self.gateway_timeout < self.seconds:
            await asyncio.sleep(self.gateway_timeout)
            return _error(504, "timeout", "Gateway timeout", trace=task.trace_id)
        if "application/x-ndjson" in request.headers.get("Accept", ""):
            return await self._stream(request, task)
        while task.progress() < 100:  # noqa: ASYNC110 - progress follows the clock
            await asyncio.sleep(self.seconds / 10)
        return web.json_response(task.answer(self.base_url))

    async def _stream(self, request: web.Request, task: AceTask) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        while True:
            answer = task.answer(self.base_url)
            line = json.dumps(answer).encode() + b"\n"
            await response.write(line[:7])  # lines arrive in pieces
            await response.write(line[7:])
            if self.drop_after_first_line and request.transport is not None:
                request.transport.close()
                return response
            if answer["progress"] >= 100:
                break
            await asyncio.sleep(self.seconds / 10)
        await response.write_eof()
        return response

    async def _callback(self, task: AceTask, url: str) -> None:
        while task.progress() < 100:  # noqa: ASYNC110 - progress follows the clock
            await asyncio.sleep(self.seconds / 10)
        body = task.answer(self.base_url)
        self.callbacks.append(body)
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
            await response.read()

    async def _describe(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not body.get("image_url"):
            return _error(400, "bad_request", "image_url is required")
        prompts = [f"a cat on a sofa, style {n} --ar 4:3" for n in range(1, 5)]
        return web.json_response({"success": True, "descriptions": prompts})

    async def _tasks(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("action") == "retrieve_batch":
            ids = body.get("ids") or []
            items = [self._record(self.tasks[i]) for i in ids if i in self.tasks]
            return web.json_response({"items": items, "count": len(items)})
        task = self.tasks.get(body.get("id", "")) or next(
            (t for t in self.tasks.values() if t.trace_id == body.get("trace_id")), None
        )
        if task is None:
            return _error(404, "not_found", "task not found")
        return web.json_response(self._record(task))

    def _record(self, task: AceTask) -> dict[str, Any]:
        record: dict[str, Any] = {"id": task.id, "_id": task.id, "request": task.request}
        if task.progress() >= 100:
            record |= {"duration": task.seconds, "response": task.answer(self.base_url)}
        return record

    async def _cdn(self, request: web.Request) -> web.Response:
        return web.Response(body=make_png(2, 2), content_type="image/png")

    def _later(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


def _error(status: int, code: str, message: str, trace: str | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message}, "trace_id": trace or uuid.uuid4().hex}
    return web.json_response(body, status=status)
