"""The fake Discord with the read-only REST routes the doctor uses: the app, guilds, members.

``FakeDiscord`` serves what the running bot needs; the doctor also reads the application
(``bot_public``), the bot's guilds, each guild with its roles, its channels with their
permission overwrites, and the bot's own member. Answers have Discord's shapes.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fakes.discord import API_PREFIX, APP_PERMISSIONS, FakeDiscord, _error, _json, _member

BOT_ROLE_ID = 1_186_350_000_000_000_150


class FakeDiscordRest(FakeDiscord):
    """FakeDiscord plus GET /applications/@me, /users/@me/guilds and /guilds/{id}/..."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bot_public = False
        self.everyone_permissions = 0
        self.add_role(BOT_ROLE_ID, "mjbot")["permissions"] = str(APP_PERMISSIONS)

    def deny(self, channel_id: int, permission: int, target: int | None = None) -> None:
        """Add a deny overwrite (for the bot's role by default) in a channel."""
        overwrite = {
            "id": str(target or BOT_ROLE_ID),
            "type": 0,
            "allow": "0",
            "deny": str(permission),
        }
        self.channels[channel_id]["permission_overwrites"].append(overwrite)

    def extra_routes(self, app: web.Application) -> None:
        """The doctor's routes."""
        api = API_PREFIX
        app.router.add_get(f"{api}/applications/@me", self._application)
        app.router.add_get(f"{api}/users/@me/guilds", self._guilds)
        app.router.add_get(f"{api}/guilds/{{guild}}", self._guild)
        app.router.add_get(f"{api}/guilds/{{guild}}/channels", self._channels)
        app.router.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self._bot_member)

    async def _application(self, request: web.Request) -> web.Response:
        response = await self._get_application(request)
        body = json.loads(response.body)  # type: ignore[arg-type]
        body["bot_public"] = self.bot_public
        return _json(body)

    async def _guilds(self, request: web.Request) -> web.Response:
        guild = self.guild_payload()
        return _json([{"id": guild["id"], "name": guild["name"], "icon": None, "owner": False,
                       "permissions": str(APP_PERMISSIONS), "features": []}])  # fmt: skip

    def _known(self, request: web.Request) -> web.Response | None:
        if request.match_info["guild"] != str(self.guild_id):
            return _error(404, 10004, "Unknown Guild")
        return None

    async def _guild(self, request: web.Request) -> web.Response:
        if (refusal := self._known(request)) is not None:
            return refusal
        guild = self.guild_payload()
        guild["roles"][0]["permissions"] = str(self.everyone_permissions)
        return _json({key: value for key, value in guild.items() if key != "channels"})

    async def _channels(self, request: web.Request) -> web.Response:
        if (refusal := self._known(request)) is not None:
            return refusal
        return _json(self.guild_payload()["channels"])

    async def _bot_member(self, request: web.Request) -> web.Response:
        if (refusal := self._known(request)) is not None:
            return refusal
        if request.match_info["user"] != str(self.application_id):
            return _error(404, 10007, "Unknown Member")
        member = _member(self.application_id, 0, [BOT_ROLE_ID])
        member["user"] = self.bot_user
        del member["permissions"]  # only interaction payloads carry it
        return _json(member)
