"""The usage chart: a real PNG of the right size, bars in each member's colour, sums right."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from bot.jobs.ledger import DAY, UsageRow
from bot.ui import fonts
from bot.ui.chart import (
    HEIGHT,
    OTHER_COLOUR,
    OTHERS,
    TOP_MEMBERS,
    WIDTH,
    colour,
    daily_series,
    draw_usage,
)

NOW = 1_767_225_600.0 + 12 * 3600  # 2026-01-01 12:00 UTC


def day(offset: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(NOW - offset * DAY))


def row(offset: int, user: int, jobs: int, credits: float) -> UsageRow:
    return UsageRow(day(offset), user, jobs, 0, credits, estimated=False)


ROWS = [row(0, 1, 3, 9.0), row(1, 1, 1, 3.0), row(1, 2, 2, 6.0), row(6, 3, 1, 3.0)]
ROWS += [row(2, 100 + n, 1, 1.0) for n in range(6)]  # six small members: two go to "others"


def test_series_keeps_the_top_members_and_sums_the_rest() -> None:
    series = daily_series([*ROWS, row(9, 1, 5, 15.0)], days=7, now=NOW)  # day 9: out of range
    assert series.days == tuple(day(n) for n in range(6, -1, -1))
    assert len(series.members) == TOP_MEMBERS + 1
    assert series.members[:3] == (1, 2, 3)
    assert series.members[-1] == OTHERS
    assert series.jobs[1] == (0, 0, 0, 0, 0, 1, 3)
    assert series.credits[2] == (0, 0, 0, 0, 0, 6, 0)
    assert series.jobs[OTHERS] == (0, 0, 0, 0, 4, 0, 0)  # 6 small members, 2 shown, 4 others
    total = sum(sum(values) for values in series.credits.values())
    assert total == sum(r.credits for r in ROWS)


def test_png_decodes_with_the_right_size_and_every_members_colour() -> None:
    series = daily_series(ROWS, days=7, now=NOW)
    png = draw_usage(series, lambda user: f"member {user}", 7)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT)
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    for member in series.members:
        assert colour(series, member) in colours, member
    assert OTHER_COLOUR in colours
    assert len(colours) > 20  # text, grid, bars: not a blank canvas


def test_bar_heights_follow_the_values() -> None:
    """Today's bar (3 jobs) is three times as tall as yesterday's (1 job)."""
    series = daily_series([row(0, 1, 3, 3.0), row(1, 1, 1, 1.0)], days=2, now=NOW)
    image = Image.open(io.BytesIO(draw_usage(series, str, 2))).convert("RGB")
    target = colour(series, 1)
    heights = []
    left, right = 70, WIDTH - 190  # the plot area: two days, two bars
    for x in (left + (right - left) // 4, left + 3 * (right - left) // 4):
        column = [image.getpixel((x, y)) == target for y in range(HEIGHT // 2)]
        heights.append(sum(column))
    assert heights[0] > 0
    assert abs(heights[1] - 3 * heights[0]) <= 3  # a pixel of rounding at each edge


def test_an_empty_period_still_draws() -> None:
    png = draw_usage(daily_series([], days=30, now=NOW), str, 30)
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT)


def test_labels_follow_the_locale() -> None:
    series = daily_series(ROWS, days=7, now=NOW)
    assert draw_usage(series, str, 7, "en") != draw_usage(series, str, 7, "de")


def test_no_empty_boxes_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a font for Japanese, labels fall back to English and names to ids, not boxes."""
    latin = fonts.font(14)
    if fonts.can_draw("ジョブ", latin):
        pytest.skip("this machine has a CJK font")
    series = daily_series(ROWS, days=7, now=NOW)
    japanese = draw_usage(series, lambda user: "猫" if user == 1 else f"member {user}", 7, "ja")
    fallback = draw_usage(
        series, lambda user: f"user …{str(user)[-4:]}" if user == 1 else f"member {user}", 7, "en"
    )
    assert japanese == fallback
