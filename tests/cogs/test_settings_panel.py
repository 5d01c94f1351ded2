"""/settings: the panel's select and buttons, the suffix modal, and what they change in /imagine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fakes.discord import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MODAL,
    UPDATE_MESSAGE,
    USER_ID,
    StoredMessage,
)
from tests.cogs.conftest import Harness, Payload

MODE_SELECT = "mjset:mode"
SUFFIX_MODAL = "mjset:suffix-modal"
SUFFIX_INPUT = "mjset:suffix-text"
SUFFIX = "--v 6.1 --ar 3:2"


async def open_panel(harness: Harness, user_id: int = USER_ID) -> StoredMessage:
    """Run /settings and return the ephemeral panel it answered with."""
    payload = await harness.command("settings", user_id=user_id)
    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.ephemeral
    panel = harness.discord.original(payload["id"])
    assert panel is not None
    return panel


async def choose_mode(harness: Harness, panel: StoredMessage, mode: str) -> Payload:
    """Pick a mode in the panel's select menu."""
    return await harness.run(harness.discord.select_choice(panel, MODE_SELECT, [mode]))


async def submit_suffix(harness: Harness, text: str) -> Payload:
    """Submit the suffix modal with `text`."""
    return await harness.run(harness.discord.modal_submit(SUFFIX_MODAL, {SUFFIX_INPUT: text}))


def mode_options(panel: StoredMessage) -> list[str]:
    """The values the panel's mode menu offers."""
    [menu] = [c for row in panel.components for c in row["components"] if c["type"] == 3]
    return [option["value"] for option in menu["options"]]


def refusal(harness: Harness, payload: Payload) -> str:
    """The one private answer an interaction got; its text."""
    [answer] = harness.discord.callbacks_for(payload["id"])
    assert answer.type == CHANNEL_MESSAGE
    assert answer.data["flags"] & EPHEMERAL
    return str(answer.data["content"])


def find_component(tree: Any, custom_id: str) -> dict[str, Any] | None:
    """The component with `custom_id` anywhere in a modal's rows (or labels)."""
    if isinstance(tree, dict):
        if tree.get("custom_id") == custom_id and "type" in tree:
            return tree
        tree = list(tree.values())
    if isinstance(tree, list):
        for child in tree:
            if (found := find_component(child, custom_id)) is not None:
                return found
    return None


async def restrict_modes(harness: Harness, *modes: str) -> None:
    """A moderator allowed only `modes` on the test server."""
    guild = await harness.store.guild_settings(GUILD_ID)
    await harness.store.save_guild_settings(replace(guild, allowed_modes=modes))


# -- the panel --------------------------------------------------------------------------------


async def test_panel_offers_the_servers_modes_and_the_two_buttons(harness: Harness) -> None:
    await restrict_modes(harness, "fast", "turbo")

    panel = await open_panel(harness)

    assert mode_options(panel) == ["fast", "turbo", "server-default"]
    assert [emoji for _, emoji in panel.rows()[1]] == ["✏️", "📬"]
    assert "Default mode: server default" in panel.content
    assert "Prompt suffix: none" in panel.content
    assert "DM copy of results: off" in panel.content


async def test_chosen_mode_is_stored_and_used_by_imagine(harness: Harness) -> None:
    panel = await open_panel(harness)

    choice = await choose_mode(harness, panel, "relax")

    assert (await harness.store.user_settings(USER_ID)).default_mode == "relax"
    [answer] = harness.discord.callbacks_for(choice["id"])
    assert answer.type == UPDATE_MESSAGE  # the panel itself shows the new setting
    assert "Default mode: relax" in panel.content
    await harness.imagine("a cat")
    [body] = harness.tt_bodies("imagine")
    assert body["mode"] == "relax"


async def test_an_explicit_mode_still_wins_over_the_default(harness: Harness) -> None:
    await choose_mode(harness, await open_panel(harness), "relax")

    await harness.imagine("a cat", mode="turbo")

    [body] = harness.tt_bodies("imagine")
    assert body["mode"] == "turbo"


async def test_server_default_choice_clears_the_members_mode(harness: Harness) -> None:
    panel = await open_panel(harness)
    await choose_mode(harness, panel, "relax")

    await choose_mode(harness, panel, "server-default")

    assert (await harness.store.user_settings(USER_ID)).default_mode is None
    await harness.imagine("a cat")
    assert harness.tt_bodies("imagine")[0]["mode"] == harness.settings.default_mode


async def test_mode_the_server_no_longer_allows_is_refused(harness: Harness) -> None:
    panel = await open_panel(harness)  # shown while relax was still allowed
    await restrict_modes(harness, "fast", "turbo")

    choice = await choose_mode(harness, panel, "relax")

    assert "relax" in refusal(harness, choice).lower()
    assert (await harness.store.user_settings(USER_ID)).default_mode is None


# -- the suffix -------------------------------------------------------------------------------


async def test_edit_button_opens_the_suffix_modal_with_the_current_suffix(
    harness: Harness,
) -> None:
    await submit_suffix(harness, SUFFIX)
    panel = await open_panel(harness)

    click = await harness.click(panel, "✏️")

    [answer] = harness.discord.callbacks_for(click["id"])
    assert answer.type == MODAL
    assert answer.data["custom_id"] == SUFFIX_MODAL
    text_input = find_component(answer.data["components"], SUFFIX_INPUT)
    assert text_input is not None
    assert text_input["value"] == SUFFIX


async def test_suffix_is_stored_and_appended_to_the_prompt(harness: Harness) -> None:
    submitted = await submit_suffix(harness, f"  {SUFFIX} ")

    assert (await harness.store.user_settings(USER_ID)).prompt_suffix == SUFFIX
    [answer] = harness.discord.callbacks_for(submitted["id"])
    assert answer.ephemeral
    assert SUFFIX in answer.data["content"]
    await harness.imagine("a cat")
    [body] = harness.tt_bodies("imagine")
    assert body["prompt"] == f"a cat {SUFFIX}"


async def test_empty_suffix_removes_it(harness: Harness) -> None:
    await submit_suffix(harness, SUFFIX)

    await submit_suffix(harness, "")

    assert (await harness.store.user_settings(USER_ID)).prompt_suffix == ""
    await harness.imagine("a cat")
    assert harness.tt_bodies("imagine")[0]["prompt"] == "a cat"


@pytest.mark.parametrize("bad", ["--ar16:9", "--v", "--flurb 3", "—ar 16:9"])
async def test_malformed_suffix_is_refused_and_not_stored(harness: Harness, bad: str) -> None:
    await submit_suffix(harness, SUFFIX)

    submitted = await submit_suffix(harness, bad)

    assert "suffix" in refusal(harness, submitted).lower()
    assert (await harness.store.user_settings(USER_ID)).prompt_suffix == SUFFIX


# -- DM copies --------------------------------------------------------------------------------


async def test_dm_button_toggles_dm_copies(harness: Harness) -> None:
    panel = await open_panel(harness)

    on = await harness.click(panel, "📬")

    assert (await harness.store.user_settings(USER_ID)).dm_copy is True
    assert harness.discord.callbacks_for(on["id"])[0].type == UPDATE_MESSAGE
    assert "DM copy of results: on" in panel.content
    assert panel.rows()[1][1] == ("Turn DM copies off", "📬")

    await harness.click(panel, "📬")

    assert (await harness.store.user_settings(USER_ID)).dm_copy is False
    assert "DM copy of results: off" in panel.content


# -- restarts ---------------------------------------------------------------------------------


async def test_old_panel_works_after_a_restart(harness: Harness) -> None:
    panel = await open_panel(harness)
    await harness.restart()  # new store, engine and bot on the same database

    await choose_mode(harness, panel, "turbo")
    dm = await harness.click(panel, "📬")
    edit = await harness.click(panel, "✏️")

    settings = await harness.store.user_settings(USER_ID)
    assert settings.default_mode == "turbo"
    assert settings.dm_copy is True
    assert harness.discord.callbacks_for(dm["id"])[0].type == UPDATE_MESSAGE
    assert harness.discord.callbacks_for(edit["id"])[0].type == MODAL


async def test_modal_opened_before_a_restart_still_saves(harness: Harness) -> None:
    await harness.click(await open_panel(harness), "✏️")
    await harness.restart()

    await submit_suffix(harness, SUFFIX)

    assert (await harness.store.user_settings(USER_ID)).prompt_suffix == SUFFIX


async def test_other_modals_are_left_alone(harness: Harness) -> None:
    payload = await harness.run(
        harness.discord.modal_submit("someone-else:modal", {SUFFIX_INPUT: SUFFIX})
    )

    assert (await harness.store.user_settings(USER_ID)).prompt_suffix == ""
    assert harness.discord.callbacks_for(payload["id"]) == []
