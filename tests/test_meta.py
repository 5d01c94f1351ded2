"""Meta: extensions load without login, commands are well formed, and sync only on change."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import EXTENSIONS, MjBot, command_hash
from tests.conftest import BotFactory

ROOT = Path(__file__).resolve().parents[1]
DEV_GUILD = 123456789012345678
NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
MODES = ["fast", "relax", "turbo"]
DIMENSIONS = ["portrait", "square", "landscape"]
# name -> [(option, required)], in the order Discord shows them.
OPTIONS = {
    "imagine": [("prompt", True), ("mode", False)],
    "blend": [
        ("image1", True),
        ("image2", True),
        ("image3", False),
        ("image4", False),
        ("image5", False),
        ("dimensions", False),
        ("mode", False),
    ],
    "describe": [("image", True), ("mode", False)],
}
CHOICES = {"mode": MODES, "dimensions": DIMENSIONS}
ADMIN_GROUP = "mj-admin"
MEMBER_COMMANDS = ["settings", "info", "show", "help"]


@pytest.fixture
async def bot(make_bot: BotFactory) -> MjBot:
    """One bot with global commands."""
    return await make_bot()


class SyncRecorder:
    """Stands in for CommandTree.sync: records the guild, optionally fails once."""

    def __init__(self, fail_first: bool = False) -> None:
        self.guilds: list[int | None] = []
        self.fail_first = fail_first

    async def __call__(self, *, guild: discord.abc.Snowflake | None = None) -> list[Any]:
        """Record one sync."""
        self.guilds.append(guild.id if guild else None)
        if self.fail_first and len(self.guilds) == 1:
            raise discord.HTTPException(_Response(429, "Too Many Requests"), "daily limit")
        return []


class _Response:
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


# -- extensions ---------------------------------------------------------------------------


async def test_every_extension_loads(bot: MjBot) -> None:
    """Every extension loads into a bot that never logged in."""
    assert bot.user is None
    assert set(bot.extensions) == set(EXTENSIONS)
    assert {"Generate", "Publisher"} <= set(bot.cogs)


@pytest.mark.parametrize("extension", EXTENSIONS)
async def test_each_extension_reloads(bot: MjBot, extension: str) -> None:
    """Each extension unloads and loads again cleanly (no leftover state)."""
    await bot.reload_extension(extension)
    assert extension in bot.extensions


# -- commands -----------------------------------------------------------------------------


def test_command_names(bot: MjBot) -> None:
    """Exactly the commands of the issue, as slash commands."""
    names = sorted(command.name for command in bot.tree.get_commands())
    assert names == sorted([*OPTIONS, *MEMBER_COMMANDS, ADMIN_GROUP])
    members = [c for c in bot.tree.get_commands() if c.name != ADMIN_GROUP]
    assert all(isinstance(command, app_commands.Command) for command in members)
    assert isinstance(bot.tree.get_command(ADMIN_GROUP), app_commands.Group)


def test_every_command_and_option_is_described(bot: MjBot) -> None:
    """Every command and option has a valid name and a description of 1-100 characters."""
    for command in bot.tree.walk_commands():
        assert NAME.match(command.name), command.name
        assert 1 <= len(command.description.strip()) <= 100, command.name
        # discord.py fills a missing description with "…" and cuts long ones with "…".
        assert not command.description.endswith("…"), f"/{command.name} is cut or missing"
        for parameter in getattr(command, "parameters", []):
            where = f"/{command.name} {parameter.name}"
            assert NAME.match(parameter.name), where
            assert 1 <= len(parameter.description.strip()) <= 100, where
            assert not parameter.description.endswith("…"), f"{where} is cut or missing"
            assert len(parameter.choices) <= 25, where


@pytest.mark.parametrize("name", OPTIONS)
def test_command_options(bot: MjBot, name: str) -> None:
    """Each command has exactly the issue's options, in order, with the right required flags."""
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    assert [(p.name, p.required) for p in command.parameters] == OPTIONS[name]


@pytest.mark.parametrize("name", OPTIONS)
def test_option_types(bot: MjBot, name: str) -> None:
    """Images are attachments, the prompt and choices are strings."""
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    for parameter in command.parameters:
        expected = (
            discord.AppCommandOptionType.attachment
            if parameter.name.startswith("image")
            else discord.AppCommandOptionType.string
        )
        assert parameter.type is expected, f"/{name} {parameter.name}"


@pytest.mark.parametrize("name", OPTIONS)
def test_choices(bot: MjBot, name: str) -> None:
    """mode is fast/relax/turbo and dimensions portrait/square/landscape; nothing else has any."""
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    for parameter in command.parameters:
        assert [c.name for c in parameter.choices] == CHOICES.get(parameter.name, [])


def test_choice_values_are_what_the_tt_api_takes(bot: MjBot) -> None:
    """mode values are the TT API's modes; dimensions values its PORTRAIT/SQUARE/LANDSCAPE."""
    blend = bot.tree.get_command("blend")
    assert isinstance(blend, app_commands.Command)
    found = {p.name: [c.value for c in p.choices] for p in blend.parameters}
    assert found["mode"] == MODES
    assert found["dimensions"] == ["PORTRAIT", "SQUARE", "LANDSCAPE"]


def test_imagine_prompt_length(bot: MjBot) -> None:
    """The prompt takes 1 to at most Discord's 6000 characters."""
    imagine = bot.tree.get_command("imagine")
    assert isinstance(imagine, app_commands.Command)
    [prompt] = [o for o in imagine.to_dict(bot.tree)["options"] if o["name"] == "prompt"]
    assert prompt["min_length"] == 1
    assert 1000 <= prompt["max_length"] <= 6000


# -- command_hash and sync ----------------------------------------------------------------


async def test_command_hash_is_stable(make_bot: BotFactory) -> None:
    """The same tree hashes the same, in one bot and in a freshly built one."""
    first = await make_bot()
    second = await make_bot()
    digest = command_hash(first.tree, None)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert command_hash(first.tree, None) == digest
    assert command_hash(second.tree, None) == digest


_HASH_SCRIPT = """
import asyncio
import discord
from discord.ext import commands
from bot.app import command_hash
from bot.ui.errors import Tree

async def main():
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none(), tree_cls=Tree)
    await bot.load_extension("cogs.generate")
    print(command_hash(bot.tree, None))

asyncio.run(main())
"""


def test_command_hash_is_stable_across_processes() -> None:
    """A restart (new process, new hash seed) gives the same digest, so nothing re-syncs."""
    digests = {
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _HASH_SCRIPT],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", digests.pop())


async def test_command_hash_changes_with_a_description(bot: MjBot) -> None:
    """Editing a command's description changes the digest."""
    before = command_hash(bot.tree, None)
    command = bot.tree.get_command("imagine")
    assert command is not None
    command.description = "Create four images from a prompt, now with more words"
    assert command_hash(bot.tree, None) != before


async def test_sync_only_when_changed(bot: MjBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two starts with the same tree sync once; a changed description syncs again."""
    recorder = SyncRecorder()
    monkeypatch.setattr(bot.tree, "sync", recorder)
    assert await bot.sync_commands() is True
    assert await bot.sync_commands() is False
    assert recorder.guilds == [None]
    command = bot.tree.get_command("blend")
    assert command is not None
    command.description = "Blend two to five images"
    assert await bot.sync_commands() is True
    assert await bot.sync_commands() is False
    assert recorder.guilds == [None, None]


async def test_sync_remembered_across_restarts(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest lives in the database: a new bot on the same store does not sync again."""
    bot = await make_bot()
    recorder = SyncRecorder()
    monkeypatch.setattr(bot.tree, "sync", recorder)
    assert await bot.sync_commands() is True
    restarted = await make_bot()
    restarted.store = bot.store
    monkeypatch.setattr(restarted.tree, "sync", recorder)
    assert await restarted.sync_commands() is False
    assert recorder.guilds == [None]


async def test_failed_sync_is_retried(bot: MjBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync Discord refused is not remembered as done."""
    recorder = SyncRecorder(fail_first=True)
    monkeypatch.setattr(bot.tree, "sync", recorder)
    with pytest.raises(discord.HTTPException):
        await bot.sync_commands()
    assert await bot.sync_commands() is True
    assert recorder.guilds == [None, None]


async def test_dev_guild_sync(make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """With DEV_GUILD_ID the commands are copied to that guild and synced there only."""
    bot = await make_bot(dev_guild_id=DEV_GUILD)
    recorder = SyncRecorder()
    monkeypatch.setattr(bot.tree, "sync", recorder)
    assert await bot.sync_commands() is True
    assert await bot.sync_commands() is False
    assert recorder.guilds == [DEV_GUILD]
    guild = discord.Object(DEV_GUILD)
    assert sorted(c.name for c in bot.tree.get_commands(guild=guild)) == sorted(
        [*OPTIONS, *MEMBER_COMMANDS, ADMIN_GROUP]
    )
