"""Adds the bot's web pages to the server that receives the provider's callbacks."""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
from aiohttp import web

from bot.jobs.editor import Editor
from bot.jobs.service import JobService
from bot.jobs.store import Store
from bot.web.editor import EditorRoutes
from bot.web.images import ImageCache

KEEP_USED_LINKS = 7 * 24 * 3600.0  # long past their 15 minutes: they can never work again


async def install_editor(
    app: web.Application,
    store: Store,
    service: JobService,
    session: aiohttp.ClientSession,
    public_base_url: str,
    *,
    clock: Callable[[], float] = time.time,
) -> Editor:
    """Serve the Vary (Region) editor on `app`; returns the editor the routes use."""
    await store.forget_editor_links(clock() - KEEP_USED_LINKS)
    editor = Editor(store, service, clock)
    EditorRoutes(editor, ImageCache(session), public_base_url).install(app)
    return editor
