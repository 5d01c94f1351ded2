"""The result buttons: one DynamicItem class whose custom_id is "mj1:<job id>:<index>".

Registered with `bot.add_dynamic_items` in setup_hook, so a button works after any restart:
everything it needs is in the custom_id and the database. Parsing does no I/O and never
raises (discord.py drops the click silently if it does); the callback answers every error.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from typing import Any

import discord

from bot.errors import NotAllowed
from bot.jobs.models import Job, JobKind, NewJob
from bot.ui.actions import IMAGINE_ALL, REDESCRIBE, SEED
from bot.ui.context import services
from bot.ui.editor_link import send_editor_link
from bot.ui.errors import Answered
from bot.ui.launch import Submit, launch, launch_in_channel, requester_of
from bot.ui.layout import (
    CUSTOM_ID_TEMPLATE,
    INPAINT,
    ButtonSpec,
    actions_for,
    layout,
    parse_custom_id,
    target_of,
)
from bot.ui.used import action_job, ask_before_repeating

MAPPING_RETRIES = (0.2, 0.4)
SEED_WAIT = 600.0  # the interaction token lasts 15 minutes
STALE = (
    "This button does not belong to a result I know. It may come from an old or copied "
    "message; use the buttons on the result itself."
)


class JobButton(
    Answered, discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_TEMPLATE
):
    """A button on a result: U1, V2, 🔄, Zoom Out 2x, 1️⃣, ..."""

    def __init__(
        self, button: discord.ui.Button[Any], target: tuple[int, int] | None = None
    ) -> None:
        super().__init__(button)
        self.target = target or parse_custom_id(button.custom_id or "")

    @classmethod
    def from_spec(cls, spec: ButtonSpec, *, used: bool = False) -> JobButton:
        """The button for one spec of `layout(job)`; blurple once its action succeeded."""
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=spec.label,
            emoji=spec.emoji,
            style=discord.ButtonStyle.primary if used else discord.ButtonStyle.secondary,
            custom_id=spec.custom_id,
            row=spec.row,
        )
        return cls(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        """Rebuild the button from the clicked component (no I/O here)."""
        return cls(item, target_of(match))  # type: ignore[arg-type]

    async def answer(self, interaction: discord.Interaction) -> None:
        """Start the button's job; every error is answered ephemerally."""
        await press(interaction, self.target)


def result_view(job: Job, used: Collection[str] = ()) -> discord.ui.View | None:
    """A view with every button of a job (`used` actions highlighted), or None if it has none."""
    specs = layout(job)
    if not specs:
        return None
    view = discord.ui.View(timeout=None)
    for spec in specs:
        view.add_item(JobButton.from_spec(spec, used=spec.action in used))
    return view


async def press(interaction: discord.Interaction, target: tuple[int, int] | None) -> None:
    """Resolve a click against the stored job and start what the button stands for."""
    job, action = await _clicked(interaction, target)
    bot = services(interaction)
    who = requester_of(interaction)
    # Every job started here carries parent_id, so the one check covers who may press.
    if target is not None and await ask_before_repeating(interaction, job, target[1], action):
        return
    if action.startswith("prompt"):
        prompt = job.prompts[int(action[-1]) - 1]
        await _imagine(interaction, prompt, job)
    elif action == IMAGINE_ALL:
        await _imagine_all(interaction, job)
    elif action == SEED:
        await _seed(interaction, job)
    elif action == INPAINT:
        await send_editor_link(interaction, job)
    elif action == REDESCRIBE:
        new = NewJob(JobKind.DESCRIBE, job.mode, who, parent_id=job.id)
        # The input left the database once sent (bot/jobs/inputs.py): the provider's copy.
        image = str(job.params.get("image") or job.params.get("url") or job.image_url or "")
        await launch(
            interaction,
            new,
            lambda r, t: bot.service.describe(r, image, job.mode, t, parent_id=job.id),
        )
    else:
        new = action_job(job, who, action)
        await launch(interaction, new, lambda r, t: bot.service.action(r, job, action, t))


async def _imagine_all(interaction: discord.Interaction, described: Job) -> None:
    """🎉: one click, one check (cooldown once), and each of the jobs counts in the limits."""
    bot = services(interaction)
    who = requester_of(interaction)
    prompts = [await bot.service.with_suffix(who.user_id, p) for p in described.prompts[:4]]
    news = [
        NewJob(JobKind.IMAGINE, described.mode, who, prompt=prompt, parent_id=described.id)
        for prompt in prompts
    ]
    ticket = await bot.service.reserve(news[0], news[1:])

    def start(prompt: str) -> Submit:
        return lambda r, t: bot.service.imagine(r, prompt, described.mode, t, described.id)

    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        for new in news:
            await launch_in_channel(interaction, new, start(new.prompt), ticket)
    finally:
        bot.service.release(ticket)
    await interaction.followup.send("Started all four prompts.", ephemeral=True)


async def _seed(interaction: discord.Interaction, grid: Job) -> None:
    """Answer the clicker with the grid's seed; fetched once, then served from the store."""
    bot = services(interaction)
    who = requester_of(interaction)
    cached = await bot.store.get_job(grid.id)
    if cached is not None and cached.seed:
        await bot.service.check_button(who, grid)
        await interaction.response.send_message(_seed_text(cached.seed), ephemeral=True)
        return
    ticket = None
    if bot.service.seeding(grid.id):
        await bot.service.check_button(who, grid)  # joins the look-up under way: free
    else:
        ticket = await bot.service.reserve(NewJob(JobKind.SEED, grid.mode, who, parent_id=grid.id))
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        job = await bot.service.seed(who, grid, ticket)
    finally:
        if ticket is not None:
            bot.service.release(ticket)
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


async def _imagine(interaction: discord.Interaction, prompt: str, described: Job) -> None:
    bot = services(interaction)
    prompt = await bot.service.with_suffix(interaction.user.id, prompt)
    mode, parent = described.mode, described.id
    new = NewJob(JobKind.IMAGINE, mode, requester_of(interaction), prompt=prompt, parent_id=parent)
    await launch(
        interaction, new, lambda r, t: bot.service.imagine(r, prompt, mode, t, parent_id=parent)
    )


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
