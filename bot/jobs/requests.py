"""Stored job -> provider request: the one mapping from the engine's rows to what is sent."""

from __future__ import annotations

from bot.jobs.models import Job, JobKind
from bot.provider.models import (
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    Dimensions,
    ImagineRequest,
    InpaintRequest,
    Mode,
    SeedRequest,
    SubmitRequest,
)


def to_request(job: Job, hook_url: str | None) -> SubmitRequest:
    """The provider request for a stored job; `hook_url` gets the job's id appended."""
    # The path names this row, so a callback finds it even if its id was never stored.
    hook = f"{hook_url.rstrip('/')}/{job.id}" if hook_url else None
    timeout = job.timeout_s
    mode = Mode(job.mode)
    params = job.params
    refs = tuple(sorted(params.get("refs", {}).items()))
    match job.kind:
        case JobKind.IMAGINE:
            return ImagineRequest(job.prompt, mode, timeout=timeout, hook_url=hook)
        case JobKind.BLEND:
            dims = Dimensions(params.get("dimensions", "SQUARE"))
            images = tuple(params["images"])
            return BlendRequest(images, dims, mode, timeout=timeout, hook_url=hook)
        case JobKind.DESCRIBE:
            image, url = params.get("image"), params.get("url")
            return DescribeRequest(image, url, mode, timeout=timeout, hook_url=hook)
        case JobKind.ACTION:
            action = job.action or ""
            return ActionRequest(
                params["parent"], action, timeout=timeout, hook_url=hook, refs=refs
            )
        case JobKind.SEED:
            return SeedRequest(params["parent"], timeout=timeout, hook_url=hook, refs=refs)
        case JobKind.INPAINT:
            return InpaintRequest(
                params["parent"],
                params["mask"],
                job.prompt,
                timeout=timeout,
                hook_url=hook,
                refs=refs,
            )
    raise ValueError(f"unknown job kind {job.kind}")  # pragma: no cover
