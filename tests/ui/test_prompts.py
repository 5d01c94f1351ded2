"""Prompts everywhere: blends name their images, actions show their parent's prompt."""

from __future__ import annotations

from bot.jobs.display import SHOWN_PROMPT, blend_params, inherited
from bot.jobs.models import JobKind
from bot.ui.embeds import result_text
from tests.ui.conftest import USER, make_job

MENTION = f"<@{USER}>"


def blend(**overrides: object) -> object:
    """A finished blend of three files, with no prompt of its own."""
    params = {"images": ["data:,1", "data:,2", "data:,3"], "dimensions": "SQUARE"}
    params |= blend_params(3, ["holiday/cat.png", "dog.jpeg", "fox"])
    return make_job(kind=JobKind.BLEND, prompt="", params=params, **overrides)


def test_blend_names_its_images() -> None:
    assert result_text(blend()) == f"**Blend of cat, dog and fox** - {MENTION} (fast)"


def test_blend_shows_the_prompt_midjourney_returned() -> None:
    job = blend(result_prompt="<https://s.mj.run/a> <https://s.mj.run/b> --v 6")
    assert result_text(job).startswith("**Blend of cat, dog and fox: <https://s.mj.run/a> ")


def test_blend_of_long_names_counts_them() -> None:
    params = blend_params(5, [letter * 40 for letter in "abcde"])
    job = make_job(kind=JobKind.BLEND, prompt="", params=params)
    assert result_text(job) == f"**Blend of 5 images** - {MENTION} (fast)"


def test_blend_stored_before_names_were_kept() -> None:
    job = make_job(kind=JobKind.BLEND, prompt="", params={"images": ["x", "y"]})
    assert result_text(job) == f"**Blend of 2 images** - {MENTION} (fast)"


def test_upscale_of_a_blend_inherits_its_name() -> None:
    """Not "**(no prompt)** - Image #2": the child carries its parent's title facts."""
    parent = blend(result_prompt="cats and dogs --v 6")
    child = make_job(
        kind=JobKind.ACTION, action="upsample2", prompt="", parent_id=parent.id,
        params={"parent": "p", **inherited(parent)},
    )  # fmt: skip
    assert (
        result_text(child)
        == f"**Blend of cat, dog and fox: cats and dogs --v 6** - Image #2 {MENTION}"
    )
    assert "images" not in child.params  # the blend's data URLs are not copied


def test_grandchild_keeps_the_blend_name() -> None:
    parent = blend()
    child = make_job(kind=JobKind.ACTION, action="variation1", prompt="", params=inherited(parent))
    grandchild = make_job(
        kind=JobKind.ACTION, action="upsample1", prompt="", params=inherited(child)
    )
    assert result_text(grandchild).startswith("**Blend of cat, dog and fox** - Image #1")


def test_action_shows_a_returned_prompt_when_the_parent_had_none() -> None:
    parent = make_job(prompt="", result_prompt="a lighthouse --ar 3:2")
    assert inherited(parent) == {SHOWN_PROMPT: "a lighthouse --ar 3:2"}
    child = make_job(kind=JobKind.ACTION, action="upsample3", prompt="", params=inherited(parent))
    assert result_text(child) == f"**a lighthouse --ar 3:2** - Image #3 {MENTION}"


def test_own_prompt_wins_over_the_returned_one() -> None:
    job = make_job(prompt="a cat", result_prompt="a cat --v 6.1")
    assert result_text(job) == f"**a cat** - {MENTION} (fast)"
