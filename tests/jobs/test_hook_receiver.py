"""The hook receiver as hostile senders find it: unreadable bodies, scanners, poke floods.

The real aiohttp server on 127.0.0.1, the real watcher and client against the fake TT API.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import aiohttp
import pytest

from bot.errors import JobRejected
from bot.jobs import webhook
from bot.jobs.webhook import POKE_SPACING, HookServer, warn_if_plain_http
from bot.logs import MASK, RedactSecrets, redact
from fakes.ttapi import FakeTTApi, ManualClock, Scenario
from tests.jobs.conftest import HOOK_SECRET, EngineFactory, new_job, until

SLOW_POLLING: dict[str, Any] = {"hook": True, "scale": 1.0, "safety_net": True}
ENDLESS = Scenario(queue_seconds=0.0, run_seconds=10_000.0)
NESTED = 40_000  # deep enough for RecursionError, under the 256 KB cap


async def post_raw(
    http: aiohttp.ClientSession, url: str, data: bytes, content_type: str
) -> tuple[int, str]:
    async with http.post(url, data=data, headers={"Content-Type": content_type}) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"jobId": "x"}', "application/json; charset=klingon"),  # unknown charset
        (b'{"jobId": "\xff\xfe"}', "application/json; charset=utf-8"),  # not UTF-8
        (b"[" * NESTED + b"]" * NESTED, "application/json"),  # exhausts the parser
        (b'{"a":' * NESTED + b"1" + b"}" * NESTED, "application/json"),
        (b'["not", "an", "object"]', "application/json"),
        (b'"a string"', "application/json"),
        (b"42", "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"<html>", "text/html"),
    ],
)
async def test_any_unreadable_body_gets_400_without_a_traceback(  # noqa: PLR0917 - fixtures
    engine: EngineFactory,
    fake: FakeTTApi,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    data: bytes,
    content_type: str,
) -> None:
    eng = await engine(**SLOW_POLLING)
    caplog.set_level(logging.DEBUG)

    status, _ = await post_raw(http, f"{eng.hook_base}/ttapi/{HOOK_SECRET}", data, content_type)

    assert status == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text
    assert fake.calls_to("/fetch") == []


async def test_wrong_secrets_are_logged_once_a_minute_with_a_count(
    engine: EngineFactory, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    eng = await engine(**SLOW_POLLING)
    clock = ManualClock(1000.0)
    server = HookServer(eng.watcher, HOOK_SECRET, clock=clock)
    await server.start("127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.port}/ttapi/guess"
        statuses = [(await post_raw(http, url, b"{}", "application/json"))[0] for _ in range(50)]
        clock.advance(61)
        statuses.append((await post_raw(http, url, b"{}", "application/json"))[0])
    finally:
        await server.stop()

    assert set(statuses) == {403}
    warnings = [r.getMessage() for r in caplog.records if "wrong secret" in r.getMessage()]
    assert len(warnings) == 2
    assert "more since" not in warnings[0]
    assert "(49 more since the last warning)" in warnings[1]


async def test_a_flood_of_pokes_costs_two_fetches(
    engine: EngineFactory, fake: FakeTTApi, http: aiohttp.ClientSession
) -> None:
    """500 pokes used to cost dozens of paid-account fetches; now one, then one more."""
    fake.scenario = ENDLESS
    eng = await engine(**SLOW_POLLING)
    job = await eng.service.submit(new_job())
    clock = ManualClock(500.0)  # the flood arrives within one instant of the spacing
    turn = asyncio.Event()
    waits: list[float] = []

    async def next_turn(seconds: float) -> None:
        waits.append(seconds)
        await turn.wait()

    server = HookServer(eng.watcher, HOOK_SECRET, clock=clock, sleep=next_turn)
    await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.port}/ttapi/{HOOK_SECRET}"
    body = {"jobId": job.provider_job_id, "status": "ON_QUEUE"}

    async def poke() -> int:
        async with http.post(url, json=body) as answer:
            return answer.status

    try:
        for _ in range(5):
            assert set(await asyncio.gather(*(poke() for _ in range(100)))) == {200}
        await until(lambda: len(fake.calls_to("/fetch")) == 1)
        assert waits == [POKE_SPACING]  # one fetch now, one more 2 s later for all the rest
        turn.set()
        await until(lambda: len(fake.calls_to("/fetch")) == 2)
        clock.advance(POKE_SPACING)
        assert await poke() == 200  # a poke after the spacing is fetched at once
        await until(lambda: len(fake.calls_to("/fetch")) == 3)
    finally:
        await server.stop()
    assert len(fake.calls_to("/fetch")) == 3


def test_plain_http_base_urls_get_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert warn_if_plain_http("http://bot.example.org:8080")
    assert not warn_if_plain_http("https://bot.example.org")
    [record] = [r for r in caplog.records if r.name == webhook.__name__]
    assert record.levelno == logging.WARNING
    assert "HTTPS" in record.getMessage()


def test_redact_masks_a_secret_known_only_at_run_time() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([]))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        redact(HOOK_SECRET)
        logging.getLogger("tests.hook").warning("posted to http://x/ttapi/%s", HOOK_SECRET)
    finally:
        root.removeHandler(handler)
    assert HOOK_SECRET not in stream.getvalue()
    assert f"/ttapi/{MASK}" in stream.getvalue()


async def test_an_error_echoing_the_hook_url_never_shows_the_secret(
    engine: EngineFactory, fake: FakeTTApi, caplog: pytest.LogCaptureFixture
) -> None:
    eng = await engine(hook=True, attempts=1)
    eng.client.add_secret(HOOK_SECRET)  # what bot/runner.py does with the webhook secret
    echo = f"invalid hookUrl {eng.hook_base}/ttapi/{HOOK_SECRET}"
    fake.fail_next("/imagine", 400, {"status": "FAILED", "message": echo, "data": None})
    caplog.set_level(logging.DEBUG)

    with pytest.raises(JobRejected) as caught:
        await eng.service.submit(new_job())

    assert "invalid hookUrl" in caught.value.text  # the reason reaches the member...
    assert HOOK_SECRET not in caught.value.text  # ...without the secret
    assert HOOK_SECRET not in str(eng.service.last_error)
    assert HOOK_SECRET not in caplog.text
