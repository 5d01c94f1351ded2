"""Meta: /mj-admin is hidden by default permissions AND enforced at run time, for every subcommand.

Discord hides a command whose `default_member_permissions` the member lacks, but a server's
admins can override that in Integrations; only the cog-wide `interaction_check` really
enforces it. Both must hold for every subcommand, nested groups included.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import MjBot
from fakes.discord import MEMBER_PERMISSIONS, MODERATOR_PERMISSIONS, FakeDiscord
from tests.conftest import BotFactory

GROUP = "mj-admin"
OWNER = 1_186_350_000_000_000_900
MEMBER = 1_186_350_000_000_000_901
MANAGE_GUILD = discord.Permissions(manage_guild=True)
# Permissions broader than Manage Server that must not be what hides the group.
BROADER = ("administrator", "manage_roles", "manage_channels", "ban_members", "kick_members")


AdminCommand = app_commands.Command[Any, ..., Any]


@pytest.fixture
async def bot(make_bot: BotFactory) -> MjBot:
    return await make_bot(owner_ids=frozenset({OWNER}))


def admin_group(bot: MjBot) -> app_commands.Group:
    group = bot.tree.get_command(GROUP)
    assert isinstance(group, app_commands.Group)
    return group


def subcommands(bot: MjBot) -> list[AdminCommand]:
    """Every runnable subcommand of /mj-admin, nested groups included."""
    found = [c for c in admin_group(bot).walk_commands() if isinstance(c, app_commands.Command)]
    assert len(found) >= 20  # bans, words, channels, role, limits, ..., status
    return found


def interaction(bot: MjBot, command: AdminCommand, user_id: int, permissions: int) -> Any:
    """A real discord.Interaction for `command`, built from the payload Discord would send."""
    fake = FakeDiscord()
    state = bot._connection
    if state.user is None:  # what login would have set; discord.py needs it for guild.me
        state.user = discord.ClientUser(state=state, data=fake.bot_user)  # type: ignore[arg-type]
    payload = fake.slash_command(command.qualified_name, user_id=user_id, permissions=permissions)
    return discord.Interaction(data=payload, state=state)  # type: ignore[arg-type]


async def may_run(command: AdminCommand, interaction: discord.Interaction) -> bool:
    """What discord.py decides before running a command: group, binding and command checks."""
    try:
        return await command._check_can_run(interaction)
    except Exception:
        return False


# -- hidden: default_permissions --------------------------------------------------------------


def test_the_group_is_hidden_behind_manage_server(bot: MjBot) -> None:
    group = admin_group(bot)

    assert group.default_permissions == MANAGE_GUILD
    assert group.guild_only
    sent = group.to_dict(bot.tree)
    assert str(sent["default_member_permissions"]) == str(MANAGE_GUILD.value)  # what Discord gets
    for name in BROADER:
        assert not getattr(group.default_permissions, name), name


def test_nested_groups_do_not_loosen_it(bot: MjBot) -> None:
    """Discord takes permissions from the top-level command only; nothing below sets any."""
    for item in admin_group(bot).walk_commands():
        assert getattr(item, "default_permissions", None) is None, item.qualified_name
    assert {g.name for g in admin_group(bot).commands if isinstance(g, app_commands.Group)} == {
        "words",
        "channels",
        "role",
    }


def test_no_other_command_is_hidden(bot: MjBot) -> None:
    for command in bot.tree.get_commands():
        if command.name != GROUP:
            assert command.to_dict(bot.tree).get("default_member_permissions") is None


# -- enforced: the cog-wide interaction_check -------------------------------------------------


def test_every_subcommand_is_bound_to_the_admin_cog(bot: MjBot) -> None:
    cog = bot.get_cog("Admin")
    assert cog is not None
    for command in subcommands(bot):
        assert command.binding is cog, command.qualified_name


async def test_every_subcommand_refuses_a_member_without_manage_server(bot: MjBot) -> None:
    for command in subcommands(bot):
        member = interaction(bot, command, MEMBER, MEMBER_PERMISSIONS)
        assert not member.permissions.manage_guild
        assert not await may_run(command, member), command.qualified_name


async def test_every_subcommand_accepts_a_moderator(bot: MjBot) -> None:
    for command in subcommands(bot):
        moderator = interaction(bot, command, MEMBER, MODERATOR_PERMISSIONS)
        assert moderator.permissions.manage_guild
        assert await may_run(command, moderator), command.qualified_name


async def test_every_subcommand_accepts_an_owner(bot: MjBot) -> None:
    for command in subcommands(bot):
        owner = interaction(bot, command, OWNER, MEMBER_PERMISSIONS)
        assert await may_run(command, owner), command.qualified_name


async def test_the_check_itself_refuses_with_a_reason(bot: MjBot) -> None:
    cog = bot.get_cog("Admin")
    assert cog is not None
    command = subcommands(bot)[0]

    with pytest.raises(Exception, match=r"Only moderators \(Manage Server\)"):
        await cog.interaction_check(interaction(bot, command, MEMBER, MEMBER_PERMISSIONS))
    assert await cog.interaction_check(interaction(bot, command, MEMBER, MODERATOR_PERMISSIONS))


# -- described --------------------------------------------------------------------------------


def test_every_subcommand_group_and_option_is_described(bot: MjBot) -> None:
    group = admin_group(bot)
    items: list[Any] = [group, *group.walk_commands()]
    for item in items:
        where = f"/{item.qualified_name}"
        # discord.py puts "…" where a description is missing.
        assert 1 <= len(item.description.strip()) <= 100, where
        assert item.description != "…", where
        for parameter in getattr(item, "parameters", []):
            described = parameter.description.strip()
            assert 1 <= len(described) <= 100, f"{where} {parameter.name}"
            assert described != "…", f"{where} {parameter.name}"
