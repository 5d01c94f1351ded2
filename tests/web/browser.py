"""A headless Chromium driven by Selenium, for tests that run inside the event loop.

Selenium blocks, and the bot and its web server run on the test's event loop, so every
browser call goes through a thread (`call`). Debian's `chromium` and `chromium-driver`
provide the browser; without them the tests skip, unless MJBOT_REQUIRE_BROWSER=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest
from PIL import Image

T = TypeVar("T")

PHONE = {"width": 390, "height": 844, "pixelRatio": 3.0}
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) when both are installed."""
    browser = _installed("/usr/bin/chromium", "chromium")
    driver = _installed("/usr/bin/chromedriver", "chromedriver")
    return (browser, driver) if browser and driver else None


def _installed(path: str, name: str) -> str | None:
    if os.path.exists(path):
        return path
    return shutil.which(name)


def require_chromium() -> tuple[str, str]:
    """The browser paths, or skip (fail when MJBOT_REQUIRE_BROWSER=1) with the reason."""
    paths = chromium_paths()
    if paths is not None:
        return paths
    reason = (
        "Chromium and chromedriver are not installed (Debian: apt-get install chromium "
        "chromium-driver; .ci/run installs them)"
    )
    if os.environ.get("MJBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class Browser:
    """One headless Chromium window."""

    def __init__(self, *, phone: bool = False, size: tuple[int, int] = (1366, 900)) -> None:
        from selenium import webdriver  # noqa: PLC0415 - only when a browser test runs
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

        browser, driver = require_chromium()
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
            options.add_argument(flag)
        options.add_argument("--force-color-profile=srgb")  # screenshot colours as served
        if phone:
            options.add_experimental_option(
                "mobileEmulation", {"deviceMetrics": PHONE, "userAgent": PHONE_AGENT}
            )
        else:
            options.add_argument(f"--window-size={size[0]},{size[1]}")
        self.driver = webdriver.Chrome(options=options, service=Service(driver))
        self.driver.set_page_load_timeout(30)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking Selenium call off the event loop."""
        return await asyncio.to_thread(partial(function, *args))

    async def open(self, url: str) -> None:
        """Load a page and wait until the image to edit is decoded."""
        await self.call(self.driver.get, url)
        await self.wait_for("return document.readyState === 'complete'")

    async def wait_for(self, script: str, within: float = 15.0) -> Any:
        """Poll a JavaScript expression until it is truthy."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            value = await self.call(self.driver.execute_script, script)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"browser condition not met within {within}s: {script}")
            await asyncio.sleep(0.05)

    async def js(self, script: str, *args: Any) -> Any:
        """Run JavaScript in the page."""
        return await self.call(self.driver.execute_script, script, *args)

    async def screenshot(self) -> Image.Image:
        """The viewport as an RGB image (device pixels)."""
        data = await self.call(self.driver.get_screenshot_as_png)
        return Image.open(io.BytesIO(data)).convert("RGB")

    def close(self) -> None:
        """Quit the browser."""
        self.driver.quit()


async def canvas_box(browser: Browser) -> dict[str, float]:
    """The canvas's bounding rectangle in CSS pixels, and the viewport's size."""
    return await browser.js(
        "const r = document.getElementById('paint').getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height,"
        " vw: window.innerWidth, vh: window.innerHeight,"
        " natural: document.getElementById('picture').naturalWidth};"
    )


def to_view(box: dict[str, float], size: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    """Viewport CSS pixels of the image pixel (x, y)."""
    return (
        round(box["left"] + x * box["width"] / size[0]),
        round(box["top"] + y * box["height"] / size[1]),
    )


async def drag(browser: Browser, points: list[tuple[int, int]], *, touch: bool = False) -> None:
    """Press at the first point, move through the rest, release (a mouse or a finger)."""
    from selenium.webdriver.common.actions import interaction  # noqa: PLC0415
    from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: PLC0415
    from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: PLC0415

    kind = interaction.POINTER_TOUCH if touch else interaction.POINTER_MOUSE
    pointer = PointerInput(kind, "finger" if touch else "mouse")
    actions = ActionBuilder(browser.driver, mouse=pointer, duration=20)
    first, *rest = points
    actions.pointer_action.move_to_location(*first).pointer_down()
    for point in rest:
        actions.pointer_action.move_to_location(*point)
    # A short hold before lifting, as a finger does; an instant tap may not become a click.
    actions.pointer_action.pause(0.1).pointer_up()
    await browser.call(actions.perform)
