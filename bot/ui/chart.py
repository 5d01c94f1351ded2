"""The usage chart: jobs and credits per day, stacked by the top members, drawn with Pillow."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw

from bot.i18n import t
from bot.jobs.ledger import DAY, UsageRow
from bot.ui.fonts import Font, can_draw, font

WIDTH: Final = 1000
HEIGHT: Final = 620
TOP_MEMBERS: Final = 5
OTHERS: Final = 0  # the series id of everyone past the top members
# Discord's dark theme, and colours that stay apart for colour-blind readers (Okabe-Ito).
BACKGROUND: Final = (49, 51, 56)
INK: Final = (219, 222, 225)
GRID: Final = (78, 80, 88)
COLOURS: Final = ((230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (204, 121, 167))
OTHER_COLOUR: Final = (150, 150, 150)
_LEFT, _RIGHT, _TOP, _GAP, _BOTTOM = 70, 190, 64, 60, 40


@dataclass(frozen=True, slots=True)
class Series:
    """What the chart shows: one value per day for each member (the top ones, then others)."""

    days: tuple[str, ...]
    members: tuple[int, ...]  # OTHERS last when present
    jobs: Mapping[int, tuple[float, ...]]
    credits: Mapping[int, tuple[float, ...]]


def daily_series(rows: Iterable[UsageRow], days: int, now: float) -> Series:
    """Per-day totals for the `days` days ending today (UTC), top members by credits first."""
    day_names = tuple(
        time.strftime("%Y-%m-%d", time.gmtime(now - (days - 1 - n) * DAY)) for n in range(days)
    )
    rows = [row for row in rows if row.day in day_names]
    spent: dict[int, float] = defaultdict(float)
    for row in rows:
        spent[row.user_id] += row.credits + row.jobs / 1000  # jobs break ties in credits
    top = sorted(spent, key=lambda user: -spent[user])[:TOP_MEMBERS]
    members = (*top, OTHERS) if len(spent) > len(top) else tuple(top)
    index = {day: n for n, day in enumerate(day_names)}
    jobs = {member: [0.0] * days for member in members}
    credits = {member: [0.0] * days for member in members}
    for row in rows:
        member = row.user_id if row.user_id in top else OTHERS
        jobs[member][index[row.day]] += row.jobs
        credits[member][index[row.day]] += row.credits
    return Series(
        day_names,
        members,
        {m: tuple(v) for m, v in jobs.items()},
        {m: tuple(v) for m, v in credits.items()},
    )


def draw_usage(
    series: Series, names: Callable[[int], str], days: int, locale: str | None = None
) -> bytes:
    """The chart as PNG bytes: jobs per day above, credits per day below, with a legend."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    small, large = font(14), font(18)

    def text(key: str, **values: object) -> str:
        """The label in `locale`, or in English where the installed font lacks the glyphs."""
        local = t(key, locale, **values)
        return local if can_draw(local, large) else t(key, "en", **values)

    def name(member: int) -> str:
        shown = text("usage.others") if member == OTHERS else names(member)
        return shown if can_draw(shown, small) else f"user …{str(member)[-4:]}"

    draw.text((_LEFT, 10), text("usage.chart_title", days=days), fill=INK, font=large)
    panel = (HEIGHT - _TOP - _GAP - _BOTTOM) // 2
    upper = (_LEFT, _TOP, WIDTH - _RIGHT, _TOP + panel)
    lower = (_LEFT, _TOP + panel + _GAP, WIDTH - _RIGHT, _TOP + 2 * panel + _GAP)
    _panel(draw, small, upper, series, values=series.jobs, unit=text("usage.jobs"))
    _panel(draw, small, lower, series, values=series.credits, unit=text("usage.credits"))
    _legend(draw, small, series.members, name)
    if not series.members:
        draw.text((WIDTH // 2, HEIGHT // 2), text("usage.empty"), fill=INK, font=small, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def colour(series: Series, member: int) -> tuple[int, int, int]:
    """The colour a member's bars are drawn in."""
    return OTHER_COLOUR if member == OTHERS else COLOURS[series.members.index(member)]


def _panel(
    draw: ImageDraw.ImageDraw,
    font: Font,
    box: tuple[int, int, int, int],
    series: Series,
    *,
    values: Mapping[int, Sequence[float]],
    unit: str,
) -> None:
    left, top, right, bottom = box
    totals = [sum(values[m][day] for m in series.members) for day in range(len(series.days))]
    ceiling = _nice(max(totals, default=0.0))
    for step in range(5):  # horizontal grid lines with their values
        y = bottom - (bottom - top) * step / 4
        draw.line((left, y, right, y), fill=GRID)
        draw.text((left - 8, y), f"{ceiling * step / 4:g}", fill=INK, font=font, anchor="rm")
    draw.text((left, top - 6), unit, fill=INK, font=font, anchor="lb")
    width = (right - left) / max(len(series.days), 1)
    label_every = max(1, round(len(series.days) / 10))
    for day, name in enumerate(series.days):
        x0 = left + day * width + width * 0.15
        x1 = left + (day + 1) * width - width * 0.15
        base = float(bottom)
        for member in series.members:
            height = (bottom - top) * values[member][day] / ceiling
            if height > 0:
                draw.rectangle(
                    (x0, base - height, max(x0, x1 - 1), base), fill=colour(series, member)
                )
                base -= height
        if day % label_every == 0:
            draw.text(((x0 + x1) / 2, bottom + 6), name[5:], fill=INK, font=font, anchor="mt")


def _legend(
    draw: ImageDraw.ImageDraw,
    font: Font,
    members: Sequence[int],
    names: Callable[[int], str],
) -> None:
    x, y = WIDTH - _RIGHT + 20, _TOP
    for number, member in enumerate(members):
        fill = OTHER_COLOUR if member == OTHERS else COLOURS[number]
        draw.rectangle((x, y + number * 24, x + 14, y + number * 24 + 14), fill=fill)
        draw.text((x + 22, y + number * 24), names(member)[:20], fill=INK, font=font)


def _nice(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover
