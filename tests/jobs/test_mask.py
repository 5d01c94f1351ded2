"""clean_mask: what a Vary (Region) mask must be before anything is spent."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from bot.jobs.mask import MaskRejected, clean_mask, white_share

SIZE = (64, 48)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def decoded(mask: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(mask)))


def test_a_painted_region_comes_out_pure_black_and_white() -> None:
    image = Image.new("RGBA", SIZE, (0, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 40, 30), fill=(255, 255, 255, 255))
    draw.line((0, 40, 63, 40), fill=(140, 140, 140, 255))  # an anti-aliased edge: painted
    draw.line((0, 44, 63, 44), fill=(90, 90, 90, 255))  # fainter: not painted

    result = decoded(clean_mask(png(image), SIZE))

    assert result.size == SIZE
    grey = result.convert("L")
    assert {value for value, count in enumerate(grey.histogram()) if count} == {0, 255}
    assert grey.getpixel((25, 20)) == 255
    assert grey.getpixel((30, 40)) == 255
    assert grey.getpixel((30, 44)) == 0
    assert grey.getpixel((2, 2)) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(Image.new("L", SIZE, 0)), "Nothing is selected"),
        (png(Image.new("L", SIZE, 255)), "Everything is selected"),
        (png(Image.new("L", (48, 64), 128)), "is 48×64 but the image is 64×48"),
        (b"GIF89a....", "must be a PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"broken", "not a readable PNG"),
    ],
    ids=["empty", "everything", "turned", "gif", "truncated"],
)
def test_bad_masks_are_refused_with_the_reason(data: bytes, expected: str) -> None:
    with pytest.raises(MaskRejected, match=expected):
        clean_mask(data, SIZE)


def test_a_huge_image_in_a_tiny_file_is_refused_unread() -> None:
    """A decompression bomb: the header claims 50000x50000; nothing is inflated."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )

    with pytest.raises(MaskRejected):
        clean_mask(bomb, SIZE)


def test_white_share_measures_the_repainted_part() -> None:
    image = Image.new("L", SIZE, 0)
    ImageDraw.Draw(image).rectangle((0, 0, 31, 47), fill=255)
    assert white_share(clean_mask(png(image), SIZE)) == pytest.approx(0.5)
