"""Image provider clients. No discord import and no settings import: plain constructor args."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import AccountInfo, JobSnapshot, SubmitRequest


class Provider(Protocol):
    """What the job engine needs from an image API: ttapi, mjproxy, acedata, demo, or a pool."""

    name: str

    async def submit(self, request: SubmitRequest) -> str:
        """Send a paid request and return the provider's job id."""
        ...

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Look at a job."""
        ...

    async def info(self) -> AccountInfo:
        """The account's balance."""
        ...


@runtime_checkable
class BatchFetcher(Protocol):
    """An optional capability: look at many jobs with one call (TT API `fetch-list`)."""

    async def fetch_many(self, job_ids: Sequence[str]) -> dict[str, JobSnapshot]:
        """Snapshots of the jobs the call found, by job id; jobs not found are left out."""
        ...


__all__ = [
    "AccountInfo",
    "BatchFetcher",
    "ErrorKind",
    "JobSnapshot",
    "Provider",
    "ProviderError",
    "SubmitRequest",
]
