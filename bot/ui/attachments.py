"""Checking and reading images members attach, before anything is spent."""

from __future__ import annotations

import base64
from typing import Final

import discord

from bot.errors import UserFacingError

IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024  # each image travels base64-encoded in one JSON body


class BadAttachment(UserFacingError):
    """An attachment that is not an image the TT API can take."""


def check_image(attachment: discord.Attachment, name: str) -> None:
    """Refuse anything but a png, jpeg, webp or gif of sane size."""
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    if kind not in IMAGE_TYPES:
        shown = kind or "an unknown type"
        raise BadAttachment(
            f"`{name}` ({attachment.filename}) is {shown}; "
            "please attach a PNG, JPEG, WebP or GIF image."
        )
    if attachment.size > MAX_IMAGE_BYTES:
        size_mb = attachment.size / 1024 / 1024
        raise BadAttachment(
            f"`{name}` ({attachment.filename}) is {size_mb:.1f} MB; the limit is "
            f"{MAX_IMAGE_BYTES // 1024 // 1024} MB per image."
        )
    if attachment.size == 0:
        raise BadAttachment(f"`{name}` ({attachment.filename}) is empty.")


async def as_data_url(attachment: discord.Attachment) -> str:
    """Download an attachment and encode it as a data URL, as the TT API expects."""
    data = await attachment.read()
    kind = (attachment.content_type or "image/png").split(";")[0].strip().lower()
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
