"""What a result calls itself: the member's prompt, Midjourney's, or the blend it came from.

A blend has no prompt of its own, and an action's result has only its parent's, so without
this a blend posts as "**/blend**" and its upscale as "**(no prompt)** - Image #2". The blend's
images and any prompt Midjourney reported are stored with the job (bot/jobs/display.py),
so a result names itself from its own row.
"""

from __future__ import annotations

from typing import Final

from bot.jobs.display import BLEND, SHOWN_PROMPT
from bot.jobs.models import Job, JobKind, NewJob

_NAMES_ROOM: Final = 90  # past this, "Blend of 3 images" reads better than a list


def title(job: Job | NewJob) -> str:
    """The unescaped text shown in bold; empty when the job has nothing to show."""
    prompt = _prompt(job)
    blend = blend_title(job)
    if blend and prompt:
        return f"{blend}: {prompt}"
    return blend or prompt


def blend_title(job: Job | NewJob) -> str:
    """'Blend of cat and dog' or 'Blend of 3 images'; empty for a job not from a blend."""
    info = job.params.get(BLEND)
    if not isinstance(info, dict):
        if job.kind is not JobKind.BLEND:
            return ""
        images = job.params.get("images")  # blends stored before names were kept
        return f"Blend of {len(images)} images" if isinstance(images, list) and images else "Blend"
    names = [str(name) for name in info.get("names") or [] if str(name).strip()]
    count = int(info.get("count") or len(names))
    listed = _listed(names)
    if names and len(names) == count and len(listed) <= _NAMES_ROOM:
        return f"Blend of {listed}"
    return f"Blend of {count} images"


def _prompt(job: Job | NewJob) -> str:
    own = job.prompt.strip()
    if own:
        return own
    reported = getattr(job, "result_prompt", None) or job.params.get(SHOWN_PROMPT) or ""
    return "" if job.kind is JobKind.DESCRIBE else str(reported).strip()


def _listed(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
