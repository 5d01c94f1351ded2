"""Pure parsing of AceData's Midjourney answers (api.acedata.cloud).

An imagine answer is `{"success", "task_id", "image_id", "progress", "image_url", "actions"}`;
a stored task (`POST /midjourney/tasks`, retrieve) is `{"id", "request", "response"}` with
that answer inside. Errors are `{"error": {"code", "message"}, "trace_id"}`. AceData names
actions its own way (`upscale1`, `variation_subtle`, `zoom_out_2x`); the bot's names are
today's TT component names, mapped both ways here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.fields import integer as _int
from bot.provider.fields import number as _float
from bot.provider.fields import text as _text
from bot.provider.models import JobSnapshot, RemoteStatus

# The bot's action name -> AceData's.
TO_ACEDATA: Final = {
    **{f"upsample{n}": f"upscale{n}" for n in range(1, 5)},
    **{f"variation{n}": f"variation{n}" for n in range(1, 5)},
    "reroll": "reroll",
    "upscale2": "upscale_2x",
    "upscale4": "upscale_4x",
    "upscale_subtle": "upscale_subtle",
    "upscale_creative": "upscale_creative",
    "low_variation": "variation_subtle",
    "high_variation": "variation_strong",
    "inpaint": "variation_region",
    "zoom_out_2": "zoom_out_2x",
    "zoom_out_1_5": "zoom_out_1_5x",
    **{f"pan_{d}": f"pan_{d}" for d in ("left", "right", "up", "down")},
}
# Vary (Region) is not offered back: AceData wants its mask as a URL, and the bot has the
# member's drawing as bytes, so the button would only fail.
FROM_ACEDATA: Final = {theirs: ours for ours, theirs in TO_ACEDATA.items() if ours != "inpaint"}
IMAGE_ID: Final = "image_id"  # the ref follow-ups send back


def parse_answer(payload: Any, job_id: str = "") -> JobSnapshot | None:
    """An imagine answer, a streamed line or a callback body; None if it is none of them."""
    if not isinstance(payload, Mapping) or "data" in payload:
        return None
    task_id = _text(payload.get("task_id")) or job_id
    if not task_id:
        return None
    if payload.get("success") is False or isinstance(payload.get("error"), Mapping):
        message = error_message(payload) or "AceData reported the task as failed."
        return JobSnapshot(task_id, RemoteStatus.FAILED, message=message)
    progress = _progress(payload.get("progress"))
    image_url = _text(payload.get("image_url"))
    if image_url and (progress is None or progress >= 100):
        return _success(task_id, payload, image_url)
    status = RemoteStatus.RUNNING if progress else RemoteStatus.PENDING
    return JobSnapshot(task_id, status, progress=progress)


def parse_record(record: Any, job_id: str = "") -> JobSnapshot | None:
    """A stored task from `retrieve`; a task without a response yet is still pending."""
    if not isinstance(record, Mapping):
        return None
    task_id = _text(record.get("id")) or job_id
    response = record.get("response")
    if isinstance(response, Mapping) and response:
        return parse_answer({**response, "task_id": task_id}, task_id)
    return JobSnapshot(task_id, RemoteStatus.PENDING) if task_id else None


def parse_records(payload: Any) -> list[JobSnapshot]:
    """A `retrieve_batch` answer: a list of records, or `{"items": [...]}`."""
    items = payload.get("items") if isinstance(payload, Mapping) else payload
    records = items if isinstance(items, list) else []
    return [snapshot for item in records if (snapshot := parse_record(item)) is not None]


def parse_descriptions(payload: Any) -> tuple[str, ...]:
    """`POST /midjourney/describe` -> its four prompts."""
    values = payload.get("descriptions") if isinstance(payload, Mapping) else None
    return tuple(text for item in values or [] if (text := _text(item)))


def error_kind(status: int, payload: Any, *, paid: bool) -> ProviderError:
    """The ProviderError for a non-2xx answer, read from AceData's error codes and words."""
    message = error_message(payload) or f"HTTP {status}"
    code = str(payload.get("error", {}).get("code", "")) if isinstance(payload, Mapping) else ""
    lowered = f"{code} {message}".lower()
    if status >= 500:
        kind = ErrorKind.UNKNOWN_OUTCOME if paid else ErrorKind.UNAVAILABLE
    elif status == 401 or code in ("invalid_token", "no_token", "token_mismatched"):
        kind = ErrorKind.AUTH
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status == 403 and ("moderat" in lowered or "banned" in lowered):
        kind = ErrorKind.BANNED_PROMPT  # the prompt's fault, not the account's
    elif status in (402, 403) and ("balance" in lowered or "insufficient" in lowered):
        kind = ErrorKind.BALANCE
    elif status == 403:
        kind = ErrorKind.BLOCKED
    elif status == 404:
        kind = ErrorKind.NOT_FOUND
    else:
        kind = ErrorKind.INVALID_REQUEST
    return ProviderError(kind, message[:300], status=status)


def error_message(payload: Any) -> str | None:
    """The message of an error body, if any."""
    if not isinstance(payload, Mapping):
        return None
    error = payload.get("error")
    if isinstance(error, Mapping):
        return _text(error.get("message")) or _text(error.get("code"))
    return _text(error)


def trace_id(payload: Any) -> str | None:
    """The trace id of an error body (a 504 still finds its task by it)."""
    return _text(payload.get("trace_id")) if isinstance(payload, Mapping) else None


def _success(task_id: str, payload: Mapping[str, Any], image_url: str) -> JobSnapshot:
    actions = payload.get("actions")
    names = [FROM_ACEDATA.get(str(a)) for a in actions] if isinstance(actions, list) else []
    image_id = _text(payload.get(IMAGE_ID))
    return JobSnapshot(
        task_id,
        RemoteStatus.SUCCESS,
        progress=100,
        image_url=image_url,
        images=tuple(str(u) for u in payload.get("sub_image_urls") or [] if isinstance(u, str)),
        components=tuple(name for name in names if name),
        width=_int(payload.get("image_width")),
        height=_int(payload.get("image_height")),
        refs=((IMAGE_ID, image_id),) if image_id else (),
    )


def _progress(value: Any) -> int | None:
    number = _float(value)
    return max(0, min(100, int(number))) if number is not None else None
