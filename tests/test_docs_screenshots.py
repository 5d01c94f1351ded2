"""The README shows a screenshot of each result type, each small enough to keep in git."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("progress", "grid", "upscale", "describe", "blend", "failure")


@pytest.mark.parametrize("kind", KINDS)
def test_screenshot_is_kept_small_and_shown(kind: str) -> None:
    path = ROOT / "docs" / "screenshots" / f"{kind}.png"
    assert path.stat().st_size < 200_000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 400
    assert f"(docs/screenshots/{kind}.png)" in (ROOT / "README.md").read_text(encoding="utf-8")
