"""Pure: a job's next actions -> rows of button specs, with Midjourney's labels.

The custom_id carries only the job's short id and an index into `actions_for(job)`, which is
derived from data stored with the job, so a button resolves the same way after any restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.jobs.models import Job, JobKind
from bot.ui.actions import IMAGINE_ALL, REDESCRIBE, SEED, action_for, rank

# "mj1:<job id>:<index>". The version lets a later layout change the format without breaking
# buttons already posted; "mj:<job id>:<index>" (before versions) still resolves the same way.
CUSTOM_ID_PREFIX: Final = "mj1:"
CUSTOM_ID_TEMPLATE: Final = r"mj1?:(?P<job>[0-9]{1,19}):(?P<index>[0-9]{1,3})"
MAX_ROWS: Final = 5
MAX_PER_ROW: Final = 5
# Vary (Region): its button answers with a link to the mask editor (bot/ui/editor_link.py).
INPAINT: Final = "inpaint"


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """One button as Discord will show it."""

    action: str
    label: str | None
    emoji: str | None
    custom_id: str
    row: int


def actions_for(job: Job) -> tuple[str, ...]:
    """The actions a job's buttons stand for, in index order."""
    if job.kind is JobKind.DESCRIBE:
        prompts = tuple(f"prompt{number}" for number in range(1, len(job.prompts) + 1))
        return (*prompts[:4], IMAGINE_ALL, REDESCRIBE) if prompts else (REDESCRIBE,)
    components = job.components
    if "upsample1" in components and job.kind is not JobKind.SEED:
        return (*components, SEED)
    return components


def label_for(action: str) -> tuple[str | None, str | None]:
    """(label, emoji) for an action, following the official bot's buttons (bot/ui/actions.py)."""
    row = action_for(action)
    return row.label, row.emoji


def custom_id(job_id: int, index: int) -> str:
    """The custom_id of a job's button number `index`."""
    return f"{CUSTOM_ID_PREFIX}{job_id}:{index}"


def parse_custom_id(value: str) -> tuple[int, int] | None:
    """(job id, index) from a custom_id, or None when it is not one of ours."""
    match = re.fullmatch(CUSTOM_ID_TEMPLATE, value)
    return target_of(match) if match else None


def target_of(match: re.Match[str]) -> tuple[int, int]:
    """(job id, index) from a match of CUSTOM_ID_TEMPLATE."""
    return int(match["job"]), int(match["index"])


def layout(job: Job) -> list[ButtonSpec]:
    """Every button of a job, placed on at most 5 rows of at most 5."""
    actions = actions_for(job)
    rows = _pack([list(range(len(actions)))] if not actions else _grouped(actions))
    specs = []
    for row_number, row in enumerate(rows):
        for index in row:
            label, emoji = label_for(actions[index])
            specs.append(
                ButtonSpec(actions[index], label, emoji, custom_id(job.id, index), row_number)
            )
    return specs


def _grouped(actions: tuple[str, ...]) -> list[list[int]]:
    """Indices grouped by row, each row in the official bot's order (Subtle before Strong)."""
    groups: dict[int, list[int]] = {}
    for index in sorted(range(len(actions)), key=lambda i: (rank(actions[i]), i)):
        groups.setdefault(rank(actions[index])[0], []).append(index)
    return [groups[number] for number in sorted(groups)]


def _pack(groups: list[list[int]]) -> list[list[int]]:
    rows = [
        group[i : i + MAX_PER_ROW] for group in groups for i in range(0, len(group), MAX_PER_ROW)
    ]
    while len(rows) > MAX_ROWS:
        # Too many rows: merge the smallest neighbouring pair that fits, else pack densely.
        pairs = [
            (len(rows[i]) + len(rows[i + 1]), i)
            for i in range(len(rows) - 1)
            if len(rows[i]) + len(rows[i + 1]) <= MAX_PER_ROW
        ]
        if not pairs:
            flat = [index for row in rows for index in row][: MAX_ROWS * MAX_PER_ROW]
            return [flat[i : i + MAX_PER_ROW] for i in range(0, len(flat), MAX_PER_ROW)]
        _, i = min(pairs)
        rows[i : i + 2] = [rows[i] + rows[i + 1]]
    return rows
