"""Shared builders for the UI tests: frozen Jobs with sensible defaults."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bot.jobs.models import Job, JobKind
from bot.jobs.states import JobStatus

USER = 42
# The grid an /imagine finishes with (TT API with reroll), and the older docs' grid without it.
GRID = (
    *(f"upsample{n}" for n in range(1, 5)),
    "reroll",
    *(f"variation{n}" for n in range(1, 5)),
)
OLD_GRID = tuple(action for action in GRID if action != "reroll")
# Everything Midjourney offers on an upscaled image, redo upscales and stragglers included.
UPSCALED = (
    "upscale_subtle",
    "upscale_creative",
    "upscale2",
    "upscale4",
    "redo_upscale_subtle",
    "redo_upscale_creative",
    "high_variation",
    "low_variation",
    "inpaint",
    "make_square",
    "zoom_out_2",
    "zoom_out_1_5",
    "custom_zoom",
    "pan_left",
    "pan_right",
    "pan_up",
    "pan_down",
    "favorite",
    "web",
)
_T0 = 1_700_000_000.0
_DEFAULTS: dict[str, Any] = {
    "id": 7,
    "provider": "ttapi",
    "provider_job_id": "f5850038-90a3-8a97-0476-107ea4b8dac4",
    "parent_id": None,
    "kind": JobKind.IMAGINE,
    "action": None,
    "status": JobStatus.SUCCEEDED,
    "progress": 100,
    "prompt": "a cat",
    "mode": "fast",
    "params": {},
    "components": GRID,
    "image_url": "https://cdn.example/grid.png",
    "images": (),
    "seed": None,
    "prompts": (),
    "quota": 3.0,
    "error": None,
    "user_id": USER,
    "guild_id": 10,
    "channel_id": 20,
    "progress_message_id": 30,
    "result_message_id": 31,
    "timeout_s": 300,
    "created_at": _T0,
    "submitted_at": _T0 + 1,
    "updated_at": _T0 + 60,
    "finished_at": _T0 + 60,
    "next_poll_at": None,
    "post_claimed_at": None,
    "posted_at": _T0 + 61,
    "account": None,
    "refs": {},
    "thread_id": None,
    "result_prompt": None,
    "estimate": 3.0,
    "alt_image_url": None,
}
assert set(_DEFAULTS) == {field.name for field in fields(Job)}, "make_job misses a Job field"


def make_job(**overrides: Any) -> Job:
    """A finished /imagine of "a cat" by user 42, with any field overridden."""
    unknown = set(overrides) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"Job has no field(s) {sorted(unknown)}")
    values = {**_DEFAULTS, "params": {}, **overrides}
    return Job(**values)
