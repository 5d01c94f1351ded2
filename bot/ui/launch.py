"""Starting a job from an interaction, the same way for commands and buttons.

Every local check runs first, once, under the member's lock (the engine's Gate), and a
refusal is answered at once, ephemerally, before anything is shown in the channel or spent;
the ticket it returns holds the job's place in the limits until the job is written. Then the
job is submitted, and only once the provider has taken it is the progress line shown: a job
refused at once leaves nothing in the channel, just the reason for the member alone. The
progress message is the interaction's own response (deferred, then edited); after the
15-minute token lifetime it is still edited through the channel endpoint with the bot token.
Should the submit outlast Discord's 3 s to answer, the interaction is acknowledged privately
and the progress is posted to the channel. The same happens at once, before any check or
database read, to every /imagine that arrives while another is still being handled
(`crowd`): a burst of hundreds must each be acknowledged within those 3 s, whatever queues
up behind them on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import aiohttp
import discord

from bot.jobs.gate import Ticket
from bot.jobs.models import Job, NewJob, Requester
from bot.ui.context import is_moderator, services
from bot.ui.embeds import preview_text
from bot.ui.permissions import ensure_can_post
from bot.ui.undelivered import followups_of

Submit = Callable[[Requester, Ticket], Awaitable[Job]]

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
# How long the provider's answer may take before the interaction must be acknowledged
# (Discord drops an interaction not answered within 3 s).
QUICK_ANSWER = 1.5
_SUBMITS: set[asyncio.Future[Job]] = set()
PRIVATE_ACK = "mjbot_private_ack"  # Interaction.extras key: acknowledged privately by `crowd`
_handling = 0  # /imagine handlers running now (see `crowd`)


def requester_of(interaction: discord.Interaction, message_id: int | None = None) -> Requester:
    """Who is asking, where, with the roles and rights the checks need."""
    user = interaction.user
    return Requester(
        user.id,
        interaction.guild_id,
        interaction.channel_id,
        message_id,
        role_ids=frozenset(role.id for role in getattr(user, "roles", ())),
        is_admin=is_moderator(interaction),
        parent_channel_id=_thread_parent(interaction),
    )


@contextlib.asynccontextmanager
async def crowd(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Around a command handler: under a burst, acknowledge privately before anything else."""
    global _handling  # noqa: PLW0603 - one event loop; a count, not shared state to guard
    if _handling and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
        interaction.extras[PRIVATE_ACK] = True
    _handling += 1
    try:
        yield
    finally:
        _handling -= 1


def _thread_parent(interaction: discord.Interaction) -> int | None:
    """The channel a thread belongs to (threads of an allowed channel are allowed too)."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    return None


async def launch(interaction: discord.Interaction, new: NewJob, submit: Submit) -> Job:
    """Check, submit, and show the progress line once the provider has taken the job."""
    ensure_can_post(interaction)  # before any spend: a result nobody can see is lost
    service = services(interaction).service
    ticket = await service.reserve(new)

    async def submitting() -> Job:
        try:
            return await submit(new.requester, ticket)
        finally:
            service.release(ticket)  # whatever the submit did not use

    answered = interaction.response.is_done()
    task: asyncio.Future[Job] = asyncio.ensure_future(submitting())
    # Held until done: a paid submit must finish even if this handler is cancelled.
    _SUBMITS.add(task)
    task.add_done_callback(_SUBMITS.discard)
    done, _ = await asyncio.wait({task}, timeout=None if answered else QUICK_ANSWER)
    if not done:
        # Slow to take (a big upload, a slow provider): acknowledge privately, so a refusal
        # still leaves nothing in the channel. The job goes on whatever happens here.
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.defer(ephemeral=True, thinking=True)
    job = await task  # a refusal raises here and is answered ephemerally (report_error)
    # A private acknowledgement cannot carry the public progress line: post it instead.
    in_answer = (bool(done) or answered) and not interaction.extras.get(PRIVATE_ACK)
    followups_of(interaction.client).remember(job.id, interaction, shows_progress=in_answer)
    showing = _show_progress(interaction, new, in_answer=in_answer)
    if await _shown(interaction, job, showing):
        await _dm_hint(interaction)
    return job


async def _shown(
    interaction: discord.Interaction, job: Job, showing: Awaitable[discord.Message]
) -> bool:
    """Hand the progress line to the publisher; False when it could not be shown.

    The job is paid for and watched: its result is posted whatever happens to this line
    (e.g. the bot is shutting down and its HTTP session is closed).
    """
    try:
        message = await showing
        # If the job finished meanwhile, its outcome was posted on its own: drop the line.
        if not await services(interaction).service.attach_progress(job.id, message.id):
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
    except (discord.HTTPException, aiohttp.ClientError, RuntimeError) as error:
        log.warning("job %d: progress line not shown (%s)", job.id, error)
        return False
    return True


async def _show_progress(
    interaction: discord.Interaction, new: NewJob, *, in_answer: bool
) -> discord.Message:
    """The progress line: the interaction's own answer (`in_answer`), else a new post."""
    if in_answer:
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        try:
            return await interaction.edit_original_response(
                content=preview_text(new), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:  # the answer is gone: post the line instead
            log.warning("progress line not shown in the answer (%s); posting it", error)
    message = await _post_preview(interaction, new)
    with contextlib.suppress(discord.HTTPException):
        await interaction.delete_original_response()  # the private "thinking…"
    return message


async def launch_in_channel(
    interaction: discord.Interaction, new: NewJob, submit: Submit, ticket: Ticket
) -> Job:
    """Start one more job of a request already checked (`ticket`) from an interaction already
    answered: its progress line is a new message, once the provider has taken the job."""
    ensure_can_post(interaction)
    job = await submit(new.requester, ticket)
    followups_of(interaction.client).remember(job.id, interaction, shows_progress=False)
    await _shown(interaction, job, _post_preview(interaction, new))
    return job


async def _post_preview(interaction: discord.Interaction, new: NewJob) -> discord.Message:
    channel = interaction.channel
    if channel is None or not isinstance(channel, discord.abc.Messageable):
        raise RuntimeError("no channel to show the progress in")
    return await channel.send(preview_text(new), allowed_mentions=NO_PINGS)


DM_HINT = (
    "I couldn't send you a DM copy of your last result: your DMs from this server are closed, "
    "so DM copies are now off. Open your DMs, then turn them back on in /settings."
)


async def _dm_hint(interaction: discord.Interaction) -> None:
    """Tell a member once that their DM copy bounced (see cogs/publisher.py)."""
    store = services(interaction).store
    settings = await store.user_settings(interaction.user.id)
    if settings.dm_blocked:
        await store.save_user_settings(replace(settings, dm_blocked=False))
        await interaction.followup.send(DM_HINT, ephemeral=True)
