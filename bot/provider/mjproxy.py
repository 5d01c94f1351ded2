"""A midjourney-proxy client (`/mj/submit/...`, `/mj/task/...`), novicezk or trueai-org.

The base URL may carry a reseller's mode prefix (`https://host/fast`); `/mj/...` is appended.
Auth: the proxy's own `mj-api-secret` header, and `Authorization: Bearer` for resellers;
both are sent, since each side ignores the other's. A follow-up sends back the custom id the
parent's button carried (kept in the job's refs). Inpaint and custom zoom (and any action
when remix is on) answer code 21: the task then needs `/mj/submit/modal` to start.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import aiohttp

from bot.provider.batch import Coalescer
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.http import Answer, HttpCaller, http_error
from bot.provider.mjproxy_parse import (
    Submitted,
    parse_seed,
    parse_submit,
    parse_task,
    parse_task_list,
)
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    Mode,
    RemoteStatus,
    SeedRequest,
    SubmitRequest,
)

log = logging.getLogger(__name__)

_SEED_ID = re.compile(r"^seed-(?P<parent>.+)-[0-9a-f]{8}$")
_MODE_FLAG = re.compile(r"--(fast|relax|turbo)\b")


class MjProxyClient:
    """Async client for a midjourney-proxy server or a reseller speaking its format."""

    name = "mjproxy"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        secret: str | None = None,
        **retry: Any,
    ) -> None:
        root = base_url.rstrip("/")
        self._root = root if root.endswith("/mj") else root + "/mj"
        self._headers = {"Accept": "application/json"}
        if secret:
            self._headers |= {"mj-api-secret": secret, "Authorization": f"Bearer {secret}"}
        self._http = HttpCaller(session, [secret or ""], label="midjourney-proxy", **retry)
        # The watcher's parallel fetches become one list-by-condition call.
        self.batch = Coalescer(self.fetch_many, self._fetch_one)

    def add_secret(self, value: str) -> None:
        """Mask `value` too in every error this client raises (the hookUrl's secret path)."""
        self._http.add_secret(value)

    async def submit(self, request: SubmitRequest) -> str:
        """Send a paid request; returns the proxy's task id."""
        if isinstance(request, SeedRequest):
            # The seed is read with a free GET when the job is fetched; this id says which.
            return f"seed-{request.job_id}-{uuid.uuid4().hex[:8]}"
        endpoint, body = self._endpoint(request)
        submitted = await self._post(endpoint, body)
        if submitted.needs_modal:
            modal: dict[str, Any] = {"taskId": submitted.task_id}
            if isinstance(request, InpaintRequest):
                modal["maskBase64"] = _data_url(request.mask)
            if isinstance(request, (InpaintRequest, ImagineRequest)) and request.prompt:
                modal["prompt"] = request.prompt
            # The first call created a task waiting for this one; this one is the paid start.
            submitted = await self._post("submit/modal", modal)
        log.debug("%s accepted as proxy task %s", endpoint, submitted.task_id)
        return submitted.task_id

    async def fetch(self, job_id: str) -> JobSnapshot:
        """Look at a task (free), batched with the other fetches of the moment."""
        if seed := _SEED_ID.match(job_id):
            return await self._seed(job_id, seed["parent"])
        return await self.batch.fetch(job_id)

    async def _fetch_one(self, job_id: str) -> JobSnapshot:
        url = f"{self._root}/task/{job_id}/fetch"
        payload = await self._http.call(
            "GET", url, _json_or_missing, paid=False, headers=self._headers
        )
        snapshot = parse_task(payload, job_id)
        if snapshot is None:
            raise ProviderError(ErrorKind.UNAVAILABLE, "fetch answered without a proxy task")
        return snapshot

    async def fetch_many(self, job_ids: list[str]) -> list[JobSnapshot]:
        """Many tasks in one call (POST /mj/task/list-by-condition); missing ids are left out."""
        url = f"{self._root}/task/list-by-condition"
        payload = await self._http.call(
            "POST", url, _json_or_missing, paid=False, headers=self._headers, body={"ids": job_ids}
        )
        return parse_task_list(payload)

    async def info(self) -> AccountInfo:
        """midjourney-proxy has no balance endpoint; answers whether it is reachable."""
        await self._http.call(
            "POST",
            f"{self._root}/task/list-by-condition",
            _json_or_missing,
            paid=False,
            headers=self._headers,
            body={"ids": []},
        )
        return AccountInfo(balance=None, frozen=None, max_queue=None)

    def _endpoint(self, request: SubmitRequest) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any]
        match request:
            case ImagineRequest():
                body = {"prompt": _with_mode(request.prompt, request.mode), "base64Array": []}
                endpoint = "submit/imagine"
            case ActionRequest() | InpaintRequest():
                action = request.action if isinstance(request, ActionRequest) else "inpaint"
                custom_id = dict(request.refs).get(action)
                if not custom_id:
                    raise ProviderError(
                        ErrorKind.INVALID_REQUEST, f"the parent task has no {action} button"
                    )
                body = {"taskId": request.job_id, "customId": custom_id}
                endpoint = "submit/action"
            case BlendRequest():
                body = {"base64Array": list(request.images), "dimensions": request.dimensions}
                endpoint = "submit/blend"
            case DescribeRequest():
                body = {"base64": request.image} if request.image else {"link": request.url}
                endpoint = "submit/describe"
            case _:  # pragma: no cover - SeedRequest is answered in submit
                raise ValueError(f"unsupported request {type(request).__name__}")
        if request.hook_url:
            body["notifyHook"] = request.hook_url
        return endpoint, body

    async def _post(self, endpoint: str, body: dict[str, Any]) -> Submitted:
        url = f"{self._root}/{endpoint}"
        return await self._http.call(
            "POST", url, _submitted, paid=True, headers=self._headers, body=body
        )

    async def _seed(self, job_id: str, parent: str) -> JobSnapshot:
        url = f"{self._root}/task/{parent}/image-seed"
        payload = await self._http.call(
            "GET", url, _json_or_missing, paid=False, headers=self._headers
        )
        seed = parse_seed(payload)
        if seed is None:
            return JobSnapshot(job_id, RemoteStatus.FAILED, "the proxy has no seed for that task")
        return JobSnapshot(job_id, RemoteStatus.SUCCESS, action="seed", progress=100, seed=seed)


def _submitted(answer: Answer) -> Submitted:
    if answer.status == 404 and isinstance(answer.json, dict):  # code 3: the parent is gone
        return parse_submit(answer.json)
    if answer.status != 200:
        raise http_error(answer, _message(answer), paid=True)
    return parse_submit(answer.json)


def _json_or_missing(answer: Answer) -> Any:
    # An unknown task id answers 200 with an empty body (novicezk) or 204.
    if answer.status == 204 or (answer.status == 200 and not answer.text.strip()):
        raise ProviderError(ErrorKind.NOT_FOUND, "the proxy does not know this task", status=404)
    if answer.status != 200:
        raise http_error(answer, _message(answer), paid=False)
    if answer.json is None:
        raise ProviderError(
            ErrorKind.UNAVAILABLE, "the proxy answered with a body that is not JSON"
        )
    return answer.json


def _message(answer: Answer) -> str:
    if isinstance(answer.json, dict) and answer.json.get("description"):
        return str(answer.json["description"])[:300]
    if answer.status == 401:
        return "the proxy rejected the secret (MJPROXY_SECRET)"
    return f"HTTP {answer.status}"


def _with_mode(prompt: str, mode: Mode) -> str:
    # The proxy has no mode field: Midjourney reads --relax / --turbo from the prompt itself.
    if mode is Mode.FAST or _MODE_FLAG.search(prompt):
        return prompt
    return f"{prompt} --{mode.value}"


def _data_url(mask: str) -> str:
    return mask if mask.startswith("data:") else f"data:image/png;base64,{mask}"
