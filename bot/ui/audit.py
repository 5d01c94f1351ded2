"""The audit channel: one entry per finished job and per admin action, with moderator buttons."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import discord

from bot.errors import NotAllowed
from bot.jobs.ledger import credits
from bot.jobs.models import Job
from bot.jobs.moderation import ban_member
from bot.ui.actions import human_name
from bot.ui.context import Services, is_moderator, services
from bot.ui.embeds import shown_prompt
from bot.ui.errors import Answered

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


async def post_audit(
    bot: discord.Client, guild_id: int | None, text: str, view: discord.ui.View | None = None
) -> None:
    """Post to the server's audit channel, if it has one; never raises."""
    if guild_id is None:
        return
    store = services_of(bot).store
    channel_id = (await store.guild_settings(guild_id)).log_channel_id
    if channel_id is None:
        return
    channel = bot.get_partial_messageable(channel_id, guild_id=guild_id)
    try:
        await channel.send(
            text[:2000], view=view or discord.utils.MISSING, allowed_mentions=NO_PINGS
        )
    except discord.HTTPException as error:
        log.warning("audit entry for guild %d not posted: %s", guild_id, error)


def job_entry(job: Job) -> str:
    """One line per finished job: who, what, mode, outcome, cost and a link to the result."""
    cost, estimated = credits(job)
    where = f"https://discord.com/channels/{job.guild_id}/{job.channel_id}"
    link = f" · [result]({where}/{job.result_message_id})" if job.result_message_id else ""
    what = human_name(job.action) if job.action else job.kind.value
    outcome = job.status.value + (f" ({job.error[:200]})" if job.error else "")
    approx = "~" if estimated else ""
    if not estimated and cost and job.estimate is not None and abs(job.estimate - cost) > 0.005:
        approx = f"estimated {job.estimate:g}, charged "  # the ledger shows both when they differ
    return (
        f"🧾 Job {job.id} · <@{job.user_id}> · {what} · {job.mode} · {outcome} · "
        f"{approx}{cost:g} credits{link}\n> {shown_prompt(job)[:1500]}"
    )


def moderation_view(job: Job) -> discord.ui.View:
    """🗑️ Delete result and 🔨 Ban user, for moderators in the audit channel."""
    view = discord.ui.View(timeout=None)
    if job.result_message_id:
        view.add_item(ModButton.make("delete", job.id))
    view.add_item(ModButton.make("ban", job.id))
    return view


class ModButton(
    Answered,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"mjmod:(?P<op>[a-z]+):(?P<job>[0-9]+)",
):
    """A moderator's button on an audit entry."""

    def __init__(self, button: discord.ui.Button[Any], op: str, job_id: int) -> None:
        super().__init__(button)
        self.op, self.job_id = op, job_id

    @classmethod
    def make(cls, op: str, job_id: int) -> ModButton:
        """The 🗑️ (op "delete") or 🔨 (op "ban") button for a job."""
        label, emoji, style = (
            ("Delete result", "🗑️", discord.ButtonStyle.secondary)
            if op == "delete"
            else ("Ban user", "🔨", discord.ButtonStyle.danger)
        )
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, emoji=emoji, style=style, custom_id=f"mjmod:{op}:{job_id}"
        )
        return cls(button, op, job_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ModButton:
        """Rebuild from the clicked component (no I/O)."""
        return cls(item, match["op"], int(match["job"]))  # type: ignore[arg-type]

    async def answer(self, interaction: discord.Interaction) -> None:
        """Delete the result or ban its requester; moderators only."""
        await self._act(interaction)

    async def _act(self, interaction: discord.Interaction) -> None:
        if not is_moderator(interaction):
            raise NotAllowed("Only moderators (Manage Server) can use these buttons.")
        bot = services(interaction)
        job = await bot.store.get_job(self.job_id)
        if job is None or job.guild_id != interaction.guild_id:
            raise NotAllowed("That job is not one of this server's.")
        if self.op == "delete":
            text = await _delete_result(interaction.client, job)
        elif self.op == "ban":
            reason = f"from the audit log (job {job.id})"
            outcome = await ban_member(
                bot.store,
                bot.service,
                job.guild_id or 0,
                job.user_id,
                reason=reason,
                by=interaction.user.id,
            )
            text = f"🔨 <@{interaction.user.id}> banned <@{job.user_id}> {reason}."
            text += f" {outcome.cancelled} queued job(s) cancelled." if outcome.cancelled else ""
        else:
            raise NotAllowed("This button is not valid.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        await post_audit(interaction.client, job.guild_id, text)


async def _delete_result(client: discord.Client, job: Job) -> str:
    if not (job.result_message_id and job.channel_id):
        return f"Job {job.id} has no result message to delete."
    channel = client.get_partial_messageable(job.channel_id)
    with contextlib.suppress(discord.NotFound):
        await channel.get_partial_message(job.result_message_id).delete()
    return f"🗑️ Result of job {job.id} by <@{job.user_id}> deleted."


def services_of(bot: discord.Client) -> Services:
    """The bot typed as the services it carries."""
    return bot  # type: ignore[return-value]
