"""The one action table: every button's words, and readable names for unknown components."""

from __future__ import annotations

import pytest

from bot.jobs.models import JobKind
from bot.jobs.service import InvalidAction, _check_parent
from bot.ui.actions import ACTIONS, MAX_LABEL, Row, action_for, human_name
from bot.ui.audit import job_entry
from bot.ui.embeds import result_text
from bot.ui.errors import user_text
from bot.ui.layout import label_for
from tests.ui.conftest import USER, make_job


@pytest.mark.parametrize(
    ("component", "label"),
    [
        ("redo_upscale2", "Redo Upscale (2x)"),
        ("redo_upscale8", "Redo Upscale (8x)"),
        ("upscale16", "Upscale (16x)"),
        ("zoom_in_1_5", "Zoom In (1.5x)"),
        ("redo_upscale_ultra", "Redo Upscale Ultra"),
        ("favorite", "Favorite"),
        ("web", "Web"),
    ],
)
def test_unknown_components_get_readable_labels(component: str, label: str) -> None:
    """No "Redo Upscale2": a number glued to a word reads as a multiplier, as Midjourney has it."""
    assert label_for(component) == (label, None)


def test_every_row_has_words_for_members() -> None:
    """Each action has a human name, a label or an emoji, and fits Discord's label limit."""
    for name, action in ACTIONS.items():
        assert action.name == name
        assert action.human
        assert "_" not in action.human
        assert action.label or action.emoji
        assert action.label is None or len(action.label) <= MAX_LABEL


def test_vary_region_has_its_row() -> None:
    """Vary (Region) ("inpaint" at the TT API) is in the table, beside the other varies."""
    region = action_for("inpaint")
    assert (region.label, region.emoji, region.row) == ("Vary (Region)", "🖌️", Row.VARY)
    assert human_name("inpaint") == "Vary (Region)"


def test_unknown_action_result_line_names_it() -> None:
    """A result of an action missing from the table still says what was done."""
    job = make_job(kind=JobKind.ACTION, action="redo_upscale8")
    assert result_text(job) == f"**a cat** - Redo Upscale (8x) by <@{USER}> (fast)"


def test_upscales_ask_before_paying_again_and_rerolls_do_not() -> None:
    """Pressing U1 twice gives the same image twice; 🔄 and V1 give new ones each time."""
    asking = {name for name, action in ACTIONS.items() if action.ask_again}
    assert {"upsample1", "upscale_subtle", "upscale4", "redo_upscale2"} <= asking
    assert not asking & {"reroll", "variation1", "low_variation", "zoom_out_2", "pan_up"}


def test_refusal_names_the_action_in_members_words() -> None:
    """Not "“upsample1” is not available": the member reads the button's human name."""
    grid = make_job(components=("upsample2",))
    with pytest.raises(InvalidAction) as refused:
        _check_parent(grid, "upsample1")
    text = user_text(refused.value)
    assert text == "Upscale image #1 is not available on that job."


def test_audit_line_names_the_action_in_members_words() -> None:
    """The audit channel says what was done the way members say it."""
    line = job_entry(make_job(kind=JobKind.ACTION, action="upsample2", parent_id=3))
    assert "· Upscale image #2 ·" in line
    assert "upsample2" not in line
