"""The editor over HTTP: links from the bot open once, for one browser; forgeries get 403."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import aiohttp
import pytest
from PIL import Image, ImageDraw

from bot.jobs.states import JobStatus
from tests.web.conftest import IMAGE_SIZE, PROMPT, Site


def mask_png(
    size: tuple[int, int] = IMAGE_SIZE, box: tuple[int, int, int, int] | None = None
) -> str:
    """Base64 of a black PNG with a white box (white = repaint)."""
    image = Image.new("L", size, 0)
    if box is not None:
        ImageDraw.Draw(image).rectangle(box, fill=255)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


async def open_page(session: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    """GET the editor: status, HTML and the form's token."""
    async with session.get(url) as response:
        html = await response.text()
        found = re.search(r'data-csrf="([^"]+)"', html)
        return response.status, html, found[1] if found else ""


async def submit(
    session: aiohttp.ClientSession,
    site: Site,
    url: str,
    csrf: str,
    mask: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    prompt: str = "a red lantern",
) -> tuple[int, dict[str, Any]]:
    """POST the form as the page's script does."""
    body = {"csrf": csrf, "prompt": prompt, "mask": mask or mask_png(box=(40, 30, 120, 90))}
    sent = {"Origin": site.base, "Content-Type": "application/json", **(headers or {})}
    async with session.post(url, json=body, headers=sent) as response:
        return response.status, await response.json(content_type=None)


async def test_link_opens_the_page_with_strict_headers(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)

    async with browser_session.get(url) as response:
        html = await response.text()
        headers = response.headers

    assert response.status == 200
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert f'width="{IMAGE_SIZE[0]}" height="{IMAGE_SIZE[1]}"' in html
    assert PROMPT in html  # the prompt field is prefilled
    # Nothing from elsewhere: every script, style and image comes from this server.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html
    assert "style=" not in html


async def test_prompt_is_escaped_in_the_page(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale('a "quoted" </textarea><script>alert(1)</script> cat')
    url = await site.link(upscaled)

    _, html, _ = await open_page(browser_session, url)

    assert "<script>alert(1)" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html


async def test_the_image_is_proxied_from_the_cdn(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    await open_page(browser_session, url)

    async with browser_session.get(f"{url}/image") as response:
        data = await response.read()
        kind = response.headers["Content-Type"]

    assert response.status == 200
    assert kind == "image/png"
    assert data == site.harness.tt.image_bytes


async def test_submit_starts_one_inpaint_with_a_clean_mask(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, parent = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)

    status, answer = await submit(browser_session, site, url, csrf)

    assert (status, answer["ok"]) == (200, True)
    [body] = site.harness.tt_bodies("inpaint")
    assert body["jobId"] == parent.provider_job_id
    assert body["prompt"] == "a red lantern"
    assert not body["mask"].startswith("data:")
    with Image.open(io.BytesIO(base64.b64decode(body["mask"]))) as mask:
        assert mask.size == IMAGE_SIZE
        grey = mask.convert("L")
        assert grey.getpixel((80, 60)) == 255
        assert grey.getpixel((5, 5)) == 0
        assert {value for value, count in enumerate(grey.histogram()) if count} == {0, 255}
    job = await site.harness.store.get_job(answer["job"])
    assert job is not None
    assert job.parent_id == parent.id


async def test_a_used_link_is_refused_even_after_a_restart(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)
    assert (await submit(browser_session, site, url, csrf))[0] == 200

    again = await submit(browser_session, site, url, csrf)
    await site.restart()
    replay = await submit(browser_session, site, url, csrf)
    status, html, _ = await open_page(browser_session, url)

    assert again[0] == 403
    assert "already used" in again[1]["error"]
    assert replay[0] == 403
    assert status == 403
    assert "This link was already used" in html
    assert len(site.harness.tt_bodies("inpaint")) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda url: url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"),  # signature
        lambda url: re.sub(r"/edit/v1\.(\d+)\.(\d+)", r"/edit/v1.\1.1\2", url),  # other job
        lambda url: url.rsplit("/", 1)[0] + "/not-a-token",
    ],
    ids=["signature", "job", "garbage"],
)
async def test_forged_links_get_a_403_page(
    site: Site, browser_session: aiohttp.ClientSession, change: Any
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)

    status, html, _ = await open_page(browser_session, change(url))

    assert status == 403
    assert "This link is not valid" in html
    assert "<html" in html


async def test_an_expired_link_says_so(site: Site, browser_session: aiohttp.ClientSession) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    site.harness.clock = lambda: 10**10
    await site.restart()

    status, html, _ = await open_page(browser_session, url)

    assert status == 403
    assert "This link has expired" in html


async def test_a_second_browser_is_told_the_link_is_someone_elses(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    await open_page(browser_session, url)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        status, html, _ = await open_page(other, url)
        async with other.get(f"{url}/image") as image:
            image_status = image.status
        posted = await submit(other, site, url, "anything")

    assert status == 403
    assert "This link belongs to someone else" in html
    assert image_status == 403
    assert posted[0] == 403
    assert site.harness.tt_bodies("inpaint") == []


async def test_link_previews_do_not_claim_the_link(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    preview_agent = {
        "User-Agent": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
    }
    async with aiohttp.ClientSession() as crawler, crawler.get(url, headers=preview_agent) as r:
        assert r.status == 200

    status, _, csrf = await open_page(browser_session, url)

    assert status == 200
    assert csrf


@pytest.mark.parametrize(
    ("headers", "csrf"),
    [
        ({"Origin": "https://evil.example"}, None),
        ({"Origin": ""}, None),
        ({"Content-Type": "text/plain"}, None),
        ({}, "wrong-token"),
    ],
    ids=["other-origin", "no-origin", "simple-form", "wrong-csrf"],
)
async def test_cross_site_submits_are_refused(
    site: Site,
    browser_session: aiohttp.ClientSession,
    headers: dict[str, str],
    csrf: str | None,
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, real_csrf = await open_page(browser_session, url)
    sent = {key: value for key, value in headers.items() if value}
    if "Origin" in headers and not headers["Origin"]:
        sent["Origin"] = ""

    status, answer = await submit_raw(browser_session, url, csrf or real_csrf, sent, site)

    assert status == 403
    assert answer["ok"] is False
    assert site.harness.tt_bodies("inpaint") == []
    # Refused without spending the link: the real page can still submit.
    assert (await submit(browser_session, site, url, real_csrf))[0] == 200


async def submit_raw(
    session: aiohttp.ClientSession, url: str, csrf: str, headers: dict[str, str], site: Site
) -> tuple[int, dict[str, Any]]:
    """POST with exactly these headers (an empty Origin means none is sent)."""
    sent = {"Origin": site.base, "Content-Type": "application/json", **headers}
    if sent.get("Origin") == "":
        del sent["Origin"]
    data = json.dumps({"csrf": csrf, "prompt": "x", "mask": mask_png(box=(1, 1, 50, 50))})
    async with session.post(url, data=data, headers=sent) as response:
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (mask_png, "Nothing is selected"),
        (lambda: mask_png(box=(0, 0, IMAGE_SIZE[0], IMAGE_SIZE[1])), "Everything is selected"),
        (lambda: mask_png(size=(240, 320), box=(1, 1, 9, 9)), "the image is 320×240"),
        (lambda: base64.b64encode(b"GIF89a not a png").decode(), "must be a PNG"),
        (lambda: "%%% not base64 %%%", "could not be read"),
    ],
    ids=["empty", "everything", "wrong-size", "not-png", "not-base64"],
)
async def test_bad_masks_are_refused_before_anything_is_spent(
    site: Site, browser_session: aiohttp.ClientSession, mask: Any, expected: str
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)

    status, answer = await submit(browser_session, site, url, csrf, mask())

    assert status == 400
    assert expected in answer["error"]
    assert site.harness.tt_bodies("inpaint") == []
    # The link is not spent: a good mask still goes through.
    assert (await submit(browser_session, site, url, csrf))[0] == 200


async def test_an_oversized_body_is_refused(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)

    huge = "A" * (9 * 1024 * 1024)
    status, answer = await submit(browser_session, site, url, csrf, huge)

    assert status == 413
    assert "too large" in answer["error"]
    assert site.harness.tt_bodies("inpaint") == []


async def test_the_same_checks_as_a_button_run_before_paying(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)
    await site.harness.admin("pause")

    status, answer = await submit(browser_session, site, url, csrf)

    assert status == 409
    assert "paused" in answer["error"]
    assert site.harness.tt_bodies("inpaint") == []
    await site.harness.admin("resume")
    assert (await submit(browser_session, site, url, csrf))[0] == 200


async def test_the_result_is_posted_as_a_reply_to_the_upscale(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, parent = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)

    _, answer = await submit(browser_session, site, url, csrf)

    h = site.harness

    async def posted() -> Any:
        job = await h.store.get_job(answer["job"])
        return job if job is not None and job.posted_at is not None else None

    job = await h.until(posted, within=15)
    assert job.status is JobStatus.SUCCEEDED
    result = h.discord.message(job.result_message_id)
    assert result.extra["message_reference"]["message_id"] == str(upscaled.id)
    assert f"from job {parent.id}" in result.embeds[0]["footer"]["text"]
    assert result.content.startswith("**a red lantern** - Vary (Region) by")
    assert "U1" in [b.get("label") for b in result.buttons()]  # a grid with its buttons
    progress = h.discord.message(job.progress_message_id)
    assert progress.extra["message_reference"]["message_id"] == str(upscaled.id)
    # The progress line goes once the grid is there (just after the post is recorded).
    await h.until(lambda: progress.deleted)


async def test_a_body_larger_than_a_callback_is_still_accepted(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    """The callback route caps bodies at 256 KB; a big mask must not hit that cap."""
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    _, _, csrf = await open_page(browser_session, url)
    body = {"csrf": csrf, "prompt": "x", "mask": mask_png(box=(1, 1, 50, 50))}
    body["padding"] = "x" * 600_000
    headers = {"Origin": site.base, "Content-Type": "application/json"}

    async with browser_session.post(url, data=json.dumps(body), headers=headers) as response:
        assert response.status == 200
    assert len(site.harness.tt_bodies("inpaint")) == 1


async def test_a_chunked_body_without_a_length_is_capped_too(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    upscaled, _ = await site.upscale()
    url = await site.link(upscaled)
    await open_page(browser_session, url)

    async def endless() -> Any:
        yield b'{"csrf": "x", "mask": "'
        for _ in range(200):  # 12.8 MB, past the 8 MB cap, in 64 KB chunks
            yield b"A" * 65536

    headers = {"Origin": site.base, "Content-Type": "application/json"}
    async with browser_session.post(url, data=endless(), headers=headers) as response:
        status = response.status

    assert status == 413
    assert site.harness.tt_bodies("inpaint") == []
