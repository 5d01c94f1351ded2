"""Image provider clients. No discord import and no settings import: plain constructor args."""

from __future__ import annotations

from typing import Protocol

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


__all__ = ["AccountInfo", "ErrorKind", "JobSnapshot", "Provider", "ProviderError", "SubmitRequest"]
