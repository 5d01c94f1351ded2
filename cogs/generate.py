"""/imagine, /blend and /describe: validate -> defer -> submit -> the publisher does the rest."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import PromptRejected
from bot.jobs.display import blend_params
from bot.jobs.models import JobKind, NewJob
from bot.provider.models import MODES
from bot.ui.attachments import as_data_url, check_image
from bot.ui.context import Services, resolve_mode
from bot.ui.launch import crowd, launch, requester_of
from bot.ui.translate_flow import imagine_in_any_language

MODE_CHOICES = [app_commands.Choice(name=mode, value=mode) for mode in MODES]
DIMENSIONS = [
    app_commands.Choice(name=name, value=name.upper())
    for name in ("portrait", "square", "landscape")
]
Choice = app_commands.Choice[str]


class Generate(commands.Cog):
    """The commands that make images."""

    def __init__(self, bot: Services) -> None:
        self.bot = bot

    @app_commands.command(name="imagine", description="Create four images from a prompt")
    @app_commands.describe(
        prompt="What to imagine; Midjourney parameters such as --ar 16:9 go at the end",
        mode="Speed: fast, relax or turbo (costs more)",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 4000],
        mode: Choice | None = None,
    ) -> None:
        """Queue an /imagine."""
        prompt = prompt.strip()
        if not prompt:
            raise PromptRejected("The prompt is empty: describe what you want to see.")
        async with crowd(interaction):  # a burst is acknowledged before any database read
            chosen = await self._mode(interaction, mode)
            prompt = await self.bot.service.with_suffix(interaction.user.id, prompt)
            new = NewJob(JobKind.IMAGINE, chosen, requester_of(interaction), prompt=prompt)

            def start(final: str) -> Any:
                return lambda r, t: self.bot.service.imagine(r, final, chosen, t)

            await imagine_in_any_language(interaction, new, start)

    @app_commands.command(name="blend", description="Blend 2 to 5 images into a new one")
    @app_commands.describe(
        image1="First image",
        image2="Second image",
        image3="Third image (optional)",
        image4="Fourth image (optional)",
        image5="Fifth image (optional)",
        dimensions="Shape of the result (default square)",
        mode="Speed: fast, relax or turbo (costs more)",
    )
    @app_commands.choices(dimensions=DIMENSIONS, mode=MODE_CHOICES)
    async def blend(  # noqa: PLR0917 - discord.py maps options to parameters
        self,
        interaction: discord.Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        dimensions: Choice | None = None,
        mode: Choice | None = None,
    ) -> None:
        """Queue a /blend."""
        named = {"image1": image1, "image2": image2, "image3": image3}
        named |= {"image4": image4, "image5": image5}
        images = {name: image for name, image in named.items() if image is not None}
        for name, image in images.items():
            check_image(image, name)
        chosen = await self._mode(interaction, mode)
        shape = dimensions.value if dimensions else "SQUARE"

        async def submit(requester: Any, ticket: Any) -> Any:
            urls = [await as_data_url(image) for image in images.values()]
            return await self.bot.service.blend(requester, urls, shape, chosen, ticket, names=names)

        names = [image.filename for image in images.values()]
        params = blend_params(len(names), names)
        new = NewJob(JobKind.BLEND, chosen, requester_of(interaction), params=params)
        await launch(interaction, new, submit)

    @app_commands.command(name="describe", description="Get four prompts that describe an image")
    @app_commands.describe(image="The image to describe", mode="Speed: fast, relax or turbo")
    @app_commands.choices(mode=MODE_CHOICES)
    async def describe(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        mode: Choice | None = None,
    ) -> None:
        """Queue a /describe."""
        check_image(image, "image")
        chosen = await self._mode(interaction, mode)

        async def submit(requester: Any, ticket: Any) -> Any:
            url = await as_data_url(image)
            return await self.bot.service.describe(requester, url, chosen, ticket)

        new = NewJob(JobKind.DESCRIBE, chosen, requester_of(interaction))
        await launch(interaction, new, submit)

    async def _mode(self, interaction: discord.Interaction, chosen: Choice | None) -> str:
        return await resolve_mode(
            self.bot, interaction.user.id, interaction.guild_id, chosen.value if chosen else None
        )


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Generate(bot))  # type: ignore[arg-type]
