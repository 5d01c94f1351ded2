"""Pillow drawings for the demo provider: deterministic, local, clearly marked DEMO.

Everything is derived from a text recipe (prompt and seed), so the same job draws the same
picture and nothing has to be stored besides the PNG bytes the demo server hands out.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
import textwrap
from collections.abc import Callable
from typing import Final

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

SIZE: Final = 1024
HALF: Final = SIZE // 2
_QUADRANTS: Final = ((0, 0), (HALF, 0), (0, HALF), (HALF, HALF))  # U1..U4 in Midjourney's order


def colour(text: str, shift: float = 0.0) -> tuple[int, int, int]:
    """A pleasant colour picked from a text's hash (same text, same colour)."""
    digest = hashlib.sha256(text.encode()).digest()
    hue = (digest[0] / 255 + shift) % 1.0
    red, green, blue = colorsys.hls_to_rgb(hue, 0.45 + digest[1] / 255 * 0.2, 0.55)
    return int(red * 255), int(green * 255), int(blue * 255)


def grid(prompt: str, seed: int) -> Image.Image:
    """Four variations of one prompt in a 2x2 grid, like a Midjourney grid."""
    canvas = Image.new("RGB", (SIZE, SIZE))
    for index, corner in enumerate(_QUADRANTS):
        canvas.paste(tile(prompt, seed * 4 + index, HALF, label=str(index + 1)), corner)
    return canvas


def four(draw: Callable[[int], Image.Image]) -> Image.Image:
    """A 2x2 grid of four full-size pictures drawn by `draw(0..3)`."""
    canvas = Image.new("RGB", (SIZE, SIZE))
    for index, corner in enumerate(_QUADRANTS):
        canvas.paste(draw(index).resize((HALF, HALF), Image.Resampling.LANCZOS), corner)
    return canvas


def tile(prompt: str, seed: int, size: int, label: str = "", *, words: bool = True) -> Image.Image:
    """One picture: a gradient from the prompt's colour, seeded shapes, the words, DEMO."""
    rng = random.Random(f"{prompt}|{seed}")  # noqa: S311 - art, not cryptography
    base = colour(prompt, shift=rng.uniform(-0.08, 0.08))
    image = Image.new("RGB", (size, size), base)
    draw = ImageDraw.Draw(image)
    for row in range(0, size, 4):  # a vertical gradient towards a darker shade
        shade = tuple(int(c * (1 - 0.5 * row / size)) for c in base)
        draw.rectangle((0, row, size, row + 4), fill=shade)
    for _ in range(rng.randint(4, 9)):
        x, y = rng.randrange(size), rng.randrange(size)
        radius = rng.randint(size // 16, size // 4)
        fill = colour(f"{prompt}{rng.random()}")
        box = (x - radius, y - radius, x + radius, y + radius)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(radius=size / 128))
    if words:
        _words(image, prompt, label)
    return image


def quadrant(image: Image.Image, number: int) -> Image.Image:
    """Upscale: grid image number 1-4, enlarged to the full size."""
    x, y = _QUADRANTS[(number - 1) % 4]
    crop = image.crop((x, y, x + HALF, y + HALF))
    return crop.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def zoom_out(image: Image.Image, factor: float, seed: int) -> Image.Image:
    """Zoom Out: the picture shrunk in the middle of a freshly painted surrounding."""
    inner = int(SIZE / factor)
    canvas = tile("zoom", seed, SIZE, words=False)
    offset = (SIZE - inner) // 2
    canvas.paste(image.resize((inner, inner), Image.Resampling.LANCZOS), (offset, offset))
    return canvas


def pan(image: Image.Image, direction: str, seed: int) -> Image.Image:
    """Pan: the picture shifted a quarter of the way, the uncovered edge painted anew."""
    shift = SIZE // 4
    dx, dy = {"left": (shift, 0), "right": (-shift, 0), "up": (0, shift), "down": (0, -shift)}[
        direction
    ]
    canvas = tile("pan", seed, SIZE, words=False)
    canvas.paste(image, (dx, dy))
    return canvas


def vary(image: Image.Image, strength: float, seed: int) -> Image.Image:
    """Vary (Subtle/Strong): the same picture with its colours and details nudged."""
    rng = random.Random(seed)  # noqa: S311 - art, not cryptography
    overlay = tile("vary", seed, SIZE, words=False)
    mixed = Image.blend(image, overlay, strength)
    return ImageOps.posterize(mixed, 6) if rng.random() < 0.5 else mixed


def blend(images: list[Image.Image]) -> Image.Image:
    """Blend: the inputs averaged, for want of a real model."""
    result = images[0].convert("RGB").resize((SIZE, SIZE))
    for count, other in enumerate(images[1:], start=2):
        result = Image.blend(result, other.convert("RGB").resize((SIZE, SIZE)), 1 / count)
    return result


def mark(image: Image.Image, text: str = "DEMO") -> Image.Image:
    """Stamp the visible DEMO mark so no one mistakes a drawing for Midjourney's work."""
    marked = image.copy()
    draw = ImageDraw.Draw(marked)
    font = ImageFont.load_default(size=max(24, image.width // 14))
    box = draw.textbbox((0, 0), text, font=font)
    x, y = image.width - (box[2] - box[0]) - 24, image.height - (box[3] - box[1]) - 32
    draw.rectangle((x - 12, y - 6, x + box[2] - box[0] + 12, y + box[3] + 12), fill=(0, 0, 0))
    draw.text((x, y), text, font=font, fill=(255, 230, 0))
    return marked


def png(image: Image.Image) -> bytes:
    """The image as PNG bytes."""
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def load(data: bytes) -> Image.Image:
    """An uploaded image (data URL payload) as RGB; raises ValueError when it is not one."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            return opened.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError("not an image") from exc


def _words(image: Image.Image, prompt: str, label: str) -> None:
    draw = ImageDraw.Draw(image)
    size = image.width
    font = ImageFont.load_default(size=max(14, size // 18))
    words = " ".join(prompt.split()[:14]) or "untitled"
    lines = textwrap.wrap(words, width=22)[:4]
    y = size // 12
    for line in lines:
        draw.text((size // 14 + 2, y + 2), line, font=font, fill=(0, 0, 0))
        draw.text((size // 14, y), line, font=font, fill=(255, 255, 255))
        y += int(getattr(font, "size", 14) * 1.3)
    if label:
        draw.text((size - size // 8, size // 16), label, font=font, fill=(255, 255, 255))
    small = ImageFont.load_default(size=max(12, size // 22))
    draw.text((size // 14, size - size // 8), "DEMO", font=small, fill=(255, 230, 0))
