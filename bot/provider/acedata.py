"""The AceData Midjourney client (api.acedata.cloud), Bearer token.

Without a callback AceData's imagine call blocks until the image is done (and answers 504
past its `timeout` while the task runs on). So the call asks for the streaming answer
(`application/x-ndjson`): every line carries the task id, and the id is returned as soon as
the first line arrives, so the engine stores it at once. The rest of the stream is read in
the background; if the connection is lost, or the bot restarts, `POST /midjourney/tasks`
(retrieve) finds the task by its id, and a 504's `trace_id` finds it too.
With a callback URL the call answers at once and the result is POSTed to the bot later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any, Final

import aiohttp

from bot.provider.acedata_parse import (
    IMAGE_ID,
    TO_ACEDATA,
    error_kind,
    parse_answer,
    parse_descriptions,
    parse_record,
    parse_records,
    trace_id,
)
from bot.provider.batch import Coalescer
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.http import Answer, HttpCaller, parse_json
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    DescribeRequest,
    ImagineRequest,
    JobSnapshot,
    RemoteStatus,
    SubmitRequest,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.acedata.cloud"
CONNECT: Final = 10.0
TRACE: Final = "trace:"  # a job known only by the trace id of a 504
DESCRIBE: Final = "describe-"  # describe answers at once; its result is kept in memory


class AceDataClient:
    """Async client for AceData's Midjourney API."""

    name = "acedata"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        **retry: Any,
    ) -> None:
        self._session = session
        self._root = base_url.rstrip("/") + "/midjourney"
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._http = HttpCaller(session, [token], label="AceData", **retry)
        self._latest: dict[str, JobSnapshot] = {}  # what streams and instant answers said
        self._streams: dict[str, asyncio.Task[None]] = {}
        self.batch = Coalescer(self.fetch_many, self._retrieve)

    async def close(self) -> None:
        """Stop reading the streams still open (their tasks can still be retrieved)."""
        for task in self._streams.values():
            task.cancel()
        await asyncio.gather(*self._streams.values(), return_exceptions=True)

    def add_secret(self, value: str) -> None:
        """Mask `value` too in every error this client raises (the hookUrl's secret path)."""
        self._http.add_secret(value)

    async def submit(self, request: SubmitRequest) -> str:
        """Send a paid request; returns AceData's task id as soon as it is known."""
        if isinstance(request, DescribeRequest):
            return await self._describe(request)
        body = _imagine_body(request)
        if request.hook_url:
            body["callback_url"] = request.hook_url
            url = f"{self._root}/imagine"
            return await self._http.call(
                "POST", url, _accepted, paid=True, headers=self._headers, body=body
            )
        return await self._stream(body)

    async def fetch(self, job_id: str) -> JobSnapshot:
        """The task's state: from its open stream, else retrieved (free)."""
        latest = self._latest.get(job_id)
        if latest is not None and (latest.status.finished or job_id in self._streams):
            if latest.status.finished:
                self._latest.pop(job_id, None)
            return latest
        if job_id.startswith(DESCRIBE):
            message = "The describe result was lost when the bot restarted. Please run it again."
            return JobSnapshot(job_id, RemoteStatus.FAILED, message=message)
        if not job_id.startswith(TRACE):
            return await self.batch.fetch(job_id)  # with the other retrieves of the moment
        return await self._retrieve(job_id)

    async def _retrieve(self, job_id: str) -> JobSnapshot:
        key = {"trace_id": job_id.removeprefix(TRACE)} if job_id.startswith(TRACE) else {}
        body = {"action": "retrieve", **(key or {"id": job_id})}
        payload = await self._tasks(body)
        snapshot = parse_record(payload, job_id)
        if snapshot is None:
            raise ProviderError(ErrorKind.UNAVAILABLE, "retrieve answered without a task")
        return snapshot

    async def fetch_many(self, job_ids: list[str]) -> list[JobSnapshot]:
        """Many tasks in one call (`retrieve_batch`)."""
        return parse_records(await self._tasks({"action": "retrieve_batch", "ids": job_ids}))

    async def info(self) -> AccountInfo:
        """AceData publishes no balance endpoint for this API: nothing to ask."""
        return AccountInfo(balance=None, frozen=None, max_queue=None)

    # -- streaming --------------------------------------------------------------------------

    async def _stream(self, body: dict[str, Any]) -> str:
        headers = {**self._headers, "Accept": "application/x-ndjson"}
        # No total limit: the answer lasts as long as the job; a silent socket is the problem.
        wait = float(body.get("timeout") or 480) + 60
        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT, sock_read=wait)
        try:
            response = await self._session.post(
                f"{self._root}/imagine", json=body, headers=headers, timeout=timeout
            )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise ProviderError(ErrorKind.UNAVAILABLE, "cannot connect to AceData") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "no answer from AceData") from exc
        if response.status != 200:
            return await self._refusal(response)
        try:
            first = await self._first(response)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            response.close()
            raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "the answer broke off") from exc
        if first is None:
            response.close()
            raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "the answer carried no task id")
        self._latest[first.job_id] = first
        if not first.status.finished:
            task = asyncio.create_task(self._follow(first.job_id, response))
            self._streams[first.job_id] = task
        else:
            response.release()
        return first.job_id

    async def _refusal(self, response: aiohttp.ClientResponse) -> str:
        async with response:
            payload = parse_json(await response.text(errors="replace"))
        trace = trace_id(payload)
        if response.status == 504 and trace:
            # AceData stopped waiting, not the task: the trace id finds it later.
            log.info("AceData answered 504; following the task by trace id %s", trace)
            return TRACE + trace
        error = error_kind(response.status, payload, paid=True)
        raise ProviderError(error.kind, self._http.scrub(error.message), status=error.status)

    async def _first(self, response: aiohttp.ClientResponse) -> JobSnapshot | None:
        if response.content_type == "application/json":  # answered whole, not streamed
            return parse_answer(parse_json(await response.text(errors="replace")))
        async for line in response.content:
            snapshot = parse_answer(_line(line))
            if snapshot is not None:
                return snapshot
        return None

    async def _follow(self, job_id: str, response: aiohttp.ClientResponse) -> None:
        try:
            async for line in response.content:
                snapshot = parse_answer(_line(line), job_id)
                if snapshot is not None:
                    self._latest[job_id] = snapshot
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            # Not a problem: fetch retrieves the task by its id from now on.
            log.info("AceData stream of %s broke off (%s); retrieving instead", job_id, error)
        finally:
            response.release()
            self._streams.pop(job_id, None)
            latest = self._latest.get(job_id)
            if latest is not None and not latest.status.finished:
                self._latest.pop(job_id, None)

    # -- other calls ------------------------------------------------------------------------

    async def _describe(self, request: DescribeRequest) -> str:
        # ASSUMPTION: AceData's describe takes `image_url`; a data URL is passed as is.
        body = {"image_url": request.url or request.image}
        payload = await self._http.call(
            "POST", f"{self._root}/describe", _ok, paid=True, headers=self._headers, body=body
        )
        prompts = parse_descriptions(payload)
        job_id = DESCRIBE + uuid.uuid4().hex
        text = "\n\n".join(f"{n}\ufe0f\u20e3 {prompt}" for n, prompt in enumerate(prompts, 1))
        self._latest[job_id] = JobSnapshot(
            job_id, RemoteStatus.SUCCESS, action="describe", progress=100, prompt=text,
            prompts=prompts,
        )  # fmt: skip
        return job_id

    async def _tasks(self, body: dict[str, Any]) -> Any:
        url = f"{self._root}/tasks"
        return await self._http.call(
            "POST", url, _free, paid=False, headers=self._headers, body=body
        )


def _imagine_body(request: SubmitRequest) -> dict[str, Any]:
    match request:
        case ImagineRequest():
            body: dict[str, Any] = {"action": "generate", "prompt": request.prompt}
            body["mode"] = request.mode.value
        case ActionRequest():
            image_id = dict(request.refs).get(IMAGE_ID)
            action = TO_ACEDATA.get(request.action)
            if not image_id or not action or action == "variation_region":
                raise ProviderError(
                    ErrorKind.INVALID_REQUEST, f"AceData cannot run {request.action} on that image"
                )
            body = {"action": action, IMAGE_ID: image_id}
        case _:
            # Blend, seed and Vary (Region) (which needs the mask as a URL) have no AceData call.
            what = type(request).__name__.removesuffix("Request").lower()
            raise ProviderError(ErrorKind.INVALID_REQUEST, f"AceData does not offer {what}")
    if request.timeout:
        body["timeout"] = request.timeout
    return body


def _line(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace").strip()
    with contextlib.suppress(ValueError):
        return json.loads(text) if text else None
    return None


def _accepted(answer: Answer) -> str:
    payload = _ok(answer)
    task = parse_answer(payload) if isinstance(payload, dict) else None
    if task is None:
        raise ProviderError(ErrorKind.UNKNOWN_OUTCOME, "AceData answered without a task id")
    if task.status is RemoteStatus.FAILED:
        raise ProviderError(ErrorKind.INVALID_REQUEST, task.message, status=answer.status)
    return task.job_id


def _ok(answer: Answer) -> Any:
    if answer.status != 200 or answer.json is None:
        raise error_kind(answer.status if answer.status != 200 else 502, answer.json, paid=True)
    return answer.json


def _free(answer: Answer) -> Any:
    if answer.status != 200 or answer.json is None:
        raise error_kind(answer.status if answer.status != 200 else 502, answer.json, paid=False)
    return answer.json
