"""What an end-to-end test drives: the fake Discord, the fake TT API and the bot process.

Tests act as members do (a slash command, a button click, through the gateway) and read
what members would see (the messages the fake Discord stores). The TT API runs on a fast
clock: a "30 s" job takes 0.6 s.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from fakes.discord import GUILD_ID, USER_ID, StoredMessage
from fakes.e2e.bot_process import BotProcess
from fakes.e2e.fakes import E2EDiscord, FastClock, FlakyTTApi
from fakes.ttapi import Call, Scenario

T = TypeVar("T")
Payload = dict[str, Any]

# Shaped like a real token (id.timestamp.hmac) so Settings accepts it; the fake checks it.
BOT_TOKEN: Final = "MTE4NjM1MDAwMDAwMDAwMDAwMQ.GfAkEs.fake-token-for-tests-only_0123456789abc"
# A fast-mode job as the TT API runs it (queued 2 s, 30 s of progress), 0.64 s real.
FAST_JOB: Final = Scenario(queue_seconds=2.0, run_seconds=30.0)
# What an operator could also set: polls 50x as often as the tuned default.
POLL_INTERVAL_SCALE: Final = "0.02"

# The official bot's labels for the TT API's components (README: "Buttons").
LABELS: Final = {
    **{f"upsample{n}": f"U{n}" for n in range(1, 5)},
    **{f"variation{n}": f"V{n}" for n in range(1, 5)},
    "reroll": "🔄",
    "upscale_subtle": "Upscale (Subtle)",
    "upscale_creative": "Upscale (Creative)",
    "high_variation": "Vary (Strong)",
    "low_variation": "Vary (Subtle)",
    "inpaint": "Vary (Region)",
    "zoom_out_2": "Zoom Out 2x",
    "zoom_out_1_5": "Zoom Out 1.5x",
    "pan_left": "⬅️",
    "pan_right": "➡️",
    "pan_up": "⬆️",
    "pan_down": "⬇️",
}


async def until(predicate: Callable[[], T | Awaitable[T]], within: float = 5.0) -> T:
    """Wait until `predicate()` (sync or async) is truthy and return its value."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.02)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def labels(message: StoredMessage) -> list[list[str]]:
    """The label (or emoji) of each button, row by row, as members see them."""
    return [[label or emoji or "" for label, emoji in row] for row in message.rows()]


def head(text: str) -> str:
    """A progress or result line without its trailing state: '**cat** - <@1>'."""
    return re.sub(r" \([^()]*\)$", "", text)


class World:
    """The bot process between the two fakes, with the moves of a member."""

    def __init__(
        self, discord: E2EDiscord, tt: FlakyTTApi, clock: FastClock, workdir: Path
    ) -> None:
        self.discord = discord
        self.tt = tt
        self.clock = clock
        self.bot = BotProcess(
            {
                "MJBOT_FAKE_DISCORD": discord.base_url,
                "DISCORD_TOKEN": BOT_TOKEN,
                "TT_API_KEY": tt.api_key,
                "TT_API_BASE_URL": tt.base_url,
                "DATABASE_PATH": str(workdir / "data" / "mjbot.db"),
                "DEV_GUILD_ID": str(GUILD_ID),
                "POLL_INTERVAL_SCALE": POLL_INTERVAL_SCALE,
                "LOG_LEVEL": "INFO",
            },
            workdir,
            ready=self._ready,
            identifies=lambda: discord.identifies,
        )

    def _ready(self, sessions: int) -> bool:
        return (
            self.discord.identifies >= sessions
            and self.discord.ready_for_events()
            and self.discord.command("imagine", GUILD_ID) is not None
        )

    # -- a member's moves ------------------------------------------------------------------

    async def command(self, name: str, *, user_id: int = USER_ID, **options: Any) -> Payload:
        """Send `/name` with `options` through the gateway; returns the interaction."""
        given = {key: value for key, value in options.items() if value is not None}
        payload = self.discord.slash_command(name, given, user_id=user_id)
        await self.discord.interact(payload)
        return payload

    async def imagine(self, prompt: str, **options: Any) -> Payload:
        """Send /imagine."""
        return await self.command("imagine", prompt=prompt, **options)

    async def click(self, message: StoredMessage, label: str, *, user_id: int = USER_ID) -> Payload:
        """Click the button showing `label` (or that emoji) on a stored message."""
        payload = self.discord.button_click(message, message.custom_id(label), user_id=user_id)
        await self.discord.interact(payload)
        return payload

    # -- what members see ------------------------------------------------------------------

    async def progress(self, payload: Payload, within: float = 3.0) -> StoredMessage:
        """The public progress line an interaction's response shows."""
        return await until(lambda: self.progress_now(payload), within)

    def progress_now(self, payload: Payload) -> StoredMessage | None:
        """The public progress line of an interaction's job, if shown yet.

        Usually the interaction's own response; when the bot acknowledged privately (a burst
        of commands, a slow provider) it is a channel post of the same line.
        """
        original = self.discord.original(payload["id"])
        if original is not None and original.content and not original.ephemeral:
            return original
        options = {o["name"]: o.get("value") for o in payload["data"].get("options", [])}
        user = payload.get("member", {}).get("user", {}).get("id")
        if "prompt" not in options or user is None:
            return None
        line = f"**{options['prompt']}** - <@{user}> ("
        # The first such post, deleted or not (the line goes once the result is posted).
        channel = int(payload["channel_id"])
        found = [
            message
            for message in self.discord.messages_in(channel, deleted=True)
            if message.id > int(payload["id"])
            and message.contents[:1] != []
            and message.contents[0].startswith(line)
        ]
        return found[0] if found else None

    async def result(self, payload: Payload, within: float = 10.0) -> StoredMessage:
        """The result posted for the job an interaction started."""
        progress = await self.progress(payload)
        line = head(next(text for text in progress.contents if text))

        def posted() -> StoredMessage | None:
            found = self._all_posted(line, after=int(payload["id"]))
            return next((message for message in found if message.id != progress.id), None)

        return await until(posted, within)

    async def recorded(self, message: StoredMessage, within: float = 5.0) -> None:
        """Wait until the bot has recorded a result it posted (its buttons resolve from then)."""
        await self.bot.wait_for_log(rf"job \d+ posted as message {message.id}\b", within)

    def results(self, payload: Payload) -> list[StoredMessage]:
        """Every result posted so far for the job an interaction started."""
        progress = self.progress_now(payload)
        if progress is None:
            return []
        line = head(next((text for text in progress.contents if text), ""))
        found = self._all_posted(line, after=int(payload["id"]))
        return [message for message in found if message.id != progress.id]

    def _posted(self, line: str, *, after: int) -> StoredMessage | None:
        found = self._all_posted(line, after=after)
        return found[0] if found else None

    def _all_posted(self, line: str, *, after: int) -> list[StoredMessage]:
        return [
            message
            for message in self.discord.posts()
            if message.id > after and message.content.startswith(line)
        ]

    def private_answers(self, payload: Payload) -> list[str]:
        """What only the member who sent an interaction sees: its ephemeral messages."""
        record = self.discord.interaction(payload["id"])
        ids = [record.original_id, *record.followup_ids]
        found = [self.discord.messages.get(i or 0) for i in ids]
        return [m.content for m in found if m is not None and m.ephemeral and not m.deleted]

    def fetches(self, tt_job_id: str) -> list[Call]:
        """The fetches the fake TT API answered for one of its jobs."""
        return [c for c in self.tt.calls_to("/fetch") if c.query.get("jobId") == tt_job_id]

    def tt_bodies(self, endpoint: str) -> list[dict[str, Any]]:
        """JSON bodies the fake TT API received on /midjourney/v1/<endpoint>."""
        return [call.json for call in self.tt.calls_to(f"/midjourney/v1/{endpoint}")]
