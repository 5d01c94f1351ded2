"""Moderation decisions that reach the queue: a ban also stops what the member has waiting."""

from __future__ import annotations

from dataclasses import dataclass

from bot.jobs.service import JobService
from bot.jobs.store import Store


@dataclass(frozen=True, slots=True)
class BanOutcome:
    """Whether the ban is new, and how many of the member's queued jobs it cancelled."""

    added: bool
    cancelled: int


async def ban_member(
    store: Store, service: JobService, guild_id: int, user_id: int, *, reason: str, by: int
) -> BanOutcome:
    """Ban a member in a server and cancel their queued jobs there; they are told why."""
    added = await store.ban(guild_id, user_id, reason, by)
    told = "Cancelled before it was sent (nothing was charged): you were banned from mjbot"
    told += f" on this server. Reason: {reason}" if reason else " on this server."
    # Queued jobs would otherwise be sent, and paid for, after the ban; the re-check before
    # each paid call catches any that slip past (bot/jobs/policy.py, Policy.recheck).
    cancelled = await service.cancel_queued(guild_id, told, user_id=user_id)
    return BanOutcome(added, cancelled)
