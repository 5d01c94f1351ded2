"""The editor in a real headless Chromium: paint, submit, and the grid comes back in Discord.

The links are the ones the bot answered the 🖌️ Vary (Region) click with; the fake TT API then
receives the mask, and the tests read its pixels.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from bot.jobs.models import Job
from tests.web.browser import Browser, canvas_box, drag, require_chromium, to_view
from tests.web.conftest import IMAGE_SIZE, Site

IMAGE_RGB = (40, 90, 160)  # the fake CDN's picture (tests/web/conftest.py)


@pytest.fixture
async def desktop() -> AsyncIterator[Browser]:
    """A desktop-sized headless Chromium."""
    require_chromium()
    browser = await asyncio.to_thread(Browser)
    yield browser
    await asyncio.to_thread(browser.close)


@pytest.fixture
async def phone() -> AsyncIterator[Browser]:
    """A phone: 390x844 CSS pixels at 3x, touch input."""
    require_chromium()
    browser = await asyncio.to_thread(Browser, phone=True)
    yield browser
    await asyncio.to_thread(browser.close)


@pytest.fixture(params=["phone", "desktop"])
async def device(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Browser]]:
    """Each screen size in turn."""
    require_chromium()
    browser = await asyncio.to_thread(Browser, phone=request.param == "phone")
    yield request.param, browser
    await asyncio.to_thread(browser.close)


def received_mask(site: Site) -> Image.Image:
    """The one mask the fake TT API received, as greyscale."""
    [body] = site.harness.tt_bodies("inpaint")
    with Image.open(io.BytesIO(base64.b64decode(body["mask"]))) as image:
        return image.convert("L")


async def posted_result(site: Site) -> Job:
    """The inpaint job, once its grid is posted."""
    store = site.harness.store

    async def done() -> Job | None:
        for job in await store.unposted_jobs() + await store.jobs_since(
            site.harness.discord.guild_id, 0
        ):
            if job.kind.value == "inpaint" and job.posted_at is not None:
                return job
        return None

    return await site.harness.until(done, within=20)


async def click(browser: Browser, selector: str) -> None:
    """A real click on an element."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    element = await browser.call(browser.driver.find_element, By.CSS_SELECTOR, selector)
    await browser.call(element.click)


async def tap(browser: Browser, selector: str) -> None:
    """A finger tap on an element (Selenium's click does not reach it under phone emulation)."""
    centre = await browser.js(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];",
        selector,
    )
    await drag(browser, [tuple(centre)], touch=True)


async def type_prompt(browser: Browser, text: str) -> None:
    """Replace the prompt field's text by typing."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    field = await browser.call(browser.driver.find_element, By.ID, "prompt")
    await browser.call(field.clear)
    await browser.call(field.send_keys, text)


async def open_editor(site: Site, browser: Browser) -> tuple[Any, Job, dict[str, float]]:
    """Upscale, press Vary (Region), open the link; the upscale, its job and the canvas box."""
    upscaled, parent = await site.upscale()
    url = await site.link(upscaled)
    await browser.open(url)
    await browser.wait_for("return document.getElementById('picture').naturalWidth > 0")
    return upscaled, parent, await canvas_box(browser)


async def test_paint_a_rectangle_and_submit(site: Site, desktop: Browser) -> None:
    upscaled, parent, box = await open_editor(site, desktop)
    # A brush stroke in a corner, then undone: it must not reach the mask.
    await drag(desktop, [to_view(box, IMAGE_SIZE, x, 220) for x in (250, 280, 310)])
    await click(desktop, "#undo")
    await click(desktop, "[data-tool=rect]")
    corners = [(100, 80), (160, 120), (220, 170)]
    await drag(desktop, [to_view(box, IMAGE_SIZE, x, y) for x, y in corners])
    await type_prompt(desktop, "a red paper lantern")
    await click(desktop, "#submit")
    await desktop.wait_for("return !document.getElementById('done').hidden")

    mask = received_mask(site)
    assert mask.size == IMAGE_SIZE
    inside = [mask.getpixel((x, y)) for x in range(104, 217, 4) for y in range(84, 167, 4)]
    assert set(inside) == {255}, "the painted rectangle is not all white"
    for outside in ((20, 20), (300, 20), (90, 70), (230, 180), (280, 220), (310, 230)):
        assert mask.getpixel(outside) == 0, f"{outside} is white but was not painted"
    white = mask.histogram()[255]
    assert 0.8 * 120 * 90 <= white <= 1.25 * 120 * 90
    [body] = site.harness.tt_bodies("inpaint")
    assert (body["jobId"], body["prompt"]) == (parent.provider_job_id, "a red paper lantern")

    job = await posted_result(site)
    result = site.harness.discord.message(job.result_message_id)
    assert result.extra["message_reference"]["message_id"] == str(upscaled.id)
    assert "U1" in [button.get("label") for button in result.buttons()]


async def test_paint_with_a_finger_on_a_phone(site: Site, phone: Browser) -> None:
    _, _, box = await open_editor(site, phone)
    stroke = [to_view(box, IMAGE_SIZE, x, 120) for x in range(60, 261, 20)]
    await drag(phone, stroke, touch=True)
    await tap(phone, "#submit")
    await phone.wait_for("return !document.getElementById('done').hidden")

    mask = received_mask(site)
    for x in range(70, 251, 10):
        assert mask.getpixel((x, 120)) == 255, f"({x}, 120) on the stroke is not white"
    for point in ((160, 20), (160, 225), (20, 120), (310, 120)):
        assert mask.getpixel(point) == 0, f"{point} is white but was not painted"
    await posted_result(site)


async def test_the_canvas_is_visible(site: Site, device: tuple[str, Browser]) -> None:
    kind, browser = device
    _, _, box = await open_editor(site, browser)

    # Large enough to paint on, and wholly inside the first screen.
    assert box["width"] >= 0.6 * min(box["vw"], IMAGE_SIZE[0])
    assert box["height"] >= 100
    assert box["left"] >= 0
    assert box["top"] >= 0
    assert box["left"] + box["width"] <= box["vw"] + 0.5
    assert box["top"] + box["height"] <= box["vh"] + 0.5
    centre = (box["left"] + box["width"] / 2, box["top"] + box["height"] / 2)
    on_top = await browser.js(
        "return document.elementFromPoint(arguments[0], arguments[1]).id", *centre
    )
    assert on_top == "paint"

    shot = await browser.screenshot()
    scale = shot.width / box["vw"]
    pixel = shot.getpixel((round(centre[0] * scale), round(centre[1] * scale)))
    assert _close(pixel, IMAGE_RGB), f"the image is not on screen at the canvas: {pixel}"

    await (tap if kind == "phone" else click)(browser, "[data-tool=rect]")
    corners = [(60, 60), (260, 180)]
    points = [to_view(box, IMAGE_SIZE, x, y) for x, y in corners]
    await drag(browser, points, touch=kind == "phone")
    painted = (await browser.screenshot()).getpixel(
        (round(centre[0] * scale), round(centre[1] * scale))
    )
    assert not _close(painted, IMAGE_RGB), "painting does not show on the canvas"
    assert painted[0] > IMAGE_RGB[0] + 60, f"the overlay is not the paint colour: {painted}"


def _close(pixel: Any, expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))


async def test_lasso_fills_the_outlined_shape(site: Site, desktop: Browser) -> None:
    _, _, box = await open_editor(site, desktop)
    await click(desktop, "[data-tool=lasso]")
    outline = [(60, 40), (260, 40), (260, 200), (60, 200), (62, 42)]
    await drag(desktop, [to_view(box, IMAGE_SIZE, x, y) for x, y in outline])
    await click(desktop, "#submit")
    await desktop.wait_for("return !document.getElementById('done').hidden")

    mask = received_mask(site)
    inside = [mask.getpixel((x, y)) for x in range(70, 251, 10) for y in range(50, 191, 10)]
    assert set(inside) == {255}, "the lasso's inside is not all white"
    for outside in ((20, 20), (300, 220), (160, 225), (30, 120)):
        assert mask.getpixel(outside) == 0
