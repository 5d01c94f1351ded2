"""The demo provider: no key, no network, no cost. It draws its "results" with Pillow.

It behaves like the TT API from the engine's side (job ids, Midjourney's coarse progress
steps, the same components after the same actions), so every command and button can be
tried for free. Its PNGs are served by a tiny aiohttp server on 127.0.0.1 with an ephemeral
port, because the publisher downloads results by URL like any provider's CDN image.
Demo jobs live in memory: after a restart they are gone, and the watcher reports that.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from PIL import Image, ImageFilter

from bot.provider import demo_art as art
from bot.provider.demo_words import describe_prompts
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    RemoteStatus,
    SeedRequest,
    SubmitRequest,
)

log = logging.getLogger(__name__)

# Midjourney reports progress in these coarse steps; the demo does the same.
STEPS: Final = (0, 15, 31, 46, 62, 78, 93)
GRID_COMPONENTS: Final = (
    *(f"upsample{n}" for n in range(1, 5)),
    "reroll",
    *(f"variation{n}" for n in range(1, 5)),
)
UPSCALED_COMPONENTS: Final = (
    "upscale_subtle",
    "upscale_creative",
    "high_variation",
    "low_variation",
    "inpaint",  # Vary (Region): the demo redraws the grid, whatever the mask
    "zoom_out_2",
    "zoom_out_1_5",
    "pan_left",
    "pan_right",
    "pan_up",
    "pan_down",
)
MAX_IMAGES: Final = 128  # PNGs kept for download and follow-ups (a few hundred KB each)
MAX_JOBS: Final = 2000  # job records kept (small), oldest forgotten first
_UPSAMPLE: Final = re.compile(r"upsample([1-4])")
_VARIATION: Final = re.compile(r"variation([1-4])")


@dataclass(slots=True)
class _Job:
    job_id: str
    action: str
    prompt: str
    seed: int
    started: float
    components: tuple[str, ...] = ()
    image: str | None = None  # key of the finished PNG
    prompts: tuple[str, ...] = ()
    error: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class DemoProvider:
    """A local stand-in for Midjourney: Pillow drawings marked DEMO, within seconds."""

    name = "demo"

    def __init__(
        self,
        *,
        duration: float = 6.0,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._duration = duration
        self._host = host
        self._clock = clock
        self._jobs: dict[str, _Job] = {}
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()
        self.base_url = ""

    async def start(self) -> str:
        """Serve the PNGs on 127.0.0.1 (ephemeral port); returns the base URL."""
        async with self._lock:
            if self._runner is None:
                app = web.Application()
                app.router.add_get("/demo/{name}.png", self._serve)
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, self._host, 0)
                await site.start()
                port = runner.addresses[0][1]
                self.base_url = f"http://{self._host}:{port}"
                self._runner = runner
                log.info("demo provider serving its images on %s", self.base_url)
        return self.base_url

    async def close(self) -> None:
        """Stop drawing and serving."""
        for job in self._jobs.values():
            if job.task is not None:
                job.task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def submit(self, request: SubmitRequest) -> str:
        """Accept a request at once and start drawing its result in a worker thread."""
        await self.start()
        job = self._new_job(request)
        job.task = asyncio.create_task(self._draw(job, request), name=f"demo-{job.job_id}")
        self._jobs[job.job_id] = job
        while len(self._jobs) > MAX_JOBS:  # dicts keep insertion order: the oldest goes
            del self._jobs[next(iter(self._jobs))]
        log.debug("demo job %s: %s", job.job_id, job.action)
        return job.job_id

    async def fetch(self, job_id: str) -> JobSnapshot:
        """The job's state: Midjourney's progress steps, then the result."""
        job = self._jobs.get(job_id)
        if job is None:
            message = "The demo provider forgot this job (the bot restarted). Start a new one."
            return JobSnapshot(job_id, RemoteStatus.FAILED, message=message)
        elapsed = self._clock() - job.started
        drawn = job.task is None or job.task.done()
        if job.error is not None:
            return JobSnapshot(job_id, RemoteStatus.FAILED, message=job.error, action=job.action)
        if elapsed < self._duration or not drawn:
            step = min(int(elapsed / self._duration * len(STEPS)), len(STEPS) - 1)
            status = RemoteStatus.PENDING if elapsed < self._duration / 10 else RemoteStatus.RUNNING
            progress = None if status is RemoteStatus.PENDING else STEPS[step]
            return JobSnapshot(job_id, status, action=job.action, progress=progress)
        return self._success(job)

    async def info(self) -> AccountInfo:
        """The demo has no balance and no queue limit."""
        return AccountInfo(balance=None, frozen=None, max_queue=None)

    def image_bytes(self, name: str) -> bytes | None:
        """A served PNG by key (tests and the server)."""
        return self._images.get(name)

    # -- jobs -------------------------------------------------------------------------------

    def _new_job(self, request: SubmitRequest) -> _Job:
        job_id = uuid.uuid4().hex
        seed = int(job_id[:8], 16) % 4294967296
        match request:
            case ImagineRequest():
                action, prompt = "imagine", request.prompt
            case ActionRequest():
                parent = self._parent(request.job_id)
                if request.action not in parent.components:
                    raise ProviderError(
                        ErrorKind.INVALID_REQUEST, "related job has no such operation", status=400
                    )
                action, prompt = request.action, parent.prompt
            case BlendRequest():
                action, prompt = "blend", "blend"
            case DescribeRequest():
                action, prompt = "describe", ""
            case SeedRequest():
                parent = self._parent(request.job_id)
                action, prompt, seed = "seed", parent.prompt, parent.seed
            case InpaintRequest():
                parent = self._parent(request.job_id)
                action, prompt = "inpaint", request.prompt or parent.prompt
        return _Job(job_id, action, prompt, seed, self._clock())

    def _parent(self, job_id: str) -> _Job:
        parent = self._jobs.get(job_id)
        if parent is None or parent.image is None or parent.image not in self._images:
            raise ProviderError(
                ErrorKind.NOT_FOUND,
                "related job does not exist (demo images are kept in memory only)",
                status=400,
            )
        return parent

    async def _draw(self, job: _Job, request: SubmitRequest) -> None:
        try:
            parent = self._parent_image(request)
            image, prompts = await asyncio.to_thread(_render, job, request, parent)
        except ValueError as exc:
            job.error = f"[Invalid parameter] {exc}"
            return
        except Exception:
            log.exception("demo job %s could not be drawn", job.job_id)
            job.error = "The demo provider could not draw this job."
            return
        job.prompts = prompts
        job.components = _components(job.action)
        if image is not None:
            job.image = job.job_id
            self._images[job.job_id] = image
            while len(self._images) > MAX_IMAGES:
                self._images.popitem(last=False)

    def _parent_image(self, request: SubmitRequest) -> bytes | None:
        if isinstance(request, (ActionRequest, InpaintRequest)):
            key = self._jobs[request.job_id].image
            return self._images.get(key) if key else None
        return None

    def _success(self, job: _Job) -> JobSnapshot:
        url = f"{self.base_url}/demo/{job.image}.png" if job.image else None
        grid = job.components == GRID_COMPONENTS
        images = tuple(f"{url}#{n}" for n in range(1, 5)) if grid and url else ()
        prompt = "\n\n".join(f"{n}\ufe0f\u20e3 {p}" for n, p in enumerate(job.prompts, 1))
        return JobSnapshot(
            job.job_id,
            RemoteStatus.SUCCESS,
            action=job.action,
            progress=100,
            prompt=prompt or job.prompt,
            image_url=url,
            images=images,
            components=job.components,
            seed=str(job.seed),
            width=art.SIZE if url else None,
            height=art.SIZE if url else None,
            quota=0.0,
            prompts=job.prompts,
        )

    async def _serve(self, request: web.Request) -> web.Response:
        data = self._images.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound
        return web.Response(body=data, content_type="image/png")


def _components(action: str) -> tuple[str, ...]:
    if _UPSAMPLE.fullmatch(action):
        return UPSCALED_COMPONENTS
    if action in ("describe", "seed") or action.startswith("upscale"):
        return ()
    return GRID_COMPONENTS


def _render(
    job: _Job, request: SubmitRequest, parent: bytes | None
) -> tuple[bytes | None, tuple[str, ...]]:
    """Draw a job's result (runs in a worker thread: Pillow work blocks)."""
    if isinstance(request, DescribeRequest):
        data = _data_url(request.image) if request.image else (request.url or "").encode()
        return art.png(art.mark(art.load(data))) if request.image else None, describe_prompts(data)
    if isinstance(request, SeedRequest):
        return None, ()
    if isinstance(request, BlendRequest):
        images = [art.load(_data_url(image)) for image in request.images]
        return art.png(art.mark(art.blend(images))), ()
    source = art.load(parent) if parent is not None else None
    return art.png(art.mark(_transform(job, source))), ()


def _transform(job: _Job, source: Image.Image | None) -> Image.Image:  # noqa: PLR0911 - a table
    action, seed = job.action, job.seed
    if source is not None and (match := _UPSAMPLE.fullmatch(action)):
        return art.quadrant(source, int(match[1]))
    if source is not None and action.startswith("upscale"):
        return source.filter(ImageFilter.SHARPEN)
    # Zoom, pan and vary answer with a new grid of four, as Midjourney does.
    if source is not None and action.startswith("zoom_out"):
        factor = 2.0 if action == "zoom_out_2" else 1.5
        return art.four(lambda n: art.zoom_out(source, factor, seed + n))
    if source is not None and action.startswith("pan_"):
        return art.four(lambda n: art.pan(source, action.removeprefix("pan_"), seed + n))
    if source is not None and action in ("high_variation", "low_variation"):
        strength = 0.45 if action == "high_variation" else 0.15
        return art.four(lambda n: art.vary(source, strength, seed + n))
    if match := _VARIATION.fullmatch(action):
        return art.grid(f"{job.prompt} #{match[1]}", seed)
    return art.grid(job.prompt, seed)


def _data_url(value: str) -> bytes:
    """The bytes of a data URL (or of plain base64)."""
    payload = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the image is not valid base64") from exc
