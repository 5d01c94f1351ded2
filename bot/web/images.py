"""The image being edited, fetched once from the provider's CDN and served from here.

The page never loads the CDN URL itself: the editor works the same whether or not that link
still works in the member's browser, and the page's CSP can stay `img-src 'self'`. The size
read here is the one a mask must have.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import aiohttp
from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES: Final = 32 * 1024 * 1024  # an upscaled PNG is a few MB
FETCH_TIMEOUT: Final = aiohttp.ClientTimeout(total=30, connect=10)
CACHED: Final = 8  # a handful of editors open at once; each image is a few MB


class ImageUnavailable(Exception):
    """The image could not be fetched or read."""


@dataclass(frozen=True, slots=True)
class SourceImage:
    """An image's bytes, type and size in pixels."""

    data: bytes
    content_type: str
    size: tuple[int, int]


class ImageCache:
    """Fetches job images over HTTP and keeps the latest few in memory."""

    def __init__(self, session: aiohttp.ClientSession, limit: int = MAX_IMAGE_BYTES) -> None:
        self._session = session
        self._limit = limit
        self._cache: OrderedDict[str, SourceImage] = OrderedDict()

    async def get(self, url: str) -> SourceImage:
        """The image at `url`; raises ImageUnavailable."""
        cached = self._cache.get(url)
        if cached is not None:
            self._cache.move_to_end(url)
            return cached
        image = read_image(await self._fetch(url))
        self._cache[url] = image
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        return image

    async def _fetch(self, url: str) -> bytes:
        try:
            async with self._session.get(url, timeout=FETCH_TIMEOUT) as response:
                response.raise_for_status()
                data = await response.content.read(self._limit + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("editor image fetch failed: %s", type(error).__name__)
            raise ImageUnavailable(str(error)) from error
        if len(data) > self._limit:
            raise ImageUnavailable("image too large")
        return data


def read_image(data: bytes) -> SourceImage:
    """Type and size of image bytes; raises ImageUnavailable when they are no image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = Image.MIME.get(image.format or "", "")
            size = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as error:
        raise ImageUnavailable("not an image") from error
    if kind not in ("image/png", "image/jpeg", "image/webp", "image/gif"):
        raise ImageUnavailable(f"unsupported image type {kind!r}")
    return SourceImage(data, kind, size)
