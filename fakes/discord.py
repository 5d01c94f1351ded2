"""In-process fake of Discord's REST API (v10), for tests that drive the real discord.py.

Point discord.py at it by patching ``discord.http.Route.BASE`` to ``f"{fake.base_url}/api/v10"``:
every REST call the library makes (bot token and interaction webhooks alike) is built from it.
Attachment URLs point at the fake too, so ``discord.Attachment.read()`` works.

It keeps what Discord keeps: messages with their content, embeds, components, attachment bytes,
flags, allowed mentions, the mentions Discord would resolve from them, deletions and every edit.
It answers like Discord: ``application/json`` bodies (no charset: discord.py parses JSON only
on that exact header), error bodies ``{"message", "code"}``, 429s with ``Via``, ``Retry-After``
and ``X-RateLimit-*`` headers, interaction callbacks with an InteractionCallbackResponse when
asked ``?with_response=1``, and a 3 s deadline for the first answer to an interaction.

Builders make realistic INTERACTION_CREATE payloads (``slash_command``, ``button_click``,
``modal_submit``). The gateway is not part of this class yet: ``listeners`` receives every
MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE so a websocket can relay them later, and
``extra_routes`` lets a subclass add its own routes.

Typical use::

    fake = FakeDiscord(bot_token=TOKEN)
    base_url = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base_url}/api/v10")
    ...
    payload = fake.slash_command("imagine", {"prompt": "a cat"})
    client._connection.parse_interaction_create(payload)
    ...
    assert fake.unknown_routes == []
    await fake.close()
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

API_PREFIX: Final = "/api/v10"
DISCORD_EPOCH_MS: Final = 1_420_070_400_000

APP_ID: Final = 1_186_350_000_000_000_001  # a modern app: the bot user has the app's id
GUILD_ID: Final = 1_186_350_000_000_000_100
CHANNEL_ID: Final = 1_186_350_000_000_000_200
USER_ID: Final = 1_186_350_000_000_000_300
OTHER_USER_ID: Final = 1_186_350_000_000_000_301

EPHEMERAL: Final = 1 << 6
LOADING: Final = 1 << 7
# Permissions of an ordinary member and of the app in the channel (send, embed, attach, ...).
MEMBER_PERMISSIONS: Final = 2_248_473_465_835_073
APP_PERMISSIONS: Final = 2_248_473_465_835_073
MANAGE_GUILD: Final = 1 << 5
# A moderator: an ordinary member's permissions plus Manage Server.
MODERATOR_PERMISSIONS: Final = MEMBER_PERMISSIONS | MANAGE_GUILD
ATTACHMENT_SIZE_LIMIT: Final = 10 * 1024 * 1024

# Interaction types and callback types (interactions/receiving-and-responding).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
SELECT_MENU: Final = 3  # a string select's component type

MAX_CONTENT: Final = 2000
MAX_EMBEDS: Final = 10
MAX_ROWS: Final = 5
MAX_PER_ROW: Final = 5

_MENTION_USER = re.compile(r"<@!?(\d{15,21})>")
_MENTION_ROLE = re.compile(r"<@&(\d{15,21}|\d+)>")
_ATTACHMENT_REF = re.compile(r"^attachment://(.+)$")

RECORDED: Final = web.RequestKey("recorded", "RecordedRequest")
Listener = Callable[[str, dict[str, Any]], Awaitable[None] | None]


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # body= (not text=) so aiohttp sends exactly "application/json", without "; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, code: int, message: str, errors: Any = None) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return _json(body, status)


def not_found(code: int = 0, message: str = "404: Not Found") -> web.Response:
    """Discord's 404 body."""
    return _error(404, code, message)


def user_payload(user_id: int, name: str | None = None, *, bot: bool = False) -> dict[str, Any]:
    """A user object as Discord returns it."""
    name = name or f"user{str(user_id)[-4:]}"
    payload: dict[str, Any] = {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name.title(),
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }
    if bot:
        payload["bot"] = True
    return payload


# ---------------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    """One request the fake received (``path`` relative to /api/v10 for API calls)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[tuple[str, str, bytes]]  # (form field, filename, bytes)
    at: float
    status: int = 0

    @property
    def bot_auth(self) -> bool:
        """True when sent with the bot token (not through an interaction webhook)."""
        return self.headers.get("Authorization", "").startswith("Bot ")


@dataclass
class StoredAttachment:
    """An uploaded file: a member's attachment for a command, or one a message carries."""

    id: int
    filename: str
    data: bytes
    content_type: str | None
    channel_id: int
    size: int
    base_url: str
    ephemeral: bool = False

    @property
    def url(self) -> str:
        """Where ``discord.Attachment.read()`` downloads it (served by the fake)."""
        return f"{self.base_url}/attachments/{self.channel_id}/{self.id}/{self.filename}"

    def payload(self) -> dict[str, Any]:
        """The attachment object as Discord returns it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass
class Edit:
    """One edit of a message: the fields sent, and through which door."""

    at: float
    via: str  # "channel" (bot token) or "webhook" (interaction token)
    changes: dict[str, Any]
    content_before: str


@dataclass
class StoredMessage:
    """A message as Discord stores it."""

    id: int
    channel_id: int
    author: dict[str, Any]
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    type: int = 0
    source: str = "channel"  # channel | interaction | followup | seeded
    interaction_id: int | None = None
    created_at: float = field(default_factory=time.monotonic)
    timestamp: str = field(default_factory=_now_iso)
    edited_timestamp: str | None = None
    deleted: bool = False
    deleted_at: float | None = None
    edits: list[Edit] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # webhook_id, interaction_metadata...

    @property
    def ephemeral(self) -> bool:
        """Seen only by the member it answers."""
        return bool(self.flags & EPHEMERAL)

    @property
    def contents(self) -> list[str]:
        """Every content the message showed, oldest first."""
        return [edit.content_before for edit in self.edits] + [self.content]

    def buttons(self) -> list[dict[str, Any]]:
        """Every button, row by row."""
        return [c for row in self.components for c in row.get("components", []) if c["type"] == 2]

    def rows(self) -> list[list[tuple[str | None, str | None]]]:
        """(label, emoji name) of each button, row by row."""
        return [
            [(b.get("label"), (b.get("emoji") or {}).get("name")) for b in row["components"]]
            for row in self.components
        ]

    def custom_id(self, label: str) -> str:
        """The custom_id of the button showing ``label`` (or that emoji)."""
        for button in self.buttons():
            if label in (button.get("label"), (button.get("emoji") or {}).get("name")):
                return str(button["custom_id"])
        raise KeyError(f"no button {label!r} on message {self.id}: {self.rows()}")

    def payload(self) -> dict[str, Any]:
        """The message object as Discord returns it."""
        return {
            "type": self.type,
            "content": self.content,
            "mentions": [user_payload(user) for user in self.mentions],
            "mention_roles": [str(role) for role in self.mention_roles],
            "attachments": [attachment.payload() for attachment in self.attachments],
            "embeds": self.embeds,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
            "components": self.components,
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author,
            "pinned": False,
            "mention_everyone": self.mention_everyone,
            "tts": False,
            **self.extra,
        }


@dataclass
class Callback:
    """One interaction callback (the first answer to an interaction)."""

    interaction_id: int
    type: int
    data: dict[str, Any]
    at: float

    @property
    def ephemeral(self) -> bool:
        """Flag 64 on the answer."""
        return bool(self.data.get("flags", 0) & EPHEMERAL)


@dataclass
class InteractionRecord:
    """An interaction the fake handed out, and how it was answered."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    name: str | None
    message_id: int | None  # the clicked message, for components
    created_at: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    expired: bool = False


@dataclass
class Injected:
    """A canned failure armed by ``inject_429`` or ``inject_error``."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


class FormError(Exception):
    """A payload Discord would refuse with 400 Invalid Form Body (50035) or another code."""

    def __init__(self, message: str, code: int = 50035, errors: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors


# ------------------------------------------------------------------------------------ fake


class FakeDiscord:
    """Discord's REST API on 127.0.0.1, holding messages, interactions and commands."""

    def __init__(
        self,
        *,
        bot_token: str | None = None,
        application_id: int = APP_ID,
        bot_name: str = "mjbot",
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        callback_deadline: float = 3.0,
    ) -> None:
        self.bot_token = bot_token
        self.application_id = application_id
        self.bot_user = user_payload(application_id, bot_name, bot=True)
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.callback_deadline = callback_deadline
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[str] = []
        self.messages: dict[int, StoredMessage] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.roles: dict[int, dict[str, Any]] = {}  # the guild's roles besides @everyone
        self.interactions: dict[int, InteractionRecord] = {}
        self.callbacks: list[Callback] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.uploads: dict[int, StoredAttachment] = {}
        self.listeners: list[Listener] = []
        self._injected: list[Injected] = []
        self.closed_dms: set[int] = set()  # users who accept no DMs from the bot (close_dms)
        self.app_permissions = APP_PERMISSIONS  # the bot's in interactions' channels
        self.left_guilds: list[int] = []  # DELETE /users/@me/guilds/{guild}, in order
        self._sequence = itertools.count()
        self._last_snowflake = 0
        self._runner: web.AppRunner | None = None
        self.add_channel(channel_id, guild_id=guild_id)

    # ---------------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port; return the base URL (API under /api/v10)."""
        self._runner = web.AppRunner(self.build_app(), shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    async def close(self) -> None:
        """Stop the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}{API_PREFIX}"

    # ------------------------------------------------------------------ test controls

    def snowflake(self) -> int:
        """A fresh, increasing Discord id carrying the current time."""
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(stamp | (next(self._sequence) & 0xFFF), self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def add_channel(
        self, channel_id: int, *, guild_id: int | None = None, name: str = "general"
    ) -> dict[str, Any]:
        """Make a text channel exist (the default one exists from the start)."""
        channel = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id or self.guild_id),
            "name": name,
            "position": len(self.channels),
            "flags": 0,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "permission_overwrites": [],
        }
        self.channels.setdefault(channel_id, channel)
        return self.channels[channel_id]

    def add_role(self, role_id: int, name: str = "role") -> dict[str, Any]:
        """Make a role exist in the guild."""
        self.roles.setdefault(role_id, _role(role_id, name, len(self.roles) + 1))
        return self.roles[role_id]

    def guild_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE data of the fake's guild: its roles and text channels."""
        everyone = _role(self.guild_id, "@everyone", 0)
        channels = [
            {k: v for k, v in channel.items() if not k.startswith("_")}
            for channel in self.channels.values()
            if channel.get("guild_id") == str(self.guild_id)
        ]
        return {
            "id": str(self.guild_id),
            "name": "Test Server",
            "owner_id": str(OTHER_USER_ID + 1),
            "member_count": 3,
            "roles": [everyone, *self.roles.values()],
            "channels": channels,
            "threads": [],
            "members": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "premium_tier": 0,
            "unavailable": False,
        }

    def user_option(self, user_id: int) -> dict[str, Any]:
        """A USER option value for ``slash_command``, with the member Discord resolves."""
        member = {k: v for k, v in _member(user_id, MEMBER_PERMISSIONS).items() if k != "user"}
        resolved = {
            "users": {str(user_id): user_payload(user_id)},
            "members": {str(user_id): member},
        }
        return {"type": 6, "value": str(user_id), "resolved": resolved}

    def channel_option(self, channel_id: int) -> dict[str, Any]:
        """A CHANNEL option value for ``slash_command`` (the channel is made to exist)."""
        channel = self.add_channel(channel_id)
        data = {
            "id": channel["id"],
            "name": channel["name"],
            "type": channel["type"],
            "parent_id": None,
            "permissions": str(APP_PERMISSIONS),
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "position": channel["position"],
        }
        resolved = {"channels": {str(channel_id): data}}
        return {"type": 7, "value": str(channel_id), "resolved": resolved}

    def role_option(self, role_id: int, name: str = "role") -> dict[str, Any]:
        """A ROLE option value for ``slash_command`` (the role is made to exist)."""
        role = self.add_role(role_id, name)
        return {"type": 8, "value": str(role_id), "resolved": {"roles": {str(role_id): role}}}

    def attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = "image/png",
        *,
        size: int | None = None,
        channel_id: int | None = None,
    ) -> StoredAttachment:
        """A file a member attaches to a command option; ``size`` may claim more than ``data``."""
        stored = StoredAttachment(
            id=self.snowflake(),
            filename=filename,
            data=data,
            content_type=content_type,
            channel_id=channel_id or self.channel_id,
            size=len(data) if size is None else size,
            base_url=self.base_url,
            ephemeral=True,  # command attachments live on ephemeral-attachments
        )
        self.uploads[stored.id] = stored
        return stored

    def seed_message(
        self,
        content: str = "",
        *,
        channel_id: int | None = None,
        components: list[dict[str, Any]] | None = None,
        author: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """A message that exists on Discord without the bot having posted it in this run."""
        message = StoredMessage(
            id=self.snowflake(),
            channel_id=channel_id or self.channel_id,
            author=author or self.bot_user,
            content=content,
            components=_number_components(components or []),
            source="seeded",
        )
        self.messages[message.id] = message
        return message

    def inject_429(
        self,
        method: str,
        path_regex: str,
        retry_after: float = 0.1,
        times: int = 1,
        *,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` matching API calls (path relative to /api/v10) with a 429."""
        scope = "global" if is_global else "user"
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": f"fake-{secrets.token_hex(8)}",
            "X-RateLimit-Scope": scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body["global"] = is_global
        pattern = re.compile(path_regex)
        self._injected.append(Injected(method.upper(), pattern, 429, body, headers, times))

    def inject_error(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        code: int = 0,
        message: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching API calls with ``status`` and a Discord error body.

        Note that discord.py itself retries 500, 502, 504 and 524 (sleeping 1, 3, 5... s);
        503 or 4xx reach the caller at once.
        """
        body = {"message": message or f"{status}: injected", "code": code}
        pattern = re.compile(path_regex)
        self._injected.append(Injected(method.upper(), pattern, status, body, {}, times))

    def expire_interaction(self, interaction_id: int | str) -> None:
        """Make an interaction's token stale, as after its 15 minutes."""
        self.interactions[int(interaction_id)].expired = True

    def close_dms(self, user_id: int) -> None:
        """The user accepts no DMs from the bot: the DM channel opens, sends answer 403/50007.

        That is what Discord does when a member turned off DMs from server members or
        blocked the bot.
        """
        self.closed_dms.add(user_id)

    # --------------------------------------------------------------------- look-ups

    def message(self, message_id: int | str) -> StoredMessage:
        """A stored message by id (deleted ones included)."""
        return self.messages[int(message_id)]

    def messages_in(
        self, channel_id: int | None = None, *, deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages of a channel, oldest first; ephemeral ones included, deleted ones not."""
        channel = channel_id or self.channel_id
        return [
            message
            for message in self.messages.values()
            if message.channel_id == channel and (deleted or not message.deleted)
        ]

    def posts(self, channel_id: int | None = None) -> list[StoredMessage]:
        """Live messages sent with the bot token (POST /channels/{id}/messages)."""
        return [m for m in self.messages_in(channel_id) if m.source == "channel"]

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` whose path matches ``path_regex`` (re.search)."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def dm_channel(self, user_id: int) -> int | None:
        """The id of the bot's DM channel with a user, once the bot opened it."""
        for channel_id, channel in self.channels.items():
            if channel["type"] == 1 and channel["_recipient"] == user_id:
                return channel_id
        return None

    def interaction(self, interaction_id: int | str) -> InteractionRecord:
        """An interaction handed out by a builder."""
        return self.interactions[int(interaction_id)]

    def callbacks_for(self, interaction_id: int | str) -> list[Callback]:
        """The callbacks received for one interaction (Discord accepts one)."""
        return [c for c in self.callbacks if c.interaction_id == int(interaction_id)]

    def original(self, interaction_id: int | str) -> StoredMessage | None:
        """The message an interaction's response created, if any."""
        record = self.interaction(interaction_id)
        return self.messages.get(record.original_id or 0)

    def followups(self, interaction_id: int | str) -> list[StoredMessage]:
        """Followup messages sent through an interaction's token."""
        return [self.messages[i] for i in self.interaction(interaction_id).followup_ids]

    def command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """A registered application command by name (guild first, then global)."""
        for scope in (guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        return None

    # ---------------------------------------------------------------------- builders

    def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int = USER_ID,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        permissions: int = MEMBER_PERMISSIONS,
        roles: Iterable[int] = (),
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for ``/name`` ("admin words add" for a nested subcommand).

        Option values: str, int, float, bool, a ``StoredAttachment`` from ``attachment()``,
        or a dict with an explicit ``type`` and ``value`` (and optionally the ``resolved``
        objects Discord sends with it, as ``user_option`` / ``channel_option`` /
        ``role_option`` build). ``roles`` are the member's role ids.
        """
        top, *nested = name.split()
        guild = guild_id or self.guild_id
        options, resolved = _split_resolved(options or {})
        options_payload, attachments = self._options(options)
        for index, sub in enumerate(reversed(nested)):
            kind = 1 if index == 0 else 2  # SUB_COMMAND, then SUB_COMMAND_GROUP
            options_payload = [{"type": kind, "name": sub, "options": options_payload}]
        registered = self.command(top, guild)
        data: dict[str, Any] = {
            "id": registered["id"] if registered else str(self.snowflake()),
            "name": top,
            "type": 1,
            "options": options_payload,
        }
        if registered and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        if attachments:
            resolved["attachments"] = {str(a.id): a.payload() for a in attachments}
        if resolved:
            data["resolved"] = resolved
        return self._interaction(
            APPLICATION_COMMAND,
            data,
            user_id=user_id,
            guild_id=guild,
            channel_id=channel_id,
            locale=locale,
            permissions=permissions,
            name=top,
            roles=roles,
        )

    def button_click(
        self,
        message: StoredMessage | int,
        custom_id: str,
        *,
        user_id: int = USER_ID,
        forge: bool = False,
        permissions: int = MEMBER_PERMISSIONS,
        roles: Iterable[int] = (),
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for a click on a button of a stored message.

        Discord only delivers clicks on buttons the message carries. ``forge=True`` models a
        message that carries a button this test invents (copied or hand-made): the button is
        added to the message as sent in the payload, not to the stored message.
        ``permissions`` and ``roles`` describe the clicking member.
        """
        stored = message if isinstance(message, StoredMessage) else self.message(message)
        payload_message = stored.payload()
        if custom_id not in {b.get("custom_id") for b in stored.buttons()}:
            if not forge:
                raise KeyError(f"message {stored.id} has no button {custom_id!r}")
            extra = {"type": 1, "components": [_button(custom_id, "forged")]}
            payload_message["components"] = [*stored.components, extra]
        data = {"custom_id": custom_id, "component_type": 2}
        channel = self.channels.get(stored.channel_id, {})
        guild_id = int(channel.get("guild_id") or self.guild_id)
        return self._interaction(
            MESSAGE_COMPONENT,
            data,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=stored.channel_id,
            message=payload_message,
            permissions=permissions,
            roles=roles,
        )

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: StoredMessage | None = None,
        user_id: int = USER_ID,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for a submitted modal of text inputs (``{input id: value}``)."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        channel = message.channel_id if message else channel_id
        return self._interaction(
            MODAL_SUBMIT,
            data,
            user_id=user_id,
            guild_id=self.guild_id,
            channel_id=channel,
            message=message.payload() if message else None,
        )

    def select_choice(
        self,
        message: StoredMessage,
        custom_id: str,
        values: Iterable[str],
        *,
        user_id: int = USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for a choice in a string select menu of a stored message.

        Discord only delivers values the menu offers, so others raise KeyError here.
        """
        menus = [
            child
            for row in message.components
            for child in row.get("components", [])
            if child.get("custom_id") == custom_id and child["type"] == SELECT_MENU
        ]
        if not menus:
            raise KeyError(f"message {message.id} has no select menu {custom_id!r}")
        chosen = list(values)
        offered = {option["value"] for option in menus[0].get("options", [])}
        if not set(chosen) <= offered:
            raise KeyError(f"the menu offers {sorted(offered)}, not {chosen}")
        data = {"custom_id": custom_id, "component_type": SELECT_MENU, "values": chosen}
        return self._interaction(
            MESSAGE_COMPONENT,
            data,
            user_id=user_id,
            guild_id=self.guild_id,
            channel_id=message.channel_id,
            message=message.payload(),
            permissions=permissions,
        )

    def _options(
        self, options: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], list[StoredAttachment]]:
        payload: list[dict[str, Any]] = []
        attachments: list[StoredAttachment] = []
        for name, value in options.items():
            if isinstance(value, StoredAttachment):
                attachments.append(value)
                payload.append({"name": name, "type": 11, "value": str(value.id)})
            elif isinstance(value, dict):
                payload.append({"name": name, **value})
            elif isinstance(value, bool):
                payload.append({"name": name, "type": 5, "value": value})
            elif isinstance(value, int):
                payload.append({"name": name, "type": 4, "value": value})
            elif isinstance(value, float):
                payload.append({"name": name, "type": 10, "value": value})
            else:
                payload.append({"name": name, "type": 3, "value": str(value)})
        return payload, attachments

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: int,
        guild_id: int,
        channel_id: int | None,
        locale: str = "en-US",
        permissions: int = MEMBER_PERMISSIONS,
        name: str | None = None,
        message: dict[str, Any] | None = None,
        roles: Iterable[int] = (),
    ) -> dict[str, Any]:
        channel = dict(self.add_channel(channel_id or self.channel_id, guild_id=guild_id))
        channel["permissions"] = str(permissions)
        record = InteractionRecord(
            id=self.snowflake(),
            token="aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96),
            type=kind,
            user_id=user_id,
            channel_id=int(channel["id"]),
            guild_id=guild_id,
            name=name,
            message_id=int(message["id"]) if message else None,
        )
        self.interactions[record.id] = record
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild": {"id": str(guild_id), "features": [], "locale": "en-US"},
            "guild_id": str(guild_id),
            "channel": channel,
            "channel_id": channel["id"],
            "member": _member(user_id, permissions, roles),
            "token": record.token,
            "version": 1,
            "app_permissions": str(self.app_permissions),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = message
        return payload

    # ------------------------------------------------------------------ http plumbing

    def build_app(self) -> web.Application:
        """The aiohttp application: Discord's routes, the attachment CDN, a Discord-style 404."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        api = API_PREFIX
        app.router.add_get(f"{api}/users/@me", self._get_me)
        app.router.add_post(f"{api}/users/@me/channels", self._create_dm)
        app.router.add_delete(f"{api}/users/@me/guilds/{{guild}}", self._leave_guild)
        app.router.add_get(f"{api}/users/{{user}}", self._get_user)  # after /users/@me
        app.router.add_get(f"{api}/oauth2/applications/@me", self._get_application)
        app.router.add_get(f"{api}/gateway", self._get_gateway)
        app.router.add_get(f"{api}/gateway/bot", self._get_gateway)
        for path in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            app.router.add_get(api + path, self._get_commands)
            app.router.add_put(api + path, self._put_commands)
        app.router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        webhook_message = f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}"
        app.router.add_get(webhook_message, self._webhook_get)
        app.router.add_patch(webhook_message, self._webhook_edit)
        app.router.add_delete(webhook_message, self._webhook_delete)
        app.router.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        channel_message = f"{api}/channels/{{channel}}/messages/{{message}}"
        app.router.add_get(channel_message, self._get_message)
        app.router.add_patch(channel_message, self._edit_message)
        app.router.add_delete(channel_message, self._delete_message)
        app.router.add_post(f"{channel_message}/threads", self._start_thread)
        app.router.add_get("/attachments/{channel}/{id}/{filename}", self._get_attachment)
        self.extra_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)  # last: everything else
        return app

    def extra_routes(self, app: web.Application) -> None:
        """Room for subclasses (the gateway websocket, more endpoints)."""

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        recorded = await self._record(request)
        response = self._refusal(request, recorded) or await handler(request)
        recorded.status = response.status
        return response

    async def _record(self, request: web.Request) -> RecordedRequest:
        body: Any = None
        files: list[tuple[str, str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files.append((key, value.filename, value.file.read()))
                elif key == "payload_json":
                    body = json.loads(str(value))
        else:
            raw = await request.read()
            with contextlib.suppress(ValueError):
                body = json.loads(raw) if raw else None
        path = request.path
        if path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX) :]
        recorded = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            at=time.monotonic(),
        )
        self.requests.append(recorded)
        request[RECORDED] = recorded
        return recorded

    def _refusal(self, request: web.Request, recorded: RecordedRequest) -> web.Response | None:
        if not request.path.startswith(API_PREFIX + "/"):
            return None
        for rule in self._injected:
            if rule.method == request.method and rule.pattern.search(recorded.path):
                rule.times -= 1
                if rule.times <= 0:
                    self._injected.remove(rule)
                return _json(rule.body, rule.status, rule.headers)
        if _needs_bot_token(recorded.path) and not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        return None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.bot_token is None:
            return header.startswith("Bot ")
        return header == f"Bot {self.bot_token}"

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown_routes.append(f"{request.method} {request.path}")
        return not_found()

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            result = listener(event, data)
            if result is not None:
                await result

    # ------------------------------------------------------------- users, app, commands

    async def _get_me(self, request: web.Request) -> web.Response:
        me = dict(self.bot_user, verified=True, mfa_enabled=False, locale="en-US", email=None)
        return _json(me)

    async def _leave_guild(self, request: web.Request) -> web.Response:
        self.left_guilds.append(int(request.match_info["guild"]))
        return web.Response(status=204)

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = _int(request.match_info["user"])
        if user_id is None:
            return _error(404, 10013, "Unknown User")
        if user_id == self.application_id:
            return _json(self.bot_user)
        return _json(user_payload(user_id))

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = user_payload(USER_ID, "owner")
        return _json(
            {
                "id": str(self.application_id),
                "name": self.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": secrets.token_hex(32),
                "owner": owner,
                "team": None,
                "flags": 0,
                "bot": self.bot_user,
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        url = self.base_url.replace("http://", "ws://") + "/gateway"
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": url, "shards": 1, "session_start_limit": limit})

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        return _json(self.commands.get(int(guild) if guild else None, []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != str(self.application_id):
            return _error(403, 50001, "Missing Access")
        guild = request.match_info.get("guild")
        scope = int(guild) if guild else None
        previous = {c["name"]: c for c in self.commands.get(scope, [])}
        stored = []
        for command in request[RECORDED].json or []:
            old = previous.get(command["name"])
            entry = {
                "type": 1,
                "default_member_permissions": None,
                "nsfw": False,
                **command,
                "id": old["id"] if old else str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
            }
            if guild:
                entry["guild_id"] = guild
            stored.append(entry)
        self.commands[scope] = stored
        return _json(stored)

    # ------------------------------------------------------------------- interactions

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        record = self.interactions.get(_int(request.match_info["id"]))
        if record is None or record.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - record.created_at > self.callback_deadline:
            return _error(404, 10062, "Unknown interaction")  # answered after Discord's 3 s
        body = request[RECORDED].json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        try:
            message = await self._answer(record, kind, data, request[RECORDED].files)
        except FormError as error:
            return _error(400, error.code, error.message, error.errors)
        record.response_type = kind
        self.callbacks.append(Callback(record.id, kind, data, time.monotonic()))
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return _json(self._callback_response(record, kind, message))

    async def _answer(
        self, record: InteractionRecord, kind: int, data: dict[str, Any], files: list[Any]
    ) -> StoredMessage | None:
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            flags = int(data.get("flags", 0)) & EPHEMERAL
            if kind == DEFERRED_CHANNEL_MESSAGE:
                message = self._new_message(record.channel_id, {}, [], source="interaction")
                message.flags = flags | LOADING
            else:
                message = self._new_message(
                    record.channel_id, data, files, source="interaction", check_empty=True
                )
                message.flags |= flags
            message.type = 20 if record.type == APPLICATION_COMMAND else 0
            message.interaction_id = record.id
            message.extra = self._interaction_fields(record)
            record.original_id = message.id
            await self._emit("MESSAGE_CREATE", message.payload())
            return message
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            if record.message_id is None or record.message_id not in self.messages:
                raise FormError("Interaction has no message to update", code=50035)
            message = self.messages[record.message_id]
            if kind == UPDATE_MESSAGE:
                await self._apply_edit(message, data, files, via="webhook")
            return message
        if kind in (AUTOCOMPLETE_RESULT, MODAL):
            return None
        raise FormError(f"Invalid interaction response type {kind}")

    def _callback_response(
        self, record: InteractionRecord, kind: int, message: StoredMessage | None
    ) -> dict[str, Any]:
        interaction: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "activity_instance_id": None,
            "response_message_id": str(message.id) if message else None,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = message.payload()
        return {"interaction": interaction, "resource": resource}

    def _interaction_fields(self, record: InteractionRecord) -> dict[str, Any]:
        user = user_payload(record.user_id)
        metadata: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        if record.name:
            metadata["name"] = record.name
        if record.message_id:
            metadata["interacted_message_id"] = str(record.message_id)
        fields: dict[str, Any] = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        if record.type == APPLICATION_COMMAND:
            fields["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": record.name,
                "user": user,
            }
        return fields

    def _webhook_record(self, request: web.Request) -> InteractionRecord | web.Response:
        token = request.match_info["token"]
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if request.match_info["app"] != str(self.application_id) or record is None:
            return _error(404, 10015, "Unknown Webhook")
        if record.expired:
            return _error(401, 50027, "Invalid Webhook Token")
        return record

    def _webhook_message(self, request: web.Request) -> StoredMessage | web.Response:
        record = self._webhook_record(request)
        if isinstance(record, web.Response):
            return record
        wanted = request.match_info["message"]
        message_id = record.original_id if wanted == "@original" else _int(wanted)
        owned = {record.original_id, *record.followup_ids}
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted or message_id not in owned:
            return _error(404, 10008, "Unknown Message")
        return message

    async def _followup(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        if isinstance(record, web.Response):
            return record
        if record.response_type is None:
            return _error(404, 10015, "Unknown Webhook")  # no followup before the first answer
        recorded = request[RECORDED]
        body = recorded.json or {}
        try:
            message = self._new_message(
                record.channel_id, body, recorded.files, source="followup", check_empty=True
            )
        except FormError as error:
            return _error(400, error.code, error.message, error.errors)
        message.flags |= int(body.get("flags", 0)) & EPHEMERAL
        message.interaction_id = record.id
        message.extra = self._interaction_fields(record)
        record.followup_ids.append(message.id)
        await self._emit("MESSAGE_CREATE", message.payload())
        if request.query.get("wait") in ("1", "true", "True"):
            return _json(message.payload())
        return web.Response(status=204)

    async def _webhook_get(self, request: web.Request) -> web.Response:
        message = self._webhook_message(request)
        return message if isinstance(message, web.Response) else _json(message.payload())

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        message = self._webhook_message(request)
        if isinstance(message, web.Response):
            return message
        recorded = request[RECORDED]
        try:
            await self._apply_edit(message, recorded.json or {}, recorded.files, via="webhook")
        except FormError as error:
            return _error(400, error.code, error.message, error.errors)
        return _json(message.payload())

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        message = self._webhook_message(request)
        if isinstance(message, web.Response):
            return message
        await self._delete(message)
        return web.Response(status=204)

    # ----------------------------------------------------------------------- channels

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(_int(request.match_info["channel"]) or 0)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        return _json({key: value for key, value in channel.items() if not key.startswith("_")})

    async def _create_dm(self, request: web.Request) -> web.Response:
        recipient = _int(str((request[RECORDED].json or {}).get("recipient_id", "")))
        if recipient is None:
            return _error(400, 50035, "Invalid Form Body")
        existing = next(
            (c for c in self.channels.values() if c["type"] == 1 and c["_recipient"] == recipient),
            None,
        )
        if existing is None:
            channel_id = self.snowflake()
            existing = {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user_payload(recipient)],
                "_recipient": recipient,
            }
            self.channels[channel_id] = existing
        return _json({k: v for k, v in existing.items() if not k.startswith("_")})

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = _int(request.match_info["channel"])
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        if self.channels[channel_id].get("_recipient") in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        recorded = request[RECORDED]
        try:
            reference = self._reference(channel_id, (recorded.json or {}).get("message_reference"))
            message = self._new_message(
                channel_id, recorded.json or {}, recorded.files, source="channel", check_empty=True
            )
        except FormError as error:
            return _error(400, error.code, error.message, error.errors)
        if reference is not None:
            message.type = 19  # REPLY
            message.extra["message_reference"] = reference
        await self._emit("MESSAGE_CREATE", message.payload())
        return _json(message.payload())

    def _reference(
        self, channel_id: int, reference: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """A reply's reference as Discord keeps it; a missing target fails unless told not to."""
        if not reference:
            return None
        target = self.messages.get(_int(str(reference.get("message_id", ""))) or 0)
        if target is None or target.deleted or target.channel_id != channel_id:
            if reference.get("fail_if_not_exists", True):
                raise FormError(
                    "Invalid Form Body",
                    errors={"message_reference": "Unknown message"},
                )
            return None  # Discord posts it as a plain message
        return {"message_id": str(target.id), "channel_id": str(channel_id)}

    async def _start_thread(self, request: web.Request) -> web.Response:
        """Start a public thread from a message: the thread's id is the message's id."""
        message = self._channel_message(request)
        if isinstance(message, web.Response):
            return message
        if message.id in self.channels:
            return _error(400, 160004, "A thread has already been created for this message")
        name = str((request[RECORDED].json or {}).get("name") or "")
        if not 1 <= len(name) <= 100:
            return _error(400, 50035, "Invalid Form Body", {"name": "1 to 100 characters."})
        thread = self.add_channel(message.id, name=name)
        thread.update(type=11, parent_id=str(message.channel_id), owner_id=self.bot_user["id"])
        thread.update(message_count=0, member_count=1, total_message_sent=0)
        thread["thread_metadata"] = {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": _now_iso(),
            "locked": False,
        }
        await self._emit("THREAD_CREATE", {k: v for k, v in thread.items() if k[0] != "_"})
        return _json({k: v for k, v in thread.items() if not k.startswith("_")})

    def _channel_message(self, request: web.Request) -> StoredMessage | web.Response:
        channel_id = _int(request.match_info["channel"])
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        message = self.messages.get(_int(request.match_info["message"]) or 0)
        # Ephemeral messages do not exist for the bot token: only their interaction can see them.
        if message is None or message.deleted or message.channel_id != channel_id:
            return _error(404, 10008, "Unknown Message")
        if message.ephemeral:
            return _error(404, 10008, "Unknown Message")
        return message

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        return message if isinstance(message, web.Response) else _json(message.payload())

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if isinstance(message, web.Response):
            return message
        if message.author["id"] != self.bot_user["id"]:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        recorded = request[RECORDED]
        try:
            await self._apply_edit(message, recorded.json or {}, recorded.files, via="channel")
        except FormError as error:
            return _error(400, error.code, error.message, error.errors)
        return _json(message.payload())

    async def _delete_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if isinstance(message, web.Response):
            return message
        await self._delete(message)
        return web.Response(status=204)

    async def _get_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment_id = _int(request.match_info["id"]) or 0
        found = self.uploads.get(attachment_id)
        if found is None or found.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        kind = found.content_type or "application/octet-stream"
        return web.Response(body=found.data, headers={"Content-Type": kind})

    # ----------------------------------------------------------------------- messages

    def _new_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes]],
        *,
        source: str,
        check_empty: bool = False,
    ) -> StoredMessage:
        _validate(body)
        message = StoredMessage(
            id=self.snowflake(), channel_id=channel_id, author=self.bot_user, source=source
        )
        message.attachments = self._attachments(channel_id, body, files, [])
        message.content = str(body.get("content") or "")
        message.embeds = self._embeds(body.get("embeds") or [], message.attachments)
        message.components = _number_components(body.get("components") or [])
        message.flags = int(body.get("flags", 0)) & ~(EPHEMERAL | LOADING)
        if check_empty and not (
            message.content or message.embeds or message.components or message.attachments
        ):
            raise FormError("Cannot send an empty message", code=50006)
        message.allowed_mentions = body.get("allowed_mentions")
        self._resolve_mentions(message)
        self.messages[message.id] = message
        if channel_id in self.channels:
            self.channels[channel_id]["last_message_id"] = str(message.id)
        return message

    async def _apply_edit(
        self,
        message: StoredMessage,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes]],
        *,
        via: str,
    ) -> None:
        _validate(body)
        message.edits.append(Edit(time.monotonic(), via, dict(body), message.content))
        if "attachments" in body or files:
            message.attachments = self._attachments(
                message.channel_id, body, files, message.attachments
            )
        if "content" in body:
            message.content = str(body["content"] or "")
        if "embeds" in body:
            message.embeds = self._embeds(body["embeds"] or [], message.attachments)
        if "components" in body:
            message.components = _number_components(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & EPHEMERAL) | (int(body["flags"]) & ~LOADING)
        message.flags &= ~LOADING  # an edited deferred response stops "thinking"
        message.edited_timestamp = _now_iso()
        self._resolve_mentions(message)
        await self._emit("MESSAGE_UPDATE", message.payload())

    async def _delete(self, message: StoredMessage) -> None:
        message.deleted = True
        message.deleted_at = time.monotonic()
        event = {"id": str(message.id), "channel_id": str(message.channel_id)}
        await self._emit("MESSAGE_DELETE", event)

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes]],
        current: list[StoredAttachment],
    ) -> list[StoredAttachment]:
        """Attachments after a create or edit: kept ones by id, new ones from ``files[n]``."""
        uploaded = {}
        for field_name, filename, data in files:
            match = re.fullmatch(r"files\[(\d+)\]", field_name)
            if match:
                uploaded[int(match[1])] = (filename, data)
        listed = body.get("attachments")
        if listed is None:
            listed = [{"id": index} for index in sorted(uploaded)]
        existing = {a.id: a for a in current}
        result = []
        for entry in listed:
            key = int(entry["id"])
            if key in uploaded:
                filename, data = uploaded.pop(key)
                attachment = StoredAttachment(
                    id=self.snowflake(),
                    filename=entry.get("filename") or filename,
                    data=data,
                    content_type=_guess_type(filename),
                    channel_id=channel_id,
                    size=len(data),
                    base_url=self.base_url,
                )
                self.uploads[attachment.id] = attachment
                result.append(attachment)
            elif key in existing:
                result.append(existing[key])
            else:
                raise FormError("Invalid Form Body", errors={"attachments": f"unknown id {key}"})
        return result

    def _embeds(
        self, embeds: list[dict[str, Any]], attachments: list[StoredAttachment]
    ) -> list[dict[str, Any]]:
        """Embeds as Discord stores them: ``attachment://name`` resolved to that upload."""
        by_name = {a.filename: a for a in attachments}
        stored = []
        for sent in embeds:
            embed = {"type": "rich", **json.loads(json.dumps(sent))}
            for key in ("image", "thumbnail"):
                media = embed.get(key)
                match = _ATTACHMENT_REF.match(str((media or {}).get("url", "")))
                if match and match[1] in by_name:
                    target = by_name[match[1]]
                    embed[key] = {"url": target.url, "proxy_url": target.url, "flags": 0}
                    embed[key]["content_type"] = target.content_type
            stored.append(embed)
        return stored

    @staticmethod
    def _resolve_mentions(message: StoredMessage) -> None:
        """Who Discord would ping: the content's mentions, filtered by allowed_mentions."""
        content = message.content
        users = [int(u) for u in _MENTION_USER.findall(content)]
        roles = [int(r) for r in _MENTION_ROLE.findall(content)]
        everyone = "@everyone" in content or "@here" in content
        allowed = message.allowed_mentions
        if allowed is None:  # Discord's default: parse everything
            message.mentions, message.mention_roles = users, roles
            message.mention_everyone = everyone
            return
        parse = set(allowed.get("parse") or [])
        listed_users = {int(u) for u in allowed.get("users") or []}
        listed_roles = {int(r) for r in allowed.get("roles") or []}
        message.mentions = [u for u in users if "users" in parse or u in listed_users]
        message.mention_roles = [r for r in roles if "roles" in parse or r in listed_roles]
        message.mention_everyone = everyone and "everyone" in parse


def _validate(body: dict[str, Any]) -> None:
    """Discord's checks on a message body that a bot can get wrong."""
    errors: dict[str, str] = {}
    content = body.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        errors["content"] = f"Must be {MAX_CONTENT} or fewer in length."
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        errors["embeds"] = f"Must be {MAX_EMBEDS} or fewer in length."
    for embed in embeds:
        if len(embed.get("title") or "") > 256 or len(embed.get("description") or "") > 4096:
            errors["embeds"] = "Embed title or description too long."
    errors.update(_component_errors(body.get("components") or []))
    allowed = body.get("allowed_mentions") or {}
    for kind in ("users", "roles"):
        if kind in (allowed.get("parse") or []) and allowed.get(kind):
            errors["allowed_mentions"] = f"parse:[{kind}] and {kind}: [ids] are mutually exclusive."
    if errors:
        raise FormError("Invalid Form Body", errors=errors)


def _component_errors(rows: list[dict[str, Any]]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(rows) > MAX_ROWS:
        errors["components"] = f"Must be {MAX_ROWS} or fewer in length."
    seen: set[str] = set()
    for index, row in enumerate(rows):
        children = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(children) <= MAX_PER_ROW:
            errors[f"components.{index}"] = "An action row holds 1 to 5 buttons."
        for child in children:
            custom_id = child.get("custom_id")
            if custom_id is not None:
                if not 1 <= len(custom_id) <= 100:
                    errors[f"components.{index}.custom_id"] = "1 to 100 characters."
                if custom_id in seen:
                    errors[f"components.{index}.custom_id"] = "Component custom id must be unique"
                seen.add(custom_id)
            if len(child.get("label") or "") > 80:
                errors[f"components.{index}.label"] = "Must be 80 or fewer in length."
    return errors


def _number_components(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord returns them: each carries a numeric ``id`` within the message."""
    counter = itertools.count(1)
    numbered = []
    for row in rows:
        children = [{**child, "id": next(counter)} for child in row.get("components") or []]
        numbered.append({**row, "id": next(counter), "components": children})
    return numbered


def _button(custom_id: str, label: str) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": label, "custom_id": custom_id}


def _member(user_id: int, permissions: int, roles: Iterable[int] = ()) -> dict[str, Any]:
    return {
        "user": user_payload(user_id),
        "roles": [str(role) for role in roles],
        "premium_since": None,
        "permissions": str(permissions),
        "pending": False,
        "nick": None,
        "mute": False,
        "deaf": False,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "flags": 0,
        "communication_disabled_until": None,
        "avatar": None,
        "banner": None,
    }


def _role(role_id: int, name: str, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _split_resolved(
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Options without their ``resolved`` parts, and those parts merged as Discord sends them."""
    plain: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, dict) and "resolved" in value:
            for kind, objects in value["resolved"].items():
                resolved.setdefault(kind, {}).update(objects)
            plain[name] = {key: item for key, item in value.items() if key != "resolved"}
        else:
            plain[name] = value
    return plain, resolved


def _needs_bot_token(path: str) -> bool:
    return not path.startswith(("/interactions/", "/webhooks/"))


def _guess_type(filename: str) -> str | None:
    extension = filename.rsplit(".", 1)[-1].lower()
    types = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
    types |= {"webp": "image/webp", "gif": "image/gif", "txt": "text/plain; charset=utf-8"}
    return types.get(extension)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def flatten(rows: Iterable[Iterable[Any]]) -> list[Any]:
    """Every item of every row, in order."""
    return [item for row in rows for item in row]
