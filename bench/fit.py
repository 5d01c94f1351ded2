"""Re-encoding a big result to fit Discord's upload limit: time, size and what it cost.

A 4x upscale is a lossless PNG far above the 10 MB a server without boosts takes. This
builds upscale-like images (smooth light and colour with fine grain, as a painted 4x upscale
has) at real sizes, runs bot.ui.fit on them and prints the figures.

    python -m bench.fit
"""

from __future__ import annotations

import io
import time

from PIL import Image, ImageFilter

from bot.ui.fit import fit

LIMIT = 10 * 1024 * 1024
SIDES = (2048, 4096)  # a 1024 grid image upscaled 2x and 4x


def upscale_like(side: int) -> bytes:
    """A PNG with gradients, soft shapes and grain: lossless PNG compresses it poorly."""
    base = Image.radial_gradient("L").resize((side, side)).convert("RGB")
    colour = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((side, side)),
            base.getchannel(0),
            Image.linear_gradient("L").rotate(90).resize((side, side)),
        ),
    )
    grain = Image.effect_noise((side, side), 40).convert("RGB")
    image = Image.blend(colour, grain, 0.25).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def noise(side: int) -> bytes:
    """The worst case: colour noise, which no encoder compresses."""
    channels = [Image.effect_noise((side, side), 90) for _ in range(3)]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def main() -> None:
    """Print one line per image."""
    print(f"limit {LIMIT / 1_048_576:.0f} MB")
    cases = [(f"upscale-like {side}", upscale_like(side)) for side in SIDES]
    cases.append(("colour noise 4096", noise(4096)))
    for name, data in cases:
        started = time.perf_counter()
        fitted = fit(data, LIMIT)
        took = time.perf_counter() - started
        if fitted is None:
            print(f"{name}: {len(data) / 1_048_576:.1f} MB PNG -> does not fit")
            continue
        print(
            f"{name}: {len(data) / 1_048_576:.1f} MB PNG -> "
            f"{len(fitted.data) / 1_048_576:.1f} MB {fitted.extension[1:].upper()} "
            f"q{fitted.quality} {fitted.width}x{fitted.height} in {took:.2f} s"
        )


if __name__ == "__main__":
    main()
