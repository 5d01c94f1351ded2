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
from bot.ui.download import first_whole
from bot.ui.embeds import allowed_mentions, describe_embeds, result_embed, result_text
from bot.ui.fit import fit_to_limit, original_note

log = logging.getLogger(__name__)

PROVIDER_NAMES: Final = {
    "ttapi": "TT API",
    "mjproxy": "midjourney-proxy",
    "acedata": "AceData",
    "demo": "Demo",
}
DEFAULT_UPLOAD_LIMIT: Final = 10 * 1024 * 1024  # Discord's per-file limit without boosts
MAX_SOURCE_BYTES: Final = 128 * 1024 * 1024  # a bigger download is linked, not re-encoded


@dataclass(slots=True)
class Rendered:
    """Everything `Messageable.send` needs for one result."""

    content: str
    embeds: list[discord.Embed]
    files: list[discord.File]
    view: discord.ui.View | None
    mentions: discord.AllowedMentions
    # The uploads' bytes and names, kept for a copy without a second download.
    data: tuple[tuple[bytes, str], ...] = ()

    def copy(self) -> Rendered:
        """The same message without buttons (a DM copy), with fresh files of the same bytes."""
        files = [discord.File(io.BytesIO(data), filename=name) for data, name in self.data]
        return Rendered(self.content, self.embeds, files, None, self.mentions, self.data)

    async def send(
        self,
        channel: discord.abc.Messageable,
        nonce: str | None = None,
        reference: discord.MessageReference | None = None,
    ) -> discord.Message:
        """Post it; with a nonce, Discord returns the earlier message instead of a double."""
        return await channel.send(
            self.content,
            embeds=self.embeds,
            files=self.files,
            view=self.view or discord.utils.MISSING,
            allowed_mentions=self.mentions,
            nonce=nonce or discord.utils.MISSING,
            reference=reference,  # type: ignore[arg-type]  # None (the default): not a reply
        )


async def render(
    job: Job,
    session: aiohttp.ClientSession,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    used: Collection[str] = (),
    *,
    providers: tuple[str, ...] = (),
) -> Rendered:
    """The result message of a succeeded job, with a fresh upload of its image.

    `used`: the job's actions that already succeeded (JobService.used_actions), highlighted.
    With more than one provider configured, the footer says which one made it.
    """
    files, image, note = await _image(job, session, upload_limit)
    describe = job.kind is JobKind.DESCRIBE
    embeds = describe_embeds(job, image) if describe else [result_embed(job, image)]
    if note:
        embeds[0].description = note
    if len(providers) > 1:
        name = PROVIDER_NAMES.get(job.provider, job.provider)
        embeds[-1].set_footer(text=f"{embeds[-1].footer.text} · {name}")
    view = result_view(job, used)
    data = tuple(
        (file.fp.getvalue(), file.filename) for file in files if isinstance(file.fp, io.BytesIO)
    )
    return Rendered(result_text(job), embeds, files, view, allowed_mentions(job), data)


async def _image(
    job: Job, session: aiohttp.ClientSession, limit: int
) -> tuple[list[discord.File], str | None, str | None]:
    """The uploads, the embed's image and a note: the result from any of its URLs (re-encoded
    when too big, bot/ui/fit.py), else its four parts, else only its link."""
    url = job.image_url or job.alt_image_url
    if not url:
        return [], None, None
    found = await first_whole(session, (url, job.alt_image_url or ""), MAX_SOURCE_BYTES)
    if found is None:
        return await _parts(job, session, limit), url, None
    data, name, note = found.data, f"mj_{job.id}{_extension(found.url)}", None
    if len(data) > limit:  # too big to upload as it is: re-encode it (bot/ui/fit.py)
        fitted = await fit_to_limit(data, limit)
        if fitted is None:
            return [], url, None
        data, name = fitted.data, f"mj_{job.id}{fitted.extension}"
        note = original_note(url, fitted, limit)
    return [discord.File(io.BytesIO(data), filename=name)], f"attachment://{name}", note


async def _parts(job: Job, session: aiohttp.ClientSession, limit: int) -> list[discord.File]:
    """The grid's four parts (the provider's images[]) when the grid itself failed."""
    parts = [await first_whole(session, (part,), limit // 4) for part in job.images[:4]]
    if not parts or not all(parts):
        log.warning("job %d image not uploaded; linking it instead", job.id)
        return []
    return [
        discord.File(io.BytesIO(part.data), filename=f"mj_{job.id}_{n}{_extension(part.url)}")
        for n, part in enumerate(filter(None, parts), start=1)
    ]


def _extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    for extension in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
        if path.endswith(extension):
            return extension
    return ".png"
