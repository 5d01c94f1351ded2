"""Routes of the Vary (Region) editor: the page, its image, its static files and the submit.

Every request is checked against the signed one-time link (bot/jobs/editor.py). The submit
also needs the form's own token (bound to the link and to this browser's cookie), an Origin
of this server and a JSON body, so no other site can post it for the member; the cookie is
SameSite=Lax and HttpOnly. Nothing here imports discord: the jobs service does the work.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import re
import secrets
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web

from bot.errors import LimitReached, UserFacingError
from bot.jobs.editor import Editor, Grant, LinkRefused
from bot.jobs.mask import MaskRejected, clean_mask
from bot.web.images import ImageCache, ImageUnavailable
from bot.web.pages import (
    SECURITY_HEADERS,
    STATIC,
    editor_page,
    message_page,
    refusal_page,
    refusal_text,
    static_file,
)

log = logging.getLogger(__name__)

COOKIE: Final = "mjbot_editor"
MAX_SUBMIT: Final = 8 * 1024 * 1024  # a 2048² black-and-white PNG is far smaller
_BROWSER = re.compile(r"[A-Za-z0-9_-]{24,64}")
# Link previews fetch URLs posted in chats; they must not be the "first browser" of a link.
_PREVIEW_BOTS = re.compile(r"Discordbot|Slackbot|TelegramBot|Twitterbot|facebookexternalhit", re.I)
_MENTION = re.compile(r"<(@&|@!?|#)(\d+)>|<t:(\d+)(:[a-zA-Z])?>")


class EditorRoutes:
    """Installs the editor on the bot's web application."""

    def __init__(self, editor: Editor, images: ImageCache, public_base_url: str) -> None:
        self._editor = editor
        self._images = images
        parts = urlsplit(public_base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._secure = parts.scheme == "https"

    def install(self, app: web.Application) -> None:
        """Add the editor's routes."""
        app.router.add_get("/edit/{token}", self._page)
        app.router.add_post("/edit/{token}", self._submit)
        app.router.add_get("/edit/{token}/image", self._image)
        app.router.add_get("/editor/static/{name}", self._static)

    async def _page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if _PREVIEW_BOTS.search(request.headers.get("User-Agent", "")):
            return message_page("mjbot editor", "Open this link in your browser.", 200)
        browser = _browser(request) or secrets.token_urlsafe(24)
        try:
            grant = await self._editor.open(token, browser)
            image = await self._images.get(grant.job.image_url or "")
        except LinkRefused as refused:
            return refusal_page(refused.reason)
        except ImageUnavailable:
            return message_page(
                "The image could not be loaded",
                "Midjourney's image server did not answer. Reload this page in a minute.",
                502,
            )
        response = editor_page(grant, token, image.size)
        response.set_cookie(
            COOKIE,
            browser,
            path="/edit/",
            max_age=24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=self._secure,
        )
        return response

    async def _image(self, request: web.Request) -> web.Response:
        try:
            grant = await self._editor.open(
                request.match_info["token"], _browser(request) or "", bind=False
            )
            image = await self._images.get(grant.job.image_url or "")
        except LinkRefused as refused:
            return refusal_page(refused.reason)
        except ImageUnavailable:
            return web.Response(status=502, text="image unavailable")
        response = web.Response(body=image.data, content_type=image.content_type)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "private, max-age=900"
        return response

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        response = web.Response(text=static_file(name), content_type=STATIC[name])
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def _submit(self, request: web.Request) -> web.Response:
        refused = self._cross_site(request)
        if refused:
            return _answer(403, refused, final=True)
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            grant = await self._editor.open(
                request.match_info["token"], _browser(request) or "", bind=False
            )
        except LinkRefused as error:
            return _answer(403, refusal_text(error.reason), final=True)
        if not self._editor.csrf_ok(grant, str(body.get("csrf", ""))):
            return _answer(403, "This form is out of date: reload the page.", final=True)
        return await self._send(grant, body)

    async def _send(self, grant: Grant, body: dict[str, Any]) -> web.Response:
        prompt, mask = body.get("prompt", ""), body.get("mask", "")
        if not isinstance(prompt, str) or not isinstance(mask, str):
            return _answer(400, "The form was not filled in correctly: reload the page.")
        try:
            # Every check (mask, then the member's rights and limits) runs before any spend.
            image = await self._images.get(grant.job.image_url or "")
            cleaned = clean_mask(base64.b64decode(mask, validate=True), image.size)
            job = await self._editor.submit(grant, cleaned, prompt)
        except Exception as error:  # every failure is answered to the page
            return _failure(error)
        return _answer(200, None, job=job.id)

    def _cross_site(self, request: web.Request) -> str | None:
        """Why a submit does not come from this server's own page, if it does not."""
        origin = request.headers.get("Origin")
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if origin is not None and origin != self._origin:
            return "This form can only be sent from the editor page itself."
        if origin is None and fetch_site != "same-origin":
            return "This form can only be sent from the editor page itself."
        if request.content_type != "application/json":
            return "This form can only be sent from the editor page itself."
        return None


async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
    if (request.content_length or 0) > MAX_SUBMIT:
        return _answer(413, "The mask is too large.")
    # read(n) returns what has arrived so far, not n bytes: gather chunks up to the cap.
    data = bytearray()
    while chunk := await request.content.read(64 * 1024):
        data += chunk
        if len(data) > MAX_SUBMIT:
            return _answer(413, "The mask is too large.")
    try:
        body = json.loads(data)
    except ValueError:
        return _answer(400, "The form was not filled in correctly: reload the page.")
    if not isinstance(body, dict):
        return _answer(400, "The form was not filled in correctly: reload the page.")
    return body


def _browser(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if _BROWSER.fullmatch(value) else None


def _failure(error: Exception) -> web.Response:
    """The page's answer to a submit that failed, for each kind of failure."""
    final = False
    if isinstance(error, ValueError):  # binascii.Error included: the mask is not base64
        status, text = 400, "The mask could not be read: reload the page and paint again."
    elif isinstance(error, ImageUnavailable):
        status, text = 502, "Midjourney's image server did not answer. Try again in a minute."
    elif isinstance(error, MaskRejected):
        status, text = 400, error.text
    elif isinstance(error, LinkRefused):
        status, text, final = 403, refusal_text(error.reason), True
    elif isinstance(error, UserFacingError):
        status, text = 409, plain(_with_retry(error))
    else:
        reference = secrets.token_hex(4)
        log.error("editor submit failed [ref %s]", reference, exc_info=error)
        status, text = 500, f"Something went wrong on our side (reference {reference})."
    return _answer(status, text, final=final)


def _with_retry(error: UserFacingError) -> str:
    if isinstance(error, LimitReached) and error.retry_at:
        return f"{error.text} (until <t:{int(error.retry_at)}>)"
    return error.text


def plain(text: str) -> str:
    """Discord markup (mentions, timestamps) as words a web page can show."""

    def words(match: re.Match[str]) -> str:
        if match[3]:
            moment = datetime.datetime.fromtimestamp(int(match[3]), datetime.UTC)
            return f"{moment:%H:%M} UTC"
        return {"@&": "the required role", "#": "an allowed channel"}.get(match[1], "its owner")

    return _MENTION.sub(words, text)


def _answer(status: int, error: str | None, *, final: bool = False, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"ok": error is None, **extra}
    if error is not None:
        body |= {"error": error, "final": final}
    response = web.json_response(body, status=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response
