"""The editor's HTML: the page itself (shipped in bot/web/static) and the refusal pages."""

from __future__ import annotations

import datetime
import html
from functools import cache
from importlib import resources
from typing import Final

from aiohttp import web

from bot.jobs.editor import Grant, Refusal

# No inline script or style anywhere, so the policy can forbid both; images come from here only.
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The link's token is in the URL: never send it to anyone in a Referer.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATIC: Final = {
    "editor.js": "text/javascript",
    "editor.css": "text/css",
}
AGAIN: Final = "Press 🖌️ Vary (Region) under the upscaled image in Discord to get a new link."

_REFUSALS: Final[dict[Refusal, tuple[str, str]]] = {
    Refusal.FORGED: (
        "This link is not valid",
        f"It may have been changed or cut off when it was copied. {AGAIN}",
    ),
    Refusal.EXPIRED: ("This link has expired", f"Editor links work for 15 minutes. {AGAIN}"),
    Refusal.USED: (
        "This link was already used",
        "Each link works once, and this one has sent its Vary (Region): look for the result "
        f"in Discord. To paint another region, {AGAIN[0].lower()}{AGAIN[1:]}",
    ),
    Refusal.FOREIGN: (
        "This link belongs to someone else",
        "It was already opened in another browser. A link works only for the member who "
        f"asked for it, in the browser that opened it first. {AGAIN}",
    ),
    Refusal.GONE: (
        "This image is no longer available",
        "The job this link was made for is gone or has no image. Try another upscale.",
    ),
}


@cache
def static_file(name: str) -> str:
    """A file shipped in bot/web/static (read once)."""
    return (resources.files("bot.web") / "static" / name).read_text(encoding="utf-8")


def refusal_text(reason: Refusal) -> str:
    """The one-line reason, for JSON answers."""
    title, body = _REFUSALS[reason]
    return f"{title}. {body}"


def refusal_page(reason: Refusal) -> web.Response:
    """403 with a page saying why the link does not work and what to do."""
    title, body = _REFUSALS[reason]
    status = 410 if reason is Refusal.GONE else 403
    return message_page(title, body, status)


def message_page(title: str, body: str, status: int) -> web.Response:
    """A small page with a title and one paragraph."""
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{html.escape(title)} · mjbot</title>"
        '<link rel="stylesheet" href="/editor/static/editor.css"></head><body>'
        f'<section class="message"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(body)}</p></section></body></html>"
    )
    return page(text, status)


def editor_page(grant: Grant, token: str, size: tuple[int, int]) -> web.Response:
    """The editor for an opened link."""
    expires = datetime.datetime.fromtimestamp(grant.link.expires_at, datetime.UTC)
    values = {
        "csrf": grant.csrf,
        "submit_url": f"/edit/{token}",
        "image_url": f"/edit/{token}/image",
        "width": str(size[0]),
        "height": str(size[1]),
        "prompt": grant.job.prompt,
        "expires_iso": expires.isoformat(),
        "expires_text": f"at {expires:%H:%M} UTC",
    }
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return page(static_file("editor.html").format_map(escaped), 200)


def page(text: str, status: int) -> web.Response:
    """An HTML answer with the security headers; never cached (it holds a one-time form)."""
    response = web.Response(text=text, status=status, content_type="text/html")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response
