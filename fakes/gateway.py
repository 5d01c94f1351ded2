"""The gateway websocket of the fake Discord: a real bot process can connect, identify, resume.

``FakeDiscordWithGateway`` is the REST fake of ``fakes/discord.py`` plus Discord's gateway
(v10, JSON, zlib-stream when asked): HELLO, IDENTIFY -> READY then GUILD_CREATE, heartbeat
ACKs, RESUME -> RESUMED with the missed events replayed, RECONNECT and INVALID_SESSION on
demand. ``dispatch`` sends an event with the next sequence number, as Discord sends
INTERACTION_CREATE. Point discord.py at it with::

    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

READY carries ``resume_gateway_url`` on another path of the same server, so a test can check
that a resuming client used it (``GatewaySession.resumed_on``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSMsgType, web

from fakes.discord import FakeDiscord
from fakes.gateway_payloads import (
    BOT_ROLE_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    GUILD_DEFAULTS,
    GUILD_MEMBER,
    READY_DEFAULTS,
    role,
)

GATEWAY_PATH: Final = "/gateway"
RESUME_PATH: Final = "/gateway-resume"
API_VERSION: Final = "10"

# Opcodes (topics/opcodes-and-status-codes).
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
# Close codes.
UNKNOWN_OPCODE, DECODE_ERROR, NOT_AUTHENTICATED, AUTHENTICATION_FAILED = 4001, 4002, 4003, 4004
ALREADY_AUTHENTICATED, INVALID_API_VERSION, DISALLOWED_INTENTS = 4005, 4012, 4014

GUILDS_INTENT: Final = 1 << 0
GUILD_MESSAGES_INTENT: Final = 1 << 9
DIRECT_MESSAGES_INTENT: Final = 1 << 12
# Members, presences, message content: off in the Developer Portal unless the owner enables them.
PRIVILEGED_INTENTS: Final = (1 << 1) | (1 << 8) | (1 << 15)
_MESSAGE_EVENTS: Final = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})


@dataclass
class Frame:
    """One gateway payload, sent or received."""

    direction: str  # "in" (from the bot) or "out" (to the bot)
    op: int
    event: str | None
    sequence: int | None
    data: Any
    at: float


@dataclass
class Connection:
    """One websocket connection (a session may outlive several)."""

    ws: web.WebSocketResponse
    path: str
    compress: bool
    deflate: Any = field(default_factory=zlib.compressobj)
    session: GatewaySession | None = None
    heartbeats: int = 0
    closed_by_fake: bool = False

    async def send(self, payload: dict[str, Any]) -> None:
        """Send one payload: a text frame, or a zlib-stream chunk ending in Z_SYNC_FLUSH."""
        text = json.dumps(payload)
        if self.compress:
            chunk = self.deflate.compress(text.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(chunk)
        else:
            await self.ws.send_str(text)


@dataclass
class GatewaySession:
    """A session created by IDENTIFY; RESUME reattaches it to a new connection."""

    id: str
    intents: int
    identified_at: float
    sequence: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, for replay
    connection: Connection | None = None
    resumes: int = 0
    resumed_on: list[str] = field(default_factory=list)  # the path of each RESUME
    # Sequence numbers go out in order, even while a RESUME replays missed events.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def connected(self) -> bool:
        """A live connection is attached."""
        return self.connection is not None and not self.connection.ws.closed


class FakeDiscordWithGateway(FakeDiscord):
    """The fake Discord REST API plus its gateway websocket, on the same 127.0.0.1 port."""

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 41_250,
        allowed_privileged_intents: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_privileged_intents = allowed_privileged_intents
        self.sessions: list[GatewaySession] = []
        self.connections: list[Connection] = []
        self.frames: list[Frame] = []
        self.close_codes: list[int] = []  # codes the fake closed connections with
        # How the bot's connections ended: 1000 for a clean close, 1006 when it just vanished.
        self.client_close_codes: list[int | None] = []
        self.listeners.append(self._relay_message_event)

    # ---------------------------------------------------------------------- lifecycle

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return self.base_url.replace("http://", "ws://", 1) + GATEWAY_PATH

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` READY hands out."""
        return self.base_url.replace("http://", "ws://", 1) + RESUME_PATH

    async def close(self) -> None:
        """Close every websocket (code 1001, going away), then stop the server."""
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await self._close(connection, 1001)
        await super().close()

    def extra_routes(self, app: web.Application) -> None:
        """The gateway and the resume gateway."""
        app.router.add_get(GATEWAY_PATH, self._websocket)
        app.router.add_get(RESUME_PATH, self._websocket)

    # ------------------------------------------------------------------ test controls

    @property
    def identifies(self) -> int:
        """How many IDENTIFYs succeeded (one per bot start)."""
        return len(self.sessions)

    @property
    def session(self) -> GatewaySession | None:
        """The newest session with a live connection, if any."""
        live = [session for session in self.sessions if session.connected]
        return live[-1] if live else None

    def ready_for_events(self) -> bool:
        """True when a session is connected and its GUILD_CREATE went out."""
        session = self.session
        return session is not None and any(e["t"] == "GUILD_CREATE" for e in session.events)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send an event (op 0) to the newest session; returns its sequence number.

        A session whose connection dropped keeps the event for its RESUME, as Discord does.
        """
        sessions = [s for s in self.sessions if s.connected] or self.sessions[-1:]
        if not sessions:
            raise RuntimeError("no gateway session: the bot never identified")
        return await self._send_event(sessions[-1], event, data)

    async def interact(self, payload: dict[str, Any]) -> int:
        """Deliver an INTERACTION_CREATE built by ``slash_command``, ``button_click``..."""
        return await self.dispatch("INTERACTION_CREATE", payload)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and resumes on ``resume_gateway_url``."""
        connection = self._live_connection()
        await self._send(connection, {"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION to the live connection."""
        connection = self._live_connection()
        await self._send(connection, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the live connection as a network blip would (4000: resumable)."""
        await self._close(self._live_connection(), code)

    def received(self, op: int) -> list[Frame]:
        """Frames of opcode ``op`` the bot sent."""
        return [f for f in self.frames if f.direction == "in" and f.op == op]

    def _live_connection(self) -> Connection:
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no live gateway connection")
        return session.connection

    # ----------------------------------------------------------------------- websocket

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        connection = Connection(
            ws, request.path, compress=request.query.get("compress") == "zlib-stream"
        )
        self.connections.append(connection)
        try:
            if request.query.get("v") != API_VERSION or request.query.get("encoding") != "json":
                await self._close(connection, INVALID_API_VERSION)
                return ws
            hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gateway"]}
            await self._send(connection, {"op": HELLO, "d": hello, "s": None, "t": None})
            if await self._serve(connection):
                self.client_close_codes.append(ws.close_code)
        finally:
            self.connections.remove(connection)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
        return ws

    async def _serve(self, connection: Connection) -> bool:
        """Answer the bot's payloads; True when the bot closed the connection itself."""
        async for message in connection.ws:
            if message.type is not WSMsgType.TEXT:
                if message.type is WSMsgType.BINARY:
                    await self._close(connection, DECODE_ERROR)
                return False
            try:
                payload = json.loads(message.data)
                op = int(payload["op"])
            except (ValueError, KeyError, TypeError):
                await self._close(connection, DECODE_ERROR)
                return False
            self.frames.append(Frame("in", op, None, None, payload.get("d"), time.monotonic()))
            await self._on_payload(connection, op, payload.get("d"))
        return not connection.closed_by_fake

    async def _on_payload(self, connection: Connection, op: int, data: Any) -> None:
        if op == HEARTBEAT:
            connection.heartbeats += 1
            await self._send(connection, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            await self._resume(connection, data or {})
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE, REQUEST_GUILD_MEMBERS):
            if connection.session is None:
                await self._close(connection, NOT_AUTHENTICATED)
        else:
            await self._close(connection, UNKNOWN_OPCODE)

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await self._close(connection, ALREADY_AUTHENTICATED)
            return
        if not self._token_ok(data.get("token")):
            await self._close(connection, AUTHENTICATION_FAILED)
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await self._close(connection, DISALLOWED_INTENTS)
            return
        session = GatewaySession(secrets.token_hex(16), intents, time.monotonic())
        session.connection = connection
        connection.session = session
        self.sessions.append(session)
        await self._send_event(session, "READY", self._ready(session))
        if intents & GUILDS_INTENT:
            await self._send_event(session, "GUILD_CREATE", self.guild_payload())

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        if session is None or not self._token_ok(data.get("token")):
            await self._send(connection, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        async with session.lock:
            session.connection, connection.session = connection, session
            session.resumes += 1
            session.resumed_on.append(connection.path)
            last = int(data.get("seq") or 0)
            for event in [e for e in session.events if e["s"] > last]:
                await self._send(connection, event)
        await self._send_event(session, "RESUMED", {"_trace": ["fake-gateway"]})

    def _token_ok(self, token: Any) -> bool:
        if self.bot_token is None:
            return isinstance(token, str) and bool(token)
        return token == self.bot_token

    async def _send_event(self, session: GatewaySession, event: str, data: Any) -> int:
        async with session.lock:
            session.sequence += 1
            payload = {"op": DISPATCH, "d": data, "s": session.sequence, "t": event}
            session.events.append(payload)
            if session.connected and session.connection is not None:
                await self._send(session.connection, payload)
            return session.sequence

    async def _send(self, connection: Connection, payload: dict[str, Any]) -> None:
        op, event, sequence, data = payload["op"], payload.get("t"), payload.get("s"), payload["d"]
        self.frames.append(Frame("out", op, event, sequence, data, time.monotonic()))
        with contextlib.suppress(ConnectionError, RuntimeError):
            await connection.send(payload)

    async def _close(self, connection: Connection, code: int) -> None:
        self.close_codes.append(code)
        connection.closed_by_fake = True
        await connection.ws.close(code=code)

    async def _relay_message_event(self, event: str, data: dict[str, Any]) -> None:
        """MESSAGE_* reach only sessions that asked for message intents (the bot does not)."""
        if event not in _MESSAGE_EVENTS:
            return
        for session in self.sessions:
            if session.connected and session.intents & (
                GUILD_MESSAGES_INTENT | DIRECT_MESSAGES_INTENT
            ):
                await self._send_event(session, event, data)

    # ------------------------------------------------------------------------ payloads

    def _ready(self, session: GatewaySession) -> dict[str, Any]:
        me = dict(self.bot_user, verified=True, mfa_enabled=False, email=None, flags=0)
        changes = {
            "v": int(API_VERSION),
            "user": me,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
        }
        return {**READY_DEFAULTS, **changes}

    def guild_payload(self) -> dict[str, Any]:
        """The REST fake's guild, completed as GUILD_CREATE carries it (the bot's member too)."""
        base = super().guild_payload()
        bot_role = role(str(self.guild_id + 1), self.bot_user["username"], BOT_ROLE_PERMISSIONS)
        bot_role |= {"managed": True, "tags": {"bot_id": str(self.application_id)}}
        roles = [
            role | {"permissions": str(EVERYONE_PERMISSIONS)}
            if role["id"] == str(self.guild_id) and role.get("permissions") in (None, "0")
            else role
            for role in base.get("roles", [])
        ]
        roles.append(bot_role | {"position": len(roles)})
        bot_member = {**GUILD_MEMBER, "user": self.bot_user, "roles": [bot_role["id"]]}
        members = [*base.get("members", []), bot_member]
        extra = {"system_channel_id": str(self.channel_id)}
        return {**GUILD_DEFAULTS, **extra, **base, "roles": roles, "members": members}
