"""The provider's recent jobs (TT `GET /midjourney/v1/fetch-list`), to find orphans.

An orphan is a job the provider accepted while the bot died before storing its id. The list
is parsed defensively: its fields are documented only by example (`job_id`, `action`,
`prompt`, numeric `status`, `cdn_image`, ...), and times may come as epoch numbers or as
"YYYY-MM-DD HH:MM:SS" text without a time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from bot.provider.fields import text as _text


@dataclass(frozen=True, slots=True)
class RecentJob:
    """One entry of the provider's job list."""

    job_id: str
    action: str | None
    prompt: str | None
    created_at: float | None  # unix time, when the entry carries a readable one
    hook_url: str | None


@runtime_checkable
class ListsRecentJobs(Protocol):
    """A provider that can list its most recent jobs."""

    async def recent_jobs(self, limit: int = 100) -> list[RecentJob]:
        """The newest jobs first."""
        ...


def parse_recent_jobs(payload: Mapping[str, Any]) -> list[RecentJob]:
    """Entries of a fetch-list answer; malformed entries are skipped, never raised on."""
    data = payload.get("data")
    if isinstance(data, Mapping):  # a paginated shape: {"list": [...]} or {"data": [...]}
        data = data.get("list") or data.get("data") or data.get("items")
    if not isinstance(data, list):
        return []
    found = []
    for item in data:
        if not isinstance(item, Mapping):
            continue
        job_id = _text(item.get("job_id") or item.get("jobId"))
        if job_id is None:
            continue
        found.append(
            RecentJob(
                job_id=job_id,
                action=_text(item.get("action") or item.get("actions")),
                prompt=_text(item.get("prompt")),
                created_at=_time(item.get("created_at") or item.get("createdAt")),
                hook_url=_text(item.get("hook_url") or item.get("hookUrl")),
            )
        )
    return found


def _time(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) / 1000 if value > 1e11 else float(value)  # ms or s
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # no zone given: read as UTC (see orphans.py)
    return parsed.timestamp()
