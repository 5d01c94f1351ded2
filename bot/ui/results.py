"""A finished job rendered as a message: the image uploaded from the TT CDN, embed, buttons.

Used for the result post, /show re-posts and DM copies alike. The image is downloaded from
the TT CDN and uploaded, because Discord CDN links expire after 24 hours; when it is larger
than the upload limit (or unreachable) the embed links the CDN URL instead.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import aiohttp
import discord

from bot.jobs.models import Job, JobKind
from bot.ui.buttons import result_view
from bot.ui.embeds import allowed_mentions, describe_embed, result_embed, result_text

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT: Final = 10 * 1024 * 1024  # Discord's per-file limit without boosts
DOWNLOAD_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10)


@dataclass(slots=True)
class Rendered:
    """Everything `Messageable.send` needs for one result."""

    content: str
    embed: discord.Embed
    file: discord.File | None
    view: discord.ui.View | None
    mentions: discord.AllowedMentions
    data: bytes | None = None  # the downloaded image, kept for a copy without a new download

    def copy(self) -> Rendered:
        """The same message without buttons (a DM copy), with a fresh file of the same bytes."""
        file = None
        if self.file is not None and self.data is not None:
            file = discord.File(io.BytesIO(self.data), filename=self.file.filename)
        return Rendered(self.content, self.embed, file, None, self.mentions, self.data)

    async def send(
        self, channel: discord.abc.Messageable, nonce: str | None = None
    ) -> discord.Message:
        """Post it; with a nonce, Discord returns the earlier message instead of a double."""
        return await channel.send(
            self.content,
            embed=self.embed,
            files=[self.file] if self.file else [],
            view=self.view or discord.utils.MISSING,
            allowed_mentions=self.mentions,
            nonce=nonce,
        )


async def render(
    job: Job, session: aiohttp.ClientSession, upload_limit: int = DEFAULT_UPLOAD_LIMIT
) -> Rendered:
    """The result message of a succeeded job, with a fresh upload of its image."""
    file, image = await _image(job, session, upload_limit)
    embed = describe_embed(job, image) if job.kind is JobKind.DESCRIBE else result_embed(job, image)
    data = file.fp.getvalue() if file is not None and isinstance(file.fp, io.BytesIO) else None
    view = result_view(job)
    return Rendered(result_text(job), embed, file, view, allowed_mentions(job), data)


async def _image(
    job: Job, session: aiohttp.ClientSession, limit: int
) -> tuple[discord.File | None, str | None]:
    url = job.image_url
    if not url:
        return None, None
    try:
        data = await _download(session, url, limit)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        log.warning("job %d image not uploaded (%s); linking it instead", job.id, error)
        return None, url
    name = f"mj_{job.id}{_extension(url)}"
    return discord.File(io.BytesIO(data), filename=name), f"attachment://{name}"


async def _download(session: aiohttp.ClientSession, url: str, limit: int) -> bytes:
    async with session.get(url, timeout=DOWNLOAD_TIMEOUT) as response:
        response.raise_for_status()
        data = await response.content.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"image larger than the upload limit ({limit} bytes)")
    return data


def _extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    for extension in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
        if path.endswith(extension):
            return extension
    return ".png"
