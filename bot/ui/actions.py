"""The one action table: component name -> label, emoji, row, result verb and human name.

Every word a member reads about a button comes from here: the button itself
(bot/ui/layout.py), the result line (bot/ui/embeds.py), refusals (bot/ui/errors.py) and the
audit channel (bot/ui/audit.py). To support a new provider component, add one row to
`_ROWS`; a component missing from it still gets a readable name from `human_name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final

KEYCAPS: Final = ("1️⃣", "2️⃣", "3️⃣", "4️⃣")
# Describe results offer these instead of provider components.
IMAGINE_ALL: Final = "imagine_all"
REDESCRIBE: Final = "redescribe"
# Grid results get a seed button on a row of its own (the TT API's seed endpoint).
SEED: Final = "seed"
MAX_LABEL: Final = 80  # Discord's limit for a button label


class Row(IntEnum):
    """Button groups, in the official bot's top-to-bottom order; a group keeps to its row."""

    PICK = 0  # U1-U4 and 🔄, or describe's 1️⃣-4️⃣ 🎉 🔄
    VARIATIONS = 1  # V1-V4
    UPSCALE = 2
    VARY = 3
    ZOOM = 4
    PAN = 5
    SEED = 6
    OTHER = 7  # components not in the table


@dataclass(frozen=True, slots=True)
class Action:
    """One button's words: `label`/`emoji` on the button, `verb` in the result line."""

    name: str  # the provider's component name (or one of the bot's own, e.g. "seed")
    human: str  # what the action is called in sentences: refusals, audit lines
    label: str | None = None
    emoji: str | None = None
    row: Row = Row.OTHER
    verb: str | None = None  # "Upscaled (Subtle) by" -> "**cat** - Upscaled (Subtle) by <@1>"
    # Pressing it again gives the same image again: ask before paying a second time.
    # (Rerolls, variations, zooms and pans give new images each time, so they never ask.)
    ask_again: bool = False
    past: str = "done"  # "Already upscaled: <link>."


def _numbered() -> list[Action]:
    rows = []
    for n in range(1, 5):
        upscale = Action(f"upsample{n}", f"Upscale image #{n}", f"U{n}", row=Row.PICK)
        rows.append(replace(upscale, verb=f"Image #{n}", ask_again=True, past="upscaled"))
        vary = Action(f"variation{n}", f"Variations of image #{n}", f"V{n}", row=Row.VARIATIONS)
        rows.append(replace(vary, verb=f"Variations (Image #{n}) by"))
        rows.append(Action(f"prompt{n}", f"Imagine prompt {n}", emoji=KEYCAPS[n - 1], row=Row.PICK))
    return rows


def _upscale(name: str, kind: str) -> Action:
    return Action(
        name, f"Upscale ({kind})", f"Upscale ({kind})", row=Row.UPSCALE,
        verb=f"Upscaled ({kind}) by", ask_again=True, past="upscaled",
    )  # fmt: skip


def _redo(name: str, kind: str) -> Action:
    return Action(
        name, f"Redo Upscale ({kind})", f"Redo Upscale ({kind})", row=Row.UPSCALE,
        verb=f"Upscaled (Redo {kind}) by", ask_again=True, past="upscaled",
    )  # fmt: skip


def _pan(direction: str, emoji: str) -> Action:
    name = f"Pan {direction.title()}"
    return Action(f"pan_{direction}", name, emoji=emoji, row=Row.PAN, verb=f"{name} by")


def _shown(name: str, human: str, emoji: str | None, row: Row, verb: str | None) -> Action:
    """A button whose label is its human name."""
    return Action(name, human, human, emoji, row, verb)


# Order within a row is the official bot's: Subtle before Strong or Creative (item 5 of #17),
# whatever order the provider lists them in.
_ROWS: Final = (
    *_numbered(),
    Action("reroll", "Reroll", emoji="🔄", row=Row.PICK),
    _shown(IMAGINE_ALL, "Imagine all", "🎉", Row.PICK, None),
    Action(REDESCRIBE, "Describe again", emoji="🔄", row=Row.PICK),
    _upscale("upscale_subtle", "Subtle"),
    _upscale("upscale_creative", "Creative"),
    _upscale("upscale2", "2x"),
    _upscale("upscale4", "4x"),
    _redo("redo_upscale_subtle", "Subtle"),
    _redo("redo_upscale_creative", "Creative"),
    _redo("redo_upscale2", "2x"),
    _redo("redo_upscale4", "4x"),
    _shown("low_variation", "Vary (Subtle)", "🪄", Row.VARY, "Variations (Subtle) by"),
    _shown("high_variation", "Vary (Strong)", "🪄", Row.VARY, "Variations (Strong) by"),
    _shown("inpaint", "Vary (Region)", "🖌️", Row.VARY, "Vary (Region) by"),
    _shown("make_square", "Make Square", None, Row.VARY, "Make Square by"),
    _shown("zoom_out_2", "Zoom Out 2x", "🔍", Row.ZOOM, "Zoom Out by"),
    _shown("zoom_out_1_5", "Zoom Out 1.5x", "🔍", Row.ZOOM, "Zoom Out by"),
    _shown("custom_zoom", "Custom Zoom", None, Row.ZOOM, "Custom Zoom by"),
    _pan("left", "⬅️"),
    _pan("right", "➡️"),
    _pan("up", "⬆️"),
    _pan("down", "⬇️"),
    _shown(SEED, "Seed", "🌱", Row.SEED, None),
)
ACTIONS: Final[dict[str, Action]] = {action.name: action for action in _ROWS}
_RANK: Final = {name: rank for rank, name in enumerate(ACTIONS)}
# "upscale2" (a number glued to its word) and "zoom_out_1_5" (a decimal) are multipliers.
_MULTIPLIER = re.compile(r"(?P<word>[a-z_]*[a-z])(?:(?P<glued>\d+)|_(?P<whole>\d+)_(?P<part>\d+))")


def action_for(name: str) -> Action:
    """The table's row for a component, or a readable one built for an unknown component."""
    known = ACTIONS.get(name)
    if known is not None:
        return known
    human = human_name(name)
    return Action(name, human, human[:MAX_LABEL], verb=f"{human} by")


def human_name(name: str) -> str:
    """What members call an action: the table's name, else one read from the component name.

    "redo_upscale8" -> "Redo Upscale (8x)", "zoom_in_1_5" -> "Zoom In (1.5x)", "web" -> "Web".
    """
    if name in ACTIONS:
        return ACTIONS[name].human
    if name.startswith("redo_") and len(name) > len("redo_"):
        return f"Redo {human_name(name[len('redo_') :])}"
    words = name.strip("_").lower()
    if match := _MULTIPLIER.fullmatch(words):
        number = match["glued"] or f"{match['whole']}.{match['part']}"
        return f"{_title(match['word'])} ({number}x)"
    return _title(words) or "Unnamed action"


def rank(name: str) -> tuple[int, int]:
    """Where an action's button goes: (row group, position in the official bot's order)."""
    action = action_for(name)
    return int(action.row), _RANK.get(name, len(_RANK))


def _title(words: str) -> str:
    return " ".join(word.capitalize() for word in words.split("_") if word)
