"""Where a derived result goes: a reply to its parent, in the parent's thread when it has one.

A reply makes Discord show the parent above the result, so members keep the thread of work
in a busy channel. `fail_if_not_exists=False` lets Discord post without the reply when the
parent message was deleted. With `/mj-admin threads on`, each /imagine result starts a
thread, and everything derived from it is posted inside that thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import discord

from bot.jobs.models import Job, JobKind
from bot.jobs.store import Store
from bot.ui.actions import human_name

log = logging.getLogger(__name__)

THREAD_NAME_MAX: Final = 100  # Discord's limit for a thread name
ARCHIVE_AFTER: Final = 1440  # minutes: a day without messages


@dataclass(frozen=True, slots=True)
class Place:
    """A channel to post in, and the parent message to reply to there (if any)."""

    channel_id: int
    reference: discord.MessageReference | None = None


async def result_place(store: Store, job: Job, *, thread: bool = True) -> Place:
    """Where a finished job's result is posted (`thread=False`: never in the parent's thread)."""
    channel_id = job.channel_id or 0
    parent = await store.get_job(job.parent_id) if job.parent_id is not None else None
    if parent is None:
        return Place(channel_id)
    if parent.thread_id and thread:
        channel_id = parent.thread_id
    return Place(channel_id, await _reply_to(store, parent, channel_id, job.guild_id))


async def progress_place(store: Store, job: Job) -> Place:
    """Where a job started outside Discord (the editor) shows its progress: where it was asked."""
    channel_id = job.channel_id or 0
    if job.parent_id is None:
        return Place(channel_id)
    return Place(channel_id, await _reply_to(store, job.parent_id, channel_id, job.guild_id))


async def _reply_to(
    store: Store, parent: Job | int, channel_id: int, guild_id: int | None
) -> discord.MessageReference | None:
    parent_id = parent if isinstance(parent, int) else parent.id
    message_id = await store.message_in(parent_id, channel_id)
    if message_id is None:
        return None  # Discord refuses a reply to a message in another channel
    return discord.MessageReference(
        message_id=message_id, channel_id=channel_id, guild_id=guild_id, fail_if_not_exists=False
    )


async def start_thread(
    http: discord.http.HTTPClient, store: Store, job: Job, message: discord.Message
) -> int | None:
    """Start a thread on an /imagine result when its server wants threads; its id or None."""
    if job.kind is not JobKind.IMAGINE or job.guild_id is None:
        return None
    if not (await store.guild_settings(job.guild_id)).threads:
        return None
    name = " ".join(job.prompt.split()) or f"Job {job.id}"
    if len(name) > THREAD_NAME_MAX:
        name = name[: THREAD_NAME_MAX - 1] + "…"
    try:
        data = await http.start_thread_with_message(
            message.channel.id, message.id, name=name, auto_archive_duration=ARCHIVE_AFTER
        )
    except discord.HTTPException as error:
        # No permission, or a channel that has no threads: results stay in the channel.
        log.warning("job %d: no thread started (%s)", job.id, error)
        return None
    thread_id = int(data["id"])
    await store.set_thread(job.id, thread_id)
    log.info("job %d started thread %d", job.id, thread_id)
    return thread_id


async def family_lines(store: Store, job: Job, limit: int = 10) -> list[str]:
    """/show's lines about a job's parent and children, with links to their results."""
    lines = []
    if job.parent_id is not None:
        parent = await store.get_job(job.parent_id)
        if parent is not None:
            lines.append(f"⬆️ Made from {await _described(store, parent)}")
    children = await store.children_of(job.id)
    for child in children[:limit]:
        lines.append(f"↳ {await _described(store, child)}")
    if len(children) > limit:
        lines.append(f"↳ and {len(children) - limit} more")
    if not children:
        lines.append("Nothing made from it yet.")
    return lines


async def _described(store: Store, job: Job) -> str:
    what = human_name(job.action) if job.action else job.kind.value
    text = f"job {job.id} ({what}, {job.status})"
    place = await store.result_place(job.id)
    if place is not None:
        channel_id, message_id = place
        text += f": https://discord.com/channels/{job.guild_id or '@me'}/{channel_id}/{message_id}"
    return text
