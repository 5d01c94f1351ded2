"""One mode list and one action table: no second copy to fall out of step (issue 11, item 7)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.provider.models import MODES, Mode

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "bot" / "provider" / "models.py"
BUTTONS = {"high_variation", "low_variation", "upscale_subtle", "zoom_out_2", "pan_left"}


def _sources() -> list[Path]:
    return sorted(path for folder in ("bot", "cogs") for path in (ROOT / folder).rglob("*.py"))


def test_modes_come_from_the_enum() -> None:
    assert tuple(mode.value for mode in Mode) == MODES


def test_the_mode_list_is_written_once() -> None:
    """No tuple, list or set literal elsewhere is the mode list again."""
    copies = []
    for path in _sources():
        if path == HOME:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                strings = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if strings == set(MODES):
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []


def test_action_words_live_in_one_table() -> None:
    """No second dict keyed by component names (as `_FIXED` and `_ACTION_WORDS` were)."""
    table = ROOT / "bot" / "ui" / "actions.py"
    # Providers map the bot's names to their own wire names (AceData's `zoom_out_2x`): that
    # is translation at the API's edge (issue 13), not a second table of words to show.
    wire = ROOT / "bot" / "provider"
    copies = []
    for path in _sources():
        if path == table or path.is_relative_to(wire):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if keys & BUTTONS:
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []
