"""TTApiClient against the in-process fake TT API on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.provider import ttapi
from bot.provider.errors import ErrorKind, ProviderError
from bot.provider.models import (
    AccountInfo,
    ActionRequest,
    BlendRequest,
    DescribeRequest,
    Dimensions,
    ImagineRequest,
    InpaintRequest,
    JobSnapshot,
    Mode,
    RemoteStatus,
    SeedRequest,
    SubmitRequest,
)
from bot.provider.ttapi import TTApiClient, request_body
from fakes.ttapi import FakeTTApi, ManualClock, Scenario, make_png
from tests.provider import samples

KEY = "tt-secret-key-abc123XYZ"
WRONG_KEY = "tt-secret-key-WRONG987"
MASKED = "********"
PNG_A = "data:image/png;base64," + base64.b64encode(make_png(1, 1)).decode()
PNG_B = "data:image/png;base64," + base64.b64encode(make_png(2, 1, (0, 0, 255))).decode()
MASK = base64.b64encode(make_png(2, 2, (255, 255, 255))).decode()
HOOK = "https://bot.example.com/ttapi/hook"
CLOUDFLARE_HTML = (
    "<!DOCTYPE html><html><head><title>api.ttapi.io | 502: Bad gateway</title></head>"
    "<body><h1>Bad gateway</h1><p>Cloudflare Ray ID: 8a1b2c3d4e5f6a7b</p></body></html>"
)
QUICK = aiohttp.ClientTimeout(total=0.3)
SLOW = 1.0  # seconds the fake stalls; longer than QUICK


class RecordingSleep:
    """A fake asyncio.sleep that only records the delays asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTTApi]:
    api = FakeTTApi(api_key=KEY, clock=clock)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client(session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep) -> TTApiClient:
    return TTApiClient(session, KEY, fake.base_url, sleep=sleeps, attempts=4)


@pytest.fixture
def once(session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep) -> TTApiClient:
    """A client that never retries, to look at a single answer."""
    return TTApiClient(session, KEY, fake.base_url, sleep=sleeps, attempts=1)


@pytest.fixture
def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- helpers ------------------------------------------------------------------------------


async def finished_job(client: TTApiClient, fake: FakeTTApi, prompt: str = "a cat") -> str:
    """An imagine job that has already succeeded on the fake."""
    job_id = await client.submit(ImagineRequest(prompt))
    fake.finish_now(job_id)
    return job_id


def assert_backoff(delays: list[float], backoff: float = 0.5, cap: float = 8.0) -> None:
    """Each delay is jittered within [ceiling/2, ceiling] of a doubling ceiling, so it grows."""
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(cap, backoff * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)
    below_cap = [d for n, d in enumerate(delays, start=1) if backoff * 2 ** (n - 1) <= cap]
    assert below_cap == sorted(below_cap)


def failed_body(message: str) -> dict[str, Any]:
    return {"status": "FAILED", "message": message, "data": None}


Op = Callable[[TTApiClient], Awaitable[Any]]
OPS: dict[str, tuple[str, Op]] = {
    "imagine": ("/imagine", lambda c: c.submit(ImagineRequest("a cat"))),
    "fetch": ("/fetch", lambda c: c.fetch("b8bd3ff0-4349-4b71-8938-5e13aefa64fe")),
    "info": ("/info", lambda c: c.info()),
}


# --- request shapes -----------------------------------------------------------------------

Make = Callable[[str], SubmitRequest]
Expect = Callable[[str], dict[str, Any]]
SUBMITS: list[Any] = [
    pytest.param(
        "imagine",
        lambda p: ImagineRequest("a cat --ar 16:9"),
        lambda p: {"prompt": "a cat --ar 16:9", "mode": "fast"},
        id="imagine",
    ),
    pytest.param(
        "imagine",
        lambda p: ImagineRequest("a cat", mode=Mode.RELAX, timeout=600, hook_url=HOOK),
        lambda p: {"prompt": "a cat", "mode": "relax", "timeout": 600, "hookUrl": HOOK},
        id="imagine-all",
    ),
    pytest.param(
        "action",
        lambda p: ActionRequest(p, "upsample2"),
        lambda p: {"jobId": p, "action": "upsample2"},
        id="action",
    ),
    pytest.param(
        "action",
        lambda p: ActionRequest(p, "variation4", timeout=300, hook_url=HOOK),
        lambda p: {"jobId": p, "action": "variation4", "timeout": 300, "hookUrl": HOOK},
        id="action-all",
    ),
    pytest.param(
        "blend",
        lambda p: BlendRequest((PNG_A, PNG_B)),
        lambda p: {"imgBase64Array": [PNG_A, PNG_B], "dimensions": "SQUARE", "mode": "fast"},
        id="blend",
    ),
    pytest.param(
        "blend",
        lambda p: BlendRequest(
            (PNG_A, PNG_B, PNG_A), Dimensions.PORTRAIT, Mode.TURBO, timeout=300, hook_url=HOOK
        ),
        lambda p: {
            "imgBase64Array": [PNG_A, PNG_B, PNG_A],
            "dimensions": "PORTRAIT",
            "mode": "turbo",
            "timeout": 300,
            "hookUrl": HOOK,
        },
        id="blend-all",
    ),
    pytest.param(
        "describe",
        lambda p: DescribeRequest(image=PNG_A),
        lambda p: {"mode": "fast", "base64": PNG_A},
        id="describe-base64",
    ),
    pytest.param(
        "describe",
        lambda p: DescribeRequest(url="https://example.com/cat.png", mode=Mode.RELAX),
        lambda p: {"mode": "relax", "url": "https://example.com/cat.png"},
        id="describe-url",
    ),
    pytest.param(
        "describe",
        lambda p: DescribeRequest(image=PNG_A, url="https://example.com/cat.png", hook_url=HOOK),
        lambda p: {"mode": "fast", "base64": PNG_A, "hookUrl": HOOK},
        id="describe-both-base64-wins",
    ),
    pytest.param(
        "seed",
        SeedRequest,
        lambda p: {"jobId": p},
        id="seed",
    ),
    pytest.param(
        "seed",
        lambda p: SeedRequest(p, timeout=300, hook_url=HOOK),
        lambda p: {"jobId": p, "timeout": 300, "hookUrl": HOOK},
        id="seed-all",
    ),
    pytest.param(
        "inpaint",
        lambda p: InpaintRequest(p, MASK),
        lambda p: {"jobId": p, "mask": MASK},
        id="inpaint",
    ),
    pytest.param(
        "inpaint",
        lambda p: InpaintRequest(p, MASK, prompt="a red hat", timeout=600, hook_url=HOOK),
        lambda p: {
            "jobId": p,
            "mask": MASK,
            "prompt": "a red hat",
            "timeout": 600,
            "hookUrl": HOOK,
        },
        id="inpaint-all",
    ),
]


@pytest.mark.parametrize(("endpoint", "make", "expected"), SUBMITS)
async def test_submit_request_on_the_wire(
    client: TTApiClient, fake: FakeTTApi, endpoint: str, make: Make, expected: Expect
) -> None:
    """POST /midjourney/v1/<endpoint>, the TT-API-KEY header, exactly the expected JSON body."""
    parent = await finished_job(client, fake)
    before = len(fake.calls)
    job_id = await client.submit(make(parent))
    assert len(fake.calls) == before + 1
    call = fake.calls[-1]
    assert fake.calls_to(f"/midjourney/v1/{endpoint}")[-1] is call
    assert call.method == "POST"
    assert call.path == f"/midjourney/v1/{endpoint}"
    assert call.query == {}
    assert call.headers["TT-API-KEY"] == KEY
    assert "Authorization" not in call.headers
    assert call.headers["Content-Type"].startswith("application/json")
    assert call.json == expected(parent)
    assert "model" not in call.json
    assert job_id == fake.last_job().job_id


@pytest.mark.parametrize(("endpoint", "make", "expected"), SUBMITS)
def test_request_body_is_pure(endpoint: str, make: Make, expected: Expect) -> None:
    """request_body: same input, equal fresh dicts; the request is left as it was."""
    request = make("parent-job-id")
    first = request_body(request)
    assert first == expected("parent-job-id")
    first["mode"] = "model"
    first.clear()
    second = request_body(request)
    assert second == expected("parent-job-id")
    assert second is not first
    assert request == make("parent-job-id")


def test_request_body_blend_images_are_a_json_list() -> None:
    """The tuple of images goes out as a list, in order."""
    body = request_body(BlendRequest((PNG_B, PNG_A)))
    assert body["imgBase64Array"] == [PNG_B, PNG_A]
    assert isinstance(body["imgBase64Array"], list)


@pytest.mark.parametrize("timeout", [0, 300])
def test_request_body_keeps_a_zero_timeout(timeout: int) -> None:
    """`timeout` is sent whenever it is set, even to 0; `hookUrl` only when non-empty."""
    body = request_body(ImagineRequest("a cat", timeout=timeout, hook_url=""))
    assert body == {"prompt": "a cat", "mode": "fast", "timeout": timeout}


async def test_fetch_request_on_the_wire(client: TTApiClient, fake: FakeTTApi) -> None:
    """GET /midjourney/v1/fetch?jobId=..., with the key and no body."""
    job_id = await client.submit(ImagineRequest("a cat"))
    snapshot = await client.fetch(job_id)
    (call,) = fake.calls_to("/fetch")
    assert call.method == "GET"
    assert call.path == "/midjourney/v1/fetch"
    assert call.query == {"jobId": job_id}
    assert call.headers["TT-API-KEY"] == KEY
    assert call.json is None
    assert snapshot.job_id == job_id


async def test_info_request_on_the_wire(client: TTApiClient, fake: FakeTTApi) -> None:
    """GET /midjourney/v1/info with the key; the answer is parsed."""
    info = await client.info()
    (call,) = fake.calls_to("/info")
    assert (call.method, call.path, call.query) == ("GET", "/midjourney/v1/info", {})
    assert call.headers["TT-API-KEY"] == KEY
    assert info == AccountInfo(balance=1000.0, frozen=0.0, max_queue=10)


async def test_base_url_trailing_slash(
    session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """A base URL with a trailing slash gives the same paths."""
    client = TTApiClient(session, KEY, fake.base_url + "/", sleep=sleeps)
    await client.info()
    assert fake.calls[-1].path == "/midjourney/v1/info"


# --- answer variants ----------------------------------------------------------------------


async def test_submit_reads_snake_case_job_id(
    session: aiohttp.ClientSession, clock: ManualClock, sleeps: RecordingSleep
) -> None:
    """New per-endpoint docs answer `data.job_id`; the id still comes through."""
    async with FakeTTApi(api_key=KEY, clock=clock, id_style="job_id") as fake:
        client = TTApiClient(session, KEY, fake.base_url, sleep=sleeps)
        job_id = await client.submit(ImagineRequest("a cat"))
        assert job_id == fake.last_job().job_id
        assert (await client.fetch(job_id)).status is RemoteStatus.PENDING


@pytest.mark.parametrize(
    ("body", "job_id"),
    [
        (samples.SUBMIT_OK_JOB_ID, "b8bd3ff0-4349-4b71-8938-5e13aefa64fe"),
        (samples.SUBMIT_OK_OLD, "afa774a3-1aee-5aba-4510-14818d6875e4"),
        (samples.SUBMIT_OK_SNAKE, "0123456789abcdef0123456789abcdef"),
    ],
)
async def test_submit_answer_variants(
    client: TTApiClient, fake: FakeTTApi, body: dict[str, Any], job_id: str
) -> None:
    """Recorded submit answers: `data.jobId` or `data.job_id`, message "" or "success"."""
    fake.fail_next("/imagine", 200, body)
    assert await client.submit(ImagineRequest("a cat")) == job_id


@pytest.mark.parametrize(
    "data", [{}, [], None, {"jobId": ""}, "b8bd3ff0"], ids=["{}", "[]", "null", "empty", "str"]
)
async def test_submit_answer_without_id_is_unknown_outcome(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, data: Any
) -> None:
    """A 200 without a job id may still have started a paid job: UNKNOWN_OUTCOME, not resent."""
    fake.fail_next("/imagine", 200, {"status": "SUCCESS", "message": "success", "data": data})
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("a cat"))
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert len(fake.calls_to("/imagine")) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    ("payload", "status", "progress", "message"),
    [
        pytest.param(samples.PENDING_QUEUE, RemoteStatus.PENDING, None, "", id="pending-[]"),
        pytest.param(samples.ON_QUEUE, RemoteStatus.RUNNING, 100, "", id="on-queue-nulls"),
        pytest.param(samples.DATA_NULL, RemoteStatus.RUNNING, None, "", id="data-null"),
        pytest.param(samples.DATA_EMPTY_OBJECT, RemoteStatus.RUNNING, None, "", id="data-{}"),
        pytest.param(samples.OLD_SUCCESS, RemoteStatus.SUCCESS, 100, "success", id="old-success"),
        pytest.param(samples.NEW_SUCCESS, RemoteStatus.SUCCESS, 100, "", id="new-success"),
        pytest.param(samples.OLD_FAILED, RemoteStatus.FAILED, None, "failed", id="failed-[]"),
    ],
)
async def test_fetch_answer_variants(
    client: TTApiClient,
    fake: FakeTTApi,
    *,
    payload: dict[str, Any],
    status: RemoteStatus,
    progress: int | None,
    message: str,
) -> None:
    """Recorded fetch payloads come back as snapshots with the documented status."""
    fake.fail_next("/fetch", 200, payload)
    snapshot = await client.fetch("asked-for-id")
    assert snapshot.job_id == payload["jobId"]
    assert snapshot.status is status
    assert snapshot.progress == progress
    assert snapshot.message == message


async def test_fetch_real_failed_sample_keeps_message(client: TTApiClient, fake: FakeTTApi) -> None:
    """The real FAILED payload (nulls everywhere) keeps its reason."""
    fake.fail_next("/fetch", 200, raw=samples.REAL_FAILED_JSON)
    snapshot = await client.fetch(samples.FAILED_JOB_ID)
    assert snapshot.status is RemoteStatus.FAILED
    assert snapshot.message == "[Bad response] Internal Error."
    assert (snapshot.images, snapshot.components, snapshot.image_url) == ((), (), None)


@pytest.mark.parametrize(("progress", "expected"), samples.PROGRESS_VARIANTS)
async def test_fetch_progress_variants(
    client: TTApiClient, fake: FakeTTApi, progress: Any, expected: int | None
) -> None:
    """progress "37", 37, 37.5, "37%" or null, as sent over the wire."""
    fake.fail_next("/fetch", 200, samples.running_with_progress(progress))
    assert (await client.fetch(samples.NEW_JOB_ID)).progress == expected


async def test_fetch_describe_prompts(client: TTApiClient, fake: FakeTTApi) -> None:
    """A describe SUCCESS yields 4 clean prompts."""
    fake.fail_next("/fetch", 200, samples.DESCRIBE_SUCCESS)
    snapshot = await client.fetch(samples.DESCRIBE_JOB_ID)
    assert snapshot.prompts == samples.DESCRIBE_PROMPTS


async def test_fetch_without_job_status(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """A 200 JSON body that is not a job payload is UNAVAILABLE."""
    fake.fail_next("/fetch", 200, {"code": 1, "description": "ok", "result": "x"})
    with pytest.raises(ProviderError) as caught:
        await client.fetch("some-id")
    assert caught.value.kind is ErrorKind.UNAVAILABLE


async def test_fetch_non_finite_progress(client: TTApiClient, fake: FakeTTApi) -> None:
    """json.loads accepts NaN: the body is still a running job, not a ValueError from fetch."""
    fake.fail_next(
        "/fetch", 200, raw='{"status":"ON_QUEUE","jobId":"j1","message":"","data":{"progress":NaN}}'
    )
    snapshot = await client.fetch("j1")
    assert snapshot.status is RemoteStatus.RUNNING
    assert snapshot.progress is None


# --- the fake's own job life cycle --------------------------------------------------------


async def test_imagine_life_cycle(client: TTApiClient, fake: FakeTTApi, clock: ManualClock) -> None:
    """PENDING_QUEUE -> ON_QUEUE with progress -> SUCCESS with grid, buttons and quota."""
    job_id = await client.submit(ImagineRequest("a cat"))
    pending = await client.fetch(job_id)
    assert (pending.status, pending.progress, pending.action) == (RemoteStatus.PENDING, None, None)
    clock.advance(11)
    running = await client.fetch(job_id)
    assert (running.status, running.progress, running.action) == (
        RemoteStatus.RUNNING,
        46,  # Midjourney's step below 50 %
        "imagine",
    )
    assert running.images == ()
    clock.advance(20)
    done = await client.fetch(job_id)
    assert done.status is RemoteStatus.SUCCESS
    assert done.job_id == job_id
    assert done.progress == 100
    assert done.prompt == "a cat"
    assert done.components == tuple(samples.NEW_COMPONENTS)
    assert len(done.images) == 4
    assert all(image.endswith(".png") for image in done.images)
    assert done.image_url == fake.jobs[job_id].image_url()
    assert (done.width, done.height, done.quota) == (1024, 1024, 2.0)


async def test_failed_job_keeps_message(client: TTApiClient, fake: FakeTTApi) -> None:
    """A job that fails reports FAILED with the provider's reason."""
    fake.next_scenario(Scenario(outcome="FAILED", fail_message="[Bad response] Internal Error."))
    job_id = await client.submit(ImagineRequest("a cat"))
    fake.finish_now(job_id)
    snapshot = await client.fetch(job_id)
    assert snapshot.status is RemoteStatus.FAILED
    assert snapshot.message == "[Bad response] Internal Error."
    assert snapshot.images == ()


async def test_describe_job_prompts(client: TTApiClient, fake: FakeTTApi) -> None:
    """A finished describe job gives exactly 4 prompts without keycaps."""
    job_id = await client.submit(DescribeRequest(image=PNG_A))
    fake.finish_now(job_id)
    snapshot = await client.fetch(job_id)
    assert snapshot.action == "describe"
    assert len(snapshot.prompts) == 4
    for prompt in snapshot.prompts:
        assert prompt
        assert "\u20e3" not in prompt
        assert prompt == prompt.strip()
        assert prompt.endswith("--ar 1:1")


async def test_seed_job_result(client: TTApiClient, fake: FakeTTApi) -> None:
    """The seed arrives as a string in the seed job's result."""
    parent = await finished_job(client, fake)
    job_id = await client.submit(SeedRequest(parent))
    fake.finish_now(job_id)
    snapshot = await client.fetch(job_id)
    assert snapshot.action == "seed"
    assert snapshot.seed is not None
    assert snapshot.seed.isdigit()


# --- error kinds --------------------------------------------------------------------------


@pytest.mark.parametrize("op", list(OPS))
async def test_wrong_key_is_auth(
    session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep, op: str
) -> None:
    """401 from a wrong key: AUTH with the provider's message, never retried."""
    path, call = OPS[op]
    client = TTApiClient(session, WRONG_KEY, fake.base_url, sleep=sleeps, attempts=4)
    with pytest.raises(ProviderError) as caught:
        await call(client)
    error = caught.value
    assert error.kind is ErrorKind.AUTH
    assert error.message == "Wrong TT-API-KEY or email is not activated."
    assert error.status == 401
    assert [c.headers["TT-API-KEY"] for c in fake.calls_to(path)] == [WRONG_KEY]
    assert sleeps.delays == []


REJECTIONS = [
    pytest.param(402, "Insufficient balance, please recharge", ErrorKind.BALANCE, id="402"),
    pytest.param(403, "Account Block", ErrorKind.BLOCKED, id="403"),
    pytest.param(404, "Not Found", ErrorKind.NOT_FOUND, id="404"),
    pytest.param(400, "Parameter error", ErrorKind.INVALID_REQUEST, id="400"),
    pytest.param(400, "No available accounts.", ErrorKind.INVALID_REQUEST, id="400-accounts"),
    pytest.param(400, "banned prompt words :nude", ErrorKind.BANNED_PROMPT, id="400-banned"),
    pytest.param(400, "related job does not exist", ErrorKind.NOT_FOUND, id="400-no-job"),
]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize(("status", "message", "kind"), REJECTIONS)
async def test_rejections_keep_message(
    client: TTApiClient,
    fake: FakeTTApi,
    sleeps: RecordingSleep,
    *,
    op: str,
    status: int,
    message: str,
    kind: ErrorKind,
) -> None:
    """4xx answers map to their ErrorKind, keep the provider's message, are not retried."""
    path, call = OPS[op]
    fake.fail_next(path, status, failed_body(message))
    with pytest.raises(ProviderError) as caught:
        await call(client)
    error = caught.value
    assert (error.kind, error.message, error.status) == (kind, message, status)
    assert message in str(error)
    assert not error.kind.transient
    assert len(fake.calls_to(path)) == 1
    assert sleeps.delays == []


async def test_banned_prompt(client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep) -> None:
    """The fake's banned word: 400 "banned prompt words :sexy" -> BANNED_PROMPT, no job."""
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("a sexy cat"))
    error = caught.value
    assert error.kind is ErrorKind.BANNED_PROMPT
    assert error.message == "banned prompt words :sexy"
    assert error.status == 400
    assert len(fake.calls_to("/imagine")) == 1
    assert fake.jobs == {}
    assert sleeps.delays == []


async def test_banned_prompt_in_a_200_failed(client: TTApiClient, fake: FakeTTApi) -> None:
    """A submit answered 200 with status FAILED is a rejection too."""
    fake.fail_next("/imagine", 200, samples.BANNED_400)
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("a cat"))
    assert caught.value.kind is ErrorKind.BANNED_PROMPT
    assert caught.value.message == "banned prompt words :sexy"


async def test_blend_invalid_images(client: TTApiClient, fake: FakeTTApi) -> None:
    """Images that are not data URLs: 400 INVALID_REQUEST with the fake's message."""
    with pytest.raises(ProviderError) as caught:
        await client.submit(BlendRequest(("not-a-data-url", PNG_A)))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message == "base64 format error"
    assert caught.value.status == 400


async def test_action_not_in_components(client: TTApiClient, fake: FakeTTApi) -> None:
    """A button the parent does not offer: INVALID_REQUEST, not NOT_FOUND."""
    parent = await finished_job(client, fake)
    with pytest.raises(ProviderError) as caught:
        await client.submit(ActionRequest(parent, "upscale_creative"))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message == "related job has no such operation"


async def test_action_on_unfinished_parent(client: TTApiClient, fake: FakeTTApi) -> None:
    """A parent still running: INVALID_REQUEST "related job not successful"."""
    parent = await client.submit(ImagineRequest("a cat"))
    with pytest.raises(ProviderError) as caught:
        await client.submit(ActionRequest(parent, "upsample1"))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message == "related job not successful"


@pytest.mark.parametrize(
    "submit",
    [
        lambda c: c.submit(ActionRequest("0b1c2d3e-missing", "upsample1")),
        lambda c: c.submit(SeedRequest("0b1c2d3e-missing")),
        lambda c: c.submit(InpaintRequest("0b1c2d3e-missing", MASK)),
    ],
    ids=["action", "seed", "inpaint"],
)
async def test_unknown_parent_is_not_found(client: TTApiClient, submit: Op) -> None:
    """A follow-up on an unknown job: 400 "related job does not exist" -> NOT_FOUND."""
    with pytest.raises(ProviderError) as caught:
        await submit(client)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message == "related job does not exist"


async def test_fetch_unknown_job_is_not_found(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """fetch of an id the provider never saw: NOT_FOUND (from a 400), not retried."""
    with pytest.raises(ProviderError) as caught:
        await client.fetch("00000000-0000-0000-0000-000000000000")
    error = caught.value
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 400)
    assert error.message == "related job does not exist"
    assert len(fake.calls_to("/fetch")) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("op", list(OPS))
async def test_rate_limited_with_retry_after(once: TTApiClient, fake: FakeTTApi, op: str) -> None:
    """429: RATE_LIMITED, transient, with Retry-After read from the header."""
    path, call = OPS[op]
    fake.fail_next(path, 429, failed_body("Too Many Requests"), headers={"Retry-After": "7"})
    with pytest.raises(ProviderError) as caught:
        await call(once)
    error = caught.value
    assert (error.kind, error.status, error.message) == (
        ErrorKind.RATE_LIMITED,
        429,
        "Too Many Requests",
    )
    assert error.retry_after == 7.0
    assert error.kind.transient


@pytest.mark.parametrize("header", [None, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}])
async def test_rate_limited_without_usable_retry_after(
    once: TTApiClient, fake: FakeTTApi, header: dict[str, str] | None
) -> None:
    """No Retry-After, or an HTTP-date: retry_after is None."""
    fake.fail_next("/fetch", 429, headers=header)
    with pytest.raises(ProviderError) as caught:
        await once.fetch("j1")
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after is None


@pytest.mark.parametrize("op", list(OPS))
async def test_queue_full(once: TTApiClient, fake: FakeTTApi, op: str) -> None:
    """499 "Insufficient queues": QUEUE_FULL, transient."""
    path, call = OPS[op]
    fake.fail_next(path, 499)
    with pytest.raises(ProviderError) as caught:
        await call(once)
    error = caught.value
    assert (error.kind, error.status, error.message) == (
        ErrorKind.QUEUE_FULL,
        499,
        "Insufficient queues",
    )
    assert error.kind.transient


async def test_real_queue_full_retried_then_given_up(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """The fake's own 499 when too many jobs run: retried `attempts` times, then QUEUE_FULL."""
    fake.max_in_progress = 1
    await client.submit(ImagineRequest("first"))
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("second"))
    assert caught.value.kind is ErrorKind.QUEUE_FULL
    assert len(fake.calls_to("/imagine")) == 1 + 4
    assert len(fake.jobs) == 1
    assert len(sleeps.delays) == 3
    assert_backoff(sleeps.delays)


@pytest.mark.parametrize("op", ["fetch", "info"])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
async def test_5xx_on_free_calls_is_unavailable(
    once: TTApiClient, fake: FakeTTApi, op: str, status: int
) -> None:
    """A 5xx on fetch/info is UNAVAILABLE and keeps the provider's message."""
    path, call = OPS[op]
    fake.fail_next(path, status, failed_body("TTAPI service error"))
    with pytest.raises(ProviderError) as caught:
        await call(once)
    error = caught.value
    assert (error.kind, error.status, error.message) == (
        ErrorKind.UNAVAILABLE,
        status,
        "TTAPI service error",
    )
    assert error.kind.transient


@pytest.mark.parametrize(
    ("op", "status", "kind"),
    [
        ("fetch", 502, ErrorKind.UNAVAILABLE),
        ("info", 524, ErrorKind.UNAVAILABLE),
        ("imagine", 502, ErrorKind.UNKNOWN_OUTCOME),
        ("fetch", 403, ErrorKind.BLOCKED),
        ("imagine", 400, ErrorKind.INVALID_REQUEST),
    ],
)
async def test_html_body(
    once: TTApiClient, fake: FakeTTApi, op: str, status: int, kind: ErrorKind
) -> None:
    """A Cloudflare HTML page: the kind follows the status; the HTML is not the message."""
    path, call = OPS[op]
    fake.fail_next(path, status, raw=CLOUDFLARE_HTML)
    with pytest.raises(ProviderError) as caught:
        await call(once)
    error = caught.value
    assert (error.kind, error.status) == (kind, status)
    assert error.message == f"HTTP {status} with a body that is not JSON"
    assert "<html" not in str(error)


@pytest.mark.parametrize(
    ("op", "raw", "kind"),
    [
        ("fetch", '{"status": "SUCCESS", "jobId": "j1", "data": {', ErrorKind.UNAVAILABLE),
        ("fetch", "OK", ErrorKind.UNAVAILABLE),
        ("fetch", '["SUCCESS"]', ErrorKind.UNAVAILABLE),
        ("info", "", ErrorKind.UNAVAILABLE),
        ("imagine", '{"status": "SUCCESS", "data": {"jobId": "', ErrorKind.UNKNOWN_OUTCOME),
        ("imagine", "OK", ErrorKind.UNKNOWN_OUTCOME),
    ],
    ids=[
        "fetch-truncated",
        "fetch-text",
        "fetch-array",
        "info-empty",
        "imagine-truncated",
        "imagine-text",
    ],
)
async def test_200_without_json(
    once: TTApiClient, fake: FakeTTApi, op: str, raw: str, kind: ErrorKind
) -> None:
    """A 200 whose body is malformed or not a JSON object: never a success."""
    path, call = OPS[op]
    fake.fail_next(path, 200, raw=raw)
    with pytest.raises(ProviderError) as caught:
        await call(once)
    assert caught.value.kind is kind
    assert caught.value.status == 200
    assert len(fake.calls_to(path)) == 1


async def test_malformed_json_on_a_4xx(once: TTApiClient, fake: FakeTTApi) -> None:
    """A 400 with broken JSON is still a client-side rejection."""
    fake.fail_next("/imagine", 400, raw='{"status": "FAILED", "message": ')
    with pytest.raises(ProviderError) as caught:
        await once.submit(ImagineRequest("a cat"))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("kind", "transient"),
    [
        (ErrorKind.AUTH, False),
        (ErrorKind.BALANCE, False),
        (ErrorKind.BLOCKED, False),
        (ErrorKind.BANNED_PROMPT, False),
        (ErrorKind.INVALID_REQUEST, False),
        (ErrorKind.NOT_FOUND, False),
        (ErrorKind.RATE_LIMITED, True),
        (ErrorKind.QUEUE_FULL, True),
        (ErrorKind.UNAVAILABLE, True),
        (ErrorKind.UNKNOWN_OUTCOME, False),
    ],
)
def test_error_kind_transient(kind: ErrorKind, transient: bool) -> None:
    """Only rate limits, a full queue and outages may work later unchanged."""
    assert kind.transient is transient


def test_provider_error_text() -> None:
    """str() carries the kind, the message and the HTTP status."""
    error = ProviderError(ErrorKind.BALANCE, "Insufficient balance", status=402)
    assert str(error) == "insufficient_balance: Insufficient balance (HTTP 402)"
    assert str(ProviderError(ErrorKind.UNAVAILABLE, "x")) == "unavailable: x"


# --- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["fetch", "info"])
async def test_free_calls_retried_on_5xx(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, op: str
) -> None:
    """Two 502s then an answer: 3 calls, 2 growing jittered sleeps."""
    job_id = await client.submit(ImagineRequest("a cat"))
    path = f"/{op}"
    fake.fail_next(path, 502, times=2)
    result = await (client.fetch(job_id) if op == "fetch" else client.info())
    if op == "fetch":
        assert isinstance(result, JobSnapshot)
        assert result.job_id == job_id
        assert result.status is RemoteStatus.PENDING
    else:
        assert result == AccountInfo(balance=1000.0, frozen=0.0, max_queue=10)
    assert len(fake.calls_to(path)) == 3
    assert len(sleeps.delays) == 2
    assert_backoff(sleeps.delays)


@pytest.mark.parametrize("op", ["fetch", "info"])
async def test_free_calls_give_up_after_attempts(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, op: str
) -> None:
    """5xx every time: `attempts` calls, `attempts - 1` sleeps, then UNAVAILABLE."""
    path, call = OPS[op]
    fake.fail_next(path, 503, times=10)
    with pytest.raises(ProviderError) as caught:
        await call(client)
    assert (caught.value.kind, caught.value.status) == (ErrorKind.UNAVAILABLE, 503)
    assert len(fake.calls_to(path)) == 4
    assert len(sleeps.delays) == 3
    assert_backoff(sleeps.delays)


@pytest.mark.parametrize(("status", "raw"), [(200, "<html>"), (200, None), (429, None)])
async def test_fetch_retried_on_other_transients(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, status: int, raw: str | None
) -> None:
    """A non-JSON 200 or a 429 on fetch is retried too."""
    job_id = await client.submit(ImagineRequest("a cat"))
    body = None if raw is not None or status != 200 else ["not", "an", "object"]
    fake.fail_next("/fetch", status, body, raw=raw)
    assert (await client.fetch(job_id)).job_id == job_id
    assert len(fake.calls_to("/fetch")) == 2
    assert len(sleeps.delays) == 1


async def test_backoff_is_capped(
    session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """Delays double up to max_backoff and stay there."""
    client = TTApiClient(
        session, KEY, fake.base_url, sleep=sleeps, attempts=6, backoff=0.5, max_backoff=1.0
    )
    fake.fail_next("/info", 503, times=10)
    with pytest.raises(ProviderError):
        await client.info()
    assert len(sleeps.delays) == 5
    assert_backoff(sleeps.delays, backoff=0.5, cap=1.0)
    assert all(0.5 <= delay <= 1.0 for delay in sleeps.delays[1:])


async def test_backoff_is_jittered(
    session: aiohttp.ClientSession, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """The same retry does not always wait the same time."""
    client = TTApiClient(session, KEY, fake.base_url, sleep=sleeps, attempts=2)
    for _ in range(8):
        fake.fail_next("/info", 502)
        await client.info()
    assert len(sleeps.delays) == 8
    assert len(set(sleeps.delays)) > 1
    assert all(0.25 <= delay <= 0.5 for delay in sleeps.delays)


async def test_fetch_retried_after_timeout(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch that times out is free to repeat."""
    job_id = await client.submit(ImagineRequest("a cat"))
    monkeypatch.setattr(ttapi, "FETCH_TIMEOUT", QUICK)
    fake.fail_next("/fetch", 200, delay=SLOW)
    assert (await client.fetch(job_id)).job_id == job_id
    assert len(fake.calls_to("/fetch")) == 2
    assert len(sleeps.delays) == 1


async def test_submit_timeout_not_resent(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paid submit that times out after being accepted: UNKNOWN_OUTCOME, sent once."""
    monkeypatch.setattr(ttapi, "SUBMIT_TIMEOUT", QUICK)
    fake.fail_next("/imagine", 200, accept_first=True, delay=SLOW)
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("a cat"))
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert not caught.value.kind.transient
    assert len(fake.calls_to("/imagine")) == 1
    assert len(fake.jobs) == 1  # the provider did start (and bill) the job
    assert sleeps.delays == []


@pytest.mark.parametrize("accept_first", [False, True])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_submit_5xx_not_resent(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep, status: int, accept_first: bool
) -> None:
    """A 5xx on a paid submit: UNKNOWN_OUTCOME, one call, whether or not the job started."""
    fake.fail_next("/imagine", status, times=4, accept_first=accept_first)
    with pytest.raises(ProviderError) as caught:
        await client.submit(ImagineRequest("a cat"))
    assert (caught.value.kind, caught.value.status) == (ErrorKind.UNKNOWN_OUTCOME, status)
    assert len(fake.calls_to("/imagine")) == 1
    assert len(fake.jobs) == (1 if accept_first else 0)
    assert sleeps.delays == []


async def test_submit_retried_after_429_honours_retry_after(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """A 429 means nothing was accepted: resent after the Retry-After delay."""
    fake.fail_next("/imagine", 429, failed_body("Too Many Requests"), headers={"Retry-After": "5"})
    job_id = await client.submit(ImagineRequest("a cat"))
    assert len(fake.calls_to("/imagine")) == 2
    assert list(fake.jobs) == [job_id]
    assert sleeps.delays == [5.0]


async def test_submit_retried_after_499(
    client: TTApiClient, fake: FakeTTApi, sleeps: RecordingSleep
) -> None:
    """A 499 (queue full) means nothing was accepted: resent after a backoff."""
    fake.fail_next("/imagine", 499)
    job_id = await client.submit(ImagineRequest("a cat"))
    assert len(fake.calls_to("/imagine")) == 2
    assert list(fake.jobs) == [job_id]
    assert len(sleeps.delays) == 1
    assert_backoff(sleeps.delays)


@pytest.mark.parametrize("op", ["imagine", "fetch", "info"])
async def test_connection_refused_retried_then_unavailable(
    session: aiohttp.ClientSession, refused_url: str, sleeps: RecordingSleep, op: str
) -> None:
    """Nothing listening: the request never left, so even a submit is retried; then UNAVAILABLE."""
    _, call = OPS[op]
    client = TTApiClient(session, KEY, refused_url, sleep=sleeps, attempts=4)
    with pytest.raises(ProviderError) as caught:
        await call(client)
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.status is None
    assert "cannot connect" in caught.value.message
    assert len(sleeps.delays) == 4 - 1
    assert_backoff(sleeps.delays)


# --- secrets ------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What a secret-leak scenario needs."""

    session: aiohttp.ClientSession
    fake: FakeTTApi
    sleeps: RecordingSleep
    refused_url: str
    monkeypatch: pytest.MonkeyPatch

    def client(self, key: str = KEY, base_url: str | None = None) -> TTApiClient:
        return TTApiClient(
            self.session, key, base_url or self.fake.base_url, sleep=self.sleeps, attempts=4
        )


async def leak_auth(ctx: Ctx) -> None:
    await ctx.client(WRONG_KEY).submit(ImagineRequest("a cat"))


async def leak_banned(ctx: Ctx) -> None:
    await ctx.client().submit(ImagineRequest("a sexy cat"))


async def leak_submit_5xx(ctx: Ctx) -> None:
    ctx.fake.fail_next("/imagine", 502, raw=CLOUDFLARE_HTML + KEY)
    await ctx.client().submit(ImagineRequest("a cat"))


async def leak_fetch_5xx(ctx: Ctx) -> None:
    ctx.fake.fail_next("/fetch", 503, failed_body(f"upstream said {KEY}"), times=4)
    await ctx.client().fetch("j1")


async def leak_refused(ctx: Ctx) -> None:
    await ctx.client(base_url=ctx.refused_url).submit(ImagineRequest("a cat"))


async def leak_timeout(ctx: Ctx) -> None:
    ctx.monkeypatch.setattr(ttapi, "SUBMIT_TIMEOUT", QUICK)
    ctx.fake.fail_next("/imagine", 200, accept_first=True, delay=SLOW)
    await ctx.client().submit(ImagineRequest("a cat"))


async def leak_rate_limited(ctx: Ctx) -> None:
    ctx.fake.fail_next("/imagine", 429, failed_body(f"slow down {KEY}"), times=4)
    await ctx.client().submit(ImagineRequest("a cat"))


async def leak_echoed_key(ctx: Ctx) -> None:
    ctx.fake.fail_next("/imagine", 400, failed_body(f"invalid header TT-API-KEY={KEY}"))
    await ctx.client().submit(ImagineRequest("a cat"))


LEAKS = {
    "auth": (leak_auth, ErrorKind.AUTH),
    "banned": (leak_banned, ErrorKind.BANNED_PROMPT),
    "submit-5xx": (leak_submit_5xx, ErrorKind.UNKNOWN_OUTCOME),
    "fetch-5xx": (leak_fetch_5xx, ErrorKind.UNAVAILABLE),
    "refused": (leak_refused, ErrorKind.UNAVAILABLE),
    "timeout": (leak_timeout, ErrorKind.UNKNOWN_OUTCOME),
    "rate-limited": (leak_rate_limited, ErrorKind.RATE_LIMITED),
    "echoed-key": (leak_echoed_key, ErrorKind.INVALID_REQUEST),
}


def exception_texts(exc: BaseException) -> list[str]:
    """The formatted traceback plus str/repr/args of every exception in the chain."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


@pytest.mark.parametrize("scenario", list(LEAKS))
async def test_key_never_in_errors_or_logs(
    session: aiohttp.ClientSession,
    fake: FakeTTApi,
    *,
    sleeps: RecordingSleep,
    refused_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
) -> None:
    """The API key appears in no str/repr/traceback of the error chain, nor in the logs."""
    caplog.set_level(logging.DEBUG)
    trigger, kind = LEAKS[scenario]
    ctx = Ctx(session, fake, sleeps, refused_url, monkeypatch)
    with pytest.raises(ProviderError) as caught:
        await trigger(ctx)
    assert caught.value.kind is kind
    for text in [*exception_texts(caught.value), caplog.text]:
        assert KEY not in text
        assert WRONG_KEY not in text


async def test_echoed_key_is_masked(once: TTApiClient, fake: FakeTTApi) -> None:
    """A provider message that echoes the key keeps its text with the key masked."""
    fake.fail_next("/imagine", 400, failed_body(f"invalid header TT-API-KEY={KEY}"))
    with pytest.raises(ProviderError) as caught:
        await once.submit(ImagineRequest("a cat"))
    assert caught.value.message == f"invalid header TT-API-KEY={MASKED}"


async def test_echoed_key_cut_by_truncation_is_not_leaked(
    once: TTApiClient, fake: FakeTTApi
) -> None:
    """A long message is shortened; the shortening must not leave part of the key behind."""
    message = "x" * (500 - 16) + KEY  # the 500-char cut falls inside the key
    fake.fail_next("/imagine", 400, failed_body(message))
    with pytest.raises(ProviderError) as caught:
        await once.submit(ImagineRequest("a cat"))
    assert KEY[:16] not in str(caught.value)
