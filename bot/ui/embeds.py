"""Job -> what members read: progress lines, result messages, failures, describe results.

The words follow the official Midjourney bot: "**prompt** - <@user> (fast)",
"**prompt** - Upscaled (Subtle) by <@user> (fast)", "**prompt** - Image #2 <@user>".
"""

from __future__ import annotations

import math
from typing import Final

import discord

from bot.jobs.models import Job, JobKind, NewJob
from bot.jobs.states import JobStatus
from bot.ui.actions import KEYCAPS, action_for
from bot.ui.budget import PAYMENT_HOLD
from bot.ui.prompts import title

EMBED_COLOUR: Final = discord.Colour(0x5865F2)
FAILURE_COLOUR: Final = discord.Colour(0xED4245)
MAX_CONTENT: Final = 2000
_BAR: Final = 6  # segments of the progress bar
_PROMPT_ROOM: Final = 1500  # leaves room for the rest of the line within 2000 characters


def allowed_mentions(job: Job) -> discord.AllowedMentions:
    """Ping the requester and nobody else, whatever the prompt contains."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(job.user_id)], replied_user=False
    )


def shown_prompt(job: Job | NewJob) -> str:
    """The prompt as shown in bold, escaped and shortened to fit a message."""
    if job.kind is JobKind.DESCRIBE:
        return "/describe"
    text = discord.utils.escape_markdown(title(job)) or "(no prompt)"
    return text if len(text) <= _PROMPT_ROOM else text[: _PROMPT_ROOM - 1] + "…"


def subject(job: Job | NewJob) -> str:
    """What the job is and who asked, e.g. 'Upscaled (Subtle) by <@1>' or 'Image #2 <@1>'."""
    mention = f"<@{job.user_id}>"
    verb = action_for(job.action).verb if job.action else None
    if verb:
        return f"{verb} {mention}"
    if job.kind is JobKind.SEED:
        return f"Seed for {mention}"
    if job.kind is JobKind.INPAINT:
        return f"{action_for('inpaint').verb} {mention}"
    return mention


def progress_text(
    job: Job,
    position: int | None = None,
    waiting: str | None = None,
    *,
    held: bool = False,
    eta: float | None = None,
) -> str:
    """The progress line while a job waits or runs.

    `held`: a 402 stopped every account; `waiting`: why else nothing starts now; `eta`:
    seconds until a running job should finish.
    """
    if job.status is JobStatus.QUEUED and held:
        state = PAYMENT_HOLD
    elif job.status is JobStatus.QUEUED and waiting:
        state = f"Queued — {waiting}"
    elif job.status is JobStatus.QUEUED and position is not None:
        state = f"Queued — {position} ahead" if position else "Queued — next up"
    elif job.status is JobStatus.RUNNING and job.progress is not None:
        state = progress_bar(job.progress, job.mode, eta)
    else:
        state = "Waiting to start"
    return f"**{shown_prompt(job)}** - {subject(job)} ({state})"


def progress_bar(progress: int, mode: str, eta: float | None = None) -> str:
    """'▰▰▰▱▱▱ 46 % · fast · ~20 s left': 100 % only ever shows with the result."""
    shown = max(0, min(progress, 99))
    filled = min(round(shown * _BAR / 100), _BAR - 1)  # full only once finished
    parts = [f"{'▰' * filled}{'▱' * (_BAR - filled)} {shown} %", mode]
    if eta is not None:
        parts.append(_time_left(eta))
    return " · ".join(parts)


def _time_left(seconds: float) -> str:
    # Rounded so the line does not change (and cost an edit) for a second's difference.
    if seconds < 60:
        return f"~{max(5, 5 * math.ceil(seconds / 5))} s left"
    return f"~{math.ceil(seconds / 60)} min left"


def preview_text(job: Job | NewJob) -> str:
    """The progress line first shown, before the job is even written."""
    return f"**{shown_prompt(job)}** - {subject(job)} (Waiting to start)"


def result_text(job: Job) -> str:
    """The content line of a finished result."""
    if job.action and job.action.startswith("upsample"):
        return f"**{shown_prompt(job)}** - {subject(job)}"
    return f"**{shown_prompt(job)}** - {subject(job)} ({job.mode})"


def failure_text(job: Job) -> str:
    """Shown publicly in place of the progress message when a started job fails."""
    reason = job.error or "Midjourney did not say why."
    verb = "was cancelled" if job.status is JobStatus.CANCELLED else "failed"
    return _fit(f"**{shown_prompt(job)}** - {subject(job)} {verb}: {reason}")


def result_embed(job: Job, image: str | None) -> discord.Embed:
    """The embed holding the result image (`attachment://name` or the CDN URL)."""
    embed = discord.Embed(colour=EMBED_COLOUR)
    if image:
        embed.set_image(url=image)
    embed.set_footer(text=footer(job))
    return embed


def footer(job: Job) -> str:
    """'Job 12 · fast', with '· from job 7' when it was made from another result."""
    parent = f" · from job {job.parent_id}" if job.parent_id is not None else ""
    return f"Job {job.id} · {job.mode}{parent}"


def describe_embeds(job: Job, image: str | None) -> list[discord.Embed]:
    """A describe result as the official bot shows it: the image large, the prompts beneath."""
    prompts = describe_embed(job)
    if not image:
        return [prompts]
    return [discord.Embed(colour=EMBED_COLOUR).set_image(url=image), prompts]


def describe_embed(job: Job) -> discord.Embed:
    """The four prompts of a describe result, numbered 1️⃣-4️⃣."""
    lines = [
        f"{KEYCAPS[i]} {discord.utils.escape_markdown(p)}" for i, p in enumerate(job.prompts[:4])
    ]
    description = "\n\n".join(lines) or "Midjourney returned no prompts for this image."
    embed = discord.Embed(title="Describe", description=description[:4096], colour=EMBED_COLOUR)
    embed.set_footer(text=f"Job {job.id} · {job.mode}")
    return embed


def _fit(text: str) -> str:
    return text if len(text) <= MAX_CONTENT else text[: MAX_CONTENT - 1] + "…"
