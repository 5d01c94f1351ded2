"""A screenshot of each message the bot posts, from the payload it sent (issue 17, item 8).

The real bot runs against the fake Discord; each message it posted (grid, upscale, describe,
blend, failure, progress) is taken as the fake stored it from the bot's request, drawn in an
HTML mock of a Discord message (fakes/message_html.py) and screenshotted with headless
Chromium. The test fails when a picture is missing, blank or lacks the result's image.
Run with MJBOT_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots/ (shown in the README).
"""

from __future__ import annotations

import asyncio
import copy
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from fakes.discord import StoredMessage
from fakes.message_html import message_html
from fakes.ttapi import FAILED, Scenario
from tests.cogs.conftest import Harness

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "screenshots"
KINDS = ("progress", "grid", "upscale", "describe", "blend", "failure")
WITH_IMAGE = ("grid", "upscale", "describe", "blend")
MAX_BYTES = 200_000
SUN = (255, 196, 0)  # drawn in every quadrant of the fake result: proof the image is shown
PROMPT = "a lighthouse on a cliff at dusk, oil painting --ar 1:1"
Shot = tuple[dict[str, Any], dict[str, bytes]]

selenium = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver"
)


def picture(cells: int = 2) -> bytes:
    """A grid of `cells` x `cells` little landscapes: flat colours, compressing like a cartoon."""
    image = Image.new("RGB", (512, 512))
    draw = ImageDraw.Draw(image)
    skies = [(52, 84, 160), (120, 60, 140), (200, 90, 60), (40, 120, 130)][: cells * cells]
    for n, sky in enumerate(skies):
        x, y = (n % 2) * 256, (n // 2) * 256
        draw.rectangle((x, y, x + 255, y + 255), fill=sky)
        draw.ellipse((x + 150, y + 40, x + 210, y + 100), fill=SUN)
        draw.polygon([(x, y + 255), (x + 90, y + 150), (x + 180, y + 220), (x + 255, y + 170),
                      (x + 255, y + 255)], fill=(30, 40, 35))  # fmt: skip
        draw.rectangle((x + 60, y + 120, x + 76, y + 200), fill=(235, 235, 235))
    out = io.BytesIO()
    if cells == 1:
        image = image.crop((0, 0, 256, 256)).resize((512, 512), Image.Resampling.NEAREST)
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def shot(message: StoredMessage) -> Shot:
    """The message as Discord stores it, and its attachments' bytes by URL."""
    return copy.deepcopy(message.payload()), {a.url: a.data for a in message.attachments}


async def collect(harness: Harness) -> dict[str, Shot]:
    """Run each command the way a member would and keep every message the bot posted."""
    harness.tt.image_bytes = picture()
    shots: dict[str, Shot] = {}
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=1.5))
    payload = await harness.imagine(PROMPT)
    progress = harness.discord.original(payload["id"])
    assert progress is not None
    await harness.until(lambda: "%" in progress.content)
    shots["progress"] = shot(progress)
    grid, _ = await harness.result_of(payload)
    harness.tt.image_bytes = picture(cells=1)  # an upscale is one image of the four
    upscale, _ = await harness.result_of(await harness.click(grid, "U1"))
    await harness.until(lambda: grid.edits)  # U1 highlighted once its upscale is posted
    shots["grid"], shots["upscale"] = shot(grid), shot(upscale)
    image = harness.discord.attachment("lighthouse.png", picture(cells=1))
    described, _ = await harness.result_of(await harness.command("describe", image=image))
    shots["describe"] = shot(described)
    harness.tt.image_bytes = picture()
    first = harness.discord.attachment("harbour.png", picture(cells=1))
    second = harness.discord.attachment("storm at sea.png", picture(cells=1))
    blend = await harness.command("blend", image1=first, image2=second)
    shots["blend"] = shot((await harness.result_of(blend))[0])
    harness.tt.next_scenario(Scenario(queue_seconds=0.05, run_seconds=0.2, outcome=FAILED))
    failing = await harness.imagine("a lighthouse made of glass")
    failed = harness.discord.original(failing["id"])
    assert failed is not None
    await harness.until(lambda: "failed" in failed.content)
    shots["failure"] = shot(failed)
    return shots


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, through chromedriver."""
    options = selenium.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     "--window-size=680,1400", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(argument)
    driver = selenium.Chrome(service=selenium.ChromeService(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def screenshot(browser: Any, page: Path) -> Image.Image:
    """The #message element of a page, as Chromium draws it."""
    browser.get(page.as_uri())
    element = browser.find_element("id", "message")
    return Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB")


def save_small(image: Image.Image, path: Path) -> int:
    """Save with a 256-colour palette (the mock is flat colours); returns the size in bytes."""
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


async def test_each_result_type_renders(harness: Harness, browser: Any, tmp_path: Path) -> None:
    shots = await collect(harness)
    assert set(shots) == set(KINDS)
    for kind in KINDS:
        payload, files = shots[kind]
        page = tmp_path / f"{kind}.html"
        page.write_text(message_html(payload, files), encoding="utf-8")
        image = await asyncio.to_thread(screenshot, browser, page)

        colours = image.getcolors(maxcolors=1 << 20) or []
        assert image.height >= 60, f"{kind}: nothing drawn"
        assert len(colours) > 50, f"{kind}: the picture is blank"
        has_sun = any(colour == SUN for _, colour in colours)
        assert has_sun is (kind in WITH_IMAGE), f"{kind}: the result's image is not shown"
        size = save_small(image, tmp_path / f"{kind}.png")
        assert size < MAX_BYTES, f"{kind}: {size} bytes"
        if os.environ.get("MJBOT_UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / f"{kind}.png", DOCS / f"{kind}.png")
