"""The registry of live interactions behind /show notices: tokens expire, memory is bounded."""

from __future__ import annotations

from typing import cast

import discord

from bot.ui.undelivered import TOKEN_LIFETIME, Followups, reason_of
from fakes.ttapi import ManualClock


def interaction(name: str) -> discord.Interaction:
    """A stand-in: the registry only stores and returns it."""
    return cast(discord.Interaction, name)


def test_an_interaction_is_served_only_while_its_token_lives() -> None:
    clock = ManualClock(1000.0)
    registry = Followups(clock)
    registry.remember(1, interaction("first"))

    clock.advance(TOKEN_LIFETIME - 1)
    assert registry.get(1) == "first"
    assert registry.shows_progress(1)
    clock.advance(2)
    assert registry.get(1) is None


def test_expired_entries_are_dropped_as_new_ones_come() -> None:
    clock = ManualClock(0.0)
    registry = Followups(clock)
    for job_id in range(100):
        registry.remember(job_id, interaction(f"i{job_id}"), shows_progress=False)
    clock.advance(TOKEN_LIFETIME + 1)

    registry.remember(500, interaction("fresh"))

    assert len(registry._by_job) == 1
    assert not registry.shows_progress(1)
    registry.forget(500)
    assert registry.get(500) is None


def test_reasons_are_worded_for_members() -> None:
    class Response:
        status = 404
        reason = "Not Found"

    assert reason_of(discord.NotFound(Response(), "Unknown Channel")) == "the channel is gone"  # type: ignore[arg-type]
    Response.status = 403
    assert "not allowed" in reason_of(discord.Forbidden(Response(), "Missing Access"))  # type: ignore[arg-type]
    assert reason_of(RuntimeError("boom")) == "Discord kept refusing the post"
