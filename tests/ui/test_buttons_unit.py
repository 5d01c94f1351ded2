"""JobButton's DynamicItem template and parsing, and the persistent result view."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.jobs.models import JobKind
from bot.ui.buttons import JobButton, result_view
from bot.ui.layout import actions_for, layout
from tests.ui.conftest import GRID, UPSCALED, make_job

JOBS = {
    "grid": make_job(components=GRID),
    "upscaled": make_job(id=99, components=UPSCALED),
    "flood": make_job(id=2**63 - 1, components=tuple(f"x{n}" for n in range(30))),
    "describe": make_job(kind=JobKind.DESCRIBE, components=(), prompts=("a", "b", "c", "d")),
}
GARBAGE = ["mj:abc", "mj:1", "mj:1:2:3", "mj:" + "9" * 30, "mj:", "mj:1:", "mj::1", "mj:1:2:"]


async def rebuild(value: str) -> JobButton:
    """What discord.py does on a click: match the template, then call from_custom_id."""
    match = JobButton.__discord_ui_compiled_template__.fullmatch(value)
    assert match is not None, f"{value!r} does not match the template"
    item: discord.ui.Button[Any] = discord.ui.Button(label="x", custom_id=value)
    return await JobButton.from_custom_id(None, item, match)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", JOBS)
async def test_template_matches_and_round_trips(name: str) -> None:
    """Every custom_id layout produces is dispatched back to (job id, index)."""
    job = JOBS[name]
    actions = actions_for(job)
    specs = layout(job)
    assert specs
    for spec in specs:
        button = await rebuild(spec.custom_id)
        assert button.target == (job.id, actions.index(spec.action))
        assert button.custom_id == spec.custom_id


@pytest.mark.parametrize("value", [*GARBAGE, *(g.replace("mj:", "mj1:") for g in GARBAGE)])
def test_garbage_custom_ids_do_not_match_the_template(value: str) -> None:
    """The template is strict: garbage never reaches from_custom_id (no half-parsed target)."""
    assert JobButton.__discord_ui_compiled_template__.fullmatch(value) is None


def test_new_buttons_carry_the_versioned_prefix() -> None:
    assert all(spec.custom_id.startswith("mj1:") for spec in layout(JOBS["grid"]))


async def test_buttons_posted_before_versions_still_resolve() -> None:
    """A result posted by an earlier version carries "mj:<job>:<index>": it still works."""
    button = await rebuild("mj:42:3")
    assert button.target == (42, 3)


def test_result_view_mirrors_layout() -> None:
    """The view holds one persistent JobButton per spec, with the same row, label and emoji."""
    job = JOBS["upscaled"]
    view = result_view(job)
    assert view is not None
    assert view.timeout is None
    assert view.is_persistent()
    specs = layout(job)
    assert len(view.children) == len(specs)
    for item, spec in zip(view.children, specs, strict=True):
        assert isinstance(item, JobButton)
        assert item.target == (job.id, actions_for(job).index(spec.action))
        assert (item.item.custom_id, item.row) == (spec.custom_id, spec.row)
        assert item.item.label == spec.label
        assert (str(item.item.emoji) if item.item.emoji else None) == spec.emoji


def test_result_view_serialises_within_limits() -> None:
    """The view's wire form: at most 5 action rows of at most 5 buttons."""
    view = result_view(JOBS["flood"])
    assert view is not None
    rows = view.to_components()
    assert 1 <= len(rows) <= 5
    assert all(len(row["components"]) <= 5 for row in rows)
    assert sum(len(row["components"]) for row in rows) == 25


def test_no_components_no_view() -> None:
    """A job without next actions gets no view at all."""
    assert result_view(make_job(components=())) is None
