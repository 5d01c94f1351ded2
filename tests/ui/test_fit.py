"""Big results kept (issue 17, item 7): re-encoded under the limit, never merely linked."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from bot.ui.fit import MIN_SIDE, fit, fit_to_limit, original_note


def noisy_png(width: int, height: int, *, alpha: bool = False, seed: int = 7) -> bytes:
    """A PNG that barely compresses (noise over a gradient), like a detailed 4x upscale."""
    rng = random.Random(seed)
    mode = "RGBA" if alpha else "RGB"
    pixels = bytes(rng.getrandbits(8) for _ in range(width * height * len(mode)))
    image = Image.frombytes(mode, (width, height), pixels)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_png() -> bytes:
    return noisy_png(640, 480)


async def test_png_over_the_limit_becomes_a_jpeg_under_it(big_png: bytes) -> None:
    limit = len(big_png) // 3
    fitted = await fit_to_limit(big_png, limit)

    assert fitted is not None
    assert len(fitted.data) <= limit
    assert fitted.extension == ".jpg"
    assert fitted.original_bytes == len(big_png)
    with Image.open(io.BytesIO(fitted.data)) as decoded:
        assert decoded.format == "JPEG"
        assert decoded.size == (fitted.width, fitted.height)


def test_quality_first_then_size(big_png: bytes) -> None:
    """A small excess costs a little quality; a large one also the size, never below MIN_SIDE."""
    generous = fit(big_png, len(big_png) // 2)
    tight = fit(big_png, len(big_png) // 6)
    assert generous is not None
    assert tight is not None
    assert (generous.width, generous.height) == (640, 480)
    assert tight.width < 640
    assert min(tight.width, tight.height) >= MIN_SIDE
    assert len(tight.data) <= len(big_png) // 6


def test_transparency_is_kept_as_webp() -> None:
    data = noisy_png(300, 300, alpha=True)
    fitted = fit(data, len(data) // 2)
    assert fitted is not None
    assert fitted.extension == ".webp"
    with Image.open(io.BytesIO(fitted.data)) as decoded:
        assert decoded.mode == "RGBA"


@pytest.mark.parametrize("data", [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 50])
def test_not_an_image_is_left_to_the_link(data: bytes) -> None:
    assert fit(data, 10) is None


def test_impossible_limit_gives_up_rather_than_a_thumbnail(big_png: bytes) -> None:
    assert fit(big_png, 500) is None


def test_note_links_the_original(big_png: bytes) -> None:
    fitted = fit(big_png, len(big_png) // 2)
    assert fitted is not None
    note = original_note("https://cdn.example/up.png", fitted, 10 * 1_048_576)
    assert note.startswith("Re-encoded to fit Discord's 10 MB upload limit")
    assert note.endswith("](https://cdn.example/up.png)")
