"""Pure layout: Midjourney's labels, rows within Discord's limits, the custom_id format."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.jobs.models import JobKind
from bot.ui.layout import (
    ButtonSpec,
    actions_for,
    custom_id,
    label_for,
    layout,
    parse_custom_id,
)
from tests.ui.conftest import GRID, OLD_GRID, UPSCALED, make_job

LABELS = [
    *((f"upsample{n}", f"U{n}", None) for n in range(1, 5)),
    *((f"variation{n}", f"V{n}", None) for n in range(1, 5)),
    ("reroll", None, "🔄"),
    ("high_variation", "Vary (Strong)", "🪄"),
    ("low_variation", "Vary (Subtle)", "🪄"),
    ("zoom_out_2", "Zoom Out 2x", "🔍"),
    ("zoom_out_1_5", "Zoom Out 1.5x", "🔍"),
    ("pan_left", None, "⬅️"),
    ("pan_right", None, "➡️"),
    ("pan_up", None, "⬆️"),
    ("pan_down", None, "⬇️"),
    ("upscale_subtle", "Upscale (Subtle)", None),
    ("upscale_creative", "Upscale (Creative)", None),
    ("upscale2", "Upscale (2x)", None),
    ("upscale4", "Upscale (4x)", None),
    ("make_square", "Make Square", None),
    ("custom_zoom", "Custom Zoom", None),
]
PATHOLOGICAL = tuple(f"mystery_action_number_{n}" for n in range(30))


def shown(specs: list[ButtonSpec]) -> list[list[str | None]]:
    """Each row as the member sees it: the label, else the emoji."""
    rows: dict[int, list[str | None]] = {}
    for spec in specs:
        rows.setdefault(spec.row, []).append(spec.label or spec.emoji)
    return [rows[number] for number in sorted(rows)]


def assert_within_limits(specs: list[ButtonSpec]) -> None:
    """Discord's limits for one message of legacy action rows."""
    rows = Counter(spec.row for spec in specs)
    assert len(specs) <= 25
    assert set(rows) <= set(range(5))
    assert sorted(rows) == list(range(len(rows))), "rows must be consecutive from 0"
    assert all(count <= 5 for count in rows.values())
    assert all(spec.label or spec.emoji for spec in specs)
    assert all(spec.label is None or 1 <= len(spec.label) <= 80 for spec in specs)
    assert all(1 <= len(spec.custom_id) <= 100 for spec in specs)
    assert len({spec.custom_id for spec in specs}) == len(specs)


@pytest.mark.parametrize(("action", "label", "emoji"), LABELS)
def test_label_for(action: str, label: str | None, emoji: str | None) -> None:
    """Each provider action gets the official bot's label and emoji."""
    assert label_for(action) == (label, emoji)


@pytest.mark.parametrize(("action", "label", "emoji"), LABELS)
def test_label_through_layout(action: str, label: str | None, emoji: str | None) -> None:
    """The same label reaches the button spec built from a job's components."""
    spec = layout(make_job(components=(action,)))[0]
    assert (spec.action, spec.label, spec.emoji) == (action, label, emoji)


def test_long_unknown_action_label_is_cut_to_80() -> None:
    """An unknown action becomes a title-cased label of at most 80 characters."""
    label, emoji = label_for("very_" * 40 + "long")
    assert emoji is None
    assert label is not None
    assert len(label) == 80
    assert label.startswith("Very Very")


def test_imagine_grid_rows() -> None:
    """U1-U4 and 🔄 share the first row, V1-V4 the second, 🌱 Seed a row of its own."""
    specs = layout(make_job(components=GRID))
    assert shown(specs) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], ["Seed"]]
    assert_within_limits(specs)


def test_old_grid_without_reroll() -> None:
    """The older docs' grid has no 🔄 and still splits U and V."""
    specs = layout(make_job(components=OLD_GRID))
    assert shown(specs) == [["U1", "U2", "U3", "U4"], ["V1", "V2", "V3", "V4"], ["Seed"]]


def test_post_upscale_set_fits_and_keeps_every_action() -> None:
    """Every post-upscale action gets exactly one button, within five rows of five (no seed)."""
    specs = layout(make_job(components=UPSCALED))
    assert_within_limits(specs)
    assert sorted(spec.action for spec in specs) == sorted(UPSCALED)


def test_vary_region_sits_with_the_other_varies() -> None:
    """🖌️ Vary (Region) joins Vary (Subtle) and (Strong), as on Midjourney's own bot."""
    components = ("upscale_subtle", "high_variation", "low_variation", "inpaint", "zoom_out_2")
    specs = layout(make_job(components=components))
    assert shown(specs)[1] == ["Vary (Subtle)", "Vary (Strong)", "Vary (Region)"]
    [region] = [spec for spec in specs if spec.action == "inpaint"]
    assert region.emoji == "🖌️"


def test_post_upscale_set_groups_like_midjourney() -> None:
    """The upscaled set as the TT API lists it (Strong first) shows in the official order."""
    components = (
        "upscale_subtle",
        "upscale_creative",
        "high_variation",
        "low_variation",
        "zoom_out_2",
        "zoom_out_1_5",
        "pan_left",
        "pan_right",
        "pan_up",
        "pan_down",
    )
    assert shown(layout(make_job(components=components))) == [
        ["Upscale (Subtle)", "Upscale (Creative)"],
        ["Vary (Subtle)", "Vary (Strong)"],
        ["Zoom Out 2x", "Zoom Out 1.5x"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
    ]


def test_subtle_comes_first_whatever_the_provider_order() -> None:
    """Upscale (Subtle) before (Creative), Vary (Subtle) before (Strong), indices unchanged."""
    job = make_job(
        id=5,
        components=("upscale_creative", "upscale_subtle", "high_variation", "low_variation"),
    )
    specs = layout(job)
    assert shown(specs) == [
        ["Upscale (Subtle)", "Upscale (Creative)"],
        ["Vary (Subtle)", "Vary (Strong)"],
    ]
    # The custom_id still points at the provider's own index, so clicks resolve as before.
    assert [parse_custom_id(spec.custom_id) for spec in specs] == [(5, 1), (5, 0), (5, 3), (5, 2)]


def test_thirty_unknown_components_are_capped() -> None:
    """A flood of unknown actions never breaks Discord's limits: 25 buttons, 5x5."""
    specs = layout(make_job(components=PATHOLOGICAL))
    assert len(specs) == 25
    assert_within_limits(specs)


@pytest.mark.parametrize("count", [1, 5, 6, 24, 25, 26])
def test_unknown_components_of_any_count(count: int) -> None:
    """Up to 25 actions all appear; beyond that the rest are dropped, never an error."""
    specs = layout(make_job(components=PATHOLOGICAL[:count]))
    assert len(specs) == min(count, 25)
    assert_within_limits(specs)


def test_many_small_groups_merge_into_five_rows() -> None:
    """Seven groups collapse to at most five rows without losing a button."""
    components = (*GRID, *UPSCALED[:6], "inpaint", "zoom_out_2", "pan_up", "favorite")
    specs = layout(make_job(components=components))
    assert_within_limits(specs)
    assert sorted(spec.action for spec in specs) == sorted((*components, "seed"))


def test_huge_job_id_keeps_custom_id_short() -> None:
    """The largest SQLite rowid still gives custom_ids of at most 100 characters."""
    specs = layout(make_job(id=2**63 - 1, components=PATHOLOGICAL))
    assert_within_limits(specs)


def test_no_components_no_buttons() -> None:
    """A job with nothing to do next has no buttons."""
    assert layout(make_job(components=())) == []


def test_describe_buttons() -> None:
    """A describe result: keycaps 1-4, then 🎉 Imagine all, then 🔄."""
    job = make_job(kind=JobKind.DESCRIBE, components=(), prompts=("one", "two", "three", "four"))
    specs = layout(job)
    assert [(spec.label, spec.emoji) for spec in specs] == [
        (None, "1️⃣"),
        (None, "2️⃣"),
        (None, "3️⃣"),
        (None, "4️⃣"),
        ("Imagine all", "🎉"),
        (None, "🔄"),
    ]
    assert_within_limits(specs)
    assert actions_for(job) == (
        "prompt1",
        "prompt2",
        "prompt3",
        "prompt4",
        "imagine_all",
        "redescribe",
    )


def test_describe_without_prompts_offers_only_redescribe() -> None:
    """No prompts came back: only 🔄 remains."""
    specs = layout(make_job(kind=JobKind.DESCRIBE, components=(), prompts=()))
    assert [(spec.action, spec.emoji) for spec in specs] == [("redescribe", "🔄")]


def test_custom_ids_point_at_their_action() -> None:
    """Each spec's custom_id carries the job id and the index of its own action."""
    job = make_job(id=1234, components=UPSCALED)
    actions = actions_for(job)
    for spec in layout(job):
        assert parse_custom_id(spec.custom_id) == (1234, actions.index(spec.action))


@pytest.mark.parametrize(("job_id", "index"), [(1, 0), (7, 8), (2**63 - 1, 24), (10**18, 999)])
def test_custom_id_round_trip(job_id: int, index: int) -> None:
    """custom_id -> parse_custom_id gives the same numbers back."""
    value = custom_id(job_id, index)
    assert value.startswith("mj1:")
    assert len(value) <= 100
    assert parse_custom_id(value) == (job_id, index)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "mj:",
        "mj:abc",
        "mj:1",
        "mj:1:2:3",
        "mj:" + "9" * 30,
        "mj:1:x",
        "xx:1:2",
        "mj:-1:2",
        "mj:1:2 ",
        "mj:1:1000",
        "mj:" + "9" * 30 + ":1",
    ],
)
def test_parse_custom_id_refuses_garbage(value: str) -> None:
    """Anything not produced by custom_id() parses to None."""
    assert parse_custom_id(value) is None
