"""A finished job rendered as a message: the image uploaded from the TT CDN, embed, buttons.

Used for the result post, /show re-posts and DM copies alike. The image is downloaded from
the TT CDN and uploaded, because Discord CDN links expire after 24 hours; when it is larger
than the upload limit it is re-encoded to fit (bot/ui/fit.py), the original linked beside it,
and when unreachable the embed links the CDN URL instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import aiohttp
import discord

from bot.jobs.models import Job, JobKind
from bot.ui.buttons import result_view
from bot.ui.embeds import allowed_mentions, describe_embeds, result_embed, result_text
from bot.ui.fit import fit_to_limit, original_note

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT: Final = 10 * 1024 * 1024  # Discord's per-file limit without boosts
MAX_SOURCE_BYTES: Final = 128 * 1024 * 1024  # a bigger download is linked, not re-encoded
DOWNLOAD_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10)


@dataclass(slots=True)
class Rendered:
    """Everything `Messageable.send` needs for one result."""

    content: str
    embeds: list[discord.Embed]
    file: discord.File | None
    view: discord.ui.View | None
    mentions: discord.AllowedMentions
    data: bytes | None = None  # the downloaded image, kept for a copy without a new download

    def copy(self) -> Rendered:
        """The same message without buttons (a DM copy), with a fresh file of the same bytes."""
        file = None
        if self.file is not None and self.data is not None:
            file = discord.File(io.BytesIO(self.data), filename=self.file.filename)
        return Rendered(self.content, self.embeds, file, None, self.mentions, self.data)

    async def send(
        self, channel: discord.abc.Messageable, nonce: str | None = None
    ) -> discord.Message:
        """Post it; with a nonce, Discord returns the earlier message instead of a double."""
        return await channel.send(
            self.content,
            embeds=self.embeds,
            files=[self.file] if self.file else [],
            view=self.view or discord.utils.MISSING,
            allowed_mentions=self.mentions,
            nonce=nonce,
        )


async def render(
    job: Job,
    session: aiohttp.ClientSession,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    used: Collection[str] = (),
) -> Rendered:
    """The result message of a succeeded job, with a fresh upload of its image.

    `used`: the job's actions that already succeeded (JobService.used_actions), highlighted.
    """
    file, image, note = await _image(job, session, upload_limit)
    describe = job.kind is JobKind.DESCRIBE
    embeds = describe_embeds(job, image) if describe else [result_embed(job, image)]
    if note:
        embeds[0].description = note
    view = result_view(job, used)
    data = file.fp.getvalue() if file is not None and isinstance(file.fp, io.BytesIO) else None
    return Rendered(result_text(job), embeds, file, view, allowed_mentions(job), data)


async def _image(
    job: Job, session: aiohttp.ClientSession, limit: int
) -> tuple[discord.File | None, str | None, str | None]:
    url = job.image_url
    if not url:
        return None, None, None
    try:
        data = await _download(session, url, MAX_SOURCE_BYTES)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        log.warning("job %d image not uploaded (%s); linking it instead", job.id, error)
        return None, url, None
    name, note = f"mj_{job.id}{_extension(url)}", None
    if len(data) > limit:  # too big to upload as it is: re-encode it (bot/ui/fit.py)
        fitted = await fit_to_limit(data, limit)
        if fitted is None:
            return None, url, None
        data, name, note = (
            fitted.data,
            f"mj_{job.id}{fitted.extension}",
            original_note(url, fitted, limit),
        )
    return discord.File(io.BytesIO(data), filename=name), f"attachment://{name}", note


async def _download(session: aiohttp.ClientSession, url: str, limit: int) -> bytes:
    async with session.get(url, timeout=DOWNLOAD_TIMEOUT) as response:
        response.raise_for_status()
        data = bytearray()  # read(n) returns one buffered chunk, not n bytes: loop
        async for chunk in response.content.iter_chunked(1 << 16):
            data += chunk
            if len(data) > limit:
                break
    if len(data) > limit:
        raise ValueError(f"image larger than the upload limit ({limit} bytes)")
    return bytes(data)


def _extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    for extension in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
        if path.endswith(extension):
            return extension
    return ".png"
