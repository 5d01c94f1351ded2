"""What a job keeps so its result can name itself: a blend's images, an inherited prompt.

A blend has no prompt of its own and an action's result only its parent's; the words shown
are the UI's (bot/ui/prompts.py), but the facts are stored here, in the job's params, when
the job is created, so every later render (result, /show, restart) reads them from one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, Final

from bot.jobs.models import Job, JobKind

BLEND: Final = "blend"  # params: {"count": 3, "names": ["cat", "dog", "fox"]}
SHOWN_PROMPT: Final = "shown_prompt"  # params: the prompt Midjourney reported for a parent
_NAME_ROOM: Final = 24  # short names, not paths


def blend_params(count: int, names: Sequence[str] = ()) -> dict[str, Any]:
    """The params entry describing a blend's images (file names without folders or suffix)."""
    return {BLEND: {"count": count, "names": [_short(name) for name in names][:count]}}


def inherited(parent: Job) -> dict[str, Any]:
    """The params an action's job takes from its parent, so its result is named like it."""
    shown: dict[str, Any] = {}
    if BLEND in parent.params:
        shown[BLEND] = parent.params[BLEND]
    elif parent.kind is JobKind.BLEND:  # blended before names were kept
        shown.update(blend_params(len(parent.params.get("images") or [])))
    reported = parent.result_prompt or parent.params.get(SHOWN_PROMPT)
    if not parent.prompt.strip() and reported:
        shown[SHOWN_PROMPT] = reported
    return shown


def _short(name: str) -> str:
    stem = PurePath(name).stem.strip() or name.strip()
    return stem if len(stem) <= _NAME_ROOM else stem[: _NAME_ROOM - 1] + "…"
