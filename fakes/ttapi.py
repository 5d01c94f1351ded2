"""In-process fake of the TT API (api.ttapi.io) Midjourney endpoints, for tests.

It follows the shapes of the real API: the ``TT-API-KEY`` header, the ``{status, message, data}``
envelope, job ids in ``data.jobId`` (or ``data.job_id``), HTTP 499 "Insufficient queues" when too
many jobs are in progress, and fetch/hook payloads that move PENDING_QUEUE -> ON_QUEUE -> SUCCESS or
FAILED on a clock the test controls.

Typical use::

    clock = ManualClock()
    fake = FakeTTApi(clock=clock)
    base_url = await fake.start()
    ...  # point the client at base_url, submit a job
    clock.advance(30)  # the job is now finished
    await fake.fire_hooks()
    await fake.close()
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import random
import re
import struct
import time
import uuid
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from aiohttp import web

API_PREFIX = "/midjourney/v1"
CDN_PREFIX = "/cdn/"

PENDING = "PENDING_QUEUE"
RUNNING = "ON_QUEUE"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
UNFINISHED = frozenset({PENDING, RUNNING})
# Midjourney reports progress in these coarse steps, not percent by percent.
PROGRESS_STEPS = (0, 15, 31, 46, 62, 78, 93)
LIST_STATUS = {PENDING: 0, RUNNING: 1, SUCCESS: 2, FAILED: 3}  # fetch-list's numeric statuses

MODES = frozenset({"fast", "relax", "turbo"})
DIMENSIONS = frozenset({"PORTRAIT", "SQUARE", "LANDSCAPE"})

GRID_COMPONENTS = (
    "upsample1",
    "upsample2",
    "upsample3",
    "upsample4",
    "reroll",
    "variation1",
    "variation2",
    "variation3",
    "variation4",
)
UPSAMPLE_COMPONENTS = (
    "upscale_subtle",
    "upscale_creative",
    "high_variation",
    "low_variation",
    "inpaint",
    "zoom_out_2",
    "zoom_out_1_5",
    "pan_left",
    "pan_right",
    "pan_up",
    "pan_down",
)
GRID_ACTIONS = frozenset(
    {"imagine", "blend", "reroll", "high_variation", "low_variation", "inpaint"}
    | {f"variation{n}" for n in range(1, 5)}
)
GRID_IMAGE_PARTS = ("tl", "tr", "bl", "br")

DEFAULT_FAIL_MESSAGE = (
    "[Banned prompt detected] Sorry! Our AI moderator thinks this prompt is probably against our "
    "community standards."
)
DEFAULT_DESCRIBE_TEXT = (
    "1️⃣ a fluffy orange cat sitting on a windowsill, soft morning light --ar 1:1\n\n"
    "2️⃣ an orange tabby cat portrait, watercolor style, pastel colors --ar 1:1\n\n"
    "3️⃣ a cute ginger kitten looking outside, cinematic lighting, 35mm photo --ar 1:1\n\n"
    "4️⃣ a cat by the window, minimalist illustration, warm tones --ar 1:1"
)
AUTH_FAILED_BODY: dict[str, Any] = {
    "status": "FAILED",
    "message": "Wrong TT-API-KEY or email is not activated.",
}
BANNED_WORD = re.compile(r"\b(sexy|skimpy)\b", re.IGNORECASE)
REASONS = {499: "Client Closed Request"}
INJECTED_MESSAGES = {499: "Insufficient queues"}
JSON_KEY = web.RequestKey("json", object)


def make_png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (230, 120, 40)) -> bytes:
    """Build a small valid RGB PNG filled with one colour (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width
    pixels = zlib.compress(row * height)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def job_kind(action: str) -> str:
    """Classify an action: "grid" (4 images), "upscaled" (one image) or "plain" (no images)."""
    if action in GRID_ACTIONS or action.startswith(("zoom_", "pan_")):
        return "grid"
    if re.fullmatch(r"upsample[1-4]", action) or action.startswith("upscale"):
        return "upscaled"
    return "plain"


def default_components(action: str) -> list[str]:
    """The buttons a finished job of this action offers by default."""
    if job_kind(action) == "grid":
        return list(GRID_COMPONENTS)
    if re.fullmatch(r"upsample[1-4]", action):
        return list(UPSAMPLE_COMPONENTS)
    return []


def quota_for(action: str) -> str:
    """The ``data.quota`` string of a finished job: "2" for grids, "1" otherwise."""
    return "2" if job_kind(action) == "grid" else "1"


class ManualClock:
    """A clock for tests: call it to read the time, ``advance`` it to move time forward."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, s: float) -> None:
        """Move the clock forward by ``s`` seconds."""
        self.now += s


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float


@dataclass
class Scenario:
    """How a submitted job behaves; durations are fake-clock seconds."""

    queue_seconds: float = 1.0
    run_seconds: float = 20.0
    outcome: str = SUCCESS
    fail_message: str = DEFAULT_FAIL_MESSAGE
    components: list[str] | None = None
    seed: str | None = None
    prompts_text: str | None = None
    reported_prompt: str | None = None  # the prompt the result reports (e.g. a blend's)
    quota: str | None = None  # the reported ``data.quota``; None: quota_for(action)


@dataclass
class HookDelivery:
    """One POST attempt to a job's hookUrl (``status`` None when the request itself failed)."""

    job_id: str
    url: str
    attempt: int
    status: int | None
    error: str | None = None


@dataclass
class FakeJob:
    """A job held by the fake; its state is derived from the clock."""

    job_id: str
    action: str
    prompt: str
    mode: str
    parent_id: str | None
    hook_url: str | None
    created_at: float
    scenario: Scenario
    base_url: str
    finished_early: bool = False
    notified: bool = False
    quantised: bool = False
    created_wall: float = field(default_factory=time.time)  # what fetch-list shows

    def status(self, now: float) -> str:
        """PENDING_QUEUE, ON_QUEUE, SUCCESS or FAILED at fake time ``now``."""
        if self.finished_early:
            return self.scenario.outcome
        elapsed = now - self.created_at
        if elapsed < self.scenario.queue_seconds:
            return PENDING
        if elapsed < self.scenario.queue_seconds + self.scenario.run_seconds:
            return RUNNING
        return self.scenario.outcome

    def progress(self, now: float) -> str:
        """Progress while ON_QUEUE, "0".."99", rising linearly."""
        run = self.scenario.run_seconds
        elapsed = now - self.created_at - self.scenario.queue_seconds
        fraction = elapsed / run if run > 0 else 1.0
        percent = max(0, min(99, int(fraction * 100)))
        if self.quantised:
            percent = max(step for step in PROGRESS_STEPS if step <= percent)
        return str(percent)

    def list_entry(self, now: float, full: bool = True) -> dict[str, Any]:
        """This job as `fetch-list` shows it: snake_case names and a numeric status."""
        answer = self.snapshot(now)
        data = answer["data"] if isinstance(answer["data"], dict) else {}
        entry = {
            "job_id": self.job_id,
            "action": self.action,
            "model": "midjourney",
            "status": LIST_STATUS[answer["status"]],
            "progress": data.get("progress"),
            "prompt": data.get("prompt", self.prompt),
            "quota": int(quota_for(self.action)),
            "discord_image": data.get("discordImage"),
            "cdn_image": data.get("cdnImage"),
            "message": answer["message"],
            "created_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.created_wall)),
        }
        if full:  # the docs list no components: `full=False` leaves the extras out
            entry.update(
                components=data.get("components"), images=data.get("images"), seed=data.get("seed")
            )
        return entry

    def snapshot(self, now: float) -> dict[str, Any]:
        """The fetch response (and hook body) for this job at fake time ``now``."""
        status = self.status(now)
        if status == PENDING:
            return {"status": PENDING, "jobId": self.job_id, "message": "", "data": []}
        if status == RUNNING:
            data = self._base_data(self.progress(now), self.prompt)
            data.update(components=[], seed=None, images=None)
            return {"status": RUNNING, "jobId": self.job_id, "message": "", "data": data}
        if status == SUCCESS:
            return {"status": SUCCESS, "jobId": self.job_id, "message": "", "data": self._success()}
        data = self._base_data(None, self.prompt)
        data.update(components=None, seed=None, images=None)
        message = self.scenario.fail_message
        return {"status": FAILED, "jobId": self.job_id, "message": message, "data": data}

    def image_url(self, suffix: str = "") -> str:
        """The fake CDN URL of this job's image (``suffix`` e.g. "_tl" for a grid part)."""
        return f"{self.base_url}{CDN_PREFIX}{self.job_id}{suffix}.png"

    def _base_data(self, progress: str | None, prompt: str) -> dict[str, Any]:
        return {
            "action": self.action,
            "jobId": self.job_id,
            "progress": progress,
            "prompt": prompt,
            "discordImage": None,
            "cdnImage": None,
            "hookUrl": self.hook_url,
        }

    def _success(self) -> dict[str, Any]:
        prompt = self.scenario.reported_prompt or self.prompt
        if self.action == "describe":
            prompt = self.scenario.prompts_text or DEFAULT_DESCRIBE_TEXT
        data = self._base_data("100", prompt)
        components = self.scenario.components
        if components is None:
            components = default_components(self.action)
        data.update(
            quota=self.scenario.quota or quota_for(self.action),
            discordImage=self.image_url("_discord"),
            cdnImage=self.image_url(),
            width=1024,
            height=1024,
            components=list(components),
            seed=self._seed(),
            images=self._images(),
        )
        return data

    def _seed(self) -> str | None:
        if self.scenario.seed is not None or self.action != "seed":
            return self.scenario.seed
        return str(uuid.UUID(self.job_id).int % 4294967296)

    def _images(self) -> list[str] | None:
        if job_kind(self.action) != "grid":
            return None
        return [self.image_url(f"_{part}") for part in GRID_IMAGE_PARTS]


@dataclass
class FailRule:
    """An injected failure armed by ``FakeTTApi.fail_next``."""

    path_suffix: str
    status: int
    body: Any
    times: int
    raw: str | None
    headers: dict[str, str] | None
    delay: float
    accept_first: bool

    async def respond(self) -> web.Response:
        """Sleep ``delay`` real seconds, then build the injected answer."""
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        reason = REASONS.get(self.status)
        if self.raw is not None:
            return web.Response(
                status=self.status,
                reason=reason,
                text=self.raw,
                content_type="text/html",
                headers=self.headers,
            )
        body = self.body
        if body is None:
            message = INJECTED_MESSAGES.get(self.status, f"injected HTTP {self.status}")
            body = {"status": "FAILED", "message": message, "data": None}
        return web.json_response(body, status=self.status, reason=reason, headers=self.headers)


class ApiError(Exception):
    """Raised by handlers; the middleware turns it into a FAILED JSON answer."""

    def __init__(self, status: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.data = data


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status, reason=REASONS.get(status))


def _require_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "Parameter error")
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _check_mode(body: dict[str, Any]) -> str:
    mode = body.get("mode")
    if mode is None:
        return "fast"
    if mode not in MODES:
        raise ApiError(400, "Parameter error")
    return str(mode)


def _is_data_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("data:image/")


class FakeTTApi:
    """An aiohttp server on 127.0.0.1 that behaves like the TT API Midjourney endpoints."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        max_in_progress: int = 10,
        clock: Callable[[], float] | None = None,
        scenario: Scenario | None = None,
        id_style: str = "jobId",
        hook_attempts: int = 1,
        auto_hooks: bool = False,
        quantised: bool = True,
        jitter: float = 0.0,
        latency: tuple[float, float] = (0.0, 0.0),
        seed: int | None = None,
        fetch_list: str = "full",
    ) -> None:
        """``quantised``: progress in Midjourney's steps; ``jitter``: each job's queue and run
        seconds times a uniform factor in 1 ± jitter; ``latency``: real seconds (uniform in the
        range) before each API answer; ``fetch_list``: "full", "bare" (entries without
        components, images and seed) or "refused" (the endpoint answers 404)."""
        if id_style not in ("jobId", "job_id"):
            raise ValueError("id_style must be 'jobId' or 'job_id'")
        self.api_key = api_key
        self.max_in_progress = max_in_progress
        self.clock: Callable[[], float] = clock or time.monotonic
        self.scenario = scenario or Scenario()
        self.id_style = id_style
        self.hook_attempts = hook_attempts
        self.auto_hooks = auto_hooks
        self.quantised = quantised
        self.jitter = jitter
        self.latency = latency
        self.fetch_list = fetch_list
        self._rng = random.Random(seed)
        self.base_url = ""
        self.calls: list[Call] = []
        self.jobs: dict[str, FakeJob] = {}
        self.hook_log: list[HookDelivery] = []
        self.max_concurrent_seen = 0
        # None: unlimited (/info says 1000). A number: each accepted job costs quota_for(action)
        # and a submit it cannot pay for is refused with 402, as the TT API does.
        self.balance: float | None = None
        self.image_bytes = make_png(2, 2)
        # The CDN streams bodies as real ones do: in chunks with pauses (see _cdn).
        self.cdn_chunk = 16 * 1024
        self.cdn_pause = 0.002
        self.cdn_cuts: dict[str, int] = {}  # file name -> bytes sent before the link drops
        self._next_scenarios: deque[Scenario] = deque()
        self._prompt_scenarios: list[tuple[str, Scenario]] = []
        self._fail_rules: list[FailRule] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._hook_task: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port; return the base URL."""
        self._runner = web.AppRunner(self._build_app(), shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._hook_task = asyncio.create_task(self._auto_hook_loop())
        return self.base_url

    async def close(self) -> None:
        """Stop the hook task, the server and the hook client session."""
        if self._hook_task is not None:
            self._hook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._hook_task
            self._hook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FakeTTApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------ test controls

    def calls_to(self, path_suffix: str) -> list[Call]:
        """Recorded calls whose path ends with ``path_suffix``."""
        return [call for call in self.calls if call.path.endswith(path_suffix)]

    def scenario_for_prompt(self, substring: str, scenario: Scenario) -> None:
        """Jobs whose prompt contains ``substring`` use ``scenario`` (actions keep the prompt)."""
        self._prompt_scenarios.append((substring, scenario))

    def next_scenario(self, scenario: Scenario) -> None:
        """The next created job uses ``scenario`` (FIFO; wins over prompt scenarios)."""
        self._next_scenarios.append(scenario)

    def fail_next(
        self,
        path_suffix: str,
        status: int,
        body: Any = None,
        *,
        times: int = 1,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        accept_first: bool = False,
    ) -> None:
        """Answer the next ``times`` requests to ``path_suffix`` with an injected error.

        ``body`` None (and no ``raw``) gives ``{"status":"FAILED","message":"injected HTTP <n>",
        "data":null}`` ("Insufficient queues" for 499).
        ``accept_first`` runs the real handler first (the job is created).
        """
        rule = FailRule(path_suffix, status, body, times, raw, headers, delay, accept_first)
        self._fail_rules.append(rule)

    def finish_now(self, job_id: str) -> None:
        """Jump a job to its scenario's outcome immediately."""
        self.jobs[job_id].finished_early = True

    def in_progress(self) -> int:
        """Jobs that are PENDING_QUEUE or ON_QUEUE now."""
        now = self.clock()
        return sum(1 for job in self.jobs.values() if job.status(now) in UNFINISHED)

    def last_job(self, action: str | None = None) -> FakeJob:
        """The most recently created job (of ``action`` if given); IndexError if none."""
        jobs = [job for job in self.jobs.values() if action is None or job.action == action]
        return jobs[-1]

    # ------------------------------------------------------------------- hooks

    async def fire_hooks(self) -> int:
        """POST the payload of every finished, not yet notified job to its hookUrl.

        Returns the number of jobs notified (each is notified once, delivered or not).
        """
        now = self.clock()
        due = [
            job
            for job in self.jobs.values()
            if job.hook_url and not job.notified and job.status(now) not in UNFINISHED
        ]
        for job in due:
            job.notified = True
        await asyncio.gather(*(self._deliver(job, job.snapshot(now)) for job in due))
        return len(due)

    async def _deliver(self, job: FakeJob, payload: dict[str, Any]) -> None:
        url = str(job.hook_url)
        for attempt in range(1, self.hook_attempts + 1):
            status, error = await self._post_hook(url, payload)
            self.hook_log.append(HookDelivery(job.job_id, url, attempt, status, error))
            if status == 200:
                return

    async def _post_hook(self, url: str, payload: dict[str, Any]) -> tuple[int | None, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.post(url, json=payload) as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return None, repr(exc)

    async def _auto_hook_loop(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            if self.auto_hooks:
                await self.fire_hooks()

    # ------------------------------------------------------------ http plumbing

    def _build_app(self) -> web.Application:
        @web.middleware
        async def middleware(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            return await self._handle(request, handler)

        app = web.Application(middlewares=[middleware])
        routes = {
            "imagine": self._imagine,
            "action": self._action,
            "blend": self._blend,
            "describe": self._describe,
            "seed": self._seed,
            "inpaint": self._inpaint,
            "fetch": self._fetch_post,
        }
        for name, handler in routes.items():
            app.router.add_post(f"{API_PREFIX}/{name}", handler)
        app.router.add_get(f"{API_PREFIX}/fetch", self._fetch_get)
        app.router.add_get(f"{API_PREFIX}/info", self._info)
        app.router.add_get(f"{API_PREFIX}/fetch-list", self._fetch_list)
        app.router.add_get(CDN_PREFIX + "{name}", self._cdn)
        return app

    async def _handle(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        request[JSON_KEY] = await self._read_json(request)
        self._record(request)
        if not request.path.startswith(CDN_PREFIX) and self.latency[1] > 0:
            await asyncio.sleep(self._rng.uniform(*self.latency))  # the internet is not free
        if not request.path.startswith(CDN_PREFIX) and not self._authorized(request):
            return _json(401, AUTH_FAILED_BODY)
        rule = self._take_rule(request.path)
        if rule is not None and not rule.accept_first:
            return await rule.respond()
        response = await self._dispatch(request, handler)
        if rule is not None:
            return await rule.respond()
        return response

    async def _dispatch(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return _json(exc.status, {"status": "FAILED", "message": exc.message, "data": exc.data})
        except web.HTTPException as exc:
            return _json(exc.status, {"status": "FAILED", "message": exc.reason, "data": None})

    @staticmethod
    async def _read_json(request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _record(self, request: web.Request) -> None:
        call = Call(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=request[JSON_KEY],
            at=self.clock(),
        )
        self.calls.append(call)

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("TT-API-KEY") == self.api_key

    def _take_rule(self, path: str) -> FailRule | None:
        for rule in self._fail_rules:
            if path.endswith(rule.path_suffix):
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
                return rule
        return None

    # ---------------------------------------------------------------- jobs

    def _pick_scenario(self, prompt: str) -> Scenario:
        if self._next_scenarios:
            return self._next_scenarios.popleft()
        for substring, scenario in self._prompt_scenarios:
            if substring in prompt:
                return scenario
        return self.scenario

    def _accept(
        self,
        action: str,
        prompt: str,
        mode: str,
        body: dict[str, Any],
        parent_id: str | None = None,
    ) -> web.Response:
        """Create a job unless the queue is full; answer like a submit endpoint."""
        if self.in_progress() >= self.max_in_progress:
            raise ApiError(499, "Insufficient queues")
        if self.balance is not None:
            cost = float(quota_for(action))
            if self.balance < cost:
                raise ApiError(402, "Insufficient balance, please recharge")
            self.balance -= cost
        job = FakeJob(
            job_id=str(uuid.uuid4()),
            action=action,
            prompt=prompt,
            mode=mode,
            parent_id=parent_id,
            hook_url=_optional_str(body, "hookUrl"),
            created_at=self.clock(),
            scenario=self._jittered(self._pick_scenario(prompt)),
            base_url=self.base_url,
            quantised=self.quantised,
        )
        self.jobs[job.job_id] = job
        self.max_concurrent_seen = max(self.max_concurrent_seen, self.in_progress())
        data = {self.id_style: job.job_id}
        return _json(200, {"status": "SUCCESS", "message": "success", "data": data})

    def _jittered(self, scenario: Scenario) -> Scenario:
        if self.jitter <= 0:
            return scenario
        low, high = 1 - self.jitter, 1 + self.jitter
        return replace(
            scenario,
            queue_seconds=scenario.queue_seconds * self._rng.uniform(low, high),
            run_seconds=scenario.run_seconds * self._rng.uniform(low, high),
        )

    def _parent(self, body: dict[str, Any]) -> FakeJob:
        """The finished parent job named by ``jobId``."""
        job = self.jobs.get(_require_str(body, "jobId"))
        if job is None:
            raise ApiError(400, "related job does not exist")
        if job.status(self.clock()) != SUCCESS:
            raise ApiError(400, "related job not successful")
        return job

    @staticmethod
    def _body(request: web.Request) -> dict[str, Any]:
        body = request[JSON_KEY]
        if not isinstance(body, dict):
            raise ApiError(400, "Parameter error")
        return body

    # ------------------------------------------------------------- handlers

    async def _imagine(self, request: web.Request) -> web.Response:
        body = self._body(request)
        prompt = _require_str(body, "prompt")
        match = BANNED_WORD.search(prompt)
        if match:
            raise ApiError(400, f"banned prompt words :{match.group(0).lower()}", {})
        return self._accept("imagine", prompt, _check_mode(body), body)

    async def _action(self, request: web.Request) -> web.Response:
        body = self._body(request)
        action = _require_str(body, "action")
        parent = self._parent(body)
        components = parent.snapshot(self.clock())["data"]["components"]
        if action not in components:
            raise ApiError(400, "related job has no such operation")
        return self._accept(action, parent.prompt, parent.mode, body, parent.job_id)

    async def _blend(self, request: web.Request) -> web.Response:
        body = self._body(request)
        images = body.get("imgBase64Array")
        if not isinstance(images, list) or not 2 <= len(images) <= 5:
            raise ApiError(400, "The 'imgBase64Array' array has a length of 2 to 5")
        if not all(_is_data_url(image) for image in images):
            raise ApiError(400, "base64 format error")
        if body.get("dimensions", "SQUARE") not in DIMENSIONS:
            raise ApiError(400, '"dimensions" parameter error!')
        return self._accept("blend", "", _check_mode(body), body)

    async def _describe(self, request: web.Request) -> web.Response:
        body = self._body(request)
        image = body.get("base64")
        url = body.get("url")
        if not image and not url:
            raise ApiError(400, "base64 cannot be empty")
        if image and not _is_data_url(image):
            raise ApiError(400, "base64 format error")
        return self._accept("describe", "", _check_mode(body), body)

    async def _seed(self, request: web.Request) -> web.Response:
        body = self._body(request)
        parent = self._parent(body)
        return self._accept("seed", parent.prompt, parent.mode, body, parent.job_id)

    async def _inpaint(self, request: web.Request) -> web.Response:
        body = self._body(request)
        mask = _require_str(body, "mask")
        try:
            raw = base64.b64decode(mask, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "base64 format error") from exc
        parent = self._parent(body)
        # The mask must have the image's size (checked when both are PNGs: width, height in IHDR).
        if (
            raw[:8] == self.image_bytes[:8] == b"\x89PNG\r\n\x1a\n"
            and raw[16:24] != self.image_bytes[16:24]
        ):
            raise ApiError(400, "mask size does not match the image")
        prompt = _optional_str(body, "prompt") or parent.prompt
        return self._accept("inpaint", prompt, parent.mode, body, parent.job_id)

    async def _fetch_get(self, request: web.Request) -> web.Response:
        return self._fetch(request.query.get("jobId"))

    async def _fetch_post(self, request: web.Request) -> web.Response:
        return self._fetch(self._body(request).get("jobId"))

    def _fetch(self, job_id: Any) -> web.Response:
        if not isinstance(job_id, str) or not job_id:
            raise ApiError(400, "Parameter error")
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(400, "related job does not exist")
        return _json(200, job.snapshot(self.clock()))

    async def _fetch_list(self, request: web.Request) -> web.Response:
        """GET fetch-list?page=&limit=&order=&status=: a page of the account's jobs, newest
        first unless order=asc (limit at most 100)."""
        if self.fetch_list == "refused":
            raise web.HTTPNotFound()
        try:
            page = max(1, int(request.query.get("page", "1")))
            limit = min(100, max(1, int(request.query.get("limit", "10"))))
        except ValueError as exc:
            raise ApiError(400, "Parameter error") from exc
        jobs = sorted(self.jobs.values(), key=lambda job: job.created_wall)
        if request.query.get("order", "desc") != "asc":
            jobs.reverse()
        now = self.clock()
        entries = [job.list_entry(now, self.fetch_list == "full") for job in jobs]
        wanted = request.query.get("status")
        if wanted:
            number = LIST_STATUS.get(wanted.upper(), wanted)
            entries = [entry for entry in entries if str(entry["status"]) == str(number)]
        data = entries[(page - 1) * limit : page * limit]
        return _json(200, {"status": "SUCCESS", "message": "success", "data": data})

    async def _info(self, request: web.Request) -> web.Response:
        data = {
            "email": "owner@example.com",
            "balance": 1000 if self.balance is None else self.balance,
            "freeze_balance": 0,
            "max_queue": self.max_in_progress,
            "created_at": "2024-01-01 00:00:00",
        }
        return _json(200, {"status": "SUCCESS", "message": "success", "data": data})

    def cut_cdn(self, name: str, after: int) -> None:
        """Drop the connection after ``after`` bytes of ``name`` (its full length announced)."""
        self.cdn_cuts[name] = after

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        """The image in ``cdn_chunk`` pieces with ``cdn_pause`` between them, as a CDN sends."""
        name = request.match_info["name"]
        if not name.endswith(".png"):
            raise web.HTTPNotFound()
        body = self.image_bytes
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = len(body)
        await response.prepare(request)
        cut = self.cdn_cuts.get(name)
        for start in range(0, len(body), self.cdn_chunk):
            if cut is not None and start >= cut:
                if request.transport is not None:
                    request.transport.abort()
                return response
            await response.write(body[start : start + self.cdn_chunk])
            await asyncio.sleep(self.cdn_pause)
        await response.write_eof()
        return response
