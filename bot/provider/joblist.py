"""Pure parsing of `GET /midjourney/v1/fetch-list`: one page of the account's recent jobs.

The old docs show `data: [{job_id, model, action, quota, status: 2, progress, prompt,
discord_image, cdn_image, ...}]`. Status is numeric there (2 = SUCCESS; 0 pending, 1 running
and 3 failed are assumed, after midjourney-proxy's enum); string statuses are accepted too.
An entry that cannot be read is skipped: its job is fetched on its own instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.provider.models import JobSnapshot, RemoteStatus, parse_snapshot

_NUMERIC: Final = {
    0: RemoteStatus.PENDING,
    1: RemoteStatus.RUNNING,
    2: RemoteStatus.SUCCESS,
    3: RemoteStatus.FAILED,
}
# snake_case names of the list mapped onto the camelCase names of a fetch answer.
_ALIASES: Final = {
    "job_id": "jobId",
    "cdn_image": "cdnImage",
    "discord_image": "discordImage",
}


def parse_job_list(payload: Mapping[str, Any]) -> list[JobSnapshot]:
    """Every readable job of a fetch-list answer, in the order given."""
    entries = payload.get("data") if isinstance(payload, Mapping) else None
    if isinstance(entries, Mapping):  # some mirrors wrap the page: {"list": [...], "total": n}
        entries = entries.get("list") or entries.get("records")
    if not isinstance(entries, list):
        return []
    snapshots = []
    for entry in entries:
        snapshot = _entry(entry) if isinstance(entry, Mapping) else None
        if snapshot is not None:
            snapshots.append(snapshot)
    return snapshots


def is_complete(snapshot: JobSnapshot) -> bool:
    """Whether a list entry carries all a result needs; if not, fetch the job on its own."""
    if snapshot.status is not RemoteStatus.SUCCESS:
        return True
    has_result = bool(snapshot.image_url or snapshot.prompts or snapshot.seed)
    # A grid without its buttons would be posted dead: those need the full fetch.
    return has_result and bool(snapshot.components or snapshot.action in ("describe", "seed"))


def _entry(entry: Mapping[str, Any]) -> JobSnapshot | None:
    data = {_ALIASES.get(key, key): value for key, value in entry.items()}
    job_id = data.get("jobId")
    status = _status(data.get("status"))
    if not job_id or status is None:
        return None
    message = data.get("message") or data.get("fail_reason") or data.get("failReason") or ""
    envelope = {"status": status.value, "jobId": str(job_id), "message": message, "data": data}
    return parse_snapshot(envelope, str(job_id))


def _status(value: Any) -> RemoteStatus | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _NUMERIC.get(value)
    text = str(value or "").strip().upper()
    if text.isdigit():
        return _NUMERIC.get(int(text))
    try:
        return RemoteStatus(text)
    except ValueError:
        return None
