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
from bot.ui.download import first_whole
from bot.ui.embeds import allowed_mentions, describe_embed, result_embed, result_text

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT: Final = 10 * 1024 * 1024  # Discord's per-file limit without boosts


@dataclass(slots=True)
class Rendered:
    """Everything `Messageable.send` needs for one result."""

    content: str
    embed: discord.Embed
    files: list[discord.File]
    view: discord.ui.View | None
    mentions: discord.AllowedMentions

    async def send(
        self, channel: discord.abc.Messageable, nonce: str | None = None
    ) -> discord.Message:
        """Post it; with a nonce, Discord returns the earlier message instead of a double."""
        return await channel.send(
            self.content,
            embed=self.embed,
            files=self.files,
            view=self.view or discord.utils.MISSING,
            allowed_mentions=self.mentions,
            nonce=nonce,
        )


async def render(
    job: Job, session: aiohttp.ClientSession, upload_limit: int = DEFAULT_UPLOAD_LIMIT
) -> Rendered:
    """The result message of a succeeded job, with a fresh upload of its image."""
    files, image = await _image(job, session, upload_limit)
    embed = describe_embed(job, image) if job.kind is JobKind.DESCRIBE else result_embed(job, image)
    return Rendered(result_text(job), embed, files, result_view(job), allowed_mentions(job))


async def _image(
    job: Job, session: aiohttp.ClientSession, limit: int
) -> tuple[list[discord.File], str | None]:
    """The upload and the embed's image: the result from any of its URLs, else its four parts."""
    url = job.image_url or job.alt_image_url
    if not url:
        return [], None
    found = await first_whole(session, (url, job.alt_image_url or ""), limit)
    if found is not None:
        name = f"mj_{job.id}{_extension(found.url)}"
        return [discord.File(io.BytesIO(found.data), filename=name)], f"attachment://{name}"
    # The grid itself failed: its four parts (the provider's images[]) still show the result.
    parts = [await first_whole(session, (part,), limit // 4) for part in job.images[:4]]
    if parts and all(parts):
        files = [
            discord.File(io.BytesIO(part.data), filename=f"mj_{job.id}_{n}{_extension(part.url)}")
            for n, part in enumerate(filter(None, parts), start=1)
        ]
        return files, url
    log.warning("job %d image not uploaded; linking it instead", job.id)
    return [], url


def _extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    for extension in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
        if path.endswith(extension):
            return extension
    return ".png"
