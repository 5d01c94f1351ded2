"""Big results kept: an image over Discord's upload limit is re-encoded until it fits.

A 4x upscale is a lossless PNG of 20-60 MB; a server without boosts takes 10 MB per file.
Linking the TT CDN instead loses the image when that link dies, so the result is uploaded
as a high-quality JPEG (or WebP when it has transparency), lowering the quality and then
the size only as far as needed; the caller keeps the original's link beside it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

QUALITIES: Final = (92, 85, 75)  # below 75, a smaller image looks better than more artefacts
MIN_SIDE: Final = 256  # never shrink past this: a link is then better than a thumbnail
_HEADROOM: Final = 0.97  # aim a little under the limit when estimating the scale


@dataclass(frozen=True, slots=True)
class Fitted:
    """An image re-encoded to fit: its bytes, suffix and what it cost in fidelity."""

    data: bytes
    extension: str  # ".jpg" or ".webp"
    quality: int
    width: int
    height: int
    original_bytes: int


async def fit_to_limit(data: bytes, limit: int) -> Fitted | None:
    """`data` re-encoded to at most `limit` bytes, or None when it cannot be (not an image)."""
    # Encoding a 64-megapixel image takes seconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(fit, data, limit)


def fit(data: bytes, limit: int) -> Fitted | None:
    """The blocking work of `fit_to_limit`."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        log.warning("image of %d bytes not re-encoded: %s", len(data), error)
        return None
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if alpha else "RGB")
    scale = 1.0
    while min(image.size) * scale >= MIN_SIDE:
        sized = _resized(image, scale)
        for quality in QUALITIES:
            encoded = _encode(sized, quality, alpha=alpha)
            if len(encoded) <= limit:
                return Fitted(
                    encoded, ".webp" if alpha else ".jpg", quality, *sized.size, len(data)
                )
        # Bytes grow with the pixel count: shrink both sides by the square root of the excess.
        scale *= min(0.9, math.sqrt(limit / len(encoded)) * _HEADROOM)
    log.warning("image of %d bytes does not fit in %d bytes", len(data), limit)
    return None


def _resized(image: Image.Image, scale: float) -> Image.Image:
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, quality: int, *, alpha: bool) -> bytes:
    out = io.BytesIO()
    if alpha:
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        image.save(out, "JPEG", quality=quality, subsampling=0)  # 4:4:4: crisp colour edges
    return out.getvalue()


def original_note(url: str, fitted: Fitted, limit: int) -> str:
    """The line beside a re-encoded result: why it was, and the full-size original's link."""
    return (
        f"Re-encoded to fit Discord's {limit / 1_048_576:.0f} MB upload limit · "
        f"[full-size original ({fitted.original_bytes / 1_048_576:.1f} MB)]({url})"
    )
