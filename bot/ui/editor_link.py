"""🖌️ Vary (Region): the button answers privately with a one-time link to the mask editor.

The editor runs on the bot's own web server (bot/web), so it needs PUBLIC_BASE_URL; without
it the member is told how the bot's owner turns it on. The link is for the clicker and this
job only, works once and expires after 15 minutes (bot/jobs/editor.py).
"""

from __future__ import annotations

from typing import Any, Final

import discord

from bot.jobs.editor import LINK_LIFETIME, Editor
from bot.jobs.models import Job, JobKind, NewJob
from bot.ui.context import services
from bot.ui.launch import requester_of

NOT_CONFIGURED: Final = (
    "🖌️ Vary (Region) paints the region to change in a small web editor served by this bot, "
    "and it is not turned on here. The bot's owner can turn it on by setting `PUBLIC_BASE_URL` "
    "to the address where the bot's web server is reachable (see the README), then restarting."
)


async def send_editor_link(interaction: discord.Interaction, job: Job) -> None:
    """Check as for any button, then answer with the member's own link (or how to enable it)."""
    bot = services(interaction)
    requester = requester_of(interaction)
    # The same checks as starting the job itself, so a refusal comes now, not after painting;
    # nothing is held: the editor checks again when the mask is submitted.
    new = NewJob(JobKind.INPAINT, job.mode, requester, prompt=job.prompt, parent_id=job.id)
    bot.service.release(await bot.service.reserve(new))
    base = bot.settings.public_base_url
    if not base:
        await interaction.response.send_message(NOT_CONFIGURED, ephemeral=True)
        return
    token, expires = await Editor(bot.store).issue(requester, job)
    url = f"{base}/edit/{token}"
    view: discord.ui.View = discord.ui.View()
    button: discord.ui.Button[Any] = discord.ui.Button(label="Open the editor", emoji="🖌️", url=url)
    view.add_item(button)
    minutes = int(LINK_LIFETIME // 60)
    text = (
        f"🖌️ **Vary (Region)** for job {job.id}: paint the part to change, adjust the prompt if "
        f"you like, and submit. The new grid will appear here.\n"
        f"This link is yours alone, works once and expires <t:{int(expires)}:R> "
        f"({minutes} minutes). Don't share it: <{url}>"
    )
    await interaction.response.send_message(text, view=view, ephemeral=True, suppress_embeds=True)
