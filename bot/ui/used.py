"""Used buttons: highlighted on the result once their action succeeded, and a paid repeat asks.

As the official bot does, a pressed U1 turns blurple on the grid once its upscale is posted,
so everyone sees what was already done. What is "used" is read from the store (children of
the result that succeeded), never kept in memory, so it survives restarts and /show re-posts.
A second press of an action that gives the same image again (an upscale) asks first,
ephemerally, with a confirm button whose custom_id carries everything it needs.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord

from bot.errors import NotAllowed
from bot.jobs.display import inherited
from bot.jobs.models import Job, JobKind, NewJob, Requester
from bot.ui.actions import action_for
from bot.ui.context import services
from bot.ui.errors import Answered
from bot.ui.launch import launch_in_channel, requester_of
from bot.ui.layout import actions_for

AGAIN_PREFIX: Final = "mjagain:"
STALE: Final = "This question belongs to a result I no longer know; use the result's own buttons."


def action_job(parent: Job, requester: Requester, action: str) -> NewJob:
    """The job a button press will create, as checked and previewed before it is written."""
    return NewJob(
        JobKind.ACTION,
        parent.mode,
        requester,
        prompt=parent.prompt,
        action=action,
        parent_id=parent.id,  # the one check then covers who may press (bot/jobs/policy.py)
        params=inherited(parent),  # so the preview names a blend's child like its result
    )


def result_link(job: Job) -> str:
    """A jump link to a job's result message (or its channel when the message is unknown)."""
    place = f"https://discord.com/channels/{job.guild_id or '@me'}/{job.channel_id}"
    return f"{place}/{job.result_message_id}" if job.result_message_id else place


def question(action: str, done: Job) -> str:
    """'Already upscaled: <link>' and 'Upscale image #1 again? It costs the same credits again.'"""
    row = action_for(action)
    return (
        f"Already {row.past}: {result_link(done)}\n"
        f"{row.human} again? It costs the same credits again."
    )


async def ask_before_repeating(
    interaction: discord.Interaction, parent: Job, index: int, action: str
) -> bool:
    """If pressing `action` again would pay for the same image, ask instead; True if asked."""
    if not action_for(action).ask_again:
        return False
    bot = services(interaction)
    done = (await bot.service.used_actions(parent.id)).get(action)
    if done is None:
        return False
    # A member who could not run it anyway (limits, ban, pause) hears why, not a question.
    bot.service.release(
        await bot.service.reserve(action_job(parent, requester_of(interaction), action))
    )
    view = discord.ui.View(timeout=None)
    view.add_item(RepeatButton.make(parent.id, index, action))
    await interaction.response.send_message(question(action, done), view=view, ephemeral=True)
    return True


class RepeatButton(
    Answered,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"mjagain:(?P<job>[0-9]{1,19}):(?P<index>[0-9]{1,3})",
):
    """'Upscale again' under the question: works after a restart (all it needs is its id)."""

    def __init__(self, job_id: int, index: int, label: str = "Yes, again") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=f"{AGAIN_PREFIX}{job_id}:{index}",
            )
        )
        self.job_id = job_id
        self.index = index

    @classmethod
    def make(cls, job_id: int, index: int, action: str) -> RepeatButton:
        """The confirm button for pressing a job's button number `index` again."""
        return cls(job_id, index, f"{action_for(action).human} again")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RepeatButton:
        """Rebuild from the clicked component (no I/O: discord.py drops errors raised here)."""
        return cls(int(match["job"]), int(match["index"]))

    async def answer(self, interaction: discord.Interaction) -> None:
        """Start the action again; every error is answered ephemerally."""
        await self._again(interaction)

    async def _again(self, interaction: discord.Interaction) -> None:
        bot = services(interaction)
        parent = await bot.store.get_job(self.job_id)
        actions = actions_for(parent) if parent is not None else ()
        # The id comes from the member's client: hold it to the same rules as the button.
        if parent is None or parent.guild_id != interaction.guild_id or self.index >= len(actions):
            raise NotAllowed(STALE)
        action = actions[self.index]
        new = action_job(parent, requester_of(interaction), action)
        ticket = await bot.service.reserve(new)  # every check, who may press included
        try:
            # Answered at once (3 s rule), the button removed so it is not pressed twice; the
            # progress line follows in the channel, or the reason in a private follow-up.
            human = action_for(action).human
            await interaction.response.edit_message(content=f"Starting {human} again…", view=None)
            await launch_in_channel(
                interaction, new, lambda r, t: bot.service.action(r, parent, action, t), ticket
            )
        finally:
            bot.service.release(ticket)
