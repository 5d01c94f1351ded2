"""Fonts for drawn images: the first installed one that covers the most scripts.

Pillow's built-in font has Latin only, so Japanese or Chinese labels (and member names)
would come out as empty boxes. A CJK font is used when the system has one (Debian:
fonts-noto-cjk, fonts-wqy-zenhei, fonts-droid-fallback); text a font cannot draw is
replaced by the caller's fallback instead of boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
CANDIDATES: Final = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
_MISSING: Final = "\U000f0000"  # a private-use character no font draws: its box is .notdef


@cache
def font(size: int) -> Font:
    """The best installed font at `size` pixels, else Pillow's own."""
    for path in CANDIDATES:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def can_draw(text: str, chosen: Font) -> bool:
    """True when every character of `text` has a real glyph in `chosen`."""
    missing = _mask(chosen, _MISSING)
    return all(ch.isspace() or _mask(chosen, ch) != missing for ch in set(text))


def _mask(chosen: Font, character: str) -> bytes:
    mask = chosen.getmask(character)
    return bytes(mask) + repr(mask.size).encode()
