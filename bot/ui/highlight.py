"""After an action's result is posted, its button turns blurple on the parent's result.

One edit of the parent message, by the bot token (the clicker's interaction token may be
long dead: relax jobs outlast its 15 minutes), with the used set read from the store.
"""

from __future__ import annotations

import logging

import discord

from bot.jobs.models import Job, JobKind
from bot.ui.buttons import result_view
from bot.ui.context import Services

log = logging.getLogger(__name__)


async def highlight_parent(client: discord.Client, bot: Services, child: Job) -> None:
    """Show `child`'s button as used on its parent's result message."""
    if child.parent_id is None or child.kind not in (JobKind.ACTION, JobKind.INPAINT):
        return
    parent = await bot.store.get_job(child.parent_id)
    if parent is None or not parent.result_message_id or not parent.channel_id:
        return
    used = await bot.service.used_actions(parent.id)
    channel = client.get_partial_messageable(parent.channel_id, guild_id=parent.guild_id)
    try:
        await channel.get_partial_message(parent.result_message_id).edit(
            view=result_view(parent, frozenset(used))
        )
    except discord.HTTPException as error:
        log.warning("used buttons of job %d not shown: %s", parent.id, error)
    else:
        log.info("job %d: %s shown as used on job %d", child.id, child.action, parent.id)
