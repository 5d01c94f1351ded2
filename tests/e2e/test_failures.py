"""What goes wrong outside the bot: a refused prompt, a flaky TT API, a rate-limited Discord."""

from __future__ import annotations

import asyncio

import pytest

from fakes.discord import USER_ID, RecordedRequest
from fakes.e2e.world import World, until

pytestmark = pytest.mark.e2e

CLOUDFLARE_TIMEOUT = (
    "<!DOCTYPE html><html><head><title>api.ttapi.io | 524: A timeout occurred</title></head>"
    "<body>The origin web server timed out responding to this request.</body></html>"
)
BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


async def test_banned_prompt_is_explained_to_the_member_alone(world: World) -> None:
    # Midjourney's list is longer than the bot's own: this word gets past the bot's check.
    refusal = {"status": "FAILED", "message": "banned prompt words :bloody", "data": {}}
    world.tt.fail_next("/imagine", 400, refusal)

    payload = await world.imagine("a bloody sunset over the battlefield")

    [text] = await until(lambda: world.private_answers(payload))
    assert "banned prompt words :bloody" in text
    assert len(world.tt_bodies("imagine")) == 1
    assert world.discord.posts() == []  # no result, and no trace left in the channel
    original = world.discord.original(payload["id"])
    assert original is None or original.deleted or original.ephemeral
    assert world.bot.running

    # Nothing broke: the next member is served as usual.
    result = await world.result(await world.imagine("a golden sunset over the sea"))
    assert result.mentions == [USER_ID]


async def test_fetch_failing_for_a_while_still_completes_the_job(world: World) -> None:
    world.tt.fail_next("/fetch", 502, raw=BAD_GATEWAY)
    world.tt.fail_next("/fetch", 503)
    world.tt.fail_next("/fetch", 504)
    world.tt.fail_next("/fetch", 524, raw=CLOUDFLARE_TIMEOUT)
    world.tt.drop_next("/fetch", times=2)

    result = await world.result(await world.imagine("a storm over the sea"), within=15.0)

    assert result.mentions == [USER_ID]
    assert len(world.tt_bodies("imagine")) == 1  # fetches are retried, the paid submit is not
    assert len(world.tt.calls_to("/fetch")) >= 7


async def test_rate_limited_result_post_waits_then_posts_once(world: World) -> None:
    world.discord.inject_429("POST", r"^/channels/\d+/messages$", retry_after=0.5)

    payload = await world.imagine("a lantern festival")
    result = await world.result(payload)

    def posts() -> list[RecordedRequest]:
        return world.discord.requests_to("POST", r"^/channels/\d+/messages$")

    await until(lambda: [request.status for request in posts()] == [429, 200])
    first, second = posts()
    assert second.at - first.at >= 0.5  # it waited as Retry-After / retry_after said
    await asyncio.sleep(0.3)
    assert world.results(payload) == [result]
