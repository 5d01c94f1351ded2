"""An in-process midjourney-proxy on 127.0.0.1, built from seeds/midjourney-proxy-format.md
and reference/ttapi.md section 13, as hostile as the two open implementations differ.

`flavour="novicezk"`: a task that must wait answers code 22, a full queue 23, an unknown
task 200 with an empty body, a banned prompt code 24 at submit. `flavour="trueai"`: waiting
is code 1 with status NOT_START, a full queue is code 9, an unknown task is 204, a banned
prompt fails later (FAILURE), and describe's prompt buttons go through MODAL (code 21).
Bodies are written in chunks with jitter; progress moves in Midjourney's coarse steps.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.ttapi import Call, make_png

STEPS = (0, 15, 31, 46, 62, 78, 93)
BANNED = re.compile(r"\b(sexy|skimpy)\b", re.IGNORECASE)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def grid_buttons(hash_: str) -> list[dict[str, Any]]:
    """The buttons of a finished grid, as the seed document shows them."""
    buttons = [_button(f"MJ::JOB::upsample::{n}::{hash_}", f"U{n}") for n in range(1, 5)]
    buttons.append(_button(f"MJ::JOB::reroll::0::{hash_}::SOLO", "", "🔄"))
    buttons += [_button(f"MJ::JOB::variation::{n}::{hash_}", f"V{n}") for n in range(1, 5)]
    return buttons


def upscale_buttons(hash_: str) -> list[dict[str, Any]]:
    """The buttons of an upscaled image (v6), including ones the bot does not offer."""
    ids = [
        f"MJ::JOB::upsample_v6_2x_subtle::1::{hash_}::SOLO",
        f"MJ::JOB::upsample_v6_2x_creative::1::{hash_}::SOLO",
        f"MJ::JOB::low_variation::1::{hash_}::SOLO",
        f"MJ::JOB::high_variation::1::{hash_}::SOLO",
        f"MJ::Inpaint::1::{hash_}::SOLO",
        f"MJ::Outpaint::50::1::{hash_}::SOLO",
        f"MJ::Outpaint::75::1::{hash_}::SOLO",
        f"MJ::CustomZoom::1::{hash_}",
        *(f"MJ::JOB::pan_{d}::1::{hash_}::SOLO" for d in ("left", "right", "up", "down")),
        f"MJ::BOOKMARK::{hash_}",
    ]
    return [_button(custom_id, "") for custom_id in ids]


def _button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "style": 2, "type": 2}


@dataclass
class ProxyTask:
    """A task held by the fake; its state follows the clock."""

    id: str
    action: str
    prompt: str
    created_at: float
    run_seconds: float
    parent: str | None = None
    fail_reason: str | None = None
    modal: bool = False  # waiting for /mj/submit/modal
    buttons: list[dict[str, Any]] = field(default_factory=list)
    hook: str | None = None


class FakeMjProxy:
    """POST /mj/submit/*, GET /mj/task/{id}/fetch|image-seed, POST /mj/task/list-by-condition."""

    def __init__(
        self,
        *,
        flavour: str = "novicezk",
        secret: str | None = "proxy-secret",  # noqa: S107 - a test fake's own secret
        prefix: str = "",
        core_size: int = 3,
        queue_size: int = 10,
        run_seconds: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.flavour = flavour
        self.secret = secret
        self.prefix = prefix.rstrip("/")
        self.core_size = core_size
        self.queue_size = queue_size
        self.run_seconds = run_seconds
        self.clock = clock
        self.tasks: dict[str, ProxyTask] = {}
        self.calls: list[Call] = []
        self.failures: list[tuple[str, int, str]] = []  # (path suffix, status, raw body)
        self.drop_next: set[str] = set()  # path suffixes whose next answer never comes
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._ids = 1741531578038000

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the base URL (with the prefix)."""
        app = web.Application(middlewares=[self._middleware])
        root = f"{self.prefix}/mj"
        for name in ("imagine", "action", "blend", "describe", "modal"):
            app.router.add_post(f"{root}/submit/{name}", getattr(self, f"_{name}"))
        app.router.add_get(root + "/task/{id}/fetch", self._fetch)
        app.router.add_get(root + "/task/{id}/image-seed", self._seed)
        app.router.add_post(f"{root}/task/list-by-condition", self._list)
        app.router.add_get("/cdn/{name}", self._cdn)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}{self.prefix}"
        return self.base_url

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def fail_next(self, path_suffix: str, status: int, raw: str = "") -> None:
        """Answer the next request whose path ends with `path_suffix` with status and raw body."""
        self.failures.append((path_suffix, status, raw))

    def calls_to(self, suffix: str) -> list[Call]:
        """Requests whose path ends with `suffix`."""
        return [call for call in self.calls if call.path.endswith(suffix)]

    def running(self) -> int:
        """Tasks started and not finished."""
        return sum(1 for task in self.tasks.values() if self.status(task) == "IN_PROGRESS")

    def status(self, task: ProxyTask) -> str:
        """The task's status now."""
        if task.modal:
            return "MODAL"
        elapsed = self.clock() - task.created_at
        if elapsed < task.run_seconds:
            return "SUBMITTED" if elapsed < task.run_seconds / 7 else "IN_PROGRESS"
        return "FAILURE" if task.fail_reason else "SUCCESS"

    def task_json(self, task: ProxyTask) -> dict[str, Any]:
        """The task as GET /fetch shows it."""
        status = self.status(task)
        step = int((self.clock() - task.created_at) / task.run_seconds * len(STEPS))
        progress = {
            "SUCCESS": "100%",
            "FAILURE": "",
            "MODAL": "0%",
            "SUBMITTED": "0%",
        }.get(status, f"{STEPS[min(step, 6)]}%")
        done = status == "SUCCESS"
        return {
            "id": task.id,
            "action": task.action,
            "prompt": task.prompt,
            "promptEn": task.prompt,
            "description": "Submit success",
            "state": "",
            "submitTime": int(task.created_at * 1000),
            "status": status,
            "progress": progress,
            "imageUrl": f"{self.base_url.removesuffix(self.prefix)}/cdn/{task.id}.png"
            if done
            else "",
            "failReason": task.fail_reason or "" if status == "FAILURE" else "",
            "properties": {"finalPrompt": task.prompt, "notifyHook": task.hook or ""},
            "buttons": task.buttons if done else [],
        }

    # -- middleware -------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            body,
            self.clock(),
        )
        self.calls.append(call)
        await asyncio.sleep(random.uniform(0, 0.003))
        cdn = request.path.startswith("/cdn/")  # image links are public, like Discord's CDN
        if self.secret and not cdn and not self._authorized(request):
            return web.Response(status=401)  # the proxy answers 401 with an empty body
        for rule in list(self.failures):
            if request.path.endswith(rule[0]):
                self.failures.remove(rule)
                return web.Response(status=rule[1], text=rule[2], content_type="application/json")
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        bearer = request.headers.get("Authorization", "") == f"Bearer {self.secret}"
        return request.headers.get("mj-api-secret") == self.secret or bearer

    async def _send(
        self, request: web.Request, payload: Any, status: int = 200
    ) -> web.StreamResponse:
        """Write JSON in small chunks, as a proxy behind a slow gateway does."""
        for suffix in list(self.drop_next):
            if request.path.endswith(suffix) and request.transport is not None:
                self.drop_next.discard(suffix)  # the task exists; the answer is lost on the way
                request.transport.close()
                return web.Response()
        response = web.StreamResponse(status=status)
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await response.prepare(request)
        text = json.dumps(payload, ensure_ascii=False).encode()
        for start in range(0, len(text), 97):
            await response.write(text[start : start + 97])
        await response.write_eof()
        return response

    # -- submits ----------------------------------------------------------------------------

    def _new_task(self, action: str, prompt: str, body: dict[str, Any], **extra: Any) -> ProxyTask:
        self._ids += random.randint(1, 999)
        task = ProxyTask(
            str(self._ids),
            action,
            prompt,
            self.clock(),
            self.run_seconds,
            hook=body.get("notifyHook"),
            **extra,
        )
        self.tasks[task.id] = task
        return task

    def _accept(self, task: ProxyTask) -> dict[str, Any]:
        waiting = self.running() > self.core_size
        if waiting and self.flavour == "novicezk":
            return {
                "code": 22,
                "description": "排队中，前面还有1个任务",
                "result": task.id,
                "properties": {"numberOfQueues": 1},
            }
        return {"code": 1, "description": "Submit success", "result": task.id, "properties": {}}

    def _full(self) -> dict[str, Any] | None:
        if self.running() < self.core_size + self.queue_size:
            return None
        code = 23 if self.flavour == "novicezk" else 9
        return {
            "code": code,
            "description": "队列已满，请稍后尝试",
            "result": None,
            "properties": {},
        }

    async def _imagine(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        prompt = str(body.get("prompt") or "")
        if not prompt:
            return await self._send(request, {"code": 4, "description": "prompt不能为空"})
        if (full := self._full()) is not None:
            return await self._send(request, full)
        banned = BANNED.search(prompt)
        if banned and self.flavour == "novicezk":
            return await self._send(
                request,
                {
                    "code": 24,
                    "description": "可能包含敏感词",
                    "properties": {"promptEn": prompt, "bannedWord": banned[0]},
                },
            )
        reason = "[Banned prompt detected]" if banned else None
        task = self._new_task("IMAGINE", prompt, body, fail_reason=reason)
        task.buttons = grid_buttons(f"hash-{task.id}")
        return await self._send(request, self._accept(task))

    async def _action(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        parent = self.tasks.get(str(body.get("taskId")))
        custom_id = str(body.get("customId") or "")
        if parent is None:
            return await self._send(
                request, {"code": 3, "description": "关联任务不存在或已失效"}, 404
            )
        if self.status(parent) != "SUCCESS":
            return await self._send(request, {"code": 4, "description": "关联任务状态错误"})
        if not custom_id.startswith("MJ::"):
            return await self._send(request, {"code": 4, "description": "未知的 Action 类型"})
        known = any(button["customId"] == custom_id for button in parent.buttons)
        upsample = "::upsample::" in custom_id
        task = self._new_task(
            "UPSCALE" if upsample else "VARIATION",
            parent.prompt,
            body,
            parent=parent.id,
            fail_reason=None if known else "按钮不存在",
        )
        task.buttons = upscale_buttons(f"hash-{task.id}") if upsample else grid_buttons(task.id)
        if custom_id.startswith(("MJ::Inpaint::", "MJ::CustomZoom::")):
            task.modal = True
            return await self._send(
                request,
                {
                    "code": 21,
                    "description": "Waiting for window confirm",
                    "result": task.id,
                    "properties": {"finalPrompt": parent.prompt, "remix": True},
                },
            )
        return await self._send(request, self._accept(task))

    async def _modal(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        task = self.tasks.get(str(body.get("taskId")))
        if task is None or not task.modal:
            return await self._send(request, {"code": 4, "description": "关联任务状态错误"})
        task.modal = False
        task.created_at = self.clock()
        task.prompt = str(body.get("prompt") or task.prompt)
        return await self._send(request, self._accept(task))

    async def _blend(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        images = body.get("base64Array") or []
        if not 2 <= len(images) <= 5 or body.get("dimensions") not in (
            "PORTRAIT",
            "SQUARE",
            "LANDSCAPE",
        ):
            return await self._send(request, {"code": 4, "description": "dimensions参数错误"})
        task = self._new_task("BLEND", "", body)
        task.buttons = grid_buttons(task.id)
        return await self._send(request, self._accept(task))

    async def _describe(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not str(body.get("base64") or body.get("link") or ""):
            return await self._send(request, {"code": 4, "description": "base64格式错误"})
        text = (
            "1️⃣ a cat on a sofa --ar 4:3\n\n2️⃣ a ginger cat, watercolor --ar 4:3\n\n"
            "3️⃣ a kitten asleep, 35mm photo --ar 4:3\n\n4️⃣ a cat, flat illustration --ar 4:3"
        )
        task = self._new_task("DESCRIBE", text, body)
        if self.flavour == "trueai":
            task.buttons = [_button(f"MJ::Job::PicReader::{n}", str(n)) for n in range(1, 5)]
            task.buttons.append(_button("MJ::Picread::Retry", "", "🔄"))
        return await self._send(request, self._accept(task))

    # -- reads ------------------------------------------------------------------------------

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        task = self.tasks.get(request.match_info["id"])
        if task is None:  # the controller returns null
            return web.Response(status=204) if self.flavour == "trueai" else web.Response(text="")
        return await self._send(request, self.task_json(task))

    async def _list(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        ids = body.get("ids") if isinstance(body, dict) else None
        found = [self.task_json(self.tasks[i]) for i in ids or [] if i in self.tasks]
        return await self._send(request, found)

    async def _seed(self, request: web.Request) -> web.StreamResponse:
        task = self.tasks.get(request.match_info["id"])
        if task is None:
            return await self._send(request, {"code": 3, "description": "任务不存在"}, 404)
        seed = str(int(task.id) % 4294967296)
        return await self._send(request, {"code": 1, "description": "成功", "result": seed})

    async def _cdn(self, request: web.Request) -> web.Response:
        return web.Response(body=make_png(2, 2), content_type="image/png")
