"""Whole downloads of result images, within a size limit, from the first URL that works.

`StreamReader.read(n)` returns what happens to be buffered (often 64 KB), not n bytes, so a
CDN that streams a 3 MB image in chunks would be cut short. Here the body is read to its
end, capped at the limit, and compared with Content-Length when the server sent one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import aiohttp

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10, sock_read=20)
CHUNK: Final = 64 * 1024


class DownloadError(Exception):
    """The image could not be downloaded whole (too large, cut short, HTTP error)."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    """An image's bytes and the URL they came from."""

    url: str
    data: bytes


async def download(session: aiohttp.ClientSession, url: str, limit: int) -> bytes:
    """The whole body of `url`; raises DownloadError past `limit` bytes or when cut short."""
    try:
        async with session.get(url, timeout=DOWNLOAD_TIMEOUT) as response:
            response.raise_for_status()
            # Compressed bodies are decoded as they arrive, so their length is not comparable.
            expected = None if response.headers.get("Content-Encoding") else response.content_length
            if expected is not None and expected > limit:
                raise DownloadError(f"{expected} bytes, over the upload limit of {limit}")
            data = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise DownloadError(f"over the upload limit of {limit} bytes")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DownloadError(str(error) or type(error).__name__) from error
    if expected is not None and len(data) != expected:
        raise DownloadError(f"cut short: {len(data)} of {expected} bytes")
    if not data:
        raise DownloadError("empty body")
    return bytes(data)


async def first_whole(
    session: aiohttp.ClientSession, urls: Iterable[str], limit: int
) -> Downloaded | None:
    """The first of `urls` (duplicates skipped) that downloads whole, or None."""
    seen: set[str] = set()
    for url in urls:
        if not url or url in seen:
            continue
        seen.add(url)
        try:
            return Downloaded(url, await download(session, url, limit))
        except DownloadError as error:
            log.warning("image download failed (%s); trying the next URL", error)
    return None
