"""Checks a Vary (Region) mask before anything is spent: a black-and-white PNG, white = repaint.

Pure (Pillow only). The size is read from the PNG header before any pixel is decoded, so a
small file claiming a huge image (a decompression bomb) is refused without being inflated.
"""

from __future__ import annotations

import base64
import io

from PIL import Image, UnidentifiedImageError

from bot.errors import UserFacingError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THRESHOLD = 128  # the browser may anti-alias edges; anything brighter counts as painted


class MaskRejected(UserFacingError):
    """The mask cannot be sent: wrong format or size, nothing painted, or everything painted."""


def clean_mask(png: bytes, size: tuple[int, int]) -> str:
    """The mask as plain base64 of a pure black-and-white PNG of `size`; raises MaskRejected."""
    if not png.startswith(PNG_SIGNATURE):
        raise MaskRejected("The mask must be a PNG image.")
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            if image.size != size:
                width, height = image.size
                raise MaskRejected(
                    f"The mask is {width}×{height} but the image is {size[0]}×{size[1]}. "
                    "Reload the editor and paint again."
                )
            grey = image.convert("L")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise MaskRejected("The mask is not a readable PNG image.") from error
    binary = grey.point(lambda value: 255 if value >= THRESHOLD else 0)
    white = binary.histogram()[255]
    if white == 0:
        raise MaskRejected("Nothing is selected: paint the region you want to change first.")
    if white == size[0] * size[1]:
        raise MaskRejected(
            "Everything is selected: leave part of the image unpainted, or use Vary (Strong) "
            "to change the whole image."
        )
    out = io.BytesIO()
    binary.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def white_share(mask_b64: str) -> float:
    """The share of the image a mask repaints (0..1), for logs and tests."""
    with Image.open(io.BytesIO(base64.b64decode(mask_b64))) as image:
        grey = image.convert("L")
        return grey.histogram()[255] / (grey.size[0] * grey.size[1])
