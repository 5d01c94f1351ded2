"""Vary (Region) editor links: signed, one member, one job, 15 minutes, one use.

A link's token is `v1.<member>.<job>.<expiry>.<nonce>.<hmac>`. The HMAC proves the bot made it;
the stored row (by nonce) says whether it was used, which browser opened it first, and where
and with which roles the member clicked, so the web request (which carries no Discord data)
runs the same checks as a button. The first browser to open a link owns it: a link that
leaks after that opens nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.errors import JobRejected, UserFacingError
from bot.jobs.gate import Ticket
from bot.jobs.models import EditorLink, Job, JobKind, NewJob, Requester
from bot.jobs.service import JobService
from bot.jobs.states import JobStatus
from bot.jobs.store import Store
from bot.provider import ErrorKind

log = logging.getLogger(__name__)

LINK_LIFETIME: Final = 15 * 60.0
HMAC_META: Final = "editor_hmac"  # the meta key holding the links' HMAC key
MAX_PROMPT: Final = 4000
_TOKEN = re.compile(
    r"v1\.(\d{1,20})\.(\d{1,19})\.(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})"
)


class Refusal(StrEnum):
    """Why a link does not open; each has its own page."""

    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    FOREIGN = "foreign"
    GONE = "gone"


class LinkRefused(Exception):
    """The link cannot be used; `reason` picks the page shown."""

    def __init__(self, reason: Refusal) -> None:
        self.reason = reason
        super().__init__(reason.value)


@dataclass(frozen=True, slots=True)
class Grant:
    """An opened link: its row, the job to edit, and the form's anti-forgery token."""

    link: EditorLink
    job: Job
    csrf: str


class Editor:
    """Hands out editor links and turns a submitted mask into an inpaint job."""

    def __init__(
        self,
        store: Store,
        service: JobService | None = None,
        clock: Callable[[], float] = time.time,
        lifetime: float = LINK_LIFETIME,
    ) -> None:
        self._store = store
        self._service = service
        self._clock = clock
        self._lifetime = lifetime
        self._key: bytes | None = None

    async def issue(self, requester: Requester, job: Job) -> tuple[str, float]:
        """A new one-time token for this member and job, and when it expires."""
        nonce = secrets.token_urlsafe(12)
        expires = int(self._clock() + self._lifetime)
        await self._store.add_editor_link(nonce, job.id, requester, expires)
        body = f"v1.{requester.user_id}.{job.id}.{expires}.{nonce}"
        log.info("editor link issued for job %d to user %d", job.id, requester.user_id)
        return f"{body}.{await self._sign(body)}", float(expires)

    async def open(self, token: str, browser: str, *, bind: bool = True) -> Grant:
        """Check a token for this browser; raises LinkRefused.

        Opening the page (`bind`) ties an unopened link to the browser; the image and the
        form only work in the browser it is tied to.
        """
        link = await self._verified(token)
        if link.used_at is not None:
            raise LinkRefused(Refusal.USED)
        if self._clock() >= link.expires_at:
            raise LinkRefused(Refusal.EXPIRED)
        if bind:
            mine = await self._store.bind_editor_link(link.nonce, browser)
        else:
            mine = link.browser is not None and hmac.compare_digest(link.browser, browser)
        if not mine:
            raise LinkRefused(Refusal.FOREIGN)
        job = await self._store.get_job(link.job_id)
        if job is None or job.status is not JobStatus.SUCCEEDED or not job.image_url:
            raise LinkRefused(Refusal.GONE)
        return Grant(link, job, await self._sign(f"csrf.{link.nonce}.{browser}"))

    async def peek(self, token: str) -> EditorLink:
        """Check a token without opening it (for link previews); raises LinkRefused."""
        return await self._verified(token)

    def csrf_ok(self, grant: Grant, given: str) -> bool:
        """Whether a form carries the token of the page this browser was given."""
        return hmac.compare_digest(grant.csrf.encode(), given.encode())

    async def submit(self, grant: Grant, mask: str, prompt: str) -> Job:
        """Spend the link on one inpaint job, after the same checks as a button.

        The link is spent before the paid call, so two submits can never pay twice; it is
        given back when the job was refused before anything was charged.
        """
        if self._service is None:
            raise RuntimeError("Editor built without a JobService cannot submit")
        requester, parent = grant.link.requester, grant.job
        prompt = " ".join(prompt.split())[:MAX_PROMPT] or parent.prompt
        await self._service.check_button(requester, parent)
        new = NewJob(JobKind.INPAINT, parent.mode, requester, prompt=prompt, parent_id=parent.id)
        ticket = await self._service.reserve(new)  # every check, once, under the member's lock
        try:
            if not await self._store.use_editor_link(grant.link.nonce):
                raise LinkRefused(Refusal.USED)
            job = await self._spend(self._service, grant, (mask, prompt), ticket)
        finally:
            self._service.release(ticket)
        log.info("editor link of job %d spent on job %d", parent.id, job.id)
        return job

    async def _spend(
        self, service: JobService, grant: Grant, region: tuple[str, str], ticket: Ticket
    ) -> Job:
        mask, prompt = region
        try:
            return await service.inpaint(grant.link.requester, grant.job, mask, prompt, ticket)
        except UserFacingError as error:
            if not (isinstance(error, JobRejected) and error.kind is ErrorKind.UNKNOWN_OUTCOME):
                await self._store.unuse_editor_link(grant.link.nonce)
            raise

    async def _verified(self, token: str) -> EditorLink:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise LinkRefused(Refusal.FORGED)
        body, signature = token.rsplit(".", 1)
        if not hmac.compare_digest(signature.encode(), (await self._sign(body)).encode()):
            raise LinkRefused(Refusal.FORGED)
        link = await self._store.editor_link(match[4])
        if link is None and self._clock() >= int(match[3]):
            raise LinkRefused(Refusal.EXPIRED)  # signed by us, long expired and forgotten
        if link is None or (link.requester.user_id, link.job_id) != (int(match[1]), int(match[2])):
            raise LinkRefused(Refusal.FORGED)
        return link

    async def _sign(self, text: str) -> str:
        if self._key is None:
            stored = await self._store.meta_or_create(HMAC_META, lambda: secrets.token_hex(32))
            self._key = stored.encode()
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
