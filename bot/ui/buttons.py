"""The result buttons: one DynamicItem class whose custom_id is "mj:<job id>:<index>".

Registered with `bot.add_dynamic_items` in setup_hook, so a button works after any restart:
everything it needs is in the custom_id and the database. Parsing does no I/O and never
raises (discord.py drops the click silently if it does); the callback answers every error.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord

from bot.errors import NotAllowed
from bot.jobs.models import Job, JobKind, NewJob
from bot.ui.context import services
from bot.ui.errors import report_error
from bot.ui.launch import launch, launch_in_channel, requester_of
from bot.ui.layout import (
    IMAGINE_ALL,
    REDESCRIBE,
    SEED,
    ButtonSpec,
    actions_for,
    layout,
    parse_custom_id,
)

MAPPING_RETRIES = (0.2, 0.4)
SEED_WAIT = 600.0  # the interaction token lasts 15 minutes
STALE = (
    "This button does not belong to a result I know. It may come from an old or copied "
    "message; use the buttons on the result itself."
)


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mj:(?P<rest>.*)"):
    """A button on a result: U1, V2, 🔄, Zoom Out 2x, 1️⃣, ..."""

    def __init__(self, button: discord.ui.Button[Any]) -> None:
        super().__init__(button)
        self.target = parse_custom_id(button.custom_id or "")

    @classmethod
    def from_spec(cls, spec: ButtonSpec) -> JobButton:
        """The button for one spec of `layout(job)`."""
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=spec.label,
            emoji=spec.emoji,
            style=discord.ButtonStyle.secondary,
            custom_id=spec.custom_id,
            row=spec.row,
        )
        return cls(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        """Rebuild the button from the clicked component (no I/O here)."""
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        """Start the button's job; every error is answered ephemerally."""
        try:
            await press(interaction, self.target)
        except Exception as error:
            await report_error(interaction, error)


def result_view(job: Job) -> discord.ui.View | None:
    """A view with every button of a job, or None when it has none."""
    specs = layout(job)
    if not specs:
        return None
    view = discord.ui.View(timeout=None)
    for spec in specs:
        view.add_item(JobButton.from_spec(spec))
    return view


async def press(interaction: discord.Interaction, target: tuple[int, int] | None) -> None:
    """Resolve a click against the stored job and start what the button stands for."""
    job, action = await _clicked(interaction, target)
    bot = services(interaction)
    await bot.service.check_button(requester_of(interaction), job)
    if action.startswith("prompt"):
        prompt = job.prompts[int(action[-1]) - 1]
        await _imagine(interaction, prompt, job.mode)
    elif action == IMAGINE_ALL:
        await interaction.response.defer(ephemeral=True, thinking=True)
        for described in job.prompts[:4]:
            prompt = await bot.service.with_suffix(interaction.user.id, described)
            new = NewJob(JobKind.IMAGINE, job.mode, requester_of(interaction), prompt=prompt)
            await launch_in_channel(
                interaction, new, lambda r, p=prompt: bot.service.imagine(r, p, job.mode)
            )
        await interaction.followup.send("Started all four prompts.", ephemeral=True)
    elif action == SEED:
        await _seed(interaction, job)
    elif action == REDESCRIBE:
        new = NewJob(JobKind.DESCRIBE, job.mode, requester_of(interaction))
        # The input left the database once sent (bot/jobs/inputs.py): the provider's copy.
        image = str(job.params.get("image") or job.params.get("url") or job.image_url or "")
        await launch(interaction, new, lambda r: bot.service.describe(r, image, job.mode))
    else:
        new = NewJob(
            JobKind.ACTION, job.mode, requester_of(interaction), prompt=job.prompt, action=action
        )
        await launch(interaction, new, lambda r: bot.service.action(r, job, action))


async def _seed(interaction: discord.Interaction, grid: Job) -> None:
    """Answer the clicker with the grid's seed; fetched once, then served from the store."""
    bot = services(interaction)
    cached = await bot.store.get_job(grid.id)
    if cached is not None and cached.seed:
        await interaction.response.send_message(_seed_text(cached.seed), ephemeral=True)
        return
    await bot.service.check(NewJob(JobKind.SEED, grid.mode, requester_of(interaction)))
    await interaction.response.defer(ephemeral=True, thinking=True)
    job = await bot.service.seed(requester_of(interaction), grid)
    done = await bot.service.wait(job.id, SEED_WAIT)
    if done is not None and done.seed:
        text = _seed_text(done.seed)
    elif done is not None:
        text = f"Midjourney could not give the seed: {done.error or 'no reason given'}"
    else:
        text = "The seed is taking long; press 🌱 again in a minute (it won't be charged twice)."
    await interaction.followup.send(text, ephemeral=True)


async def _job_of(interaction: discord.Interaction, message_id: int) -> Job | None:
    """The job a message shows. A result is mapped a moment after Discord shows it, so a
    click in that moment looks again briefly (well within the 3 s to answer)."""
    store = services(interaction).store
    for delay in MAPPING_RETRIES:
        job = await store.job_for_message(message_id)
        if job is not None:
            return job
        await asyncio.sleep(delay)
    return await store.job_for_message(message_id)


def _seed_text(seed: str) -> str:
    return f"🌱 Seed of this grid: `{seed}`\nAdd `--seed {seed}` to a prompt to start from it."


async def _imagine(interaction: discord.Interaction, prompt: str, mode: str) -> None:
    bot = services(interaction)
    prompt = await bot.service.with_suffix(interaction.user.id, prompt)
    new = NewJob(JobKind.IMAGINE, mode, requester_of(interaction), prompt=prompt)
    await launch(interaction, new, lambda r: bot.service.imagine(r, prompt, mode))


async def _clicked(
    interaction: discord.Interaction, target: tuple[int, int] | None
) -> tuple[Job, str]:
    """The job behind the clicked message and the action of the button; refuses forgeries."""
    if target is None or interaction.message is None:
        raise NotAllowed("This button is not valid.")
    job = await _job_of(interaction, interaction.message.id)
    job_id, index = target
    actions = actions_for(job) if job is not None else ()
    if job is None or job.id != job_id or index >= len(actions):
        raise NotAllowed(STALE)
    return job, actions[index]
