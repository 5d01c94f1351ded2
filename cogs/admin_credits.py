"""/mj-admin budget and prices, and the spend lines of /mj-admin status.

Mixed into the Admin cog (cogs/admin.py), so they belong to its group and pass its
`interaction_check`; kept apart so that file stays a readable size.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import NotAllowed, UserFacingError
from bot.jobs.prices import MODE_FACTORS, TTAPI_PRICES, PricesError
from bot.ui import budget as budget_ui
from bot.ui.context import Services

PRICE_ITEMS = [app_commands.Choice(name=key, value=key) for key in TTAPI_PRICES] + [
    app_commands.Choice(name=f"{mode} mode factor", value=mode) for mode in MODE_FACTORS
]
Credits = app_commands.Range[float, 0, 1_000_000]


class CreditCommands:
    """Credit budgets per server, and the price table jobs are estimated with."""

    services: Services

    async def _done(self, interaction: discord.Interaction, text: str, changed: bool) -> None:
        """Answer, and log a change to the audit channel (the Admin cog's own)."""
        raise NotImplementedError

    # A mixin of the Admin cog: discord.py's typing only knows Cog and Group methods.
    @app_commands.command(  # type: ignore[type-var]
        name="budget", description="Set or show credit budgets (0 = none)"
    )
    @app_commands.describe(
        member_daily="Credits per member per day",
        server_daily="Credits per day for the whole server",
        server_monthly="Credits per calendar month (UTC) for the whole server",
    )
    async def budget(
        self,
        interaction: discord.Interaction,
        member_daily: Credits | None = None,
        server_daily: Credits | None = None,
        server_monthly: Credits | None = None,
    ) -> None:
        """Change the credit budgets, or show them with no options."""
        given = {"member_daily": member_daily, "guild_daily": server_daily}
        given |= {"guild_monthly": server_monthly}
        changes = {key: value for key, value in given.items() if value is not None}
        budgets = self.services.service.budgets
        guild = _guild(interaction)
        current = await budgets.set(guild, **changes) if changes else await budgets.get(guild)
        text = ("Budgets updated. " if changes else "") + budget_ui.budget_text(current)
        await self._done(interaction, text, bool(changes))

    @app_commands.command(  # type: ignore[type-var]
        name="prices", description="Show or set the credit price table"
    )
    @app_commands.describe(item="What to price", credits="Credits at fast speed, or the factor")
    @app_commands.choices(item=PRICE_ITEMS)
    async def prices(
        self,
        interaction: discord.Interaction,
        item: app_commands.Choice[str] | None = None,
        credits: Credits | None = None,
    ) -> None:
        """Show the prices; owners may change one (they apply to every server)."""
        book = self.services.service.prices
        if item is None or credits is None:
            await self._done(interaction, budget_ui.prices_text(book.table()), False)
            return
        if interaction.user.id not in self.services.settings.owner_ids:
            raise NotAllowed(
                "Only the bot's owners (OWNER_IDS) can change prices: they apply everywhere."
            )
        try:
            if item.value in MODE_FACTORS:
                table = await book.set_mode_factor("ttapi", item.value, credits)
            else:
                table = await book.set_price("ttapi", item.value, credits)
        except PricesError as error:
            raise UserFacingError(str(error)) from None
        text = f"{item.name} is now {credits:g}.\n" + budget_ui.prices_text(table)
        await self._done(interaction, text, True)

    async def _spend_lines(self, interaction: discord.Interaction) -> list[str]:
        """/mj-admin status: month-to-date spend here (owners: every server's)."""
        budgets = self.services.service.budgets
        guild = _guild(interaction)
        status = await budgets.status(guild, interaction.user.id)
        owner = interaction.user.id in self.services.settings.owner_ids
        others = await budgets.guilds_this_month() if owner else []
        return budget_ui.month_lines(guild, status, others)


def _guild(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserFacingError("/mj-admin works in a server only.")
    return interaction.guild_id
