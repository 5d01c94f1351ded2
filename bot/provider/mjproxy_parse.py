"""Pure parsing of midjourney-proxy answers (novicezk and trueai-org flavours).

Submit answers are `{"code", "description", "properties", "result"}`; tasks are
`{"id", "action", "status", "progress": "45%", "imageUrl", "failReason", "buttons": [...]}`.
Buttons carry Discord custom ids; the bot speaks its own action names (today's TT component
names), so each custom id is mapped to a name and kept, to be sent back on `action`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.fields import integer as _int
from bot.provider.fields import text as _text
from bot.provider.models import JobSnapshot, RemoteStatus, parse_describe_prompts

SUCCESS: Final = 1
MODAL: Final = 21  # "Waiting for window confirm": the task needs /mj/submit/modal
QUEUED: Final = 22
_REFUSALS: Final = {
    3: ErrorKind.NOT_FOUND,
    4: ErrorKind.INVALID_REQUEST,
    9: ErrorKind.QUEUE_FULL,  # trueai: queue full; novicezk: system error. Not accepted either way.
    23: ErrorKind.QUEUE_FULL,
    24: ErrorKind.BANNED_PROMPT,
}
_STATUSES: Final = {
    "NOT_START": RemoteStatus.PENDING,
    "SUBMITTED": RemoteStatus.PENDING,
    "MODAL": RemoteStatus.PENDING,
    "IN_PROGRESS": RemoteStatus.RUNNING,
    "SUCCESS": RemoteStatus.SUCCESS,
    "FAILURE": RemoteStatus.FAILED,
    "CANCEL": RemoteStatus.FAILED,
}
# Custom id -> the bot's action name. Order matters: the first match wins.
_BUTTONS: Final = (
    (re.compile(r"MJ::JOB::upsample::([1-4])::"), r"upsample\1"),
    (re.compile(r"MJ::JOB::variation::([1-4])::"), r"variation\1"),
    (re.compile(r"MJ::JOB::reroll::"), "reroll"),
    (re.compile(r"MJ::JOB::upsample_v\w*_2x_subtle::"), "upscale_subtle"),
    (re.compile(r"MJ::JOB::upsample_v\w*_2x_creative::"), "upscale_creative"),
    (re.compile(r"MJ::JOB::upsample_v5_2x::"), "upscale2"),
    (re.compile(r"MJ::JOB::upsample_v5_4x::"), "upscale4"),
    (re.compile(r"MJ::JOB::(low|high)_variation::"), r"\1_variation"),
    (re.compile(r"MJ::Inpaint::"), "inpaint"),
    (re.compile(r"MJ::Outpaint::50::"), "zoom_out_2"),
    (re.compile(r"MJ::Outpaint::75::"), "zoom_out_1_5"),
    (re.compile(r"MJ::JOB::pan_(left|right|up|down)::"), r"pan_\1"),
)
_ACTIONS: Final = {
    "IMAGINE": "imagine",
    "UPSCALE": "upsample",
    "VARIATION": "variation",
    "REROLL": "reroll",
    "DESCRIBE": "describe",
    "BLEND": "blend",
    "ZOOM": "zoom",
    "PAN": "pan",
}


@dataclass(frozen=True, slots=True)
class Submitted:
    """An accepted submit: the task id, and whether it waits for /mj/submit/modal."""

    task_id: str
    needs_modal: bool = False


def parse_submit(payload: Any) -> Submitted:
    """Read a submit answer; raises ProviderError for a refusal or an answer without an id."""
    if not isinstance(payload, Mapping) or "code" not in payload:
        raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "the proxy answered without a code")
    code = _int(payload.get("code"))
    message = str(payload.get("description") or f"code {code}")
    result = payload.get("result")
    task_id = str(result) if result not in (None, "") and not isinstance(result, dict) else ""
    if code in (SUCCESS, QUEUED, MODAL):
        if not task_id:  # accepted, maybe, but with no id nothing can be followed up
            raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, f"{message} (no task id)")
        return Submitted(task_id, needs_modal=code == MODAL)
    if code == 24:
        properties = payload.get("properties")
        word = properties.get("bannedWord") if isinstance(properties, Mapping) else None
        message = f"banned prompt: {word}" if word else message
    kind = _REFUSALS.get(code or 0, ErrorKind.INVALID_REQUEST)
    raise ProviderError(kind, message)


def parse_task(payload: Any, job_id: str = "") -> JobSnapshot | None:
    """A task as a snapshot; None when the body is not a proxy task (empty, or another API)."""
    if not isinstance(payload, Mapping) or "data" in payload:
        return None
    status = _STATUSES.get(str(payload.get("status") or "").upper())
    task_id = _text(payload.get("id")) or job_id
    if status is None or not task_id:
        return None
    components, refs = parse_buttons(payload.get("buttons"))
    action = _ACTIONS.get(str(payload.get("action") or "").upper())
    text = _prompt_text(payload)
    return JobSnapshot(
        job_id=task_id,
        status=status,
        message=_text(payload.get("failReason")) or "",
        action=action,
        progress=100 if status is RemoteStatus.SUCCESS else _progress(payload.get("progress")),
        prompt=text,
        image_url=_text(payload.get("imageUrl")),
        components=components,
        prompts=parse_describe_prompts(text) if action == "describe" and text else (),
        refs=refs,
    )


def parse_buttons(buttons: Any) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Buttons -> (the bot's action names, (name, custom id) pairs); unknown buttons dropped."""
    names: list[str] = []
    refs: list[tuple[str, str]] = []
    for button in buttons if isinstance(buttons, list) else []:
        custom_id = button.get("customId") if isinstance(button, Mapping) else None
        name = action_name(custom_id) if isinstance(custom_id, str) else None
        if name is not None and name not in names:
            names.append(name)
            refs.append((name, custom_id))  # type: ignore[arg-type]
    return tuple(names), tuple(refs)


def action_name(custom_id: str) -> str | None:
    """The bot's name for a proxy button, or None for buttons it does not offer."""
    for pattern, name in _BUTTONS:
        if match := pattern.match(custom_id):
            return match.expand(name)
    return None


def parse_seed(payload: Any) -> str | None:
    """GET /mj/task/{id}/image-seed -> the seed, or None."""
    if isinstance(payload, Mapping) and _int(payload.get("code")) == SUCCESS:
        return _text(payload.get("result"))
    return None


def parse_task_list(payload: Any) -> list[JobSnapshot]:
    """POST /mj/task/list-by-condition -> every task it could read (missing ids are skipped)."""
    items = payload if isinstance(payload, list) else []
    return [snapshot for item in items if (snapshot := parse_task(item)) is not None]


def _prompt_text(payload: Mapping[str, Any]) -> str | None:
    properties = payload.get("properties")
    final = properties.get("finalPrompt") if isinstance(properties, Mapping) else None
    return _text(payload.get("promptEn")) or _text(payload.get("prompt")) or _text(final)


def _progress(value: Any) -> int | None:
    text = str(value or "").strip().rstrip("%")
    return max(0, min(100, int(text))) if text.isdigit() else None
