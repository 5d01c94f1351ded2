"""The TT API Midjourney client: one method per endpoint, every failure a ProviderError.

Retry rules, because a resend can spend the owner's credits twice:
- fetch and info are free and idempotent: transient failures are retried with jittered backoff;
- a paid submit is retried only when it provably never reached the provider (connection
  refused, connect timeout) or was refused without being accepted (429, 499). A timeout,
  a dropped connection or a 5xx after the body was sent is UNKNOWN_OUTCOME, never resent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import aiohttp

from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.joblist import is_complete, parse_job_list
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    SeedRequest,
    SubmitRequest,
    parse_account,
    parse_job_id,
    parse_snapshot,
)
from bot.provider.recent import RecentJob, parse_recent_jobs

log = logging.getLogger(__name__)

# Submits carry whole images (blend: up to 5), so they get more time than a fetch.
SUBMIT_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10, sock_connect=10)
FETCH_TIMEOUT: Final = aiohttp.ClientTimeout(total=15, connect=5, sock_connect=5)
MAX_RETRY_AFTER: Final = 60.0
LIST_LIMIT: Final = 100  # fetch-list's largest page
MAX_LIST_PAGES: Final = 5
_NOT_FOUND: Final = re.compile(r"not exist|not found|不存在", re.IGNORECASE)
_STATUS_KINDS: Final = {
    401: ErrorKind.AUTH,
    402: ErrorKind.BALANCE,
    403: ErrorKind.BLOCKED,
    404: ErrorKind.NOT_FOUND,
    429: ErrorKind.RATE_LIMITED,
    499: ErrorKind.QUEUE_FULL,
}
_ENDPOINTS: Final = {
    ImagineRequest: "imagine",
    ActionRequest: "action",
    BlendRequest: "blend",
    DescribeRequest: "describe",
    SeedRequest: "seed",
    InpaintRequest: "inpaint",
}


class TTApiClient:
    """Async client for https://api.ttapi.io/midjourney/v1 (or a mirror)."""

    name = "ttapi"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        base_url: str = "https://api.ttapi.io",
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._api_key = api_key
        self._secrets: tuple[str, ...] = ()  # more values to mask in errors (add_secret)
        self._root = base_url.rstrip("/") + "/midjourney/v1"
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep

    async def submit(self, request: SubmitRequest) -> str:
        """Send any paid request; returns the new provider job id."""
        endpoint = _ENDPOINTS[type(request)]
        payload = await self._call("POST", endpoint, body=request_body(request), paid=True)
        job_id = parse_job_id(payload.get("data"))
        if not job_id:
            # Answered 200 but without an id: the job may exist, so this is not safe to resend.
            raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "the answer carried no job id")
        log.debug("%s accepted as provider job %s", endpoint, job_id)
        return job_id

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Look at a job (free); retried on transient failures."""
        payload = await self._call("GET", "fetch", params={"jobId": job_id}, paid=False)
        snapshot = parse_snapshot(payload, job_id)
        if snapshot is None:
            raise ProviderError(ErrorKind.UNAVAILABLE, "fetch answered without a job status")
        return snapshot

    async def fetch_many(self, job_ids: Sequence[str]) -> dict[str, JobSnapshot]:
        """Look at many jobs with `fetch-list` pages of recent jobs (free).

        Jobs not on the pages read, or listed without all their result, are left out: the
        caller fetches those on their own. A refused endpoint raises ProviderError.
        """
        wanted, found = set(job_ids), dict[str, JobSnapshot]()
        pages = min(math.ceil(len(wanted) / LIST_LIMIT) + 1, MAX_LIST_PAGES)
        for page in range(1, pages + 1):
            params = {"page": str(page), "limit": str(LIST_LIMIT), "order": "desc"}
            payload = await self._call("GET", "fetch-list", params=params, paid=False)
            if str(payload.get("status", "")).upper() == "FAILED" or not _listing(payload):
                message = self._scrub(str(payload.get("message") or "no job list"))[:200]
                raise ProviderError(ErrorKind.INVALID_REQUEST, f"fetch-list refused: {message}")
            entries = parse_job_list(payload)
            found.update(
                (snap.job_id, snap)
                for snap in entries
                if snap.job_id in wanted and is_complete(snap)
            )
            if len(entries) < LIST_LIMIT or wanted <= found.keys():
                break
        return found

    async def info(self) -> AccountInfo:
        """The account's balance and queue size (free); retried on transient failures."""
        return parse_account(await self._call("GET", "info", paid=False))

    async def recent_jobs(self, limit: int = 100) -> list[RecentJob]:
        """The account's newest jobs, newest first (free; used to adopt orphans)."""
        query = {"page": "1", "limit": str(min(limit, 100)), "order": "desc"}
        return parse_recent_jobs(await self._call("GET", "fetch-list", params=query, paid=False))

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        paid: bool,
    ) -> Mapping[str, Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                return await self._once(method, endpoint, body, params, paid=paid)
            except ProviderError as error:
                if attempt == self._attempts or not _retryable(error, paid=paid):
                    raise
                delay = self._delay(attempt, error.retry_after)
                log.info(
                    "TT API %s failed (%s); retry %d in %.1fs", endpoint, error, attempt, delay
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        endpoint: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
        *,
        paid: bool,
    ) -> Mapping[str, Any]:
        headers = {"TT-API-KEY": self._api_key, "Accept": "application/json"}
        timeout = SUBMIT_TIMEOUT if paid else FETCH_TIMEOUT
        url = f"{self._root}/{endpoint}"
        try:
            async with self._session.request(
                method, url, json=body, params=params, headers=headers, timeout=timeout
            ) as response:
                text = await response.text(errors="replace")
                return self._interpret(response.status, response.headers, text, paid=paid)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Nothing was sent: the connection never opened.
            raise ProviderError(
                ErrorKind.UNAVAILABLE, self._scrub(f"cannot connect: {exc}")
            ) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = type(exc).__name__ if isinstance(exc, TimeoutError) else str(exc) or repr(exc)
            kind = ErrorKind.UNKNOWN_OUTCOME if paid else ErrorKind.UNAVAILABLE
            raise ProviderError(kind, self._scrub(f"no answer: {reason}")) from exc

    def _interpret(
        self, status: int, headers: Mapping[str, str], text: str, *, paid: bool
    ) -> Mapping[str, Any]:
        payload = _json_object(text)
        message = self._scrub(_message(payload, text, status))[:500]
        if status == 200 and payload is not None:
            if paid and str(payload.get("status", "")).upper() == "FAILED":
                raise ProviderError(_rejection_kind(message), message, status=status)
            return payload
        if status >= 500 or status == 200:  # 200 with a body that is not JSON: a proxy page
            kind = ErrorKind.UNKNOWN_OUTCOME if paid else ErrorKind.UNAVAILABLE
            raise ProviderError(kind, message, status=status)
        kind = _STATUS_KINDS.get(status) or _rejection_kind(message)
        retry_after = _retry_after(headers) if kind is ErrorKind.RATE_LIMITED else None
        raise ProviderError(kind, message, status=status, retry_after=retry_after)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter keeps many clients (or many jobs) from retrying in lockstep.
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
        # Honour Retry-After, within reason: a job should not wait an hour on one header.
        return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER))

    def add_secret(self, value: str) -> None:
        """Mask `value` too in every error this client raises (the hookUrl's secret path,
        which the TT API may echo in an error message)."""
        self._secrets = (*self._secrets, value)

    def _scrub(self, text: str) -> str:
        for secret in (self._api_key, *self._secrets):
            text = text.replace(secret, "********") if secret else text
        return text


def request_body(request: SubmitRequest) -> dict[str, Any]:
    """The JSON body for a paid request, without empty optional fields."""
    match request:
        case ImagineRequest():
            body: dict[str, Any] = {"prompt": request.prompt, "mode": request.mode.value}
        case ActionRequest():
            body = {"jobId": request.job_id, "action": request.action}
        case BlendRequest():
            body = {
                "imgBase64Array": list(request.images),
                "dimensions": request.dimensions.value,
                "mode": request.mode.value,
            }
        case DescribeRequest():
            body = {"mode": request.mode.value}
            body.update({"base64": request.image} if request.image else {"url": request.url})
        case SeedRequest():
            body = {"jobId": request.job_id}
        case InpaintRequest():
            body = {"jobId": request.job_id, "mask": request.mask}
            if request.prompt:
                body["prompt"] = request.prompt
    if request.timeout is not None:
        body["timeout"] = request.timeout
    if request.hook_url:
        body["hookUrl"] = request.hook_url
    return body


def _listing(payload: Mapping[str, Any]) -> bool:
    data = payload.get("data")
    return isinstance(data, list) or (
        isinstance(data, Mapping) and isinstance(data.get("list", data.get("records")), list)
    )


def _retryable(error: ProviderError, *, paid: bool) -> bool:
    if error.kind in (ErrorKind.RATE_LIMITED, ErrorKind.QUEUE_FULL):
        return True
    return error.kind is ErrorKind.UNAVAILABLE and (not paid or error.status is None)


def _rejection_kind(message: str) -> ErrorKind:
    if "banned prompt" in message.lower():
        return ErrorKind.BANNED_PROMPT
    if _NOT_FOUND.search(message):
        return ErrorKind.NOT_FOUND
    return ErrorKind.INVALID_REQUEST


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _message(payload: Mapping[str, Any] | None, text: str, status: int) -> str:
    if payload is not None and payload.get("message"):
        return str(payload["message"])
    if payload is None and text.strip():
        return f"HTTP {status} with a body that is not JSON"
    return f"HTTP {status}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return None
