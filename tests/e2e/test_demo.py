"""PROVIDERS=demo with only a Discord token: every command works, drawn locally, for free."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fakes.e2e.world import World, labels

pytestmark = pytest.mark.e2e

GRID_ROWS = [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"]]


async def test_the_demo_runs_without_any_provider_key(idle_world: World) -> None:
    world = idle_world
    await world.bot.start(PROVIDERS="demo", TT_API_KEY="")

    grid = await world.result(await world.imagine("a lighthouse in a storm"), within=30.0)
    [attachment] = grid.attachments
    image = Image.open(io.BytesIO(attachment.data))
    assert image.size == (1024, 1024)  # a real drawing, uploaded like any provider's image
    assert labels(grid)[:2] == GRID_ROWS

    upscaled = await world.result(await world.click(grid, "U1"), within=30.0)
    assert "Image #1" in upscaled.content
    shown = [label for row in labels(upscaled) for label in row]
    assert {"Upscale (Subtle)", "Vary (Strong)", "Zoom Out 2x", "⬅️"} <= set(shown)
    assert world.tt.calls == []  # nothing went to the TT API
